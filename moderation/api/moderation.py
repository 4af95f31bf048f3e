"""The moderation API (token auth): the review queues, decisions, undo and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response, StreamingResponse

from moderation.domain.authors import AuthorRuleRequest, AuthorRuleView
from moderation.domain.errors import FieldProblem, NotFound, ServiceError
from moderation.domain.schemas import MAX_ID
from moderation.domain.wordlists import WordRuleRequest, WordRuleView
from moderation.http.appeals import links as appeal_links
from moderation.http.auth import RequireAdmin, RequireModerator
from moderation.http.deps import SettingsDep, unit_of_work
from moderation.http.responses import JSON_BODY, STAFF, STORAGE, errors
from moderation.services import accounts, authors, review, wordlists
from moderation.services.dashboard import Dashboard, dashboard
from moderation.services.review import (
    AuditPage,
    BulkDecisionRequest,
    DecisionRequest,
    DecisionResult,
    Queue,
    QueuePage,
    Sort,
)

# Every route: a token of the right role, the rate limit, the database.
router = APIRouter(
    prefix="/api/v1/moderation", tags=["moderation"], responses=errors(*STAFF, *STORAGE)
)
admin_router = APIRouter(prefix="/api/v1/admin", tags=["admin"], responses=errors(*STAFF, *STORAGE))

CommentId = Annotated[int, PathParam(ge=1, le=MAX_ID)]
# Query or path parameters with rules (422), and a JSON body besides (400, 413, 422).
_PARAMETERS = errors(422)
_BODY = errors(*JSON_BODY)
_NO_COMMENT = {404: "No comment with this id"}


@router.get("/me")
def me(caller: RequireModerator) -> dict[str, str]:
    """Who the token belongs to."""
    return {"name": caller.staff.name, "role": caller.staff.role.value}


@router.get("/queue", response_model=QueuePage, responses=_PARAMETERS)
def queue(
    caller: RequireModerator,
    settings: SettingsDep,
    status: Queue = Queue.PENDING,
    sort: Sort = Sort.RISK,
    site: Annotated[str | None, Query(max_length=64, description="a site's public id")] = None,
    article: Annotated[str | None, Query(max_length=200)] = None,
    author: Annotated[str | None, Query(max_length=254)] = None,
    q: Annotated[str | None, Query(max_length=200, description="text in the body")] = None,
    disagreements: Annotated[
        bool, Query(description="only where the shadow model would decide otherwise")
    ] = False,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 25,
) -> QueuePage:
    """Comments of one queue with their article, author history, scores, reasons,
    explanation spans and reports; riskiest first by default."""
    with unit_of_work(settings) as session:
        asked = review.QueueQuery(
            status, sort, site, article, author, q, disagreements, cursor, limit
        )
        return review.queue_page(session, asked)


@router.post(
    "/comments/{comment_id}/decision",
    response_model=DecisionResult,
    responses=errors(
        *JSON_BODY,
        404,
        409,
        worded={
            **_NO_COMMENT,
            409: "Approving a comment whose text retention removed",
            422: "A ground the comment's site does not offer, or a request that breaks a rule",
        },
    ),
)
def decide_one(
    comment_id: CommentId,
    request: DecisionRequest,
    http: Request,
    caller: RequireModerator,
    settings: SettingsDep,
) -> DecisionResult:
    """Approve, reject, mark as spam or as not spam, with an optional `note`; a removal may
    say its `ground`: a key of the site's removal grounds (spam, harassment, hate, threats,
    off_topic, obscene, banned, other, illegal, or one the site added), which the statement of
    reasons names and which teaches the model of what it names (off_topic or illegal teach
    none). An approved comment is on the article page at once; the decision is kept as a
    training label and in the audit log (with its ground and note)."""
    with unit_of_work(settings) as session:
        (result,) = review.moderate(
            session,
            caller.staff,
            [comment_id],
            request.action,
            request.note,
            request.ground,
            redress=settings.redress_text,
            appeals=appeal_links(http),
        )
    if result.error == review.TEXT_REMOVED:
        raise review.TextRemoved()
    if result.error == review.NO_SUCH_GROUND:
        raise ServiceError(
            422,
            "invalid_request",
            result.error,
            [FieldProblem("body.ground", "catalogue", result.error)],
        )
    if result.error:
        raise NotFound("comment")
    return result


@router.post("/decisions", response_model=list[DecisionResult], responses=_BODY)
def decide_many(
    request: BulkDecisionRequest, http: Request, caller: RequireModerator, settings: SettingsDep
) -> list[DecisionResult]:
    """The same decision on many comments at once; an unknown id gets an error of its own."""
    with unit_of_work(settings) as session:
        return review.moderate(
            session,
            caller.staff,
            request.ids,
            request.action,
            request.note,
            request.ground,
            redress=settings.redress_text,
            appeals=appeal_links(http),
        )


@router.post(
    "/comments/{comment_id}/undo",
    response_model=DecisionResult,
    responses=errors(
        404,
        409,
        422,
        worded={**_NO_COMMENT, 409: "Not your decision, or older than the undo window"},
    ),
)
def undo(comment_id: CommentId, caller: RequireModerator, settings: SettingsDep) -> DecisionResult:
    """Take back your own last decision on a comment, within 30 seconds."""
    with unit_of_work(settings) as session:
        return review.undo(session, caller.staff, comment_id)


@router.get("/counts")
def counts(caller: RequireModerator, settings: SettingsDep) -> dict[str, int]:
    """How many comments each queue has now (the workspace's tabs poll it): per status, and
    `reported` (comments with open reports)."""
    with unit_of_work(settings) as session:
        return review.queue_counts(session)


@router.post(
    "/comments/{comment_id}/ban-and-remove",
    response_model=review.BanAndRemoveResult,
    responses=errors(*JSON_BODY, 404, worded=_NO_COMMENT),
)
def ban_and_remove(
    comment_id: CommentId,
    request: review.BanAndRemoveRequest,
    caller: RequireModerator,
    settings: SettingsDep,
) -> review.BanAndRemoveResult:
    """Ban the comment's author by email (for `days`, or until lifted) and remove every
    waiting and published comment of theirs on `ground` (a key of the site's grounds), each
    with its statement of reasons, audit event and webhook event. Undo within 10 minutes."""
    with unit_of_work(settings) as session:
        return review.ban_and_remove(
            session,
            caller.staff,
            comment_id,
            request.ground,
            request.note,
            days=request.days,
            redress=settings.redress_text,
        )


@router.post(
    "/comments/{comment_id}/ban-and-remove/undo",
    response_model=review.BanAndRemoveResult,
    responses=errors(
        404, 409, 422, worded={**_NO_COMMENT, 409: "No ban and remove of yours to undo"}
    ),
)
def undo_ban_and_remove(
    comment_id: CommentId, caller: RequireModerator, settings: SettingsDep
) -> review.BanAndRemoveResult:
    """Take back your ban and remove of this comment's author: the comments it removed go back
    to their previous statuses and the ban is lifted."""
    with unit_of_work(settings) as session:
        return review.undo_ban_and_remove(session, caller.staff, comment_id)


@router.get("/audit", response_model=AuditPage, responses=_PARAMETERS)
def audit(
    caller: RequireModerator,
    settings: SettingsDep,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    comment: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    since: datetime | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    """Every status change, newest first: by the policy or a person, from, to, when and why."""
    where = review.audit_filter(actor, comment, since)
    with unit_of_work(settings) as session:
        return review.audit_page(session, where, cursor, limit)


@router.get(
    "/audit.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}, **_PARAMETERS},
)
def audit_export(
    caller: RequireModerator,
    settings: SettingsDep,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    comment: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    since: datetime | None = None,
) -> StreamingResponse:
    """The audit log as CSV, with the same filters."""
    where = review.audit_filter(actor, comment, since)
    lines = review.audit_export(lambda: unit_of_work(settings), where)
    return StreamingResponse(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="moderation-audit.csv"'},
    )


@admin_router.get("/users")
def users(caller: RequireAdmin, settings: SettingsDep) -> list[dict[str, object]]:
    """The workspace's accounts (admins only)."""
    with unit_of_work(settings) as session:
        return [
            {
                "name": u.name,
                "role": u.role,
                "disabled": u.disabled,
                "created_at": u.created_at,
                "last_login_at": u.last_login_at,
            }
            for u in accounts.all_users(session)
        ]


@router.get("/stats", response_model=Dashboard, responses=_PARAMETERS)
def stats(
    caller: RequireModerator,
    settings: SettingsDep,
    days: Annotated[int, Query(ge=1, le=90)] = 14,
) -> Dashboard:
    """The dashboard's figures: comments per status per day, the policy's spam and review
    shares, time from submission to decision, queue depth and the model in use."""
    with unit_of_work(settings) as session:
        return dashboard(session, days)


@router.get("/authors", response_model=list[AuthorRuleView])
def author_rules(caller: RequireModerator, settings: SettingsDep) -> list[AuthorRuleView]:
    """Banned and trusted authors, newest first."""
    with unit_of_work(settings) as session:
        return authors.list_rules(session)


@router.post("/authors", response_model=AuthorRuleView, status_code=201, responses=_BODY)
def set_author_rule(
    request: AuthorRuleRequest, caller: RequireModerator, settings: SettingsDep
) -> AuthorRuleView:
    """Ban an author by email or IP (their next comments are rejected with that reason), or
    trust one by email (approved unless spam or reject-level scores)."""
    with unit_of_work(settings) as session:
        return authors.set_rule(session, request, caller.staff.name)


@router.delete(
    "/authors", status_code=204, responses=errors(404, 422, worded={404: "No such rule"})
)
def lift_author_rules(
    caller: RequireModerator,
    settings: SettingsDep,
    value: Annotated[str, Query(min_length=1, max_length=254, description="email or IP")],
) -> Response:
    """Lift every ban or trust of this email or address."""
    with unit_of_work(settings) as session:
        if not authors.lift_rules(session, value):
            raise NotFound("author rule")
    return Response(status_code=204)


@admin_router.get("/word-rules", response_model=list[WordRuleView])
def word_rules(caller: RequireAdmin, settings: SettingsDep) -> list[WordRuleView]:
    """The word lists: blocked (reject), suspect (hold) and exceptions."""
    with unit_of_work(settings) as session:
        return wordlists.list_rules(session)


@admin_router.post("/word-rules", response_model=WordRuleView, status_code=201, responses=_BODY)
def add_word_rule(
    request: WordRuleRequest, caller: RequireAdmin, settings: SettingsDep
) -> WordRuleView:
    """Add a term: whole words, `*` for any letters ("casino*"); exceptions name the words a
    wildcard must not catch ("specialist" for "*cialis*")."""
    with unit_of_work(settings) as session:
        return wordlists.add_rule(session, request, caller.staff.name)


@admin_router.delete(
    "/word-rules/{rule_id}",
    status_code=204,
    responses=errors(404, 422, worded={404: "No such rule"}),
)
def remove_word_rule(
    rule_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], caller: RequireAdmin, settings: SettingsDep
) -> Response:
    with unit_of_work(settings) as session:
        wordlists.remove_rule(session, rule_id)
    return Response(status_code=204)
