"""The moderation API with real accounts and tokens: queues, decisions, undo, the audit trail."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from moderation.domain.statuses import CommentStatus
from moderation.services import sites
from moderation.services.accounts import Role
from moderation.storage.db import session_scope
from moderation.storage.models import Comment, ModeratorLabel
from tests.moderation.conftest import VALID
from tests.support.staff import Account, add_account, decided, sign_in


@pytest.fixture
def moderator(database_url: str) -> Account:
    return add_account(database_url, "mona")


def submit(client: TestClient, **changes: Any) -> int:
    response = client.post("/api/v1/comments", json={**VALID, **changes})
    assert response.status_code == 202, response.text
    comment_id: int = response.json()["id"]
    return comment_id


def held(client: TestClient, database_url: str, body: str, toxicity: float, **changes: Any) -> int:
    comment_id = submit(client, body=body, **changes)
    decided(
        database_url,
        comment_id,
        CommentStatus.PENDING,
        {"spam": 0.02, "toxicity": toxicity},
        [{"rule": "toxicity", "value": toxicity, "threshold": 0.5, "op": ">="}],
    )
    return comment_id


def decide_as(client: TestClient, account: Account, comment_id: int, decision: Any) -> Any:
    """A moderator's decision on one comment through the API; the answer."""
    return client.post(
        f"/api/v1/moderation/comments/{comment_id}/decision", json=decision, headers=account.headers
    )


def test_queue_lists_held_comments_riskiest_first_with_why(
    api: TestClient, database_url: str, moderator: Account
) -> None:
    mild = held(api, database_url, "You might be wrong about this", 0.55)
    harsh = held(api, database_url, "You are an idiot", 0.83)
    published = submit(api, body="Fine words")
    decided(database_url, published, CommentStatus.APPROVED, {"spam": 0.0, "toxicity": 0.0})

    answer = api.get("/api/v1/moderation/queue?status=pending", headers=moderator.headers)

    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert [item["id"] for item in page["items"]] == [harsh, mild]
    first = page["items"][0]
    assert first["body"] == "You are an idiot"
    assert first["article"]["id"] == VALID["article_id"]
    assert first["author"]["email"] == VALID["author_email"]
    assert first["scores"]["toxicity"] == 0.83
    assert [r["text"] for r in first["reasons"]] == ["toxicity 0.83 >= 0.5"]
    assert first["model_version"] == "v-test"
    assert page["counts"]["pending"] == 2
    assert page["counts"]["approved"] == 1


def test_queue_sorts_oldest_and_newest_and_pages_without_repeats(
    api: TestClient, database_url: str, moderator: Account
) -> None:
    ids = [held(api, database_url, f"Held comment {i}", 0.6) for i in range(5)]

    def read(sort: str) -> list[int]:
        seen: list[int] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"status": "pending", "sort": sort, "limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = api.get("/api/v1/moderation/queue", params=params, headers=moderator.headers)
            assert page.status_code == 200, page.text
            seen += [item["id"] for item in page.json()["items"]]
            cursor = page.json()["next_cursor"]
            if not cursor:
                return seen

    assert read("oldest") == ids
    assert read("newest") == ids[::-1]
    # Equal risks: the id breaks the tie, and no comment is read twice or skipped.
    assert read("risk") == ids[::-1]


def test_queue_filters_by_article_author_and_text(
    api: TestClient, database_url: str, moderator: Account
) -> None:
    held(api, database_url, "About the bridge", 0.6, article_id="bridge")
    wanted = held(
        api, database_url, "About the 100% tax", 0.6, author_name="Zed", author_email="z@z.example"
    )

    def ids(**params: str) -> list[int]:
        page = api.get(
            "/api/v1/moderation/queue",
            params={"status": "pending", **params},
            headers=moderator.headers,
        )
        return [item["id"] for item in page.json()["items"]]

    assert ids(article=VALID["article_id"]) == [wanted]
    assert ids(author="zed") == [wanted]
    assert ids(author="z@z.example") == [wanted]
    assert ids(q="100% TAX") == [wanted]
    assert ids(q="_") == []  # a LIKE wildcard is matched literally


