"""An author's rights over their data (GDPR Art. 15, 17, 20): `export` gives everything stored
about the author of an email as one JSON document; `erase` removes their personal data from
every table and keeps the audit trail without it. docs/privacy.md says what each does and
does not reach, and why."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from moderation.domain import fields
from moderation.domain.authors import AuthorRuleKind
from moderation.domain.clock import utcnow
from moderation.domain.privacy import (
    ERASED_NOTICE_TEXT,
    ERASED_TEXT,
    EXPORT_FORMAT,
    EXPORT_VERSION,
    KEYED_PREFIX,
    ErasureResult,
    ErasureTexts,
    Identifiers,
    PastErasure,
    erased_notifier,
    erased_payload,
    keyed,
    subject_key,
    without_notifier,
)
from moderation.domain.statuses import CommentStatus
from moderation.storage import privacy as store
from moderation.storage import statements as statement_store
from moderation.storage.models import (
    Appeal,
    AuthorRule,
    Comment,
    Decision,
    Email,
    ModerationEvent,
    ModeratorLabel,
    Notice,
    Report,
    Statement,
    WebhookDelivery,
)
from moderation.storage.review import StatusChange, record_changes

log = logging.getLogger(__name__)

_WAITING = (CommentStatus.QUEUED, CommentStatus.PENDING)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _email(email: str) -> str:
    """The email as the service keeps it (normalised), compared case-blind."""
    return subject_key(fields.checked("email", email, fields.email))


def _comment(found: store.AuthoredComment) -> dict[str, Any]:
    c, a = found.comment, found.article
    return {
        "id": c.id,
        "site": found.site,
        "article": {"id": a.external_id, "url": a.url, "title": a.title},
        "parent_id": c.parent_id,
        "status": c.status.value,
        "body": c.body,
        "author_name": c.author_name,
        "author_email": c.author_email,
        "author_url": c.author_url,
        "client_ip": c.client_ip,
        "user_agent": c.user_agent,
        "channel": c.channel,
        "is_test": c.is_test,
        "created_at": _iso(c.created_at),
        "decided_at": _iso(c.decided_at),
    }


def _grouped(rows: list[Any], shape: Any) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row.comment_id or 0, []).append(shape(row))
    return found


def _decision(d: Decision) -> dict[str, Any]:
    return {
        "status": d.status.value,
        "spam": d.spam,
        "toxicity": d.toxicity,
        "scores": d.scores,
        "reasons": d.reasons,
        "model_version": d.model_version,
        "decided_at": _iso(d.created_at),
    }


def _event(e: ModerationEvent) -> dict[str, Any]:
    return {
        "actor": e.actor,
        "from_status": e.from_status.value if e.from_status else None,
        "to_status": e.to_status.value,
        "reason": e.reason,
        "at": _iso(e.created_at),
    }


def _statement(row: Statement) -> dict[str, Any]:
    return statement_store.view_of(row).model_dump(mode="json")


def _appeal(a: Appeal) -> dict[str, Any]:
    return {
        "id": a.id,
        "statement_id": a.statement_id,
        "status": a.status,
        "explanation": a.explanation,
        "filed_at": _iso(a.filed_at),
        "decided_at": _iso(a.decided_at),
        "note": a.note,
    }


def _label(label: ModeratorLabel) -> dict[str, Any]:
    return {
        "action": label.action,
        "spam": label.spam,
        "toxic": label.toxic,
        "ground": label.ground,
        "at": _iso(label.created_at),
    }


def _report(r: Report) -> dict[str, Any]:
    # Without the reader's address: theirs, not the author's.
    return {
        "reason": r.reason,
        "text": r.text,
        "at": _iso(r.created_at),
        "resolved_at": _iso(r.resolved_at),
    }


def _delivery(found: tuple[WebhookDelivery, str]) -> dict[str, Any]:
    d, url = found
    return {
        "event_id": d.event_id,
        "type": d.event_type,
        "url": url,
        "status": d.status,
        "created_at": _iso(d.created_at),
        "delivered_at": _iso(d.delivered_at),
        "payload": without_notifier(d.payload),
    }


def _notice(n: Notice) -> dict[str, Any]:
    """A notice this person filed about someone's comment, as they sent it and as decided."""
    return {
        "id": n.id,
        "comment_id": n.comment_id,
        "ground": n.ground,
        "law": n.law,
        "explanation": n.explanation,
        "notifier_name": n.notifier_name,
        "notifier_email": n.notifier_email,
        "good_faith": n.good_faith,
        "status": n.status,
        "received_at": _iso(n.received_at),
        "decided_at": _iso(n.decided_at),
        "outcome": n.outcome,
        "reason": n.reason,
    }


def _email_sent(e: Email) -> dict[str, Any]:
    """An email this service wrote to the person about a notice they filed."""
    return {
        "kind": e.kind,
        "notice_id": e.notice_id,
        "to": e.recipient,
        "subject": e.subject,
        "body": e.body,
        "status": e.status,
        "created_at": _iso(e.created_at),
        "sent_at": _iso(e.sent_at),
    }


