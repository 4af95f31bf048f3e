"""What the website sends and what the API answers, with the rules each field must keep."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
)
from pydantic_core import PydanticCustomError

from moderation.domain import fields
from moderation.domain.errors import FieldProblem, InvalidComment
from moderation.domain.statements import StatementView
from moderation.domain.statuses import CommentStatus

MAX_NAME = 100
MAX_BODY = 5000
MAX_URL = fields.MAX_URL
MAX_ARTICLE_ID = 200
MAX_TITLE = 300
MAX_EMAIL = fields.MAX_EMAIL
# How deep replies nest: a top-level comment is at 0, a reply to it at 1. WordPress offers 2 to
# 10 levels (5 by default); deeper, a thread reads as a column one word wide.
MAX_REPLY_DEPTH = 8
# Ids are 64-bit signed integers in both databases; a larger number cannot name a comment.
MAX_ID = 2**63 - 1


def _checked(rule: Callable[[str], str]) -> Callable[[Any], Any]:
    """A field rule of moderation.domain.fields as a pydantic validator: a string is checked
    (and normalised), anything else is left to pydantic's type check."""

    def check(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return rule(value)
        except fields.FieldRuleBroken as broken:
            raise PydanticCustomError(broken.rule, broken.template, broken.context) from None

    return check


def _blank_to_none(value: Any) -> Any:
    """An optional field left empty in a form arrives as ""; it means "not given"."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


# Validators run last-declared first: a blank optional value is None before any rule sees it.
Text = Annotated[str, BeforeValidator(_checked(fields.text))]
OptionalText = Annotated[
    str | None, BeforeValidator(_checked(fields.text)), BeforeValidator(_blank_to_none)
]
Line = Annotated[str, BeforeValidator(_checked(fields.line))]
OptionalLine = Annotated[
    str | None, BeforeValidator(_checked(fields.line)), BeforeValidator(_blank_to_none)
]
OptionalHttpUrl = Annotated[
    str | None,
    AfterValidator(_checked(fields.http_url)),
    BeforeValidator(_blank_to_none),
    Field(json_schema_extra={"format": "uri"}),
]
EmailAddress = Annotated[
    str, AfterValidator(_checked(fields.email)), Field(json_schema_extra={"format": "email"})
]
OptionalIpAddress = Annotated[
    str | None, AfterValidator(_checked(fields.ip_address)), BeforeValidator(_blank_to_none)
]
# What the pages and the public JSON show of a stored URL: only one that passes the rule today
# (a row stored before the rule, or by a path that skipped it, shows no link at all).
ShownUrl = Annotated[str | None, AfterValidator(fields.safe_href)]


class CommentSubmission(BaseModel):
    """A reader's comment as the site's "Leave a Reply" form (or its backend) submits it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, coerce_numbers_to_str=True)

    # The site's public id (`moderation sites list`); the default site when left out.
    site_id: OptionalLine = Field(default=None, max_length=64)
    article_id: Line = Field(min_length=1, max_length=MAX_ARTICLE_ID)
    article_url: OptionalHttpUrl = None
    article_title: OptionalLine = Field(default=None, max_length=MAX_TITLE)
    parent_id: Annotated[int | None, BeforeValidator(_blank_to_none)] = Field(
        default=None, ge=1, le=MAX_ID
    )
    author_name: Line = Field(min_length=1, max_length=MAX_NAME)
    author_email: EmailAddress = Field(min_length=1, max_length=MAX_EMAIL)
    author_url: OptionalHttpUrl = None
    body: Text = Field(min_length=1, max_length=MAX_BODY)
    # The reader's address and browser, passed by a site's backend that submits server to
    # server with its secret key; refused otherwise (a browser's own are taken from its request).
    client_ip: OptionalIpAddress = Field(default=None, max_length=45)
    user_agent: OptionalLine = Field(default=None, max_length=512)


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
    author_url: ShownUrl
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
    # Why it was removed (DSA Art. 17), for its author; None while none was written.
    statement: StatementView | None = None


class CommentStatusView(BaseModel):
    """What the status URL answers; the text is shown only once the comment is published."""

    id: int
    article_id: str
    status: CommentStatus
    created_at: datetime
    decided_at: datetime | None
    comment: PublicComment | None = None
    statement: StatementView | None = Field(
        default=None,
        description="why the comment was removed (a statement of reasons): only to the "
        "reader token that wrote it (X-Reader-Token), null for anyone else",
    )


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
