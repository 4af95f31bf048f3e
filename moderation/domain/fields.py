"""The rule of each field, written once: every way in (the JSON and form API, the widget, the
Akismet- and Perspective-compatible APIs, the moderation API, the CLI) checks its values here,
and the pages check a URL here again before they render it as a link.

Pure functions over plain values. A value that breaks a rule raises `FieldRuleBroken` with the
rule's name and a message that reads after the field's name ("must be an http:// or https://
address"); the caller turns it into its protocol's error (a 422 naming the field, Akismet's
silence, Perspective's INVALID_ARGUMENT, a CLI message) or, where the protocol asks us to judge
rather than refuse, drops what is not safe to keep.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from moderation.domain.errors import FieldProblem, ServiceError

MAX_URL = 2000
MAX_EMAIL = 254

# Unicode's control characters (category Cc). Text that spans lines keeps newline and tab.
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A surrogate code point on its own: JSON can carry one ("\ud800"), UTF-8 cannot, so no
# database, log or page can take it.
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Bidirectional embeddings, overrides and isolates: in a name, an address or an id they turn
# the text around it ("Trojan Source" spoofing). A comment's text may carry them (right-to-left
# writers do); pages isolate it with dir="auto", so they cannot reach beyond it.
_BIDI_CONTROL = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_NEWLINES = re.compile(r"\r\n?")
_LINE_BREAKS = re.compile(r"[\t\n\r]+")


@dataclass
class FieldRuleBroken(ValueError):
    """A value that breaks its field's rule: `rule` names it, `message` follows the field's
    name, `context` fills the message's {placeholders}."""

    rule: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return self.template.format(**self.context)

    def __str__(self) -> str:
        return self.message


def refused(
    name: str, broken: FieldRuleBroken, code: str = "invalid_request", said: str | None = None
) -> ServiceError:
    """The 422 naming the field whose rule a value broke (`said`: how the message names it)."""
    message = f"{said or name} {broken.message}"
    return ServiceError(422, code, message, [FieldProblem(name, broken.rule, message)])


def checked(
    name: str, value: str, rule: Callable[[str], str], code: str = "invalid_request"
) -> str:
    """The value through its field's rule, or the 422 naming the field (the services' and the
    commands' way in; the API's models apply the same rules as pydantic validators)."""
    try:
        return rule(value)
    except FieldRuleBroken as broken:
        raise refused(name, broken, code) from None


def _refuse(value: str, characters: re.Pattern[str], rule: str, template: str) -> None:
    """Break `rule` on the first of these characters in the value, naming it by code point
    ({code} in the template): an invisible character is found by its number alone."""
    found = characters.search(value)
    if found:
        raise FieldRuleBroken(rule, template, {"code": f"{ord(found.group()):04X}"})


def _refuse_odd_characters(value: str, control: re.Pattern[str]) -> None:
    _refuse(
        value,
        control,
        "control_characters",
        "must not contain control characters (found U+{code}); only newline and tab"
        if control is _CONTROL_MULTILINE
        else "must not contain control characters (found U+{code})",
    )
    unicode(value)


def unicode(value: str) -> str:
    """Text that UTF-8 can carry: no lone surrogate (the one rule of text we only score)."""
    _refuse(
        value, _LONE_SURROGATE, "unicode", "must be valid Unicode (found a lone surrogate U+{code})"
    )
    return value


def text(value: str) -> str:
    """Text that may span lines (a comment, a note): line ends normalised (browsers post a
    textarea with CRLF); control characters other than newline and tab, and lone surrogates,
    refused."""
    value = _NEWLINES.sub("\n", value)
    _refuse_odd_characters(value, _CONTROL_MULTILINE)
    return value


def line(value: str) -> str:
    """One line (a name, an id, a title, an address): no control characters at all, no lone
    surrogates, no bidirectional overrides."""
    _refuse_odd_characters(value, _CONTROL)
    _refuse(
        value,
        _BIDI_CONTROL,
        "bidi_control",
        "must not contain bidirectional control characters (found U+{code})",
    )
    return value


def is_line(value: str) -> bool:
    """Whether a value keeps the one-line rule (a name an account or an article can have)."""
    try:
        line(value)
    except FieldRuleBroken:
        return False
    return True


def judged_text(value: str) -> str:
    """Text we are asked to judge rather than refuse (Akismet's parameters: its client has
    accepted the comment already): line ends normalised, what `text` refuses dropped, a lone
    surrogate replaced by U+FFFD."""
    value = _NEWLINES.sub("\n", value)
    return _LONE_SURROGATE.sub("\ufffd", _CONTROL_MULTILINE.sub("", value))


def judged_line(value: str) -> str:
    """One line we are asked to judge rather than refuse: as `judged_text`, with line breaks
    and tabs made spaces and bidirectional controls dropped too."""
    value = _CONTROL.sub("", _LINE_BREAKS.sub(" ", value))
    return _LONE_SURROGATE.sub("\ufffd", _BIDI_CONTROL.sub("", value))


def http_url(value: str) -> str:
    """An absolute http:// or https:// address with a host, on one line: the only kind of URL
    the service stores, links to or redirects to (never javascript:, data: or a relative
    path)."""
    value = line(value.strip())
    if len(value) > MAX_URL:
        raise FieldRuleBroken(
            "max_length", "must be at most {limit} characters", {"limit": MAX_URL}
        )
    if not is_http_url(value):
        raise FieldRuleBroken("http_url", "must be an http:// or https:// address")
    return value


def is_http_url(value: object) -> bool:
    """Whether a stored or given value is safe to put in an href: http(s) with a host, no
    whitespace or control character a browser would strip to find another scheme."""
    if not isinstance(value, str) or not value or len(value) > MAX_URL:
        return False
    if _CONTROL.search(value) or value != value.strip() or " " in value or "\\" in value:
        # A backslash is no URL character: browsers read it as "/" ("https://evil\@ours/" goes
        # to evil), Python's urlsplit does not (it sees the host "ours").
        return False
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError:  # a malformed port or IPv6 literal
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc) and bool(host)


def safe_href(value: object) -> str | None:
    """The URL if a page may link to it, else None (the pages' last check before an href)."""
    return value if is_http_url(value) and isinstance(value, str) else None


def origin_of(url: str) -> str | None:
    """`https://News.Example:443/path` -> `https://news.example`: what a browser sends as
    Origin (scheme, host and a port only when it is not the scheme's own); None if the URL has
    none. A backslash makes it none: browsers and urlsplit disagree on the host it leaves."""
    if "\\" in url:
        return None
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        return None
    host = host.lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")


def origin(value: str) -> str:
    """A registered origin (a site's pages), normalised as `origin_of` does."""
    found = origin_of(line(value))
    if found is None:
        raise FieldRuleBroken("http_url", "must be an http:// or https:// origin")
    return found


def email(value: str) -> str:
    """An email address, normalised (the domain lower-cased, Unicode NFC); never checked for
    deliverability (no DNS on the request path)."""
    value = line(value)
    if len(value) > MAX_EMAIL:
        raise FieldRuleBroken(
            "max_length", "must be at most {limit} characters", {"limit": MAX_EMAIL}
        )
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise FieldRuleBroken(
            "email", "must be an email address ({reason})", {"reason": str(error)}
        ) from None


def ip_address(value: str) -> str:
    """An IPv4 or IPv6 address, in its canonical form."""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise FieldRuleBroken("ip_address", "must be an IPv4 or IPv6 address") from None
