"""The Akismet-compatible API's rules: reading Akismet's parameters into one of our comments,
its test triggers and the honeypot, the answer a decision becomes, and what a submission of
spam or ham changes (a status, an audit event, a training label).

Akismet clients (the WordPress plugin, the PyPI `akismet` package and many others) call
`comment-check` while the reader waits and expect `true` (spam) or `false` (ham). Here the
comment is stored as a comment of the site the key belongs to, decided by a worker like every
other, and the answer is that decision:

- approved -> `false`; held for a moderator on its spam score (at or above the site's spam
  hold threshold) -> `true` without `discard`, with `X-Moderation-Status: pending`: Akismet has
  no "held", and its spam folder is where a person still looks and rescues (a plain client
  that heard `false` would publish it); held for anything else (toxicity, links, a new
  author) -> `false` with `X-Moderation-Status: pending` (Akismet judges spam, not abuse; a
  plugin that knows our header can hold it too);
- spam -> `true`, with `X-akismet-pro-tip: discard` when it is blatant (the spam score reached
  the site's spam reject threshold, a honeypot was filled, the test trigger);
- rejected (removed for abuse) -> `true`: the one answer that keeps it off the page (WordPress
  files it under spam).

`user_role=administrator` is always ham and the author `akismet-guaranteed-spam` always spam,
as on Akismet; a filled honeypot is spam. These are decided at once, without the model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from moderation.config import Settings
from moderation.domain import fields
from moderation.domain.clock import utcnow
from moderation.domain.policy import Reason, Thresholds
from moderation.domain.records import DecisionRecord
from moderation.domain.schemas import (
    MAX_ARTICLE_ID,
    MAX_EMAIL,
    MAX_NAME,
    MAX_URL,
    CommentSubmission,
)
from moderation.domain.statuses import CommentStatus
from moderation.messaging.decision_feed import Decided, DecisionFeed
from moderation.messaging.redis_clients import redis_address
from moderation.services import comments
from moderation.services.review import Action
from moderation.storage import akismet as store
from moderation.storage import decisions as decision_store
from moderation.storage import review as review_store
from moderation.storage.db import session_scope

CHANNEL = "akismet"
THANKS = "Thanks for making the web a better place."
GUARANTEED_SPAM_AUTHOR = "akismet-guaranteed-spam"
GUARANTEED_SPAM_EMAIL = "akismet-guaranteed-spam@example.com"
# The article of comments sent without a permalink (a contact form, a sign-up).
NO_PERMALINK = "akismet:no-permalink"
# WordPress stores a comment without a name as "Anonymous"; so do we.
ANONYMOUS = "Anonymous"
GUID_PREFIX = "moderation-"
MAX_USER_AGENT = 512


def _text(value: str | None, limit: int | None = None) -> str:
    """A parameter as we judge it: what our API would refuse (control characters, a lone
    surrogate) is dropped or replaced, not refused. An Akismet client has accepted the comment
    already; we only judge it."""
    cleaned = fields.judged_text(value or "").strip()
    return cleaned[:limit] if limit is not None else cleaned


def _line(value: str | None, limit: int) -> str:
    """A one-line parameter (a name, an address) as we judge it: line breaks and bidirectional
    controls dropped too."""
    return fields.judged_line(value or "").strip()[:limit]


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _ip(value: str) -> str | None:
    try:
        return fields.ip_address(value)
    except fields.FieldRuleBroken:
        return None


def _url(value: str) -> str | None:
    """A URL we keep: http(s) only, as everywhere; anything else (javascript:, data:) is
    dropped, never stored or linked to."""
    try:
        return fields.http_url(value) if value else None
    except fields.FieldRuleBroken:
        return None


@dataclass(frozen=True, slots=True)
class CheckRequest:
    """The parameters of one comment-check, submit-spam or submit-ham call, cleaned.

    Unknown parameters are ignored (WordPress sends its server variables and form fields too);
    values are never refused for their form, since a spammer's junk is itself a signal.
    """

    blog: str
    user_ip: str
    user_agent: str
    referrer: str
    permalink: str
    comment_type: str
    author: str
    author_email: str
    author_url: str
    content: str
    roles: frozenset[str]
    is_test: bool
    recheck_reason: str
    honeypot_field: str
    honeypot_value: str
    guid: str

    @classmethod
    def of(cls, form: Mapping[str, str]) -> CheckRequest:
        honeypot = _line(form.get("honeypot_field_name"), 200)
        return cls(
            blog=_line(form.get("blog"), MAX_URL),
            user_ip=_line(form.get("user_ip"), 100),
            user_agent=_line(form.get("user_agent"), MAX_USER_AGENT),
            referrer=_line(form.get("referrer") or form.get("referer"), MAX_URL),
            permalink=_line(form.get("permalink"), MAX_URL),
            comment_type=_line(form.get("comment_type"), 50),
            author=_line(form.get("comment_author"), MAX_NAME),
            author_email=_line(form.get("comment_author_email"), MAX_EMAIL),
            author_url=_line(form.get("comment_author_url"), MAX_URL),
            content=_text(form.get("comment_content")),
            roles=frozenset(
                r.strip().lower() for r in (form.get("user_role") or "").split(",") if r.strip()
            ),
            is_test=_flag(form.get("is_test")),
            recheck_reason=_line(form.get("recheck_reason"), 100),
            honeypot_field=honeypot,
            honeypot_value=(form.get(honeypot) or "").strip() if honeypot else "",
            guid=_line(form.get("guid"), 100),
        )

    @property
    def client_ip(self) -> str | None:
        return _ip(self.user_ip)

    @property
    def email(self) -> str:
        """The author's email as stored: normalised when it is an address; as given when it is
        not (that is a signal, not an error); for none, one per reader's address, so the
        author-history rules judge an address rather than every anonymous author together."""
        if not self.author_email:
            where = (self.client_ip or "unknown").replace(":", "-")
            return f"no-email.{where}@akismet.invalid"
        try:
            return fields.email(self.author_email)
        except fields.FieldRuleBroken:
            return self.author_email

    def article(self) -> tuple[str, str | None]:
        """(article id, article URL) from the permalink: the path (and query, for `?p=12`
        links) is the site's id of the post; a longer one is hashed to fit."""
        if not self.permalink:
            return NO_PERMALINK, None
        url = _url(self.permalink)
        parts = urlsplit(self.permalink)
        key = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if url is None:
            key = self.permalink
        if len(key) > MAX_ARTICLE_ID:
            key = "akismet:" + hashlib.sha256(self.permalink.encode()).hexdigest()[:40]
        return key, url

    def submission(self) -> CommentSubmission:
        """Our comment, built without our API's validation: every rule it would break (an
        empty text, a junk email) is the spam model's business here, not a refusal."""
        article_id, article_url = self.article()
        return CommentSubmission.model_construct(
            site_id=None,
            article_id=article_id,
            article_url=article_url,
            article_title=None,
            parent_id=None,
            author_name=self.author or ANONYMOUS,
            author_email=self.email,
            author_url=_url(self.author_url),
            # Akismet allows an empty text (a sign-up form): stored empty, judged on the rest.
            body=self.content,
            client_ip=None,
            user_agent=None,
        )

    def client(self, site_id: int) -> comments.ClientInfo:
        return comments.ClientInfo(
            ip=self.client_ip,
            user_agent=self.user_agent or None,
            site_id=site_id,
            channel=CHANNEL,
            is_test=self.is_test,
        )


