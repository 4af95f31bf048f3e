"""Typed errors that carry their HTTP status; one handler in app.py renders them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One broken rule on one field, worded for the developer integrating a site."""

    field: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "message": self.message}


@dataclass
class ServiceError(Exception):
    status_code: int
    code: str
    message: str
    problems: list[FieldProblem] = field(default_factory=list)
    # Response headers the error calls for (WWW-Authenticate on a 401, Retry-After on a 429).
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


class InvalidComment(ServiceError):
    def __init__(self, problems: list[FieldProblem], status_code: int = 422) -> None:
        message = "; ".join(p.message for p in problems)
        super().__init__(status_code, "invalid_comment", message, problems)


class NotFound(ServiceError):
    def __init__(self, what: str) -> None:
        super().__init__(404, "not_found", f"{what} not found")


# How long a client should wait when the service cannot do its part right now (the database or
# the workers are away): about what a database restart or fail-over takes.
RETRY_AFTER_SECONDS = 10


class ServiceUnavailable(ServiceError):
    """A 503 that tells the client when to try again (Retry-After), as every 503 of ours does."""

    def __init__(self, message: str, code: str = "storage_unavailable") -> None:
        super().__init__(503, code, message, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
