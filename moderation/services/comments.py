"""Comment services: accept a submission, look up a status, page through an article's thread."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from moderation.domain.appeals import AppealLinks, AppealView
from moderation.domain.errors import FieldProblem, InvalidComment, NotFound
from moderation.domain.policy import body_fingerprint
from moderation.domain.schemas import (
    MAX_ID,
    MAX_REPLY_DEPTH,
    CommentPage,
    CommentStatusView,
    CommentSubmission,
    PublicComment,
    UnpublishedComment,
)
from moderation.domain.statuses import CommentStatus
from moderation.services import statements
from moderation.services.appeals import view as appeal_view
from moderation.storage import appeals as appeal_store
from moderation.storage import articles as article_store
from moderation.storage import comments as comment_store
from moderation.storage import statements as statement_store
from moderation.storage.models import DEFAULT_SITE_ID, Comment

MAX_USER_AGENT = 512


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """Who sent the comment: the reader's address and browser (as the request shows them, or
    as a site's backend passed them with its key), the site, and how it arrived."""

    ip: str | None
    user_agent: str | None
    site_id: int = DEFAULT_SITE_ID
    channel: str | None = None
    # SHA-256 of the reader token the author's browser holds (see reader_hash()).
    reader_hash: str | None = None
    # A test submission (Akismet's is_test): decided, never learned from.
    is_test: bool = False


@dataclass(frozen=True, slots=True)
class AcceptedComment:
    id: int
    article_id: str
    article_url: str | None
    created_at: datetime


def _place_in_thread(
    session: Session, submission: CommentSubmission, article: article_store.ArticleRef
) -> tuple[int | None, int]:
    """The thread a reply joins and its depth in it; refuses a parent that is unknown, on
    another article, or already as deep as replies go."""
    if submission.parent_id is None:
        return None, 0
    parent = comment_store.parent_info(session, submission.parent_id)
    if parent is None:
        raise InvalidComment(
            [FieldProblem("parent_id", "exists", "parent_id is not a known comment")]
        )
    if parent.article_id != article.id:
        raise InvalidComment(
            [FieldProblem("parent_id", "same_article", "parent_id is a comment on another article")]
        )
    if parent.depth >= MAX_REPLY_DEPTH:
        raise InvalidComment(
            [
                FieldProblem(
                    "parent_id",
                    "max_depth",
                    f"parent_id is a reply {parent.depth} levels deep: replies nest at most "
                    f"{MAX_REPLY_DEPTH} levels; reply to an earlier comment of the thread",
                )
            ]
        )
    return parent.root_id, parent.depth + 1


def submit_comments(
    session: Session, items: Sequence[tuple[CommentSubmission, ClientInfo]]
) -> list[AcceptedComment | InvalidComment]:
    """Store valid comments as `queued`, many in one statement; the caller commits, then queues.

    One bad item (a reply to an unknown parent) gets its own error and does not stop the rest.
    """
    results: list[AcceptedComment | InvalidComment | None] = [None] * len(items)
    articles: dict[tuple[int, str], article_store.ArticleRef] = {}
    rows: list[dict[str, Any]] = []
    positions: list[int] = []
    for position, (submission, client) in enumerate(items):
        key = (client.site_id, submission.article_id)
        article = articles.get(key)
        if article is None:
            article = article_store.article_for(
                session,
                submission.article_id,
                submission.article_url,
                submission.article_title,
                site_id=client.site_id,
            )
            articles[key] = article
        try:
            root_id, depth = _place_in_thread(session, submission, article)
        except InvalidComment as error:
            results[position] = error
            continue
        rows.append(
            {
                "article_id": article.id,
                "parent_id": submission.parent_id,
                "root_id": root_id,
                "depth": depth,
                "author_name": submission.author_name,
                "author_email": submission.author_email,
                "author_url": submission.author_url,
                "client_ip": client.ip,
                "user_agent": (client.user_agent or "")[:MAX_USER_AGENT] or None,
                "body": submission.body,
                # Computed here, once, so a worker finds the copies of a text through an index.
                "body_fingerprint": body_fingerprint(submission.body),
                "channel": client.channel,
                "reader_hash": client.reader_hash,
                "is_test": client.is_test,
            }
        )
        positions.append(position)
    stored = comment_store.insert_comments(session, rows)
    for position, (comment_id, created_at) in zip(positions, stored, strict=True):
        submission, client = items[position]
        results[position] = AcceptedComment(
            id=comment_id,
            article_id=submission.article_id,
            article_url=articles[(client.site_id, submission.article_id)].url,
            created_at=created_at,
        )
    return [r for r in results if r is not None]


