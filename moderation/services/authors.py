"""Authors' standing as the policy sees it, looked up in the database (bans, trust, history),
and the moderators' bans and trust."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from moderation.domain import fields
from moderation.domain.authors import (
    Author,
    AuthorRuleKind,
    AuthorRuleRequest,
    AuthorRuleView,
    AuthorStanding,
    kind_and_value,
    rule_end,
)
from moderation.domain.clock import utcnow
from moderation.domain.errors import NotFound
from moderation.domain.privacy import KEYED_PREFIX, keyed
from moderation.domain.schemas import ShownUrl, Text
from moderation.domain.statuses import CommentStatus
from moderation.services.sites import SitePolicy
from moderation.storage import privacy as privacy_store
from moderation.storage import review as review_store
from moderation.storage import rules
from moderation.storage import sites as sites_store


def _banned_by(author: Author, named: Set[tuple[str, str]], salt: bytes | None) -> str | None:
    """ "email" or "ip" when a ban names the author's, or (after an erasure of theirs) a salted
    hash of it; None when no ban does."""
    if (AuthorRuleKind.BAN_EMAIL.value, author.email) in named:
        return "email"
    if author.ip and (AuthorRuleKind.BAN_IP.value, author.ip) in named:
        return "ip"
    if salt is None or not any(value.startswith(KEYED_PREFIX) for _, value in named):
        return None
    if (AuthorRuleKind.BAN_EMAIL.value, keyed(salt, author.email)) in named:
        return "email"
    if author.ip and (AuthorRuleKind.BAN_IP.value, keyed(salt, author.ip)) in named:
        return "ip"
    return None


def standings(
    session: Session,
    authors: Mapping[int, Author],
    window: int,
    named: Set[tuple[str, str]] | None = None,
    salt: bytes | None = None,
    approved_needed: int = 0,
) -> dict[int, AuthorStanding]:
    """The standing of each comment's author (by comment id). `named` is every (kind, value)
    ban and trust when the caller keeps them in memory, with `salt`, the deployment's salt for
    the bans an erasure kept as hashes; otherwise both are looked up.
    Approved comments are counted up to `approved_needed` (the highest pre-moderation limit
    of the batch's sites, `approvals_needed`): the policy asks no more of them."""
    emails = [a.email for a in authors.values()]
    if named is None:
        addresses = [a.ip for a in authors.values() if a.ip]
        salt = privacy_store.stored_secret(session)
        hashed = [keyed(salt, v) for v in (*emails, *addresses)] if salt else []
        named = set(rules.rules_for(session, [*emails, *hashed], addresses))
    history = rules.histories(session, emails, window, approved_needed)
    found = {}
    for comment_id, author in authors.items():
        banned_by = _banned_by(author, named, salt)
        past = history.get(author.email)
        found[comment_id] = AuthorStanding(
            banned_by=banned_by,
            trusted=(AuthorRuleKind.TRUST_EMAIL.value, author.email) in named,
            approved=past.approved if past else 0,
            removed_recently=past.removed_recently if past else 0,
            recent=past.recent if past else 0,
        )
    return found


def approvals_needed(deployment: int, site_policies: Iterable[SitePolicy]) -> int:
    """The most approved comments any of these sites' pre-moderation of new authors asks."""
    overrides = (p.premoderate_until_approved for p in site_policies)
    return max([deployment, *(n for n in overrides if n is not None)])


def set_rule(session: Session, request: AuthorRuleRequest, actor: str) -> AuthorRuleView:
    """Ban or trust an author. Banning an email ends its trust and trusting ends its ban: the
    latest word of a moderator is the one that holds. A ban with `days` or `until` is a
    suspension: it ends by itself."""
    kind, value = kind_and_value(request)
    ends = rule_end(request, utcnow())
    if kind is AuthorRuleKind.BAN_EMAIL:
        rules.remove_author_rules(session, [AuthorRuleKind.TRUST_EMAIL.value], value)
    elif kind is AuthorRuleKind.TRUST_EMAIL:
        rules.remove_author_rules(session, [AuthorRuleKind.BAN_EMAIL.value], value)
    rule = rules.keep_author_rule(session, kind.value, value, request.note, actor, ends)
    return AuthorRuleView.model_validate(rule, from_attributes=True)


def lift_rules(session: Session, value: str) -> int:
    """Remove every ban or trust naming this email or address."""
    if not fields.is_line(value):  # no rule holds one (nor can PostgreSQL compare a NUL)
        return 0
    lifted = rules.remove_author_rules(
        session, [k.value for k in AuthorRuleKind], value.strip().lower()
    ) + rules.remove_author_rules(session, [AuthorRuleKind.BAN_IP.value], value.strip())
    # A ban kept past the author's erasure names a salted hash: lifted by the email or address.
    salt = privacy_store.stored_secret(session)
    if salt is not None and not value.startswith(KEYED_PREFIX):
        lifted += rules.remove_author_rules(
            session, [k.value for k in AuthorRuleKind], keyed(salt, value)
        )
    return lifted


def list_rules(session: Session) -> list[AuthorRuleView]:
    return [
        AuthorRuleView.model_validate(r, from_attributes=True) for r in rules.author_rules(session)
    ]


# --- an author as moderators see them: their comments, rules and the moderators' notes -----

MAX_AUTHOR_NOTE = 1000


class AuthorNoteRequest(BaseModel):
    note: Text = Field(min_length=1, max_length=MAX_AUTHOR_NOTE)


class AuthorNoteView(BaseModel):
    id: int
    note: str
    created_by: str
    created_at: datetime


class AuthorCommentView(BaseModel):
    id: int
    status: CommentStatus
    body: str
    created_at: datetime
    article_id: str
    article_title: str | None
    article_url: ShownUrl
    site: str


class AuthorPage(BaseModel):
    """Everything moderators know of one author (by the email of a comment of theirs)."""

    comment_id: int  # the comment the page was opened from: its address names the author
    name: str
    email: str
    comments: list[AuthorCommentView]
    rules: list[AuthorRuleView]
    notes: list[AuthorNoteView]


def _author_email(session: Session, comment_id: int) -> tuple[str, str]:
    comment = review_store.comments_by_id(session, [comment_id]).get(comment_id)
    if comment is None:
        raise NotFound("comment")
    return comment.author_email, comment.author_name


def author_page(session: Session, comment_id: int) -> AuthorPage:
    """The author of `comment_id`: every comment of theirs on every site, newest first, the
    bans and trust that hold for their email, and what moderators noted about them."""
    email, name = _author_email(session, comment_id)
    slugs = {s.id: s.slug for s in sites_store.all_sites(session)}
    return AuthorPage(
        comment_id=comment_id,
        name=name,
        email=email,
        comments=[
            AuthorCommentView(
                id=c.id,
                status=c.status,
                body=c.body,
                created_at=c.created_at,
                article_id=a.external_id,
                article_title=a.title,
                article_url=a.url,
                site=slugs.get(a.site_id, ""),
            )
            for c, a in review_store.author_comments(session, email)
        ],
        rules=[
            AuthorRuleView.model_validate(r, from_attributes=True)
            for r in rules.author_rules(session, [email])
        ],
        notes=[
            AuthorNoteView.model_validate(n, from_attributes=True)
            for n in rules.author_notes(session, email.strip().lower())
        ],
    )


def add_note(
    session: Session, comment_id: int, request: AuthorNoteRequest, actor: str
) -> AuthorNoteView:
    """A note on the author of `comment_id`, for every moderator who opens their page."""
    email, _ = _author_email(session, comment_id)
    # Lower-cased, as bans name an email: one author whatever case they typed it in.
    row = rules.add_author_note(session, email.strip().lower(), request.note, actor)
    return AuthorNoteView.model_validate(row, from_attributes=True)
