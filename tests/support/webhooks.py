"""Sites with webhook endpoints, their comments, and the deliveries that decisions write."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.domain.statuses import CommentStatus
from moderation.services import sites, webhooks
from moderation.storage import articles as article_store
from moderation.storage import comments as comment_store
from moderation.storage import decisions as decision_store
from moderation.storage.db import session_scope
from moderation.storage.models import Site, WebhookDelivery
from tests.support.decisions import decision

HOOK = "https://hooks.example.org/moderation"


def add_hooked_site(database_url: str, slug: str, *endpoints: str) -> sites.SiteInfo:
    with session_scope(database_url) as session:
        site = sites.add_site(session, slug, slug.title(), None, [], {})
        info = sites.SiteInfo.of(site)
        for url in endpoints:
            webhooks.add_endpoint(session, slug, url)
    return info


def queued(database_url: str, site_id: int, body: str = "The council vote was close.") -> int:
    with session_scope(database_url) as session:
        article = article_store.article_for(session, "story-1", None, None, site_id=site_id)
        ((comment_id, _),) = comment_store.insert_comments(
            session,
            [
                {
                    "article_id": article.id,
                    "author_name": "Ann Reader",
                    "author_email": "ann.private@example.com",
                    "author_url": "https://ann.example",
                    "body": body,
                }
            ],
        )
    return comment_id


def deliveries(database_url: str) -> list[WebhookDelivery]:
    with session_scope(database_url) as session:
        found = list(
            session.execute(select(WebhookDelivery).order_by(WebhookDelivery.id)).scalars()
        )
        session.expunge_all()
    return found


def approved_on_a_hooked_site(
    session: Session, slug: str, endpoint_url: str, article_id: str, author: str, body: str
) -> Site:
    """Site `slug` ("daily-news" is Daily News) with one endpoint, and a comment of `author`
    on one of its articles that the policy approved, which writes the delivery; the site."""
    site = sites.add_site(session, slug, slug.replace("-", " ").title(), None, [], {})
    webhooks.add_endpoint(session, slug, endpoint_url)
    article = article_store.article_for(session, article_id, None, None, site_id=site.id)
    email = f"{author.lower()}@example.org"
    ((comment, _),) = comment_store.insert_comments(
        session,
        [{"article_id": article.id, "author_name": author, "author_email": email, "body": body}],
    )
    approved = decision(comment, CommentStatus.APPROVED, {}, model_version=None)
    decision_store.record_decisions(session, [approved])
    return site