def submit_comment(
    session: Session, submission: CommentSubmission, client: ClientInfo
) -> AcceptedComment:
    """Store one comment as `queued`; raises InvalidComment. The caller commits, then queues."""
    (result,) = submit_comments(session, [(submission, client)])
    if isinstance(result, InvalidComment):
        raise result
    return result


def _public(comment: Comment, article_external_id: str, pending: bool = False) -> PublicComment:
    return PublicComment(
        id=comment.id,
        article_id=article_external_id,
        parent_id=comment.parent_id,
        author_name=comment.author_name,
        author_url=comment.author_url,
        body=comment.body,
        created_at=comment.created_at,
        pending=pending,
    )


def comment_status(
    session: Session,
    comment_id: int,
    reader_hash: str | None = None,
    appeals: AppealLinks | None = None,
) -> CommentStatusView:
    """A comment's status; with the reader token that wrote it (`reader_hash`), the statement
    of reasons of its removal too."""
    found = comment_store.comment_with_article(session, comment_id)
    if found is None:
        raise NotFound(f"comment {comment_id}")
    comment, article = found
    return CommentStatusView(
        statement=statements.author_statement(session, comment_id, reader_hash, appeals),
        id=comment.id,
        article_id=article.external_id,
        status=comment.status,
        created_at=comment.created_at,
        decided_at=comment.decided_at,
        # Only a published comment's text and author are public.
        comment=_public(comment, article.external_id)
        if comment.status is CommentStatus.APPROVED
        else None,
    )


def _encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"after:{last_id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = raw.partition(":")
        after = int(value)
        # An id outside 0..MAX_ID is no cursor of ours, and the database cannot compare it.
        if prefix != "after" or not 0 <= after <= MAX_ID:
            raise ValueError(prefix)
        return after
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidComment(
            [FieldProblem("cursor", "cursor", "cursor is not one this API gave out")], 400
        ) from None


def article_comments(
    session: Session,
    article_external_id: str,
    cursor: str | None,
    limit: int,
    *,
    site_id: int = DEFAULT_SITE_ID,
    reader_hash: str | None = None,
    appeals: AppealLinks | None = None,
) -> CommentPage:
    """Approved comments, threads oldest first, replies nested under their parents.

    A reply whose parent is not published is left out with it: a reply makes no sense alone.
    With `reader_hash` (the caller's reader token), the comments that token wrote and that
    await moderation join the threads where they belong, marked pending, and the ones turned
    down are listed (without their text) in `not_published`, each with its statement of
    reasons (and its appeal link, when `appeals` says how to make one).
    """
    after_id = _decode_cursor(cursor)
    article = article_store.article_by_external_id(session, article_external_id, site_id=site_id)
    if article is None:
        return CommentPage(article_id=article_external_id, comments=[], next_cursor=None)
    roots, replies = comment_store.approved_threads(session, article.id, after_id, limit + 1)
    has_more = len(roots) > limit
    roots = roots[:limit]
    own_waiting: list[Comment] = []
    not_published: list[UnpublishedComment] = []
    if reader_hash is not None:
        own_waiting, not_published = _own_unpublished(session, article.id, reader_hash, appeals)
    if own_waiting:
        # An own top-level comment belongs to this page if its id falls in the page's range.
        last = roots[-1].id if has_more else MAX_ID
        roots = sorted(
            roots + [c for c in own_waiting if c.parent_id is None and after_id < c.id <= last],
            key=lambda c: c.id,
        )
        replies = sorted(
            replies + [c for c in own_waiting if c.parent_id is not None], key=lambda c: c.id
        )
    waiting = {c.id for c in own_waiting}
    nodes = {c.id: _public(c, article_external_id, c.id in waiting) for c in roots}
    _nest(nodes, replies, article_external_id, waiting)
    return CommentPage(
        article_id=article_external_id,
        comments=[nodes[c.id] for c in roots],
        next_cursor=_encode_cursor(roots[-1].id) if has_more else None,
        # Said once, on the first page, not again with every page that follows.
        not_published=not_published if after_id == 0 else [],
    )


