"""Domain rules: statuses, schemas, validation, the decision policy and services."""

# schemas, statements, authors and the policy import each other in a ring that only loads
# when the policy comes first; loading it here lets any of them be imported on its own.
from moderation.domain import policy as _policy  # noqa: F401  (order matters)