def test_queue_names_each_comments_site_and_filters_by_it(
    api: TestClient, database_url: str, moderator: Account
) -> None:
    with session_scope(database_url) as session:
        sites.add_site(session, "daily-news", "Daily News", None, [], {})
    api.app.state.sites.forget()  # type: ignore[attr-defined]
    ours = held(api, database_url, "About the bridge", 0.6)
    theirs = held(api, database_url, "About the bridge", 0.7, site_id="daily-news")

    def page(**params: str) -> Any:
        answer = api.get(
            "/api/v1/moderation/queue",
            params={"status": "pending", **params},
            headers=moderator.headers,
        )
        return answer

    items = {i["id"]: i for i in page().json()["items"]}
    assert items[ours]["article"]["site"] == "default"
    assert items[theirs]["article"]["site"] == "daily-news"
    assert items[theirs]["channel"] == "api"
    assert [i["id"] for i in page(site="daily-news").json()["items"]] == [theirs]
    assert [i["id"] for i in page(site="default").json()["items"]] == [ours]
    unknown = page(site="nowhere")
    assert unknown.status_code == 422
    assert unknown.json()["fields"][0]["field"] == "site"

    # The workspace names the site on each item and offers it as a filter.
    sign_in(api, moderator.name)
    html = api.get("/moderation/queue/pending?site=daily-news").text
    assert '<option value="daily-news" selected>' in html
    assert '<span class="site" title="site">daily-news</span>' in html
    assert f'id="item-{ours}"' not in html and f'id="item-{theirs}"' in html


def test_approve_publishes_at_once_and_records_who_and_why(
    api: TestClient, database_url: str, moderator: Account
) -> None:
    comment_id = held(api, database_url, "Borderline but fair", 0.6)

    answer = decide_as(api, moderator, comment_id, {"action": "approve", "note": "fair criticism"})

    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "approved"
    assert answer.json()["previous_status"] == "pending"
    thread = api.get(f"/api/v1/articles/{VALID['article_id']}/comments").json()
    assert [c["body"] for c in thread["comments"]] == ["Borderline but fair"]
    audit = api.get(
        "/api/v1/moderation/audit", params={"comment": comment_id}, headers=moderator.headers
    ).json()["events"]
    assert [(e["actor"], e["from_status"], e["to_status"], e["reason"]) for e in audit] == [
        ("mona", "pending", "approved", "approve: fair criticism"),
        ("policy", "queued", "pending", "toxicity"),
    ]


def test_each_decision_becomes_a_training_label(
    api: TestClient, database_url: str, moderator: Account
) -> None:
    spam = held(api, database_url, "Buy followers now", 0.1)
    abuse = held(api, database_url, "You absolute clown", 0.7)
    # A site's test submission (Akismet's is_test) is decided but teaches nothing.
    test = held(api, database_url, "Testing the plugin, ignore", 0.6)
    with session_scope(database_url) as session:
        session.execute(update(Comment).where(Comment.id == test).values(is_test=True))
    for comment_id, action in ((spam, "spam"), (abuse, "reject"), (test, "reject")):
        answer = decide_as(api, moderator, comment_id, {"action": action})
        assert answer.status_code == 200

    with session_scope(database_url) as session:
        labels = {
            label.comment_id: (label.action, label.spam, label.toxic, label.actor)
            for label in session.query(ModeratorLabel)
        }
    assert labels == {
        spam: ("spam", True, None, "mona"),
        abuse: ("reject", None, True, "mona"),
    }


# Each comment, the moderator's decision on it, then what the answer says (status, ground) and
# the label it leaves (action, spam, toxic, ground).
GROUNDS = [
    ("We know which school your kids go to.", {"action": "reject", "ground": "threat"},
     ("rejected", "threat"), ("reject", None, True, "threat")),
    ("People like them are vermin.", {"action": "reject", "ground": "hate"},
     ("rejected", "hate"), ("reject", None, True, "hate")),
    ("You are a clown, a sad little clown.", {"action": "reject", "ground": "harassment"},
     ("rejected", "harassment"), ("reject", None, True, "harassment")),
    ("What a load of bollocks.", {"action": "reject", "ground": "obscene"},
     ("rejected", "obscene"), ("reject", None, True, "obscene")),
    # A reject on the spam ground is a spam decision: the spam queue, the spam label.
    ("Visit my shop for cheap watches.", {"action": "reject", "ground": "spam"},
     ("spam", "spam"), ("spam", True, None, "spam")),
    # Removed for a reason no model scores: it teaches neither spam nor abuse.
    ("Off topic: who won the match?", {"action": "reject", "ground": "other"},
     ("rejected", "other"), ("reject", None, None, "other")),
    ("Great cheap loans here.", {"action": "spam"},
     ("spam", "spam"), ("spam", True, None, "spam")),
    ("You are simply wrong.", {"action": "reject"},
     ("rejected", None), ("reject", None, True, None)),
]  # fmt: skip