def missing(form: Mapping[str, str], required: tuple[str, ...]) -> str | None:
    """Akismet's debug help for the first required parameter left empty, or None."""
    for name in required:
        if not (form.get(name) or "").strip():
            return f'Empty "{name}" value'
    return None


@dataclass(frozen=True, slots=True)
class Trigger:
    """A decision the request itself settles, without the model."""

    status: CommentStatus
    reason: Reason
    discard: bool

    def record(self, comment_id: int) -> DecisionRecord:
        return DecisionRecord(
            comment_id=comment_id,
            status=self.status,
            scores={},
            reasons=[self.reason.as_dict()],
            reason_text=self.reason.text,
            model_version=None,
        )


def trigger(check: CheckRequest) -> Trigger | None:
    """Administrators are never spam; the test author always is; so is a filled honeypot."""
    if "administrator" in check.roles:
        return Trigger(
            CommentStatus.APPROVED, Reason("user_role", "administrator", None, None), False
        )
    if check.author == GUARANTEED_SPAM_AUTHOR or check.author_email == GUARANTEED_SPAM_EMAIL:
        return Trigger(
            CommentStatus.SPAM, Reason("akismet_test", GUARANTEED_SPAM_AUTHOR, None, None), True
        )
    if check.honeypot_value:
        return Trigger(
            CommentStatus.SPAM, Reason("honeypot", check.honeypot_field, None, None), True
        )
    return None


def guid_of(comment_id: int) -> str:
    return f"{GUID_PREFIX}{comment_id}"


def comment_id_of(guid: str) -> int | None:
    if not guid.startswith(GUID_PREFIX):
        return None
    number = guid.removeprefix(GUID_PREFIX)
    return int(number) if number.isdigit() and len(number) < 19 else None


@dataclass(frozen=True, slots=True)
class Answer:
    body: str
    headers: dict[str, str]


