"""What belongs to HTTP and not to the domain: who a request comes from, and its rate limits."""
