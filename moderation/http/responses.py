"""What the JSON API answers besides success: the one error body every route gives, the statuses
each route can answer (for the OpenAPI schema, so clients and schemathesis see what the routes
really do), and the wording of a body that cannot be read as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from moderation.domain.errors import RETRY_AFTER_SECONDS, FieldProblem


class FieldProblemBody(BaseModel):
    """One broken rule on one field."""

    field: str = Field(description="the field, `request`, or a header such as `Origin`")
    rule: str = Field(description="the rule it breaks: `required`, `max_length`, `json`, ...")
    message: str = Field(description="what is wrong, worded for the developer")


class ErrorBody(BaseModel):
    """Every error of the JSON API (app.py's `_error_body` writes it)."""

    error: str = Field(
        description="a stable code: `invalid_comment`, `invalid_request`, `not_found`, "
        "`unsupported_media_type`, `storage_unavailable`, ..."
    )
    message: str
    fields: list[FieldProblemBody] = Field(description="the broken rules; may be empty")


RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait before trying again",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
}
_WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "description": "the scheme to authenticate with: `Bearer`",
        "required": True,
        "schema": {"type": "string"},
    }
}

# What each status means wherever it is answered; a route may word one more precisely.
_MEANING: dict[int, str] = {
    400: "The body is not valid JSON (or form) or not an object; the problem names `request`",
    401: "No token, or one that is unknown, revoked or its user's disabled",
    403: "The token's user lacks the role this needs",
    404: "Not found",
    409: "Conflicts with the current state",
    410: "No longer available: a time limit passed",
    413: "Request body over 64 KiB",
    415: "Content-Type neither JSON nor a form",
    422: "A field or parameter breaks a rule; the answer names it",
    429: "Too many requests from this address; try again after Retry-After seconds",
    503: (
        "The database cannot be reached right now; nothing was changed. "
        f"Try again after Retry-After seconds (usually {RETRY_AFTER_SECONDS})"
    ),
}
_HEADERS: dict[int, dict[str, Any]] = {
    401: _WWW_AUTHENTICATE,
    429: RETRY_AFTER,
    503: RETRY_AFTER,
}


def errors(*statuses: int, worded: Mapping[int, str] | None = None) -> dict[int | str, Any]:
    """The `responses=` of a route for the error statuses it gives, each with the error body
    (and Retry-After or WWW-Authenticate where it is sent)."""
    documented: dict[int | str, Any] = {}
    for status in statuses:
        entry: dict[str, Any] = {
            "model": ErrorBody,
            "description": (worded or {}).get(status, _MEANING[status]),
        }
        if status in _HEADERS:
            entry["headers"] = _HEADERS[status]
        documented[status] = entry
    return documented


# The statuses every route of a kind gives.
STORAGE = (503,)  # reads or writes the database
JSON_BODY = (400, 413, 422)  # reads a JSON body through FastAPI
OWN_BODY = (400, 413, 415, 422)  # reads JSON or a form itself (the public comment routes)
STAFF = (401, 403, 429)  # the moderation API: a token, a role, the rate limit


def unreadable_json(error: BaseException) -> FieldProblem:
    """What is wrong with a body Python's JSON reader refused; each of these is the client's
    mistake, not ours: malformed JSON, bytes that are not UTF-8, a number of more than 4,300
    digits (Python refuses to make such an int) or nesting deeper than the reader goes."""
    if isinstance(error, RecursionError):
        reason = "it is nested too deeply"
    elif isinstance(error, json.JSONDecodeError | UnicodeDecodeError):
        reason = str(error)
    elif isinstance(error, ValueError) and "digits" in str(error):
        reason = "a number has more digits than the 4300 allowed"
    else:
        reason = str(error)
    return FieldProblem("request", "json", f"request body is not valid JSON: {reason}")


def inlined_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its definitions (enums) in place: a schema given in
    `openapi_extra` cannot refer to `$defs` of its own."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return inline(definitions[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(value) for value in node]
        return node

    return dict(inline(schema))
