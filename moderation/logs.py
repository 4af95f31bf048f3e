"""Log lines operators can use: plain text or JSON lines, and the request id that follows a
comment from the request that brought it to the batch that decided it.

JSON lines come from python-json-logger (kept, and escaping done right) rather than our own
formatting; a record's `extra` fields become JSON fields, and the same facts are in the
message, so the plain lines read the same.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from typing import Literal

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["text", "json"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_JSON_FIELDS = ("levelname", "name", "message", "process")
# uvicorn's copy of each message with terminal colours in it.
_LEFT_OUT = (*RESERVED_ATTRS, "color_message")

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept only when it is short and made of characters that cannot forge a log
# line or a header (UUIDs, hex, a load balancer's "Root=1-..." trace ids); otherwise one is
# made here.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:=+/@-]{1,128}")

# The id of the request this code runs for (in the API); None outside of one.
current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def request_id_from(incoming: str | None) -> str:
    """The caller's X-Request-ID when it is sane, else a new one."""
    if incoming is not None and _SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Gives every record the id of the request it was logged for (a JSON field)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            request_id = current_request_id.get()
            if request_id is not None:
                record.request_id = request_id
        return True


def formatter(log_format: LogFormat) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter(
            list(_JSON_FIELDS),
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",  # ISO 8601, UTC
            reserved_attrs=list(_LEFT_OUT),
        )
    return logging.Formatter(TEXT_FORMAT)


def use_format(log_format: LogFormat, root: logging.Logger | None = None) -> None:
    """Format every handler of the root logger so (and add the request id to its records)."""
    root = root or logging.getLogger()
    for handler in root.handlers:
        handler.setFormatter(formatter(log_format))
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())


def configure(level: str, log_format: LogFormat) -> None:
    """One handler on stderr for the whole process, in the chosen format."""
    logging.basicConfig(level=level.upper(), format=TEXT_FORMAT)
    use_format(log_format)
