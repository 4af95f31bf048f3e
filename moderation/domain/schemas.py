"""What the website sends and what the API answers, with the rules each field must keep."""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
)
from pydantic_core import PydanticCustomError

from moderation.domain.errors import FieldProblem, InvalidComment
from moderation.domain.statuses import CommentStatus

MAX_NAME = 100
MAX_BODY = 5000
MAX_URL = 2000
MAX_ARTICLE_ID = 200
MAX_TITLE = 300
MAX_EMAIL = 254
# Ids are 64-bit signed integers in both databases; a larger number cannot name a comment.
MAX_ID = 2**63 - 1

_NEWLINES = re.compile(r"\r\n?")


# Unicode's control characters (category Cc) except tab and newline.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _clean_text(value: Any) -> Any:
    """Normalise line ends (browsers post textareas with CRLF) and refuse control characters."""
    if not isinstance(value, str):
        return value
    value = _NEWLINES.sub("\n", value)
    bad = _CONTROL.search(value)
    if bad:
        raise PydanticCustomError(
            "control_characters",
            "must not contain control characters (found U+{code:04X}); only newline and tab",
            {"code": ord(bad.group())},
        )
    return value


def _blank_to_none(value: Any) -> Any:
    """An optional field left empty in a form arrives as ""; it means "not given"."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _http_url(value: str, field_name: str) -> str:
    value = value.strip()
    if len(value) > MAX_URL:
        raise PydanticCustomError(
            "max_length", "must be at most {limit} characters", {"limit": MAX_URL}
        )
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise PydanticCustomError("http_url", "must be an http:// or https:// address")
    return value


Text = Annotated[str, BeforeValidator(_clean_text)]
OptionalText = Annotated[str | None, BeforeValidator(_clean_text), BeforeValidator(_blank_to_none)]


class CommentSubmission(BaseModel):
    """A reader's comment as the site's "Leave a Reply" form (or its backend) submits it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, coerce_numbers_to_str=True)

    # The site's public id (`moderation sites list`); the default site when left out.
    site_id: OptionalText = Field(default=None, max_length=64)
    article_id: Text = Field(min_length=1, max_length=MAX_ARTICLE_ID)
    article_url: OptionalText = None
    article_title: OptionalText = Field(default=None, max_length=MAX_TITLE)
    parent_id: Annotated[int | None, BeforeValidator(_blank_to_none)] = Field(
        default=None, ge=1, le=MAX_ID
    )
    author_name: Text = Field(min_length=1, max_length=MAX_NAME)
    author_email: Text = Field(
        min_length=1, max_length=MAX_EMAIL, json_schema_extra={"format": "email"}
    )
    author_url: OptionalText = None
    body: Text = Field(min_length=1, max_length=MAX_BODY)
    # The reader's address and browser, passed by a site's backend that submits server to
    # server with its secret key; refused otherwise (a browser's own are taken from its request).
    client_ip: OptionalText = Field(default=None, max_length=45)
    user_agent: OptionalText = Field(default=None, max_length=512)

    @field_validator("client_ip")
    @classmethod
    def _ip(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            raise PydanticCustomError("ip_address", "must be an IPv4 or IPv6 address") from None

    @field_validator("author_email")
    @classmethod
    def _email(cls, value: str) -> str:
        try:
            return validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError as error:
            raise PydanticCustomError(
                "email", "must be an email address ({reason})", {"reason": str(error)}
            ) from None

    @field_validator("author_url", "article_url")
    @classmethod
    def _url(cls, value: str | None, info: Any) -> str | None:
        return None if value is None else _http_url(value, info.field_name)


# Rule names and wording for pydantic's own error types, so every problem reads the same way.
_RULES: dict[str, tuple[str, str]] = {
    "missing": ("required", "is required"),
    "string_too_short": ("required", "must not be empty"),
    "string_too_long": ("max_length", "must be at most {max_length} characters"),
    "string_type": ("type", "must be a string"),
    "int_parsing": ("type", "must be a whole number"),
    "int_type": ("type", "must be a whole number"),
    "int_from_float": ("type", "must be a whole number"),
    "greater_than_equal": ("min_value", "must be at least {ge}"),
    "less_than_equal": ("max_value", "must be at most {le}"),
    "extra_forbidden": ("unknown_field", "is not a field of a comment"),
}


def problems_from(error: ValidationError) -> list[FieldProblem]:
    problems = []
    for item in error.errors(include_url=False):
        field = ".".join(str(part) for part in item["loc"]) or "body"
        kind = item["type"]
        if kind in _RULES:
            rule, template = _RULES[kind]
            message = template.format(**item.get("ctx", {}))
        else:
            rule, message = kind, item["msg"]
        problems.append(FieldProblem(field, rule, f"{field} {message}"))
    return problems


def parse_submission(data: Any) -> CommentSubmission:
    """Validate raw input; every problem becomes a 422 naming its field and rule."""
    if not isinstance(data, dict):
        raise InvalidComment(
            [FieldProblem("request", "json_object", "request must be a JSON object")], 400
        )
    try:
        return CommentSubmission.model_validate(data)
    except ValidationError as error:
        raise InvalidComment(problems_from(error)) from None


class CommentAccepted(BaseModel):
    id: int
    status: CommentStatus
    status_url: str
    # The token that shows this browser its own comments while they await moderation: sent
    # back as the X-Reader-Token header (the widget keeps it; the article page uses a cookie).
    reader_token: str | None = None


class PublicComment(BaseModel):
    """A comment as anyone may see it: never the email, IP or user agent."""

    id: int
    article_id: str
    parent_id: int | None
    author_name: str
    author_url: str | None
    body: str
    created_at: datetime
    replies: list[PublicComment] = []
    # The caller's own comment, still awaiting moderation: shown only to the reader token that
    # wrote it (never in a shared cache's copy). Left out of the JSON when false, so what
    # everyone sees is unchanged.
    pending: bool = Field(
        default=False,
        description="true only for the caller's own comment awaiting moderation "
        "(sent with X-Reader-Token); absent otherwise",
    )

    # No return annotation on purpose: pydantic then documents the model's own fields in the
    # OpenAPI schema (an annotation, even Any, would replace them).
    @model_serializer(mode="wrap")
    def _omit_not_pending(self, handler: SerializerFunctionWrapHandler):
        data = handler(self)
        if not self.pending and isinstance(data, dict):
            data.pop("pending", None)
        return data


class UnpublishedComment(BaseModel):
    """The caller's own comment that moderation did not publish; its text is not repeated."""

    id: int
    parent_id: int | None
    created_at: datetime


class CommentStatusView(BaseModel):
    """What the status URL answers; the text is shown only once the comment is published."""

    id: int
    article_id: str
    status: CommentStatus
    created_at: datetime
    decided_at: datetime | None
    comment: PublicComment | None = None


class CommentPage(BaseModel):
    article_id: str
    comments: list[PublicComment]
    next_cursor: str | None
    not_published: list[UnpublishedComment] = Field(
        default=[],
        description="the caller's own comments that were not published (with X-Reader-Token "
        "only); absent otherwise",
    )

    @model_serializer(mode="wrap")  # no return annotation: see PublicComment
    def _omit_nothing_unpublished(self, handler: SerializerFunctionWrapHandler):
        data = handler(self)
        if not self.not_published and isinstance(data, dict):
            data.pop("not_published", None)
        return data
