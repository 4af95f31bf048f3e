"""The rules people set (bans, trust, word lists, each site's policy and which sites have
webhooks), kept in memory by each worker process and re-read at most every
`rules_refresh_seconds`: a batch then costs no query for them, and a moderator's change reaches
every worker within that time."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from moderation.config import Settings
from moderation.domain.clock import utcnow
from moderation.domain.wordlists import WordLists
from moderation.services import wordlists
from moderation.services.sites import SitePolicy
from moderation.storage import privacy, sites, webhooks
from moderation.storage import rules as store


@dataclass(frozen=True, slots=True)
class PeopleRules:
    # (kind, value) of every ban and trust of an author.
    author_rules: set[tuple[str, str]]
    word_lists: WordLists
    # Each site's overrides of the deployment's policy, by site id.
    site_policies: dict[int, SitePolicy]
    # The sites with webhook endpoints: with none, recording a batch's decisions costs no
    # query for webhooks. A site's first endpoint gets events within one refresh.
    webhook_sites: frozenset[int]
    # The deployment's salt for the bans an author's erasure kept as hashes (None before the
    # first erasure).
    erasure_salt: bytes | None
    loaded: float  # time.monotonic()
    database_url: str  # where they were read: a process that changes database reads again
    # When the first suspension among them ends: they are read again from then, so a
    # suspension stops holding at its end, not up to a refresh later.
    stale_at: datetime | None = None


_lock = threading.Lock()
_current: PeopleRules | None = None


def current_rules(session: Session, settings: Settings) -> PeopleRules:
    global _current
    with _lock:
        now = time.monotonic()
        if (
            _current is None
            or _current.database_url != settings.database_url
            or now - _current.loaded >= settings.rules_refresh_seconds
            or (_current.stale_at is not None and utcnow() >= _current.stale_at)
        ):
            _current = PeopleRules(
                store.all_author_rules(session),
                wordlists.current_lists(session),
                {
                    site.id: SitePolicy.model_validate(site.policy or {})
                    for site in sites.all_sites(session)
                },
                webhooks.sites_with_endpoints(session),
                privacy.stored_secret(session),
                now,
                settings.database_url,
                store.next_rule_end(session),
            )
        return _current
