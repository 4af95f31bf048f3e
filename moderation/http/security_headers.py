"""Security headers: every HTML page gets a strict Content-Security-Policy, refuses to be framed
and sends no Referer to other sites; every answer gets `X-Content-Type-Options: nosniff`.

Our pages carry no inline script or style (every script and stylesheet is a file under
/static), so their policy allows our own origin and nothing else: a comment that slipped
markup past the escaping could still not run a script or restyle the page. A page that needs
more (the article page's form, the API docs' nonce) sets its own policy; the
middleware fills in whatever an HTML answer does not set itself.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from functools import lru_cache

from starlette.types import Message, Receive, Scope, Send

from moderation.http.middleware import HttpMiddleware

SELF = "'self'"
NONE = "'none'"

# The policy of every page, each directive a tuple of sources.
PAGE_DIRECTIVES: dict[str, tuple[str, ...]] = {
    "default-src": (SELF,),
    "script-src": (SELF,),
    "style-src": (SELF,),
    "object-src": (NONE,),
    # No <base> may redirect the page's relative script and form URLs.
    "base-uri": (NONE,),
    # Forms post only to us (the article page adds the site's origins, see below).
    "form-action": (SELF,),
    # Nobody frames our pages: the workspace's buttons approve, ban and delete, and a page
    # elsewhere must not lay its own content over them (clickjacking). Sites embed comments
    # with the widget, a script that renders into their own page, never a frame.
    "frame-ancestors": (NONE,),
}

# A Referer to another site would carry the workspace's filters (author emails, text searched)
# or an article page's ?comment=: sent only to our own origin.
REFERRER_POLICY = "same-origin"
CSP = "Content-Security-Policy"

# An origin as a CSP source: scheme, host name or bracketed IPv6 address, optional port, and
# nothing a header could be split on (";", ",", spaces) or could not carry (non-ASCII).
_ORIGIN_SOURCE = re.compile(r"https?://([a-z0-9.-]+|\[[0-9a-f:.]+\])(:[0-9]{1,5})?")


def content_security_policy(**changed: Iterable[str]) -> str:
    """The page policy, with the directives named (`form_action=...` for form-action)
    replaced by the sources given."""
    directives = dict(PAGE_DIRECTIVES)
    for name, sources in changed.items():
        directives[name.replace("_", "-")] = tuple(sources)
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


PAGE_POLICY = content_security_policy()


@lru_cache(maxsize=1024)
def article_page_policy(site_origins: frozenset[str]) -> str:
    """The article page's policy: its form may also post to the site's registered origins.

    A form post is answered with a 303 to the article's own page, which for a site's article
    is on one of its registered origins; browsers hold that redirect to form-action too, so
    without them the reader's comment would be stored and their browser would stop on an
    error. Cached per set of origins: a page costs no string building.
    """
    extra = sorted(o for o in site_origins if _ORIGIN_SOURCE.fullmatch(o))
    return content_security_policy(form_action=(SELF, *extra))


def new_nonce() -> str:
    """A fresh nonce for one answer's inline scripts (128 bits, base64url as CSP allows)."""
    return secrets.token_urlsafe(16)


# For an answer made outside the middleware (the 500 of last resort).
NOSNIFF = {"X-Content-Type-Options": "nosniff"}
_NOSNIFF = (b"x-content-type-options", b"nosniff")
_PAGE_DEFAULTS = (
    (CSP.lower().encode(), PAGE_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", REFERRER_POLICY.encode()),
)
_PAGE_HEADER_NAMES = frozenset(name for name, _ in _PAGE_DEFAULTS)


def with_security_headers(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """An answer's raw headers with ours added where the answer does not set them."""
    result = list(headers)
    html = False
    nosniff = False
    present: set[bytes] = set()
    for name, value in result:
        if name == b"content-type":
            html = value.startswith(b"text/html")
        elif name == b"x-content-type-options":
            nosniff = True
        elif name in _PAGE_HEADER_NAMES:
            present.add(name)
    if not nosniff:
        result.append(_NOSNIFF)
    if html:
        result.extend(header for header in _PAGE_DEFAULTS if header[0] not in present)
    return result


class SecurityHeaders(HttpMiddleware):
    """The headers precomputed as bytes: accepting a comment (a JSON answer) pays one pass over
    its handful of headers and one appended pair, nothing more."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_security_headers(message.get("headers", ()))
            await send(message)

        await self.app(scope, receive, send_with_headers)
