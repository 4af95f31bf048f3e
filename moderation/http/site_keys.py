"""Which site a request speaks for, whether it holds the site's key, and the reader token.

Two ways in:
- a browser (our article page, the widget on a site's own page): the site named in the body or
  `?site=`, the reader's address and browser taken from the request; a cross-origin browser
  call only from an origin the site registered;
- a site's backend, server to server, with the site's secret key (`Authorization: Bearer
  sk_...` or `X-Site-Key`): it may pass the reader's `client_ip` and `user_agent`.
"""

from __future__ import annotations

import hashlib
import secrets

from fastapi import Request

from moderation.domain.errors import FieldProblem, ServiceError
from moderation.domain.schemas import CommentSubmission
from moderation.services.sites import DEFAULT_SITE, SiteDirectory, SiteInfo, UnknownSite

READER_COOKIE = "moderation_reader"
READER_HEADER = "x-reader-token"
MAX_READER_TOKEN = 64


class InvalidSiteKey(ServiceError):
    def __init__(self) -> None:
        super().__init__(
            401,
            "invalid_site_key",
            "the site key is not this site's (rotated, or another site's)",
            [FieldProblem("Authorization", "site_key", "send the site's current secret key")],
            {"WWW-Authenticate": 'Bearer realm="site"'},
        )


class OriginNotAllowed(ServiceError):
    def __init__(self, origin: str, site: str) -> None:
        super().__init__(
            403,
            "origin_not_allowed",
            f"origin {origin} is not registered for site {site!r} "
            f"(moderation sites update {site} --add-origin {origin})",
            [FieldProblem("Origin", "registered_origin", "the page's origin is not registered")],
        )


def directory(request: Request) -> SiteDirectory:
    sites: SiteDirectory = request.app.state.sites
    return sites


def site_key(request: Request) -> str | None:
    """The secret key the request carries, if any."""
    header = request.headers.get("authorization")
    if header and header[:7].lower() == "bearer ":
        token = header[7:].strip()
        if token.startswith("sk_"):  # a moderator's token (mod_...) is not a site key
            return token
    return request.headers.get("x-site-key") or None


def site_named(request: Request, slug: str | None, field_name: str = "site_id") -> SiteInfo:
    chosen = slug or DEFAULT_SITE
    site = directory(request).by_slug(chosen)
    if site is None:
        raise UnknownSite(chosen, field_name)
    return site


def own_origin(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def cross_origin(request: Request) -> str | None:
    """The Origin of a browser call from another site's page; None for our own pages and for
    callers that are not browsers."""
    origin = request.headers.get("origin")
    if not origin or origin == "null" or origin == own_origin(request):
        return None
    return origin


def check_origin(request: Request, site: SiteInfo) -> str | None:
    """Refuses a browser call from an origin the site did not register, and from an opaque
    origin (`Origin: null`: a sandboxed frame, a data: or file: page, which any site can make);
    returns the origin."""
    if request.headers.get("origin") == "null":
        raise OriginNotAllowed("null", site.slug)
    origin = cross_origin(request)
    if origin is not None and not site.allows_origin(origin):
        raise OriginNotAllowed(origin, site.slug)
    return origin


class ArticleDetailsRefused(ServiceError):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(
            422,
            "invalid_comment",
            f"{field_name} {message}",
            [FieldProblem(field_name, "site_only", f"{field_name} {message}")],
        )


def check_article_details(
    submission: CommentSubmission, site: SiteInfo, *, with_key: bool, origin: str | None
) -> None:
    """An article's URL and title are the site's to say, not a reader's: the first submission
    that carries them sets them, and the URL is where a form post returns to. They are taken
    from the site's backend (with its key) and from the site's own pages (the widget, on an
    origin the site registered), the URL only if it is on the site's registered origins; from
    anyone else they are refused rather than silently dropped, so an integrator sees why."""
    if submission.article_url is None and submission.article_title is None:
        return
    if with_key:
        return
    if origin is None:
        name = "article_url" if submission.article_url is not None else "article_title"
        raise ArticleDetailsRefused(
            name,
            "is set by the site: send it from the site's backend with its key, or from a page "
            "on one of the site's registered origins",
        )
    if submission.article_url is not None and not site.owns_url(submission.article_url):
        raise ArticleDetailsRefused(
            "article_url",
            f"must be an address on one of the site's registered origins "
            f"(moderation sites update {site.slug} --add-origin ...)",
        )


def new_reader_token() -> str:
    return secrets.token_urlsafe(24)


def reader_token(request: Request) -> str | None:
    """The token this browser was given with its first comment (header from the widget,
    cookie on our article page); None if it has none or sends something else."""
    token = request.headers.get(READER_HEADER) or request.cookies.get(READER_COOKIE)
    if not token or len(token) > MAX_READER_TOKEN:
        return None
    return token


def reader_hash(token: str | None) -> str | None:
    return None if token is None else hashlib.sha256(token.encode()).hexdigest()
