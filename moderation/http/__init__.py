"""The HTTP layer between the routes and the services: middleware and what requests share."""
