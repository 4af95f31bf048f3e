"""Domain rules: statuses, schemas, validation, the decision policy and services."""