def _related(session: Session, ids: list[int]) -> dict[str, dict[int, Any]]:
    """What the policy, the moderators, readers and webhooks made of these comments."""
    deliveries: dict[int, list[dict[str, Any]]] = {}
    for found in store.deliveries_about(session, ids):
        deliveries.setdefault(found[0].comment_id or 0, []).append(_delivery(found))
    return {
        "decision": {d.comment_id: _decision(d) for d in store.decisions_on(session, ids)},
        "moderation_events": _grouped(store.events_on(session, ids), _event),
        "training_labels": _grouped(store.labels_on(session, ids), _label),
        "reports": _grouped(store.reports_on(session, ids), _report),
        "statements": _grouped(store.statements_on(session, ids), _statement),
        "appeals": _grouped(store.appeals_on(session, ids), _appeal),
        "webhook_deliveries": deliveries,
    }


def _rule(rule: AuthorRule) -> dict[str, Any]:
    return {
        "kind": rule.kind,
        "value": rule.value,
        "note": rule.note,
        "expires_at": _iso(rule.expires_at),
        "created_by": rule.created_by,
        "created_at": _iso(rule.created_at),
    }


def _named_values(session: Session, email: str, addresses: set[str]) -> list[str]:
    """The values a ban or trust of this author holds: the email, their addresses, and the
    salted hashes of them a ban kept past an earlier erasure."""
    values = [email, *sorted(addresses)]
    salt = store.stored_secret(session)
    return values + ([keyed(salt, v) for v in values] if salt else [])


def _past(session: Session, email: str) -> list[PastErasure]:
    salt = store.stored_secret(session)
    if salt is None:
        return []
    return [
        PastErasure(erased_at=e.created_at, requested_by=e.requested_by, comments=e.comments)
        for e in store.erasures_of(session, keyed(salt, email))
    ]


def export(session: Session, email: str) -> dict[str, Any]:
    """Everything stored about the author of this email (docs/api.md, "Author export")."""
    wanted = _email(email)
    found = store.authored(session, wanted)
    ids = [f.comment.id for f in found]
    related = _related(session, ids)
    comments = []
    for f in found:
        shown = _comment(f)
        for part, by_comment in related.items():
            shown[part] = by_comment.get(f.comment.id, None if part == "decision" else [])
        comments.append(shown)
    addresses = {f.comment.client_ip for f in found if f.comment.client_ip}
    rules = store.rules_naming(session, _named_values(session, wanted, addresses))
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": _iso(utcnow()),
        "email": wanted,
        "comments": comments,
        "author_rules": [_rule(r) for r in rules],
        "author_notes": [
            {"note": n.note, "created_by": n.created_by, "created_at": _iso(n.created_at)}
            for n in store.notes_on(session, wanted)
        ],
        "notices_filed": [_notice(n) for n in store.notices_filed(session, wanted)],
        "emails": [_email_sent(e) for e in store.emails_to(session, wanted)],
        "erasures": [p.model_dump(mode="json") for p in _past(session, wanted)],
    }


def _bodies(session: Session, ids: list[int], texts: ErasureTexts) -> dict[int, str]:
    """What each erased comment's text becomes."""
    if texts is ErasureTexts.REPLACE:
        return dict.fromkeys(ids, ERASED_TEXT)
    kept = store.replied_to(session, ids)
    return {i: ERASED_TEXT if i in kept else "" for i in ids}


def _status_after(status: CommentStatus, body: str) -> CommentStatus:
    """A comment still waiting leaves the queues (nobody should decide a removed text); a
    published one whose text was deleted leaves the page."""
    if status in _WAITING or (status is CommentStatus.APPROVED and not body):
        return CommentStatus.REJECTED
    return status


def _keep_or_lift(
    session: Session, rules: list[AuthorRule], salt: bytes, found: Identifiers
) -> tuple[int, int]:
    """Trust ends with the erasure; a ban stays, naming a salted hash of the email or address,
    so that asking for erasure is no way around it. (trust lifted, bans kept)"""
    lifted = kept = 0
    for rule in rules:
        if rule.kind == AuthorRuleKind.TRUST_EMAIL.value:
            session.delete(rule)
            lifted += 1
            continue
        if rule.value.startswith(KEYED_PREFIX):
            continue
        value = keyed(salt, rule.value)
        if store.rules_naming(session, [value]):
            session.delete(rule)  # kept already by an earlier erasure under another case
        else:
            rule.value, rule.note = value, found.scrub(rule.note)
        kept += 1
    session.flush()
    return lifted, kept


def _identifiers(wanted: str, comments: list[Comment], addresses: list[str]) -> Identifiers:
    emails = {wanted, *(c.author_email for c in comments)}
    return Identifiers(
        [*emails, *addresses] + [c.author_url for c in comments] + [c.user_agent for c in comments],
        # Names, and the part of each email before the @ (as whole words: "info" is left in
        # "information").
        [c.author_name for c in comments] + [e.split("@")[0] for e in emails],
    )


