"""SQL of webhooks: the sites' endpoints, the outbox of deliveries written in the transaction of
each status change, and the delivery log that workers keep as they send them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from moderation.domain.clock import utcnow
from moderation.domain.statuses import CommentStatus
from moderation.storage.models import (
    Article,
    Comment,
    Decision,
    Site,
    WebhookDelivery,
    WebhookEndpoint,
)

STATUS_CHANGED = "comment.status_changed"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # to be sent: now, or at next_attempt_at after a failed attempt
    DELIVERED = "delivered"  # the endpoint answered 2xx
    FAILED = "failed"  # every attempt failed (or the endpoint was removed); `resend` retries


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One comment's move from one status to another, with why: what the audit log records
    and the outbox reports (review.StatusChange adds the training label a person's carries)."""

    comment_id: int
    from_status: CommentStatus | None
    to_status: CommentStatus
    reason: str
    # A removal's statement of reasons as its author reads it (statements.StatementView as
    # JSON); None for any other change.
    statement: dict[str, Any] | None = field(default=None, kw_only=True)


# Where a session collects the ids of the deliveries it wrote, for whoever commits it to send
# them once (and only if) the commit succeeded.
_WRITTEN = "webhook_deliveries_written"


def mark_written(session: Session, ids: Sequence[int]) -> None:
    """Deliveries written by another module's SQL (a notice's event), to be sent after commit."""
    session.info.setdefault(_WRITTEN, []).extend(ids)


def record_site_event(
    session: Session,
    site_id: int,
    comment_id: int,
    event_type: str,
    data: dict[str, Any],
    created_at: datetime,
) -> list[int]:
    """One pending delivery of an event about a comment (a notice's or an appeal's) per enabled
    endpoint of the site, in the caller's transaction (the event exists if and only if it
    commits), with the envelope of every event (id, type, created_at, site, data); marked to
    be sent after the commit."""
    endpoints = session.execute(
        select(WebhookEndpoint.id, Site.slug)
        .join(Site, Site.id == WebhookEndpoint.site_id)
        .where(WebhookEndpoint.site_id == site_id, WebhookEndpoint.disabled_at.is_(None))
        .order_by(WebhookEndpoint.id)
    ).all()
    deliveries = []
    for endpoint_id, slug in endpoints:
        event_id = str(uuid.uuid4())
        payload = {
            "id": event_id,
            "type": event_type,
            "created_at": created_at.isoformat(),
            "site": slug,
            "data": data,
        }
        deliveries.append(
            WebhookDelivery(
                endpoint_id=endpoint_id,
                event_id=event_id,
                event_type=event_type,
                comment_id=comment_id,
                payload=payload,
                status=DeliveryStatus.PENDING.value,
                attempts=0,
                next_attempt_at=created_at,
                created_at=created_at,
            )
        )
    session.add_all(deliveries)
    session.flush()
    ids = [d.id for d in deliveries]
    mark_written(session, ids)
    return ids


def written(session: Session) -> list[int]:
    """The ids of the deliveries written in this session so far, forgotten once read."""
    ids: list[int] = session.info.pop(_WRITTEN, [])
    return ids


# Built once: every status change of a deployment with webhooks runs it. One row per comment
# and enabled endpoint of its site (none when the site has no endpoint), with what the event
# says of the comment and the model that scored it.
_SUBJECTS = (
    select(
        Comment.id,
        Article.external_id,
        Comment.parent_id,
        Comment.author_name,
        Comment.author_url,
        Comment.body,
        Comment.created_at,
        Comment.decided_at,
        Site.slug,
        WebhookEndpoint.id.label("endpoint_id"),
        Decision.model_version,
    )
    .join(Article, Article.id == Comment.article_id)
    .join(Site, Site.id == Article.site_id)
    .join(
        WebhookEndpoint,
        and_(WebhookEndpoint.site_id == Article.site_id, WebhookEndpoint.disabled_at.is_(None)),
    )
    .outerjoin(Decision, Decision.comment_id == Comment.id)
    .where(Comment.id.in_(bindparam("ids", expanding=True)))
    .order_by(Comment.id, WebhookEndpoint.id)
)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def status_changed_event(
    event_id: str,
    created_at: datetime,
    site: str,
    comment: dict[str, Any],
    change: StatusChange,
    actor: str,
    model_version: str | None,
) -> dict[str, Any]:
    """The body of a `comment.status_changed` event, stored with the delivery so that every
    attempt sends the same bytes.

    The author's email is left out: the payload is kept in the delivery log and receivers tend
    to log what they get, so it carries what a site needs to act (ids, status, text) and no
    address a site can look up by the comment id if it must.
    """
    return {
        "id": event_id,
        "type": STATUS_CHANGED,
        "created_at": created_at.isoformat(),
        "site": site,
        "data": {
            "comment": {**comment, "status": change.to_status.value},
            "previous_status": change.from_status.value if change.from_status else None,
            "status": change.to_status.value,
            "actor": actor,
            "reasons": change.reason,
            "statement": change.statement,
            "model_version": model_version,
        },
    }


