"""Webhooks: a site registers URLs that receive a `comment.status_changed` event whenever one
of its comments changes status (the policy, a moderator or readers' reports), signed with the
site's secret key. docs/webhooks.md is the receivers' documentation.

The events are written in the transaction of the change (an outbox: storage/webhooks.py), sent
by workers on the `webhooks` queue after the commit, retried with backoff, and kept as failed
after the last attempt until `moderation webhooks resend` puts them back.

The signature: `Moderation-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` under the site's
current secret key of the bytes `f"{t}."` followed by the exact request body. The timestamp is
inside the signed bytes, so a receiver that refuses old timestamps refuses replays.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from moderation import __version__
from moderation.config import Settings
from moderation.domain import fields
from moderation.domain.errors import FieldProblem, NotFound, ServiceError
from moderation.messaging.queues import send_deliveries
from moderation.services.sites import UnknownSite
from moderation.storage import sites as sites_store
from moderation.storage import webhooks as store
from moderation.storage.webhooks import DeliveryStatus

EVENT_ID_HEADER = "Moderation-Event-Id"
TIMESTAMP_HEADER = "Moderation-Timestamp"
SIGNATURE_HEADER = "Moderation-Signature"
# Which attempt this is (1 for the first): receivers may log it; it is not signed.
ATTEMPT_HEADER = "Moderation-Attempt"
SIGNATURE_VERSION = "v1"
# What docs/webhooks.md tells receivers to accept: timestamps up to this old.
TOLERANCE_SECONDS = 300


# --- the signature -------------------------------------------------------------------------


def event_body(payload: dict[str, Any]) -> bytes:
    """The request body: compact JSON, UTF-8. Receivers must verify these exact bytes (parse
    after verifying, never re-serialise to verify)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret_key: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 under the site's secret key of `"{timestamp}."` + body."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret_key.encode(), signed, hashlib.sha256).hexdigest()


def signed_headers(
    secret_key: str,
    event_id: str,
    body: bytes,
    timestamp: int,
    attempt: int = 1,
    previous_key: str | None = None,
) -> dict[str, str]:
    """The headers of one attempt: signed anew each time with a fresh timestamp, so a retry
    hours later is not refused as a replay while the body (and event id) stay the same.

    During a key rotation's grace period a second `v1=` signature, under the previous key,
    follows the first: a receiver accepts the event if any `v1` matches its key."""
    signatures = [signature(secret_key, timestamp, body)]
    if previous_key is not None:
        signatures.append(signature(previous_key, timestamp, body))
    return {
        "Content-Type": "application/json",
        "User-Agent": f"comment-moderation-webhooks/{__version__}",
        EVENT_ID_HEADER: event_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: f"t={timestamp},"
        + ",".join(f"{SIGNATURE_VERSION}={s}" for s in signatures),
        ATTEMPT_HEADER: str(attempt),
    }


def retry_delay(
    attempts: int, base: float, cap: float, draw: Callable[[], float] = random.random
) -> float:
    """Seconds before the next attempt after `attempts` failed ones: `base` doubled each time
    up to `cap`, of which a random half ("equal jitter"), so the retries of many deliveries
    that failed together (a receiver was down) do not all come back at once."""
    ceiling = min(cap, base * 2 ** max(attempts - 1, 0))
    return ceiling / 2 + draw() * ceiling / 2


# --- endpoints and the delivery log (the `moderation webhooks` commands) ----------------------


class EndpointView(BaseModel):
    id: int
    site: str
    url: str
    enabled: bool
    created_at: datetime
    disabled_at: datetime | None
    delivered: int = 0
    pending: int = 0
    failed: int = 0


class DeliveryView(BaseModel):
    id: int
    event_id: str
    event_type: str
    site: str
    url: str
    comment_id: int | None
    status: DeliveryStatus
    attempts: int
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime


def check_url(url: str) -> str:
    """An absolute http(s) URL with a host (the one URL rule of moderation.domain.fields).
    Plain http is allowed (a receiver on the same network, a test); the signature still proves
    who sent the event."""
    try:
        return fields.http_url(url)
    except fields.FieldRuleBroken as broken:
        raise ServiceError(
            422,
            "invalid_url",
            f"webhook URL {url!r} {broken.message}",
            [FieldProblem("url", broken.rule, f"url {broken.message}")],
        ) from None


def _site_id(session: Session, slug: str | None) -> int | None:
    if slug is None:
        return None
    site = sites_store.site_by_slug(session, slug)
    if site is None:
        raise UnknownSite(slug, "site")
    return site.id


def _endpoint_view(row: store.EndpointRow) -> EndpointView:
    endpoint = row.endpoint
    return EndpointView(
        id=endpoint.id,
        site=row.site,
        url=endpoint.url,
        enabled=endpoint.disabled_at is None,
        created_at=endpoint.created_at,
        disabled_at=endpoint.disabled_at,
        delivered=row.counts.get(DeliveryStatus.DELIVERED.value, 0),
        pending=row.counts.get(DeliveryStatus.PENDING.value, 0),
        failed=row.counts.get(DeliveryStatus.FAILED.value, 0),
    )


def add_endpoint(session: Session, site: str, url: str) -> EndpointView:
    """Register a URL for a site's events. Workers start writing events for it within
    `rules_refresh_seconds` (they keep in memory which sites have endpoints); people's
    decisions and readers' reports at once."""
    site_id = _site_id(session, site)
    assert site_id is not None
    endpoint = store.insert_endpoint(session, site_id, check_url(url))
    return _endpoint_view(store.EndpointRow(endpoint, site, {}))


def remove_endpoint(session: Session, endpoint_id: int) -> None:
    """Disable an endpoint: no new events for it, and its pending deliveries end as failed.
    Its delivery log is kept."""
    if not store.disable_endpoint(session, endpoint_id):
        raise NotFound("enabled webhook endpoint")


def list_endpoints(session: Session, site: str | None = None) -> list[EndpointView]:
    return [_endpoint_view(row) for row in store.endpoints(session, _site_id(session, site))]


def delivery_log(
    session: Session,
    site: str | None = None,
    status: DeliveryStatus | None = None,
    limit: int = 50,
) -> list[DeliveryView]:
    """Deliveries, newest first: what was sent where, how often, and what came back."""
    return [
        DeliveryView(
            id=row.delivery.id,
            event_id=row.delivery.event_id,
            event_type=row.delivery.event_type,
            site=row.site,
            url=row.url,
            comment_id=row.delivery.comment_id,
            status=DeliveryStatus(row.delivery.status),
            attempts=row.delivery.attempts,
            last_attempt_at=row.delivery.last_attempt_at,
            last_status_code=row.delivery.last_status_code,
            last_error=row.delivery.last_error,
            next_attempt_at=row.delivery.next_attempt_at,
            delivered_at=row.delivery.delivered_at,
            created_at=row.delivery.created_at,
        )
        for row in store.deliveries(session, _site_id(session, site), status, limit)
    ]


def put_back(
    session: Session,
    event_ids: Sequence[str] = (),
    *,
    all_failed: bool = False,
    site: str | None = None,
) -> list[int]:
    """Make deliveries pending again with their attempts reset: the named events (failed or
    delivered, to send one again) and, with `all_failed`, every failed one. The caller sends
    them after the commit (`send_deliveries`); the sweep would otherwise within minutes."""
    return store.reset_for_resend(session, event_ids, all_failed, _site_id(session, site))


# --- sending after the commit ------------------------------------------------------------------


def send_written(settings: Settings, session: Session) -> None:
    """After a request's commit: send the deliveries its status changes wrote."""
    ids = store.written(session)
    if ids:
        send_deliveries(settings, ids)