def erase(
    session: Session, email: str, actor: str, texts: ErasureTexts = ErasureTexts.REPLACE
) -> ErasureResult:
    """Remove the personal data of the author of this email from every table (docs/privacy.md).

    Safe to run again: a second erasure finds nothing left and says when the earlier ones ran.
    Logs counts only."""
    wanted = _email(email)
    comments = [f.comment for f in store.authored(session, wanted)]
    addresses = sorted({c.client_ip for c in comments if c.client_ip})
    rules = store.rules_naming(session, [wanted, *addresses])
    past = _past(session, wanted)
    result = ErasureResult(erasure_id=None, texts=texts, previous_erasures=past)
    # The moderators' notes on the author go whole: they are about the person.
    result.author_notes_deleted = store.delete_notes(session, wanted)
    filed = [n for n in store.notices_filed(session, wanted) if n.notifier_email]
    # The emails written to them as a notifier go whole: the address is what they are for.
    result.emails_deleted = store.delete_emails(session, wanted)
    if not comments and not rules and not filed:
        log.info("erasure: nothing left to erase (%d earlier erasure(s))", len(past))
        return result
    salt = store.secret(session)
    result.notices_cleared = _clear_notices(session, filed)
    identifiers = _identifiers(wanted, comments, addresses)
    statuses = {c.id: c.status for c in comments}
    bodies = _bodies(session, list(statuses), texts)
    _scrub_related(session, addresses, bodies, identifiers, result)
    result.trust_lifted, result.bans_kept_as_hash = _keep_or_lift(session, rules, salt, identifiers)
    store.blank_comments(session, bodies)
    erasure_id = store.record_erasure(
        session, keyed(salt, wanted), actor, texts.value, len(statuses)
    )
    reason = f"erased at the author's request (erasure {erasure_id})"
    changes = [
        StatusChange(i, before, _status_after(before, bodies[i]), reason)
        for i, before in statuses.items()
    ]
    record_changes(session, actor, changes)
    result.erasure_id, result.comments = erasure_id, len(changes)
    result.comments_unpublished = sum(
        c.from_status is CommentStatus.APPROVED and c.to_status is not CommentStatus.APPROVED
        for c in changes
    )
    log.info(
        "erasure %d: %d comment(s), %d label(s), %d webhook payload(s), %d ban(s) kept as a "
        "hash, %d notice(s) filed",
        erasure_id,
        result.comments,
        result.training_labels_deleted,
        result.webhook_payloads_scrubbed,
        result.bans_kept_as_hash,
        result.notices_cleared,
    )
    return result


def _clear_notices(session: Session, filed: list[Notice]) -> int:
    """A notifier's name, email and explanation out of the notices they filed and out of the
    stored `notice.decided` events that carry their contact. The notice stays, with its
    ground, law, times and outcome: the site's record, and the transparency report's count.
    An open one stays in the Notices queue, to be decided on its ground and law."""
    for delivery in store.notice_events(session, filed):
        delivery.payload = erased_notifier(delivery.payload)
    for notice in filed:
        notice.notifier_name, notice.notifier_email = "", ""
        notice.explanation = ERASED_NOTICE_TEXT
    session.flush()
    return len(filed)


def _scrub_related(
    session: Session,
    addresses: list[str],
    bodies: dict[int, str],
    found: Identifiers,
    result: ErasureResult,
) -> None:
    """The author's identifiers and texts out of every row about their comments (`bodies`:
    what each comment's text becomes)."""
    ids = list(bodies)
    decisions = store.decisions_on(session, ids)
    result.decisions = len(decisions)
    store.rewrite(decisions, "explanation", lambda _: None)
    store.rewrite(decisions, "reasons", found.scrub_json)
    result.audit_events_scrubbed = store.rewrite(
        store.events_on(session, ids), "reason", found.scrub
    )
    # A statement of reasons stays (the site must keep it), its facts without the author.
    store.rewrite(store.statements_on(session, ids), "facts", found.scrub)
    # An appeal stays (the complaint and its outcome are the site's record), the author's
    # explanation gone and their identifiers out of the moderator's note.
    appeals = store.appeals_on(session, ids)
    store.rewrite(appeals, "explanation", lambda _: ERASED_TEXT)
    store.rewrite(appeals, "note", lambda note: found.scrub(note) if note else note)
    result.training_labels_deleted = store.delete_labels(session, ids)
    result.reports_cleared = store.clear_reports(session, ids, addresses)
    result.login_failures_cleared = store.clear_login_failures(session, addresses)
    for delivery, _ in store.deliveries_about(session, ids):
        before = delivery.payload
        delivery.payload = erased_payload(before, bodies[delivery.comment_id or 0], found)
        result.webhook_payloads_scrubbed += delivery.payload != before
    session.flush()
