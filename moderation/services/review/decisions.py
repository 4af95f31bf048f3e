"""The moderators' decisions: what each action and ground teaches the models, the decision on
one comment or many (status, audit event, training label), and undo."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator
from sqlalchemy.orm import Session

from moderation.domain import statements
from moderation.domain.appeals import AppealLinks
from moderation.domain.clock import utcnow
from moderation.domain.errors import NotFound, ServiceError
from moderation.domain.grounds import GroundKey
from moderation.domain.schemas import MAX_ID, Text
from moderation.domain.statuses import CommentStatus
from moderation.services.accounts import Staff
from moderation.storage import review as store
from moderation.storage import statements as statement_store
from moderation.storage.models import Comment

MAX_NOTE = 1000
MAX_BULK = 500
# How long after an action its author may take it back (the workspace offers it for a few
# seconds; the server allows a little more for a slow click).
UNDO_WINDOW = timedelta(seconds=30)


class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    SPAM = "spam"
    NOT_SPAM = "not_spam"

    @property
    def status(self) -> CommentStatus:
        return _ACTION_STATUS[self]

    @property
    def label(self) -> dict[str, bool | None]:
        """What the decision teaches each model; None where it says nothing about one.

        Approving says the comment is neither spam nor abuse; rejecting says it is abuse (a
        moderator who rejects spam presses spam); spam says nothing about its tone; not_spam
        publishes it, so it says it is neither.
        """
        return _ACTION_LABEL[self]


class Ground(StrEnum):
    """Why a moderator removes a comment. Each ground teaches the model of what it names, so
    the threat and identity-attack models learn from the site's own threats and hate rather
    than only from what moderators published (`attributes`)."""

    THREAT = "threat"
    HATE = "hate"  # an attack on people for who they are
    HARASSMENT = "harassment"  # insults aimed at a person
    OBSCENE = "obscene"
    SPAM = "spam"  # the spam action's own ground; a reject on this ground is a spam decision
    OTHER = "other"  # a reason no model scores (off-topic, personal data): it teaches nothing

    @property
    def attributes(self) -> tuple[str, ...]:
        """The toxicity attribute scores a comment removed on this ground has (their names as
        the models and the policy know them): threats and hate are severe, as in the datasets."""
        return _GROUND_ATTRIBUTES[self]


_GROUND_ATTRIBUTES: dict[Ground, tuple[str, ...]] = {
    Ground.THREAT: ("threat", "severe_toxicity"),
    Ground.HATE: ("identity_attack", "severe_toxicity"),
    Ground.HARASSMENT: ("insult",),
    Ground.OBSCENE: ("obscene",),
    Ground.SPAM: (),
    Ground.OTHER: (),
}


# The catalogue's keys of the moderators' grounds, read back: "threats" teaches the threat model.
_TRAINED_BY_KEY: dict[str, Ground] = {
    key: Ground(name) for name, key in statements.MODERATOR_GROUNDS.items()
}


_GROUND_VALUES = frozenset(g.value for g in Ground)


def trained_ground(ground: str | None) -> Ground | None:
    """What a decision's ground teaches: a review.Ground value as itself, a key of the site's
    catalogue as the Ground of the same meaning ("threats": threat), and any other key
    (off_topic, illegal, a site's own) as OTHER: no model scores it."""
    if ground is None:
        return None
    if ground in _GROUND_VALUES:
        return Ground(ground)
    return _TRAINED_BY_KEY.get(ground, Ground.OTHER)


def statement_key(ground: str | None) -> str | None:
    """The catalogue key a decision's ground is stated on ("threat": "threats")."""
    if ground is None:
        return None
    return statements.MODERATOR_GROUNDS.get(ground, ground)


def removal(action: Action, ground: Ground | None) -> tuple[Action, Ground | None]:
    """The decision as recorded: a reject on the spam ground is a spam decision (the spam
    queue, the spam model's label), and a spam decision's ground is spam whether said or not."""
    if action is Action.SPAM or (action is Action.REJECT and ground is Ground.SPAM):
        return Action.SPAM, Ground.SPAM
    return action, ground


def label_of(action: Action, ground: Ground | None) -> dict[str, Any]:
    """What a decision teaches, as the `moderator_labels` columns: spam and toxic as the action
    says (`Action.label`), and the ground, whose attributes the training marks as present.
    A removal on the ground "other" says the comment was neither spam nor abuse to learn from.
    """
    action, ground = removal(action, ground)
    if ground is Ground.OTHER:
        return {"action": action.value, "spam": None, "toxic": None, "ground": ground.value}
    return {**action.label, "action": action.value, "ground": ground.value if ground else None}


_ACTION_STATUS = {
    Action.APPROVE: CommentStatus.APPROVED,
    Action.REJECT: CommentStatus.REJECTED,
    Action.SPAM: CommentStatus.SPAM,
    Action.NOT_SPAM: CommentStatus.APPROVED,
}
_ACTION_LABEL: dict[Action, dict[str, bool | None]] = {
    Action.APPROVE: {"spam": False, "toxic": False},
    Action.REJECT: {"spam": None, "toxic": True},
    Action.SPAM: {"spam": True, "toxic": None},
    Action.NOT_SPAM: {"spam": False, "toxic": False},
}


class DecisionRequest(BaseModel):
    action: Action
    # Why a comment is removed (reject or spam only): a key of the comment's site's catalogue
    # of grounds (threats, off_topic, illegal, ...; /api/v1/admin/sites/{site}/grounds) or a
    # review.Ground value (threat, ...). It teaches the model of what it names (Ground) and
    # is the ground of the statement of reasons. None: a reject teaches toxicity alone.
    ground: GroundKey | None = Field(
        default=None,
        description="a key of the site's removal grounds (spam, harassment, hate, threats, "
        "off_topic, obscene, other, illegal, or the site's own), or threat",
    )
    # Text: control characters (NUL, which PostgreSQL cannot store) are refused, as in comments.
    note: Text = Field(default="", max_length=MAX_NOTE)

    @field_validator("ground")
    @classmethod
    def _with_a_removal(cls, ground: str | None, info: ValidationInfo) -> str | None:
        action = info.data.get("action")  # absent when the action itself was refused
        if ground is None or action is None:
            return ground
        if action in (Action.APPROVE, Action.NOT_SPAM):
            raise ValueError("a ground is given with a removal only (reject or spam)")
        if action is Action.SPAM and trained_ground(ground) is not Ground.SPAM:
            raise ValueError("a spam decision's ground is spam; reject to give another")
        return ground


class BulkDecisionRequest(DecisionRequest):
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=MAX_BULK)


