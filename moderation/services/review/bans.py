"""Ban and remove: one action that bans a comment's author and removes their waiting and
published comments on the ground the moderator picked, and its undo."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from moderation.domain import statements
from moderation.domain.authors import (
    MAX_SUSPENSION_DAYS,
    AuthorRuleKind,
    AuthorRuleRequest,
    AuthorRuleView,
)
from moderation.domain.clock import utcnow
from moderation.domain.errors import FieldProblem, NotFound, ServiceError
from moderation.domain.grounds import GroundKey
from moderation.domain.schemas import Text
from moderation.domain.statuses import CommentStatus
from moderation.services import authors
from moderation.services.accounts import Staff
from moderation.services.review.decisions import (
    MAX_NOTE,
    NO_SUCH_GROUND,
    Action,
    CannotUndo,
    DecisionResult,
    Ground,
    moderate,
    trained_ground,
)
from moderation.storage import review as store
from moderation.storage import rules
from moderation.storage import statements as statement_store

# Said first in the audit reason of every removal the action made: how undo finds them.
BAN_AND_REMOVE = "ban and remove: "
# A mass removal is often found to be a mistake later than a single click (a moderator reads
# the author page, a colleague asks): it can be taken back for longer than one decision.
BAN_UNDO_WINDOW = timedelta(minutes=10)
# The statuses the action removes: waiting (not yet decided, or held) and published.
_REMOVABLE = (CommentStatus.QUEUED, CommentStatus.PENDING, CommentStatus.APPROVED)


class BanAndRemoveRequest(BaseModel):
    ground: GroundKey = Field(description="a key of the site's removal grounds")
    note: Text = Field(default="", max_length=MAX_NOTE)
    days: int | None = Field(
        default=None, ge=1, le=MAX_SUSPENSION_DAYS, description="a suspension: the ban ends"
    )


class BanAndRemoveResult(BaseModel):
    rule: AuthorRuleView | None = None  # the ban (None once undone)
    comments: list[DecisionResult]


def ban_and_remove(
    session: Session,
    actor: Staff,
    comment_id: int,
    ground: str,
    note: str = "",
    *,
    days: int | None = None,
    redress: str = statements.DEFAULT_REDRESS,
) -> BanAndRemoveResult:
    """Ban the author of `comment_id` by email (for `days`, or until lifted) and remove each of
    their waiting and published comments on `ground` (a catalogue key): each gets its audit
    event, statement of reasons and webhook event, as a single decision does."""
    comment = store.comments_by_id(session, [comment_id]).get(comment_id)
    if comment is None:
        raise NotFound("comment")
    if not comment.author_email:
        # Erased at the author's request: an empty email would name every erased author.
        raise ServiceError(409, "author_erased", "this author's data was erased: nobody to ban")
    if ground not in statement_store.offered_grounds(session, [comment_id]).get(comment_id, ()):
        raise ServiceError(
            422,
            "invalid_request",
            NO_SUCH_GROUND,
            [FieldProblem("ground", "catalogue", NO_SUCH_GROUND)],
        )
    rule = authors.set_rule(
        session,
        AuthorRuleRequest(
            action="ban",
            email=comment.author_email,
            note=note or f"ban and remove ({ground})",
            days=days,
        ),
        actor.name,
    )
    ids = [c.id for c, _ in store.author_comments(session, comment.author_email, _REMOVABLE)]
    action = Action.SPAM if trained_ground(ground) is Ground.SPAM else Action.REJECT
    done = moderate(
        session,
        actor,
        ids,
        action,
        note,
        ground,
        redress=redress,
        reason_prefix=BAN_AND_REMOVE,
    )
    return BanAndRemoveResult(rule=rule, comments=done)


def undo_ban_and_remove(session: Session, actor: Staff, comment_id: int) -> BanAndRemoveResult:
    """Take back the actor's ban and remove of this comment's author within BAN_UNDO_WINDOW:
    each comment it removed (and nobody changed since) goes back to its previous status, and
    the ban is lifted."""
    comment = store.comments_by_id(session, [comment_id]).get(comment_id)
    if comment is None:
        raise NotFound("comment")
    email = comment.author_email
    ids = [c.id for c, _ in store.author_comments(session, email)]
    since = utcnow() - BAN_UNDO_WINDOW
    ours = [
        e
        for e in store.last_events(session, ids).values()
        if e.actor == actor.name
        and e.reason.startswith(BAN_AND_REMOVE)
        and e.from_status is not None
        and e.created_at >= since
    ]
    # The ban this action set (not an older one, nor a colleague's).
    banned = [
        r
        for r in rules.author_rules(session, [email])
        if r.kind == AuthorRuleKind.BAN_EMAIL
        and r.created_by == actor.name
        and r.created_at >= since
    ]
    if not ours and not banned:
        raise CannotUndo(
            f"no ban and remove of yours on this author in the last "
            f"{int(BAN_UNDO_WINDOW.total_seconds() // 60)} minutes"
        )
    changes = []
    for event in ours:
        assert event.from_status is not None  # filtered above; for the type checker
        store.forget_label(session, event.comment_id, actor.name, event.created_at)
        changes.append(
            store.StatusChange(
                event.comment_id, event.to_status, event.from_status, f"undo: {event.reason}"
            )
        )
    store.record_changes(session, actor.name, changes)
    if banned:
        rules.remove_author_rules(session, [AuthorRuleKind.BAN_EMAIL.value], email)
    return BanAndRemoveResult(
        comments=[
            DecisionResult(id=c.comment_id, status=c.to_status, previous_status=c.from_status)
            for c in changes
        ]
    )
