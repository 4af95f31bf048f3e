"""What a moderator's query may carry, checked: the filters they typed, and the cursors this
service gave out for the next page (anything else is refused with a 422 naming the field)."""

from __future__ import annotations

import base64
import binascii

from moderation.domain import fields
from moderation.domain.errors import FieldProblem, ServiceError


class InvalidQuery(ServiceError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(422, "invalid_request", message, [FieldProblem(field, "format", message)])


class UnknownCursor(InvalidQuery):
    """A cursor that no page of the queues or the audit log gave out: edited, cut short, or
    from another listing. It names no place to continue from, so it is refused."""

    def __init__(self) -> None:
        super().__init__("cursor", "cursor is not one this API gave out")


def encode_cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise UnknownCursor() from None


def filter_text(field: str, value: str | None) -> str | None:
    """A filter a moderator typed, compared with stored text: under the rule of the text it is
    compared with (PostgreSQL fails a query that carries a NUL), else a 422 naming it."""
    return fields.checked(field, value, fields.text) if value else None
