"""HTTP API v1: thin routes, one file per resource."""