@dataclass(frozen=True, slots=True)
class ArticlePage:
    """What the article page shows from the database."""

    title: str | None  # None when the article is unknown here or has no title
    page: CommentPage
    own_status: CommentStatus | None  # of the comment just posted, to its author only
    # The reader's reinstating appeals on this article's comments, newest first (theirs only).
    appeals: list[AppealView] = field(default_factory=list)


def article_page(
    session: Session,
    article_external_id: str,
    *,
    site_id: int,
    cursor: str | None,
    limit: int,
    comment_id: int | None = None,
    reader_hash: str | None = None,
    appeals: AppealLinks | None = None,
) -> ArticlePage:
    """The article's title, a page of its threads as `article_comments` reads them, and the
    status of `comment_id` when the reader holding the token that wrote it asks."""
    article = article_store.article_by_external_id(session, article_external_id, site_id=site_id)
    page = article_comments(
        session,
        article_external_id,
        cursor,
        limit,
        site_id=site_id,
        reader_hash=reader_hash,
        appeals=appeals,
    )
    own: CommentStatus | None = None
    decided: list[AppealView] = []
    if reader_hash is not None and article is not None:
        if comment_id is not None:
            own = _own_status(session, comment_id, article.id, reader_hash)
        found = appeal_store.reinstated_for_reader(session, article.id, reader_hash)
        decided = [appeal_view(a) for a, _ in found]
    return ArticlePage(article.title if article else None, page, own, decided)


def _own_status(
    session: Session, comment_id: int, article_id: int, reader_hash: str
) -> CommentStatus | None:
    # The status notice after a form post is the author's: only the browser holding the
    # reader token that wrote the comment sees it (anyone may have the URL).
    found = comment_store.comment_with_article(session, comment_id)
    if found is None:
        return None
    comment, of_article = found
    if of_article.id == article_id and hmac.compare_digest(comment.reader_hash or "", reader_hash):
        return comment.status
    return None


def _own_unpublished(
    session: Session, article_id: int, reader_hash: str, appeals: AppealLinks | None
) -> tuple[list[Comment], list[UnpublishedComment]]:
    """The reader's own comments not published: those still awaiting a decision (shown to them
    in place, marked pending) and those turned down (listed without their text)."""
    waiting: list[Comment] = []
    turned_down: list[Comment] = []
    for own in comment_store.own_unpublished(session, article_id, reader_hash):
        if own.status in (CommentStatus.QUEUED, CommentStatus.PENDING):
            waiting.append(own)
        else:
            turned_down.append(own)
    # Why each was removed: the token wrote them all (the query matched it).
    stated = statement_store.latest_statements(session, [c.id for c in turned_down])
    views = statement_store.author_views(session, list(stated.values()), appeals)
    return waiting, [
        UnpublishedComment(
            id=own.id,
            parent_id=own.parent_id,
            created_at=own.created_at,
            statement=views[stated[own.id].id] if own.id in stated else None,
        )
        for own in turned_down
    ]


def _nest(
    nodes: dict[int, PublicComment],
    replies: Sequence[Comment],
    article_external_id: str,
    waiting: set[int],
) -> None:
    """Hang each reply under its parent in `nodes` (the page's roots, then each reply added);
    a reply whose parent is not on the page is left out with it."""
    # Each node's place: its depth, and the node whose replies list holds it.
    depth = dict.fromkeys(nodes, 0)
    holder: dict[int, PublicComment] = {}
    for reply in replies:  # ordered by id, so a parent always comes before its replies
        parent_id = reply.parent_id or 0
        parent = nodes.get(parent_id)
        if parent is None:
            continue
        node = _public(reply, article_external_id, reply.id in waiting)
        if depth[parent_id] >= MAX_REPLY_DEPTH:
            # Deeper than replies nest (stored before the limit, or the limit lowered): shown
            # flat, after its parent at the deepest level, so no thread nests without end.
            holder[reply.id] = holder[parent_id]
            depth[reply.id] = depth[parent_id]
        else:
            holder[reply.id] = parent
            depth[reply.id] = depth[parent_id] + 1
        holder[reply.id].replies.append(node)
        nodes[reply.id] = node


def comments_version(
    session: Session, article_external_id: str, *, site_id: int = DEFAULT_SITE_ID
) -> article_store.CommentsVersion:
    """The version of an article's public comments (one row read); version 0 before its
    first comment is published, or for an article never seen."""
    found = article_store.comments_version(session, article_external_id, site_id=site_id)
    return found or article_store.CommentsVersion(0, None)