class DecisionResult(BaseModel):
    id: int
    status: CommentStatus | None = None
    previous_status: CommentStatus | None = None
    ground: Ground | None = None  # as recorded: a reject on the spam ground is spam
    # The catalogue key its statement of reasons names (a removal with a ground).
    ground_key: str | None = None
    error: str | None = None


TEXT_REMOVED = "its text was removed after the retention period: it cannot be published"
NO_SUCH_GROUND = "the comment's site has no such removal ground"


class TextRemoved(ServiceError):
    """Publishing a comment whose text retention replaced (services/retention.py)."""

    def __init__(self) -> None:
        super().__init__(409, "text_removed", TEXT_REMOVED)


@dataclass(frozen=True, slots=True)
class _Decided:
    """A decision as recorded: its action, what it teaches, its statement's key and the audit
    log's reason."""

    action: Action
    named: str | None  # the ground as the moderator gave it
    trained: Ground | None
    key: str | None
    teaches: dict[str, Any]
    reason: str

    @classmethod
    def of(cls, action: Action, ground: str | None, note: str, prefix: str) -> _Decided:
        trained = trained_ground(ground)
        teaches = label_of(action, trained)
        action, trained = removal(action, trained)
        key = "spam" if trained is Ground.SPAM else statement_key(ground)
        # The audit log says the ground where the action does not: "reject (off_topic): note".
        said = (
            f"{action.value} ({ground})" if ground and trained is not Ground.SPAM else action.value
        )
        reason = prefix + (f"{said}: {note}" if note else said)
        return cls(action, ground, trained, key, teaches, reason)

    def offered(self, offered: set[str]) -> bool:
        """A Ground's value is always understood (API clients from before the catalogue); a
        key, only where the comment's site offers it."""
        return not self.named or self.named in _GROUND_VALUES or self.key in offered


def _refused(comment: Comment | None, decided: _Decided, offered: set[str]) -> str | None:
    """Why the decision cannot be taken on this comment; None when it can."""
    if comment is None:
        return "comment not found"
    if not decided.offered(offered):
        return NO_SUCH_GROUND
    if decided.action.status is CommentStatus.APPROVED and comment.text_removed_at is not None:
        # Its text is retention's marker now: publishing it would show that, not a comment.
        return TEXT_REMOVED
    return None


