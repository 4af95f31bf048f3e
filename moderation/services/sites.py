"""Sites: the websites one deployment moderates. Each has a public id (the widget's
`data-site`), the origins its pages are served from, a secret key (server-to-server
submissions, the Akismet and Perspective APIs, webhook signatures) and its own policy.

The API keeps every site in memory (`SiteDirectory`), re-read every few seconds, so a request
looks its site up without a query; workers keep the policies likewise.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from moderation.domain import fields
from moderation.domain.clock import utcnow
from moderation.domain.errors import FieldProblem, ServiceError, ServiceUnavailable
from moderation.domain.policy import Thresholds
from moderation.domain.rates import Rate
from moderation.storage import sites as store
from moderation.storage import statements as statement_store
from moderation.storage.db import session_scope
from moderation.storage.models import DEFAULT_SITE_ID, Site

log = logging.getLogger(__name__)

DEFAULT_SITE = "default"
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
KEY_PREFIX = "sk_"


def new_key() -> str:
    """A site's secret key: 32 random bytes, URL-safe (it travels in `?key=` too)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


class SitePolicy(BaseModel):
    """A site's overrides of the deployment's policy; what is not set follows the deployment.

    `premoderation`: every comment waits for a moderator (unless spam or rejected outright).
    `links_allowed`: how many links a comment may carry before it is held (0: any link holds).
    `rate_per_address`, `rate_per_site`, `rate_per_key`: the site's own rate limits, in the
    notation of the settings of the same names ("5/minute;50/hour").
    `profanity`: swearing that attacks nobody is allowed, held or rejected.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    spam_hold: float | None = Field(default=None, ge=0, le=1)
    spam_reject: float | None = Field(default=None, ge=0, le=1)
    toxicity_hold: float | None = Field(default=None, ge=0, le=1)
    toxicity_reject: float | None = Field(default=None, ge=0, le=1)
    premoderation: bool | None = None
    links_allowed: int | None = Field(default=None, ge=0, le=100)
    premoderate_until_approved: int | None = Field(default=None, ge=0, le=1000)
    profanity: Literal["allow", "hold", "reject"] | None = None
    rate_per_address: Rate | None = None
    rate_per_site: Rate | None = None
    rate_per_key: Rate | None = None

    def applied_to(self, base: Thresholds) -> Thresholds:
        changes: dict[str, Any] = {}
        for name in ("spam_hold", "spam_reject", "toxicity_hold", "toxicity_reject"):
            value = getattr(self, name)
            if value is not None:
                changes[name] = value
        if self.premoderation is not None:
            changes["premoderation"] = self.premoderation
        if self.profanity is not None:
            changes["profanity"] = self.profanity
        if self.links_allowed is not None:
            changes["hold_links"] = self.links_allowed + 1
        if self.premoderate_until_approved is not None:
            changes["premoderate_until"] = self.premoderate_until_approved
        return replace(base, **changes) if changes else base

    def describe(self) -> str:
        shown = self.model_dump(exclude_none=True)
        return ", ".join(f"{k}={v}" for k, v in shown.items()) or "deployment defaults"


def parse_policy(values: dict[str, Any]) -> SitePolicy:
    try:
        return SitePolicy.model_validate(values)
    except ValidationError as error:
        problems = [
            FieldProblem(
                "policy." + ".".join(str(p) for p in item["loc"]),
                item["type"],
                f"policy {'.'.join(str(p) for p in item['loc'])}: {item['msg']}",
            )
            for item in error.errors(include_url=False)
        ]
        raise ServiceError(
            422, "invalid_policy", "; ".join(p.message for p in problems), problems
        ) from None


def normalise_origin(value: str) -> str:
    """`https://News.Example:443/path` -> `https://news.example`: what a browser sends as
    Origin (scheme, host and a port only when it is not the scheme's own)."""
    try:
        return fields.origin(value)
    except fields.FieldRuleBroken as broken:
        raise fields.refused("origin", broken, "invalid_origin", f"origin {value!r}") from None


def _checked(name: str, value: str | None, rule: Callable[[str], str]) -> str | None:
    """A site's field through its rule (moderation.domain.fields); None stays None."""
    return None if value is None else fields.checked(name, value, rule, f"invalid_{name}")


@dataclass(frozen=True, slots=True)
class SiteInfo:
    """What requests and workers need to know of a site, read once and kept in memory."""

    id: int
    slug: str
    name: str
    url: str | None
    origins: frozenset[str]
    policy: SitePolicy
    secret_key: str
    previous_key: str | None = None
    previous_key_expires_at: datetime | None = None

    @classmethod
    def of(cls, site: Site) -> SiteInfo:
        return cls(
            id=site.id,
            slug=site.slug,
            name=site.name,
            url=site.url,
            origins=frozenset(site.origins or []),
            policy=SitePolicy.model_validate(site.policy or {}),
            secret_key=site.secret_key,
            previous_key=site.previous_key,
            previous_key_expires_at=site.previous_key_expires_at,
        )

    def accepts_key(self, key: str, now: datetime | None = None) -> bool:
        """Compared in constant time; the key before a rotation counts until it expires."""
        if hmac.compare_digest(key.encode(), self.secret_key.encode()):
            return True
        if self.previous_key is None or self.previous_key_expires_at is None:
            return False
        if (now or utcnow()) >= self.previous_key_expires_at:
            return False
        return hmac.compare_digest(key.encode(), self.previous_key.encode())

    def allows_origin(self, origin: str) -> bool:
        return origin in self.origins

    def owns_url(self, url: str) -> bool:
        """Whether a URL is on the site's own pages: one of its registered origins, or its
        front page's. Only such a URL may be an article's, and a form post return to it."""
        found = fields.origin_of(url)
        if found is None:
            return False
        return found in self.origins or (
            self.url is not None and found == fields.origin_of(self.url)
        )


class UnknownSite(ServiceError):
    def __init__(self, slug: str, field_name: str = "site_id") -> None:
        super().__init__(
            422,
            "unknown_site",
            f"{field_name} {slug!r} is not a site of this service",
            [FieldProblem(field_name, "exists", f"{field_name} is not a registered site")],
        )


def validate_slug(slug: str) -> str:
    if not _SLUG.match(slug):
        raise ServiceError(
            422,
            "invalid_site_id",
            "a site id is 1 to 64 lowercase letters, digits and dashes, "
            "starting and ending with a letter or digit",
            [FieldProblem("site_id", "pattern", "site_id must match [a-z0-9-]")],
        )
    return slug


def add_site(
    session: Session,
    slug: str,
    name: str,
    url: str | None,
    origins: list[str],
    policy: dict[str, Any],
) -> Site:
    validate_slug(slug)
    name = _checked("name", name, fields.line) or ""
    url = _checked("url", url or None, fields.http_url)
    if store.site_by_slug(session, slug) is not None:
        raise ServiceError(409, "site_exists", f"a site {slug!r} exists already")
    checked = parse_policy(policy)
    site = store.insert_site(
        session,
        slug=slug,
        name=name or slug,
        url=url,
        origins=sorted({normalise_origin(o) for o in origins}),
        secret_key=new_key(),
        policy=checked.model_dump(exclude_none=True),
    )
    # Its removal grounds start as every site's do; admins edit them (api/statements.py).
    statement_store.seed_grounds(session, site.id)
    return site


def update_site(
    session: Session,
    slug: str,
    *,
    name: str | None = None,
    url: str | None = None,
    add_origins: list[str] | None = None,
    remove_origins: list[str] | None = None,
    policy: dict[str, Any] | None = None,
    clear_policy: list[str] | None = None,
) -> Site:
    site = store.site_by_slug(session, slug)
    if site is None:
        raise UnknownSite(slug)
    if name:
        site.name = _checked("name", name, fields.line) or site.name
    if url is not None:
        site.url = _checked("url", url or None, fields.http_url)
    origins = set(site.origins or [])
    origins |= {normalise_origin(o) for o in add_origins or []}
    origins -= {normalise_origin(o) for o in remove_origins or []}
    site.origins = sorted(origins)
    merged = {**(site.policy or {}), **(policy or {})}
    for name_ in clear_policy or []:
        merged.pop(name_, None)
    site.policy = parse_policy(merged).model_dump(exclude_none=True)
    session.flush()
    return site


def rotate_key(session: Session, slug: str, grace: timedelta) -> Site:
    """A new key; the old one keeps working for `grace` (0: stops at once)."""
    site = store.site_by_slug(session, slug)
    if site is None:
        raise UnknownSite(slug)
    if grace > timedelta(0):
        site.previous_key = site.secret_key
        site.previous_key_expires_at = utcnow() + grace
    else:
        site.previous_key = None
        site.previous_key_expires_at = None
    site.secret_key = new_key()
    session.flush()
    return site


@dataclass(slots=True)
class _Snapshot:
    by_slug: dict[str, SiteInfo] = field(default_factory=dict)
    by_id: dict[int, SiteInfo] = field(default_factory=dict)
    loaded: float = float("-inf")


class SitesUnavailable(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__(
            "the service cannot read its sites right now; nothing was kept, please try again"
        )


# A lookup that misses reads the sites again if they are older than this: a site just added
# or a key just rotated works at once, while guessing ids cannot make every request a query.
MISS_REREAD_SECONDS = 1.0


class SiteDirectory:
    """Every site, in memory, read again at most every `refresh_seconds` (a site added or a
    key rotated reaches every process within that time). Thread-safe; one per process."""

    def __init__(self, load: Callable[[], list[SiteInfo]], refresh_seconds: float = 5.0) -> None:
        self._load = load
        self._refresh = refresh_seconds
        self._lock = threading.Lock()
        self._snapshot = _Snapshot()

    def _current(self, max_age: float | None = None) -> _Snapshot:
        age = self._refresh if max_age is None else max_age
        snapshot = self._snapshot
        if time.monotonic() - snapshot.loaded < age:
            return snapshot
        with self._lock:
            if time.monotonic() - self._snapshot.loaded >= age:
                try:
                    sites = self._load()
                except Exception as error:  # the database is away: keep what we knew
                    if not self._snapshot.by_slug:
                        raise SitesUnavailable() from error
                    log.warning("keeping the sites read before: cannot read them: %s", error)
                    self._snapshot.loaded = time.monotonic()
                    return self._snapshot
                self._snapshot = _Snapshot(
                    {s.slug: s for s in sites}, {s.id: s for s in sites}, time.monotonic()
                )
            return self._snapshot

    def by_slug(self, slug: str) -> SiteInfo | None:
        found = self._current().by_slug.get(slug)
        if found is None:
            # A site added a moment ago works at once; unknown ids cost a read a second at most.
            found = self._current(MISS_REREAD_SECONDS).by_slug.get(slug)
        return found

    def by_id(self, site_id: int) -> SiteInfo | None:
        return self._current().by_id.get(site_id)

    def by_key(self, key: str) -> SiteInfo | None:
        """The site this secret key belongs to (a scan: a deployment has a handful of sites)."""
        for max_age in (None, MISS_REREAD_SECONDS):
            now = utcnow()
            for site in self._current(max_age).by_slug.values():
                if site.accepts_key(key, now):
                    return site
        return None

    def all(self) -> list[SiteInfo]:
        return sorted(self._current().by_slug.values(), key=lambda s: s.id)

    def any_allows_origin(self, origin: str) -> bool:
        return any(s.allows_origin(origin) for s in self._current().by_slug.values())

    def forget(self) -> None:
        """Read again on the next lookup (after a change made in this process)."""
        with self._lock:
            self._snapshot = _Snapshot()


def site_slugs(session: Session) -> list[str]:
    """Every site's slug, oldest site first."""
    return [s.slug for s in store.all_sites(session)]


def load_sites(database_url: str) -> list[SiteInfo]:
    with session_scope(database_url) as session:
        return [SiteInfo.of(s) for s in store.all_sites(session)]


def directory_for(database_url: str, refresh_seconds: float = 5.0) -> SiteDirectory:
    return SiteDirectory(lambda: load_sites(database_url), refresh_seconds)


__all__ = [
    "DEFAULT_SITE",
    "DEFAULT_SITE_ID",
    "SiteDirectory",
    "SiteInfo",
    "SitePolicy",
    "UnknownSite",
]