def test_a_removals_ground_is_in_its_label_its_answer_and_the_audit_log(
    api: TestClient, database_url: str, moderator: Account
) -> None:
    answers = {}
    for body, decision, _, _ in GROUNDS:
        comment_id = held(api, database_url, body, 0.6)
        answer = decide_as(api, moderator, comment_id, decision)
        assert answer.status_code == 200, answer.text
        answers[body] = answer.json()

    said = {body: (a["status"], a["ground"]) for body, a in answers.items()}
    assert said == {body: answer for body, _, answer, _ in GROUNDS}
    with session_scope(database_url) as session:
        bodies = {c.id: c.body for c in session.query(Comment)}
        labels = {
            bodies[label.comment_id]: (label.action, label.spam, label.toxic, label.ground)
            for label in session.query(ModeratorLabel)
        }
    assert labels == {body: label for body, _, _, label in GROUNDS}
    audit = api.get("/api/v1/moderation/audit?actor=mona", headers=moderator.headers).json()
    reasons = {bodies[e["comment_id"]]: e["reason"] for e in audit["events"]}
    assert reasons["We know which school your kids go to."] == "reject (threat)"
    assert reasons["Visit my shop for cheap watches."] == "spam"
    assert reasons["You are simply wrong."] == "reject"


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        ({"action": "reject", "ground": "Rude!"}, "body.ground: String should match pattern"),
        ({"action": "approve", "ground": "threat"}, "given with a removal only"),
        ({"action": "spam", "ground": "threat"}, "a spam decision's ground is spam"),
    ],
)
@pytest.mark.parametrize("many", [False, True], ids=["one", "bulk"])
def test_an_unknown_ground_or_one_without_a_removal_is_a_422_naming_it(
    api: TestClient,
    database_url: str,
    moderator: Account,
    decision: dict[str, str],
    message: str,
    many: bool,
) -> None:
    comment_id = held(api, database_url, "Borderline", 0.6)
    path, body = (
        ("/api/v1/moderation/decisions", {"ids": [comment_id], **decision})
        if many
        else (f"/api/v1/moderation/comments/{comment_id}/decision", decision)
    )

    answer = api.post(path, json=body, headers=moderator.headers)

    assert answer.status_code == 422, answer.text
    assert [f["field"] for f in answer.json()["fields"]] == ["body.ground"]
    assert message in answer.json()["message"]
    assert api.get(f"/api/v1/comments/{comment_id}").json()["status"] == "pending"
    with session_scope(database_url) as session:
        assert session.query(ModeratorLabel).count() == 0


def test_bulk_decision_reports_each_id(
    api: TestClient, database_url: str, moderator: Account
) -> None:
    ids = [held(api, database_url, f"Flood {i}", 0.6) for i in range(3)]

    answer = api.post(
        "/api/v1/moderation/decisions",
        json={"ids": [*ids, 999999], "action": "reject"},
        headers=moderator.headers,
    )

    assert answer.status_code == 200, answer.text
    results = {r["id"]: r for r in answer.json()}
    assert all(results[i]["status"] == "rejected" for i in ids)
    assert results[999999]["error"] == "comment not found"
    page = api.get("/api/v1/moderation/queue?status=rejected", headers=moderator.headers).json()
    assert sorted(item["id"] for item in page["items"]) == ids


def test_undo_restores_the_status_and_forgets_the_label(
    api: TestClient, database_url: str, moderator: Account
) -> None:
    comment_id = held(api, database_url, "Oops, wrong key", 0.6)
    decide_as(api, moderator, comment_id, {"action": "spam"})

    answer = api.post(f"/api/v1/moderation/comments/{comment_id}/undo", headers=moderator.headers)

    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "pending"
    status = api.get(f"/api/v1/comments/{comment_id}").json()["status"]
    assert status == "pending"
    with session_scope(database_url) as session:
        assert session.query(ModeratorLabel).count() == 0
    again = api.post(f"/api/v1/moderation/comments/{comment_id}/undo", headers=moderator.headers)
    assert again.status_code == 409


def test_someone_elses_decision_cannot_be_undone(
    api: TestClient, database_url: str, moderator: Account
) -> None:
    other = add_account(database_url, "otto")
    comment_id = held(api, database_url, "Contested", 0.6)
    decide_as(api, other, comment_id, {"action": "approve"})

    answer = api.post(f"/api/v1/moderation/comments/{comment_id}/undo", headers=moderator.headers)

    assert answer.status_code == 409
    assert api.get(f"/api/v1/comments/{comment_id}").json()["status"] == "approved"


