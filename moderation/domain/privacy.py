"""An author's rights over their data (GDPR Art. 15, 17, 20): what counts as their personal
data, the markers an erasure leaves, and the scrubbing of their identifiers out of free text
and stored JSON. Pure: the services and storage apply it.

The inventory of every column holding personal data, and what becomes of each (kept, cleared
by age, erased), is `moderation.storage.retention.PERSONAL_DATA`: one list for retention,
erasure and docs/privacy.md.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from moderation.domain.schemas import EmailAddress

# The export's shape: a consumer checks `format` and `version` before reading the rest
# (docs/api.md). A field added keeps the version; one renamed or removed bumps it.
EXPORT_FORMAT = "moderation.author-export"
EXPORT_VERSION = 1

# What personal data becomes once removed, in one place: fixed markers rather than NULL, so
# every reader (workspace, API, exports, webhooks) still gets a string and NOT NULL columns
# stay so; fixed (no day count, no name) so that a marker never looks like a person's text.
# - at the person's request (erasure: services/privacy.py):
ERASED_TEXT = "[removed at the author's request]"
ERASED_NOTICE_TEXT = "[removed at the notifier's request]"  # a notice's explanation
ERASED_NAME = "[removed]"
SCRUBBED = "[removed]"  # an identifier found inside other text (a moderator's note, a report)
# - when its period ended (retention: storage/retention.py); `Comment.text_removed_at` is
#   what says a comment's text was replaced:
REMOVED_TEXT = "[text removed after the retention period]"
NOTICE_CLEARED = "[removed after the retention period]"  # a decided notice's explanation
# A ban kept past an erasure names a salted hash, never the email or address itself.
KEYED_PREFIX = "keyed:"


class ErasureTexts(StrEnum):
    """What an erasure does with the author's texts (MODERATION_ERASURE_TEXTS)."""

    # The text becomes ERASED_TEXT; published comments stay, so their threads read on.
    REPLACE = "replace"
    # The text is emptied and published comments leave the page, except those others replied
    # to, which keep ERASED_TEXT in their place so the replies are not orphaned.
    DELETE = "delete"


class AuthorRequest(BaseModel):
    """An author's request, named by the email they commented with."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"email": "ann@example.com"}]}
    )

    email: EmailAddress = Field(min_length=1, max_length=254)


class PastErasure(BaseModel):
    erased_at: datetime
    requested_by: str
    comments: int


class ErasureResult(BaseModel):
    """What an erasure changed, in counts (never who it was about)."""

    erasure_id: int | None = Field(
        description="The erasure's id in the audit trail; null when nothing was left to erase"
    )
    texts: ErasureTexts
    comments: int = 0
    comments_unpublished: int = 0
    decisions: int = 0
    audit_events_scrubbed: int = 0
    training_labels_deleted: int = 0
    reports_cleared: int = 0
    webhook_payloads_scrubbed: int = 0
    trust_lifted: int = 0
    bans_kept_as_hash: int = 0
    author_notes_deleted: int = 0
    # The emails written to them as a notifier (docs/operations.md, "Email").
    emails_deleted: int = 0
    login_failures_cleared: int = 0
    notices_cleared: int = Field(
        default=0,
        description="Notices of illegal content this person filed: their name, email and "
        "explanation removed (the notice, its ground and outcome stay)",
    )
    previous_erasures: list[PastErasure] = Field(
        default_factory=list, description="Earlier erasures for the same email (by its hash)"
    )


def subject_key(email: str) -> str:
    """How an email is compared: case-blind, as bans match it."""
    return email.strip().lower()


def keyed(secret: bytes, value: str) -> str:
    """The salted hash a ban or an erasure record keeps in place of an email or address."""
    digest = hmac.new(secret, subject_key(value).encode(), hashlib.sha256).hexdigest()
    return KEYED_PREFIX + digest


class Identifiers:
    """An author's identifiers as found in their rows, to scrub out of other text: emails,
    URLs, addresses and user agents anywhere; names, whole and each of their words of
    `min_word` letters or more, as whole words (a short name inside another word is left
    alone). Only text about the author's own comments is scrubbed, so a common word that is
    also part of their name costs little."""

    def __init__(
        self, exact: Iterable[str | None], names: Iterable[str | None], min_word: int = 3
    ) -> None:
        literals = sorted({e for e in exact if e}, key=len, reverse=True)
        whole = {n.strip() for n in names if n and n.strip()}
        parts = {w for n in whole for w in re.findall(r"\w+", n) if len(w) >= min_word}
        words = sorted(whole | parts, key=len)
        found = [re.escape(e) for e in literals] + [
            rf"(?<!\w){re.escape(n)}(?!\w)" for n in reversed(words)
        ]
        self._pattern = re.compile("|".join(found), re.IGNORECASE) if found else None

    def scrub(self, text: str) -> str:
        return text if self._pattern is None else self._pattern.sub(SCRUBBED, text)

    def scrub_json(self, value: Any) -> Any:
        """The same JSON value with every string value scrubbed; keys are ours and kept (an
        author called "Rule" leaves the reasons' `rule` keys alone)."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, list):
            return [self.scrub_json(v) for v in value]
        if isinstance(value, dict):
            return {k: self.scrub_json(v) for k, v in value.items()}
        return value


def without_notifier(payload: dict[str, Any]) -> dict[str, Any]:
    """A stored webhook event as an author's export shows it: a `notice.decided` event's
    `notifier` (who reported the comment) is that person's, not the author's."""
    data = payload.get("data")
    if not isinstance(data, dict) or "notifier" not in data:
        return payload
    return {**payload, "data": {k: v for k, v in data.items() if k != "notifier"}}


def erased_notifier(payload: dict[str, Any]) -> dict[str, Any]:
    """A stored `notice.decided` event once its notifier's data was erased."""
    data = dict(payload.get("data") or {})
    data["notifier"] = {"name": "", "email": ""}
    return {**payload, "data": data}


def erased_payload(payload: dict[str, Any], body: str, found: Identifiers) -> dict[str, Any]:
    """A stored webhook event about an erased comment: the author's name, URL and text gone,
    their identifiers scrubbed from its free texts: the reasons (a moderator's note) and the
    statement of reasons' facts and an appeal's note; an appeal's explanation is replaced. The
    rest (ids, statuses, dates) is the service's own and stays as the receiver expects it."""
    data = dict(payload.get("data") or {})
    comment = dict(data.get("comment") or {})
    if comment:
        comment.update(author_name=ERASED_NAME, author_url=None, body=body)
        data["comment"] = comment
    if isinstance(data.get("reasons"), str):
        data["reasons"] = found.scrub(data["reasons"])
    statement = data.get("statement")
    if isinstance(statement, dict) and isinstance(statement.get("facts"), str):
        # The statement of reasons: its facts may quote a moderator's note.
        data["statement"] = {**statement, "facts": found.scrub(statement["facts"])}
        if isinstance(statement.get("appeal_note"), str):
            data["statement"]["appeal_note"] = found.scrub(statement["appeal_note"])
    appeal = data.get("appeal")
    if isinstance(appeal, dict):
        # An appeal's event: the author's explanation goes, as it does in the appeal itself.
        data["appeal"] = {**appeal, "explanation": ERASED_TEXT}
        if isinstance(appeal.get("note"), str):
            data["appeal"]["note"] = found.scrub(appeal["note"])
    return {**payload, "data": data}
