"""SQL of sending webhooks, as the workers do it: claiming due deliveries for one attempt under
a lease, what each needs to be sent, the attempt's outcome (fenced by its number), and the
overdue ones the sweep hands out again. The outbox itself is written by storage.webhooks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from moderation.domain.clock import utcnow
from moderation.storage import outbox
from moderation.storage.models import Site, WebhookDelivery, WebhookEndpoint
from moderation.storage.webhooks import DeliveryStatus


def claim(
    session: Session, ids: Sequence[int], now: datetime, lease_until: datetime
) -> dict[int, int]:
    """Take the deliveries among `ids` that are pending and due, for one attempt (storage.outbox):
    {delivery id: attempt number}."""
    return outbox.claim(session, WebhookDelivery, ids, now, lease_until, last_attempt_at=now)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A claimed delivery with what sending it needs."""

    id: int
    event_id: str
    attempt: int
    payload: dict[str, Any]
    url: str
    secret_key: str  # the site's current key: it signs
    endpoint_enabled: bool
    # The key before a rotation, while it is still accepted: it signs too, so a receiver
    # that has not switched yet keeps verifying through the grace period.
    previous_key: str | None = None


def outgoing(session: Session, claimed: dict[int, int]) -> list[Outgoing]:
    if not claimed:
        return []
    now = utcnow()
    rows = session.execute(
        select(
            WebhookDelivery.id,
            WebhookDelivery.event_id,
            WebhookDelivery.payload,
            WebhookEndpoint.url,
            WebhookEndpoint.disabled_at,
            Site.secret_key,
            Site.previous_key,
            Site.previous_key_expires_at,
        )
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(Site, Site.id == WebhookEndpoint.site_id)
        .where(WebhookDelivery.id.in_(list(claimed)))
        .order_by(WebhookDelivery.id)
    ).all()
    return [
        Outgoing(
            id=row.id,
            event_id=row.event_id,
            attempt=claimed[row.id],
            payload=row.payload,
            url=row.url,
            secret_key=row.secret_key,
            endpoint_enabled=row.disabled_at is None,
            previous_key=row.previous_key
            if row.previous_key_expires_at is not None and row.previous_key_expires_at > now
            else None,
        )
        for row in rows
    ]


def record_attempt(
    session: Session,
    delivery_id: int,
    attempt: int,
    status: DeliveryStatus,
    status_code: int | None,
    error: str | None,
    next_attempt_at: datetime | None,
) -> bool:
    """Write the outcome of one attempt, unless another worker's attempt took over (outbox)."""
    outcome = {
        "status": status.value,
        "last_status_code": status_code,
        "last_error": error,
        "next_attempt_at": next_attempt_at,
        "delivered_at": utcnow() if status is DeliveryStatus.DELIVERED else None,
    }
    return outbox.record_attempt(session, WebhookDelivery, delivery_id, attempt, outcome)


def claim_overdue(session: Session, cutoff: datetime, limit: int) -> list[int]:
    """Ids of pending deliveries due since before `cutoff` (their task was lost, or the worker
    died mid-attempt), made due now so that the next sweep leaves them to the task it sends."""
    ids = list(
        session.execute(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status == DeliveryStatus.PENDING.value,
                WebhookDelivery.next_attempt_at < cutoff,
            )
            .order_by(WebhookDelivery.id)
            .limit(limit)
        ).scalars()
    )
    if ids:
        session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id.in_(ids),
                WebhookDelivery.status == DeliveryStatus.PENDING.value,
                WebhookDelivery.next_attempt_at < cutoff,
            )
            .values(next_attempt_at=utcnow())
        )
    return ids
