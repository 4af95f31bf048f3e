"""A site with a webhook endpoint and a decided comment, so that a delivery is waiting."""

from __future__ import annotations

from sqlalchemy.orm import Session

from moderation.domain.statuses import CommentStatus
from moderation.services import sites, webhooks
from moderation.storage import articles as article_store
from moderation.storage import comments as comment_store
from moderation.storage import decisions as decision_store
from moderation.storage.models import Site
from tests.support.decisions import decision


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
