"""The HTTP layer between the routes and the services: who a request comes from, its rate
limits, the security headers of its answer."""