def test_decision_names_a_bad_action_and_an_unknown_comment(
    api: TestClient, database_url: str, moderator: Account
) -> None:
    comment_id = held(api, database_url, "Something", 0.6)

    bad = decide_as(api, moderator, comment_id, {"action": "delete"})
    unknown = decide_as(api, moderator, 424242, {"action": "approve"})

    assert bad.status_code == 422
    assert [f["field"] for f in bad.json()["fields"]] == ["body.action"]
    assert unknown.status_code == 404


def test_audit_filters_by_actor_and_exports_csv(
    api: TestClient, database_url: str, moderator: Account
) -> None:
    comment_id = held(api, database_url, '=HYPERLINK("http://evil.example")', 0.6)
    decide_as(api, moderator, comment_id, {"action": "reject", "note": "=1+1"})

    mine = api.get("/api/v1/moderation/audit?actor=mona", headers=moderator.headers).json()
    export = api.get("/api/v1/moderation/audit.csv", headers=moderator.headers)

    assert [e["to_status"] for e in mine["events"]] == ["rejected"]
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [(r["actor"], r["from_status"], r["to_status"]) for r in rows] == [
        ("mona", "pending", "rejected"),
        ("policy", "queued", "pending"),
    ]
    # A note that a spreadsheet would run as a formula is quoted as text.
    assert rows[0]["reason"] == "reject: =1+1"


def test_no_token_is_401_and_a_bad_one_too(api: TestClient) -> None:
    anonymous = api.get("/api/v1/moderation/queue")
    forged = api.get("/api/v1/moderation/queue", headers={"Authorization": "Bearer mod_nope"})

    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert forged.status_code == 401


def test_a_moderator_cannot_use_admin_routes(
    api: TestClient, database_url: str, moderator: Account
) -> None:
    admin = add_account(database_url, "ada", Role.ADMIN)

    assert api.get("/api/v1/admin/users", headers=moderator.headers).status_code == 403
    users = api.get("/api/v1/admin/users", headers=admin.headers)
    assert users.status_code == 200
    assert {u["name"] for u in users.json()} == {"ada", "mona"}


def test_a_disabled_users_token_stops_working(
    api: TestClient, database_url: str, moderator: Account
) -> None:
    from moderation.services import accounts

    assert api.get("/api/v1/moderation/me", headers=moderator.headers).status_code == 200
    with session_scope(database_url) as session:
        accounts.disable_user(session, "mona")

    assert api.get("/api/v1/moderation/me", headers=moderator.headers).status_code == 401


def test_the_queue_shows_where_the_shadow_model_would_decide_otherwise(
    api: TestClient, database_url: str, moderator: Account
) -> None:
    from moderation.domain.records import DecisionRecord, ShadowDecision
    from moderation.storage import decisions as decision_store
    from moderation.storage.db import session_scope

    ids = [submit(api, body=f"Comment {i}") for i in range(3)]
    with session_scope(database_url) as session:
        decision_store.record_decisions(
            session,
            [
                DecisionRecord(
                    comment_id=comment_id,
                    status=CommentStatus.PENDING,
                    scores={"spam": 0.6, "toxicity": 0.1},
                    reasons=[],
                    reason_text="spam",
                    model_version="v-active",
                    shadow=ShadowDecision("v-candidate", shadow, {"spam": spam, "toxicity": 0.1}),
                )
                for comment_id, shadow, spam in zip(
                    ids,
                    [CommentStatus.SPAM, CommentStatus.PENDING, CommentStatus.APPROVED],
                    [0.95, 0.6, 0.2],
                    strict=True,
                )
            ],
        )

    every = api.get("/api/v1/moderation/queue", headers=moderator.headers).json()
    differing = api.get(
        "/api/v1/moderation/queue?disagreements=true", headers=moderator.headers
    ).json()
    stats = api.get("/api/v1/moderation/stats", headers=moderator.headers).json()

    assert len(every["items"]) == 3
    assert sorted(item["id"] for item in differing["items"]) == [ids[0], ids[2]]
    shadow = next(item["shadow"] for item in every["items"] if item["id"] == ids[0])
    assert shadow == {
        "version": "v-candidate",
        "status": "spam",
        "scores": {"spam": 0.95, "toxicity": 0.1},
        "differs": True,
    }
    assert (stats["shadow_version"], stats["shadow_scored"], stats["shadow_disagreements"]) == (
        "v-candidate",
        3,
        2,
    )