def moderate(
    session: Session,
    actor: Staff,
    ids: Sequence[int],
    action: Action,
    note: str = "",
    ground: Ground | str | None = None,
    *,
    redress: str = statements.DEFAULT_REDRESS,
    reason_prefix: str = "",
    appeals: AppealLinks | None = None,
) -> list[DecisionResult]:
    """A moderator's decision on comments: new status, audit event, training label; open
    reports on them are closed. Unknown ids get an error of their own and stop nothing.
    `ground` (a removal's, checked by DecisionRequest: a catalogue key or a Ground) is in the
    label (as its Ground), the statement of reasons (as its key) and the audit reason; a key
    the comment's site does not offer is that comment's error. A removal gets its statement
    of reasons (with the note as its facts and `redress`; its appeal link in the webhook event
    is made as `appeals` says). `reason_prefix` says in the audit log what the decision was
    part of ("ban and remove")."""
    wanted = list(dict.fromkeys(ids))
    # An id outside the database's 64-bit range names no comment: it is not even looked up.
    comments = store.comments_for_update(session, [i for i in wanted if 1 <= i <= MAX_ID])
    versions = store.model_versions(session, list(comments))
    results: list[DecisionResult] = []
    changes: list[store.StatusChange] = []
    decided = _Decided.of(action, str(ground) if ground else None, note, reason_prefix)
    action, key = decided.action, decided.key
    offered = statement_store.offered_grounds(session, list(comments)) if ground else {}
    for comment_id in wanted:
        comment = comments.get(comment_id)
        refused = _refused(comment, decided, offered.get(comment_id, set()))
        if comment is None or refused:
            results.append(DecisionResult(id=comment_id, error=refused))
            continue
        # Deciding a comment the policy has not decided yet is allowed (a moderator may know
        # better); the worker then leaves it alone, as it does any decided comment.
        change = store.StatusChange(
            comment_id,
            comment.status,
            action.status,
            decided.reason,
            label=_label(comment, decided, versions),
        )
        changes.append(change)
        results.append(
            DecisionResult(
                id=comment_id,
                status=action.status,
                previous_status=change.from_status,
                ground=decided.trained,
                ground_key=key if action.status in statements.REMOVED else None,
            )
        )
    stated = _state_removals(session, actor, changes, key, note, redress, appeals)
    changes = [replace(c, statement=stated.get(c.comment_id)) for c in changes]
    store.record_changes(session, actor.name, changes)
    return results


def _label(
    comment: Comment, decided: _Decided, versions: dict[int, str | None]
) -> dict[str, Any] | None:
    """The training label of a moderator's decision (`versions`: the model version of each
    comment the policy decided). None for a comment never scored (nothing the model can learn
    about its own mistakes) and for a test (the site said not to learn from it)."""
    if comment.id not in versions or comment.is_test:
        return None
    return {"comment_id": comment.id, **decided.teaches, "model_version": versions[comment.id]}


def _state_removals(
    session: Session,
    actor: Staff,
    changes: Sequence[store.StatusChange],
    key: str | None,
    note: str,
    redress: str,
    appeals: AppealLinks | None,
) -> dict[int, dict[str, Any]]:
    """The statements of reasons of the changes that remove a comment (rejected or spam, from
    another status): a person's decision, detected by automated means if the policy held it."""
    removals = [
        c for c in changes if c.to_status in statements.REMOVED and c.from_status != c.to_status
    ]
    held = statement_store.policy_held_for(session, [c.comment_id for c in removals])
    drafts = [
        statements.by_person(
            c.comment_id,
            c.to_status,
            actor.name,
            key,
            note,
            held.get(c.comment_id),
        )
        for c in removals
    ]
    return statement_store.record_statements(session, drafts, redress, appeals)


class CannotUndo(ServiceError):
    def __init__(self, message: str) -> None:
        super().__init__(409, "cannot_undo", message)


def undo(session: Session, actor: Staff, comment_id: int) -> DecisionResult:
    """Take back the actor's own last decision on a comment, within UNDO_WINDOW."""
    last = store.last_event(session, comment_id)
    if last is None:
        raise NotFound("comment")
    if last.actor != actor.name or last.from_status is None or last.reason.startswith("undo"):
        raise CannotUndo("the last change to this comment is not a decision of yours")
    if utcnow() - last.created_at > UNDO_WINDOW:
        raise CannotUndo(f"decisions can be undone for {int(UNDO_WINDOW.total_seconds())} s")
    store.forget_label(session, comment_id, actor.name, last.created_at)
    store.record_changes(
        session,
        actor.name,
        [store.StatusChange(comment_id, last.to_status, last.from_status, f"undo: {last.reason}")],
    )
    return DecisionResult(id=comment_id, status=last.from_status, previous_status=last.to_status)
