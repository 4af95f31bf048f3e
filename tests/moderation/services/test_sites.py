"""Sites: several websites in one deployment, each with its key, origins and policy; what an
integrator sees when submitting for a site from a browser or from the site's backend."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from moderation.domain.policy import DecisionInputs, Thresholds, decide
from moderation.domain.statuses import CommentStatus
from moderation.services import sites
from moderation.storage.db import session_scope
from moderation.storage.models import Article, Comment
from tests.moderation.conftest import VALID
from tests.support.sites import NEWS_ORIGIN, add_site, fresh_sites


def stored(database_url: str, comment_id: int) -> tuple[Comment, Article]:
    with session_scope(database_url) as session:
        row = session.execute(
            select(Comment, Article)
            .join(Article, Article.id == Comment.article_id)
            .where(Comment.id == comment_id)
        ).one()
        session.expunge_all()
        return row[0], row[1]


def test_a_comment_for_an_unknown_site_is_refused_naming_the_field(client: TestClient) -> None:
    answer = client.post("/api/v1/comments", json={**VALID, "site_id": "nowhere"})

    assert answer.status_code == 422
    assert answer.json()["fields"][0]["field"] == "site_id"
    assert "nowhere" in answer.json()["message"]


def test_the_same_article_id_on_two_sites_is_two_threads(
    client: TestClient, database_url: str
) -> None:
    add_site(database_url)
    fresh_sites(client)

    ours = client.post("/api/v1/comments", json=VALID)
    theirs = client.post("/api/v1/comments", json={**VALID, "site_id": "example-news"})

    assert ours.status_code == theirs.status_code == 202
    _, our_article = stored(database_url, ours.json()["id"])
    comment, their_article = stored(database_url, theirs.json()["id"])
    assert our_article.external_id == their_article.external_id == VALID["article_id"]
    assert our_article.id != their_article.id
    assert their_article.site_id != our_article.site_id
    assert comment.channel == "api"


def test_a_sites_backend_passes_the_readers_address_with_its_key(
    client: TestClient, database_url: str
) -> None:
    site = add_site(database_url)
    fresh_sites(client)
    reader = {"client_ip": "2001:db8::7", "user_agent": "Reader's Browser/2.0"}

    with_key = client.post(
        "/api/v1/comments",
        json={**VALID, "site_id": site.slug, **reader},
        headers={"Authorization": f"Bearer {site.secret_key}"},
    )
    without_key = client.post("/api/v1/comments", json={**VALID, "site_id": site.slug, **reader})
    wrong_key = client.post(
        "/api/v1/comments",
        json={**VALID, "site_id": site.slug},
        headers={"X-Site-Key": "sk_not-this-one"},
    )

    assert with_key.status_code == 202
    comment, _ = stored(database_url, with_key.json()["id"])
    assert (comment.client_ip, comment.user_agent) == ("2001:db8::7", "Reader's Browser/2.0")
    # A backend's submission belongs to no browser: no reader token is handed out.
    assert with_key.json()["reader_token"] is None
    assert without_key.status_code == 403
    assert without_key.json()["fields"][0]["field"] == "client_ip"
    assert wrong_key.status_code == 401
    assert wrong_key.json()["error"] == "invalid_site_key"


def test_a_browser_comment_takes_the_requests_own_address_and_gets_a_reader_token(
    client: TestClient, database_url: str
) -> None:
    # Browsers send Origin with every POST, also to their own site.
    browser = {"User-Agent": "Firefox/140", "Origin": "http://testserver"}
    answer = client.post("/api/v1/comments", json=VALID, headers=browser)

    assert answer.status_code == 202
    token = answer.json()["reader_token"]
    assert token and answer.cookies.get("moderation_reader") == token
    comment, _ = stored(database_url, answer.json()["id"])
    assert comment.client_ip == "testclient"
    assert comment.user_agent == "Firefox/140"
    assert comment.reader_hash is not None and token not in comment.reader_hash

    # The same browser keeps its token for its next comment.
    again = client.post("/api/v1/comments", json=VALID, headers=browser)
    assert again.json()["reader_token"] == token
    assert stored(database_url, again.json()["id"])[0].reader_hash == comment.reader_hash

    # A program that is not a browser gets no token and no cookie.
    client.cookies.clear()
    script = client.post("/api/v1/comments", json=VALID)
    assert script.json()["reader_token"] is None and "set-cookie" not in script.headers


def test_browsers_on_other_origins_only_where_the_site_registered_them(
    client: TestClient, database_url: str
) -> None:
    add_site(database_url)
    fresh_sites(client)
    body = {**VALID, "site_id": "example-news"}
    preflight = {"Access-Control-Request-Method": "POST"}

    allowed = client.options(
        "/api/v1/comments?site=example-news", headers={"Origin": NEWS_ORIGIN, **preflight}
    )
    refused = client.options(
        "/api/v1/comments?site=example-news",
        headers={"Origin": "https://elsewhere.example", **preflight},
    )
    posted = client.post(
        "/api/v1/comments?site=example-news", json=body, headers={"Origin": NEWS_ORIGIN}
    )
    forged = client.post(
        "/api/v1/comments?site=example-news",
        json=body,
        headers={"Origin": "https://elsewhere.example"},
    )

    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == NEWS_ORIGIN
    assert "X-Reader-Token" in allowed.headers["access-control-allow-headers"]
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers
    assert posted.status_code == 202
    assert posted.headers["access-control-allow-origin"] == NEWS_ORIGIN
    assert stored(database_url, posted.json()["id"])[0].channel == "widget"
    # Even a simple request (no preflight) from elsewhere is refused, not stored.
    assert forged.status_code == 403
    assert forged.json()["error"] == "origin_not_allowed"
    assert "access-control-allow-origin" not in forged.headers
    # The moderation API is never open to other origins.
    workspace = client.get("/api/v1/moderation/me", headers={"Origin": NEWS_ORIGIN})
    assert "access-control-allow-origin" not in workspace.headers


def test_a_rotated_key_keeps_working_through_its_grace_period_only(database_url: str) -> None:
    site = add_site(database_url)
    with session_scope(database_url) as session:
        graced = sites.SiteInfo.of(sites.rotate_key(session, site.slug, timedelta(hours=1)))
    assert graced.secret_key != site.secret_key
    assert graced.accepts_key(site.secret_key) and graced.accepts_key(graced.secret_key)

    with session_scope(database_url) as session:
        now = sites.SiteInfo.of(sites.rotate_key(session, site.slug, timedelta(0)))
    assert not now.accepts_key(site.secret_key)
    assert not now.accepts_key(graced.secret_key)
    assert now.accepts_key(now.secret_key)


def test_a_sites_policy_overrides_the_deployments() -> None:
    policy = sites.SitePolicy(premoderation=True, links_allowed=0, toxicity_hold=0.3)
    limits = policy.applied_to(Thresholds())
    clean = "Thanks for the clear report on the council vote."

    assert decide(DecisionInputs(0.01, 0.01, clean, Thresholds())).status is CommentStatus.APPROVED
    held = decide(DecisionInputs(0.01, 0.01, clean, limits))
    assert held.status is CommentStatus.PENDING
    assert [r.words for r in held.reasons] == [
        "pre-moderation: every comment on this site is reviewed first"
    ]
    linked = decide(DecisionInputs(0.01, 0.01, "See https://example.org for the plan.", limits))
    assert "1 link (held from 1)" in [r.words for r in linked.reasons]
    assert "toxicity 0.35 >= 0.3" in [
        r.text for r in decide(DecisionInputs(0.01, 0.35, clean, limits)).reasons
    ]
    # Spam is still spam under pre-moderation, not merely held.
    assert decide(DecisionInputs(0.99, 0.01, clean, limits)).status is CommentStatus.SPAM


def test_a_site_chooses_what_happens_to_swearing_at_nobody() -> None:
    swearing = {"obscene": 0.95, "insult": 0.1, "threat": 0.1, "identity_attack": 0.1}
    body = "Fucking brilliant reporting, well done."

    def status(policy: sites.SitePolicy) -> CommentStatus:
        limits = policy.applied_to(Thresholds())
        return decide(
            DecisionInputs(0.0, 0.95, body, limits, attributes=swearing, signals={})
        ).status

    assert status(sites.SitePolicy()) is CommentStatus.APPROVED
    assert status(sites.SitePolicy(profanity="hold")) is CommentStatus.PENDING
    assert status(sites.SitePolicy(profanity="reject")) is CommentStatus.REJECTED
    with pytest.raises(ValueError, match="profanity"):
        sites.SitePolicy(profanity="sometimes")  # type: ignore[arg-type]