def record_status_changes(
    session: Session, actor: str, changes: Sequence[StatusChange]
) -> list[int]:
    """Write one pending delivery per change and enabled endpoint of the comment's site, in the
    caller's transaction: the event exists if and only if the change commits. A change to the
    same status is no change and is not reported. Returns the new deliveries' ids, which the
    session also keeps for `written`."""
    by_comment = {c.comment_id: c for c in changes if c.from_status != c.to_status}
    if not by_comment:
        return []
    rows = session.execute(_SUBJECTS, {"ids": list(by_comment)}).all()
    if not rows:
        return []
    now = utcnow()
    values = []
    for row in rows:
        change = by_comment[row.id]
        event_id = str(uuid.uuid4())
        comment = {
            "id": row.id,
            "article_id": row.external_id,
            "parent_id": row.parent_id,
            "author_name": row.author_name,
            "author_url": row.author_url,
            "body": row.body,
            "created_at": _iso(row.created_at),
            "decided_at": _iso(row.decided_at),
        }
        values.append(
            {
                "endpoint_id": row.endpoint_id,
                "event_id": event_id,
                "event_type": STATUS_CHANGED,
                "comment_id": row.id,
                "payload": status_changed_event(
                    event_id, now, row.slug, comment, change, actor, row.model_version
                ),
                "status": DeliveryStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    table = cast(Table, WebhookDelivery.__table__)
    ids = list(
        session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), values
        ).scalars()
    )
    session.info.setdefault(_WRITTEN, []).extend(ids)
    return ids


def sites_with_endpoints(session: Session) -> frozenset[int]:
    """Ids of the sites that have at least one enabled endpoint."""
    return frozenset(
        session.execute(
            select(WebhookEndpoint.site_id).where(WebhookEndpoint.disabled_at.is_(None)).distinct()
        ).scalars()
    )


# --- endpoints -------------------------------------------------------------------------------


def insert_endpoint(session: Session, site_id: int, url: str) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(site_id=site_id, url=url, created_at=utcnow())
    session.add(endpoint)
    session.flush()
    return endpoint


ENDPOINT_REMOVED = "endpoint removed"


def disable_endpoint(session: Session, endpoint_id: int) -> bool:
    """Disable an endpoint and end its pending deliveries as failed. False if there is no such
    endpoint or it was disabled already."""
    now = utcnow()
    done = session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.disabled_at.is_(None))
        .values(disabled_at=now)
        .returning(WebhookEndpoint.id)
    ).first()
    if done is None:
        return False
    session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint_id,
            WebhookDelivery.status == DeliveryStatus.PENDING.value,
        )
        .values(
            status=DeliveryStatus.FAILED.value, last_error=ENDPOINT_REMOVED, next_attempt_at=None
        )
    )
    return True


@dataclass(frozen=True, slots=True)
class EndpointRow:
    endpoint: WebhookEndpoint
    site: str
    # Deliveries by status.
    counts: dict[str, int]


def endpoints(session: Session, site_id: int | None = None) -> list[EndpointRow]:
    query = select(WebhookEndpoint, Site.slug).join(Site, Site.id == WebhookEndpoint.site_id)
    if site_id is not None:
        query = query.where(WebhookEndpoint.site_id == site_id)
    found = session.execute(query.order_by(WebhookEndpoint.id)).all()
    counts: dict[int, dict[str, int]] = {}
    if found:
        for endpoint_id, status, count in session.execute(
            select(WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count())
            .where(WebhookDelivery.endpoint_id.in_([e.id for e, _ in found]))
            .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.status)
        ).all():
            counts.setdefault(endpoint_id, {})[status] = count
    return [EndpointRow(e, slug, counts.get(e.id, {})) for e, slug in found]


# --- the delivery log ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    delivery: WebhookDelivery
    site: str
    url: str


def deliveries(
    session: Session, site_id: int | None, status: DeliveryStatus | None, limit: int
) -> list[DeliveryRow]:
    """Deliveries, newest first."""
    query = (
        select(WebhookDelivery, Site.slug, WebhookEndpoint.url)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(Site, Site.id == WebhookEndpoint.site_id)
    )
    if site_id is not None:
        query = query.where(WebhookEndpoint.site_id == site_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status.value)
    query = query.order_by(WebhookDelivery.id.desc()).limit(limit)
    return [DeliveryRow(d, slug, url) for d, slug, url in session.execute(query).all()]


def reset_for_resend(
    session: Session, event_ids: Sequence[str], all_failed: bool, site_id: int | None
) -> list[int]:
    """Put deliveries back to pending with no attempts, due now: the named events (failed or
    delivered; one in flight is left alone) and, with `all_failed`, every failed one (of the
    site, if given). Returns their ids."""
    wanted = []
    if event_ids:
        wanted.append(
            and_(
                WebhookDelivery.event_id.in_(list(event_ids)),
                WebhookDelivery.status != DeliveryStatus.PENDING.value,
            )
        )
    if all_failed:
        wanted.append(WebhookDelivery.status == DeliveryStatus.FAILED.value)
    if not wanted:
        return []
    query = select(WebhookDelivery.id).where(or_(*wanted))
    if site_id is not None:
        query = query.where(
            WebhookDelivery.endpoint_id.in_(
                select(WebhookEndpoint.id).where(WebhookEndpoint.site_id == site_id)
            )
        )
    ids = list(session.execute(query.order_by(WebhookDelivery.id)).scalars())
    if ids:
        session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id.in_(ids),
                WebhookDelivery.status != DeliveryStatus.PENDING.value,
            )
            .values(
                status=DeliveryStatus.PENDING.value,
                attempts=0,
                next_attempt_at=utcnow(),
                delivered_at=None,
            )
        )
    return ids