def answer(decided: Decided, thresholds: Thresholds, discard: bool = False) -> Answer:
    """A decision as Akismet words it; see the module's docstring."""
    status = decided.status
    headers = {
        "X-akismet-guid": guid_of(decided.comment_id),
        "X-Moderation-Status": status.value,
        "X-Moderation-Comment-Id": str(decided.comment_id),
    }
    if status in (CommentStatus.SPAM, CommentStatus.REJECTED):
        blatant = status is CommentStatus.SPAM and (
            discard or (decided.spam is not None and decided.spam >= thresholds.spam_reject)
        )
        if blatant:
            headers["X-akismet-pro-tip"] = "discard"
        return Answer("true", headers)
    if (
        status is CommentStatus.PENDING
        and decided.spam is not None
        and decided.spam >= thresholds.spam_hold
    ):
        return Answer("true", headers)
    return Answer("false", headers)


def no_decision(comment_id: int, timeout: float) -> Answer:
    """What a check says when no worker decided in time.

    Akismet's own signal for trouble it anticipated is the `X-akismet-error` header, and the
    body is then neither `true` nor `false`:
    - the WordPress plugin holds a comment for moderation on `X-akismet-error`, and on any body
      other than `true`/`false` also schedules a re-check (20 minutes later) and delays the
      moderation email; its re-check comes back with `recheck_reason` and is answered from the
      same stored comment, decided by then;
    - the PyPI `akismet` client raises `akismet.ProtocolError` (naming the body and the debug
      header) for such a body, so the caller cannot mistake it for ham; a non-2xx status would
      raise `RequestError`, and `invalid` would wrongly say the key is bad (`APIKeyError`).
    HTTP 200, like all of Akismet's errors. The comment stays stored and queued; a worker
    decides it as usual.
    """
    message = (
        f"no decision within {timeout:g} s (the moderation workers are busy or down); "
        "the comment is stored and will be decided: hold it for moderation"
    )
    return Answer(
        "error",
        {
            "X-akismet-error": message,
            "X-akismet-debug-help": message,
            "X-akismet-guid": guid_of(comment_id),
            "X-Moderation-Status": CommentStatus.QUEUED.value,
            "X-Moderation-Comment-Id": str(comment_id),
        },
    )


def store_decided(
    session: Session, check: CheckRequest, site_id: int, settled: Trigger, actor: str
) -> int:
    """Store a comment a trigger decided, with its decision, in one transaction: it never
    reaches the queue, so no worker can decide it otherwise in between."""
    accepted = comments.submit_comment(session, check.submission(), check.client(site_id))
    decision_store.record_decisions(session, [settled.record(accepted.id)], actor=actor)
    return accepted.id


def earlier_check(
    session: Session, check: CheckRequest, site_id: int
) -> store.CheckedComment | None:
    """The comment this request refers to, if it was checked before: by the guid we gave out,
    else the site's latest comment with this author email and text."""
    comment_id = comment_id_of(check.guid) if check.guid else None
    if comment_id is not None:
        found = store.comment_of_site(session, site_id, comment_id)
        if found is not None:
            return found
    return store.latest_match(session, site_id, check.email, check.content)


def record_submission(
    session: Session, check: CheckRequest, site_id: int, spam: bool, actor: str
) -> int:
    """submit-spam / submit-ham: the comment (found, or stored if never checked) moves to spam
    or to approved, with an audit event by `actor` and a training label, unless `is_test`."""
    found = earlier_check(session, check, site_id)
    if found is None:
        accepted = comments.submit_comment(session, check.submission(), check.client(site_id))
        found = store.CheckedComment(accepted.id, CommentStatus.QUEUED, None, None)
    action = Action.SPAM if spam else Action.NOT_SPAM
    label: dict[str, Any] | None = (
        None
        if check.is_test
        else {
            "comment_id": found.id,
            "action": action.value,
            **action.label,
            "model_version": found.model_version,
        }
    )
    reason = "akismet " + ("submit-spam" if spam else "submit-ham")
    if check.is_test:
        reason += " (is_test: not learned from)"
    review_store.record_changes(
        session,
        actor,
        [review_store.StatusChange(found.id, found.status, action.status, reason, label=label)],
    )
    return found.id


def decided_of(found: store.CheckedComment) -> Decided | None:
    return (
        None
        if found.status is CommentStatus.QUEUED
        else Decided(found.id, found.status, found.spam)
    )


def decided(session: Session, ids: list[int]) -> list[Decided]:
    return [Decided(i, status, spam) for i, status, spam in store.decided(session, ids)]


def decision_feed_for(settings: Settings) -> DecisionFeed:
    """The feed comment-check waits on; its poll reads the database this app writes to. The
    poll opens its own session: it runs on the feed's loop, outside any request."""

    def read_decided(ids: list[int]) -> list[Decided]:
        with session_scope(settings.database_url) as session:
            return decided(session, ids)

    return DecisionFeed(redis_address(settings), read_decided)


def month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def usage(session: Session, site_id: int, now: datetime | None = None) -> dict[str, Any]:
    """`/1.2/usage-limit`: no limit here; the site's checks this (UTC) month."""
    return {
        "limit": "none",
        "usage": store.checks_since(session, site_id, month_start(now or utcnow())),
        "percentage": "0",
        "throttled": False,
    }
