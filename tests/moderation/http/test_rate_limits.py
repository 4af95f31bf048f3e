"""Rate limits over the real app and a real Redis: comments per address and per site (and a
site's own limits), wrong keys and tokens per address, calls per key, which address is believed
(X-Forwarded-For only from a trusted proxy), IPv6 by /64, and Redis down (fail open)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select

from moderation.app import create_app
from moderation.config import Settings
from moderation.domain.rates import counted_address
from moderation.domain.statuses import CommentStatus
from moderation.services import sites
from moderation.storage.db import session_scope
from moderation.storage.models import Comment
from tests.conftest import RedisServer, run_moderation
from tests.moderation.conftest import VALID, settings_for
from tests.support.staff import add_account, decided

FLOODER = "198.51.100.7"
READER = "203.0.113.20"
SUGGESTION = {
    "comment": {"text": "A fine comment."},
    "attributeScores": {"TOXICITY": {"summaryScore": {"value": 0}}},
}


def app_with(database_url: str, redis_url: str, **settings: Any) -> FastAPI:
    return create_app(settings_for(database_url, redis_url, **settings))


@contextmanager
def from_address(app: FastAPI, address: str) -> Iterator[TestClient]:
    """A client connecting from `address` (one at a time: each runs the app's lifespan)."""
    with TestClient(
        app, base_url="https://testserver", client=(address, 5000), raise_server_exceptions=False
    ) as client:
        yield client


def comment(number: int, **changes: Any) -> dict[str, Any]:
    return {**VALID, "body": f"Distinct comment number {number}.", **changes}


def stored_comments(database_url: str) -> int:
    with session_scope(database_url) as session:
        return session.execute(select(func.count()).select_from(Comment)).scalar_one()


def add_site(database_url: str, slug: str, **policy: Any) -> sites.SiteInfo:
    with session_scope(database_url) as session:
        return sites.SiteInfo.of(
            sites.add_site(session, slug, slug.title(), "https://news.example", [], policy)
        )


def refused_by(answer: Any) -> str:
    """The limit a 429 of our API names, after checking its shape and Retry-After."""
    assert answer.status_code == 429, answer.text
    body = answer.json()
    assert body["error"] == "rate_limited"
    assert "try again in" in body["message"]
    assert 1 <= int(answer.headers["retry-after"]) <= 3600
    (field,) = body["fields"]
    assert field["field"] == "request"
    rule: str = field["rule"]
    return rule


def test_a_flood_from_one_address_is_refused_while_other_addresses_are_accepted(
    database_url: str, redis_server: RedisServer
) -> None:
    app = app_with(database_url, redis_server.url, rate_per_address="5/minute;50/hour")

    with from_address(app, FLOODER) as flooder:
        flood = [flooder.post("/api/v1/comments", json=comment(n)) for n in range(8)]
        as_form = flooder.post("/api/v1/comments", data=comment(9))
    with from_address(app, READER) as reader:
        other = reader.post("/api/v1/comments", json=comment(10))

    assert [a.status_code for a in flood] == [202] * 5 + [429] * 3
    assert refused_by(flood[5]) == "rate_per_address"
    # The minute's slots free about a minute after the first comment (not 1 s, not an hour).
    assert 45 <= int(flood[5].headers["retry-after"]) <= 60
    # A reader without JavaScript gets the article page again, saying why, their text kept.
    assert as_form.status_code == 429
    assert "too many comments from this address" in as_form.text
    assert "Distinct comment number 9." in as_form.text
    assert int(as_form.headers["retry-after"]) > 0
    assert other.status_code == 202
    # What was refused was not kept.
    assert stored_comments(database_url) == 6


def test_the_limits_hold_when_redis_has_forgotten_their_scripts(
    sqlite_url: str, redis_server: RedisServer
) -> None:
    app = app_with(sqlite_url, redis_server.url, rate_per_address="3/minute;30/hour")

    with from_address(app, FLOODER) as client:
        first = client.post("/api/v1/comments", json=comment(0))
        # As after a restart of Redis: the scripts it had loaded are gone.
        redis.Redis.from_url(redis_server.url).script_flush()
        rest = [client.post("/api/v1/comments", json=comment(n)) for n in range(1, 4)]

    assert [a.status_code for a in [first, *rest]] == [202, 202, 202, 429]


def test_a_sites_own_limit_set_with_the_command_overrides_the_deployments(
    database_url: str, redis_server: RedisServer
) -> None:
    cli = {"database_url": database_url, "redis_url": redis_server.url}
    assert run_moderation("sites", "add", "gazette", settings=cli).returncode == 0
    updated = run_moderation(
        "sites", "update", "gazette", "--policy", "rate_per_address=2/minute", settings=cli
    )
    assert updated.returncode == 0, updated.stderr
    assert "rate_per_address=2/minute" in updated.stdout
    app = app_with(database_url, redis_server.url, rate_per_address="4/minute")

    with from_address(app, FLOODER) as client:
        gazette = [
            client.post("/api/v1/comments", json=comment(n, site_id="gazette")) for n in range(3)
        ]
        default = [client.post("/api/v1/comments", json=comment(n)) for n in range(5)]

    assert [a.status_code for a in gazette] == [202, 202, 429]
    assert [a.status_code for a in default] == [202] * 4 + [429]


def test_a_mistyped_site_limit_is_refused_naming_it(
    database_url: str, redis_server: RedisServer
) -> None:
    cli = {"database_url": database_url, "redis_url": redis_server.url}
    run_moderation("sites", "add", "gazette", settings=cli)

    typo = run_moderation(
        "sites", "update", "gazette", "--policy", "rate_per_address=2/minit", settings=cli
    )

    assert typo.returncode == 2
    assert "rate_per_address" in typo.stderr and "2/minit" in typo.stderr


def test_a_site_is_limited_across_all_addresses(
    database_url: str, redis_server: RedisServer
) -> None:
    app = app_with(database_url, redis_server.url, rate_per_site="3/minute")

    answers = []
    for number in range(4):
        with from_address(app, f"192.0.2.{10 + number}") as client:
            answers.append(client.post("/api/v1/comments", json=comment(number)))

    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    assert refused_by(answers[3]) == "rate_per_site"


def test_a_sites_backend_is_limited_by_the_readers_addresses_it_passes(
    database_url: str, redis_server: RedisServer
) -> None:
    site = add_site(database_url, "gazette")
    app = app_with(database_url, redis_server.url, rate_per_address="2/minute")
    key = {"X-Site-Key": site.secret_key}

    def sent(number: int, **reader: Any) -> int:
        body = comment(number, site_id="gazette", **reader)
        status: int = backend.post("/api/v1/comments", json=body, headers=key).status_code
        return status

    with from_address(app, "192.0.2.200") as backend:
        ann = [sent(n, client_ip="203.0.113.5") for n in range(3)]
        bob = [sent(n, client_ip="203.0.113.6") for n in range(3, 5)]
        unknown = [sent(n) for n in range(5, 9)]

    assert ann == [202, 202, 429]
    assert bob == [202, 202]
    # Readers whose address the backend did not pass are counted for the site only.
    assert unknown == [202] * 4


def test_ipv6_readers_are_counted_by_their_64(database_url: str, redis_server: RedisServer) -> None:
    app = app_with(database_url, redis_server.url, rate_per_address="2/minute")

    answers = {}
    for number, address in enumerate(
        ["2001:db8:1:2::1", "2001:db8:1:2::beef", "2001:db8:1:2:ffff::1", "2001:db8:1:3::1"]
    ):
        with from_address(app, address) as client:
            answers[address] = client.post("/api/v1/comments", json=comment(number)).status_code

    assert answers == {
        "2001:db8:1:2::1": 202,
        "2001:db8:1:2::beef": 202,
        "2001:db8:1:2:ffff::1": 429,  # the same /64 as the two before
        "2001:db8:1:3::1": 202,
    }


@pytest.mark.parametrize(
    ("host", "counted"),
    [
        ("203.0.113.5", "203.0.113.5"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.5", "203.0.113.5"),
        ("testclient", "testclient"),
        (None, None),
        ("", None),
    ],
)
def test_the_address_a_request_is_counted_by(host: str | None, counted: str | None) -> None:
    assert counted_address(host) == counted


def test_rate_limits_can_be_switched_off(sqlite_url: str, redis_server: RedisServer) -> None:
    app = app_with(
        sqlite_url, redis_server.url, rate_limits_enabled=False, rate_per_address="1/minute"
    )

    with from_address(app, FLOODER) as client:
        answers = [client.post("/api/v1/comments", json=comment(n)) for n in range(3)]

    assert [a.status_code for a in answers] == [202] * 3


@pytest.mark.parametrize(
    "name",
    [
        "rate_per_address",
        "rate_per_site",
        "rate_per_key",
        "rate_auth_failures_per_address",
        "rate_sign_ins_per_address",
        "rate_notices_per_address",
    ],
)
@pytest.mark.parametrize("typo", ["10/minit", "ten a minute", "", "0/minute"])
def test_a_mistyped_rate_setting_fails_at_start_up(name: str, typo: str) -> None:
    with pytest.raises(ValidationError, match=name):
        Settings(**{name: typo})


def test_the_api_does_not_start_with_a_mistyped_rate(sqlite_url: str) -> None:
    started = run_moderation(
        "api",
        "--port",
        "1",
        settings={"database_url": sqlite_url, "rate_per_address": "10/minit"},
        timeout=60,
    )

    assert started.returncode != 0
    assert "MODERATION_RATE_PER_ADDRESS" in started.stderr and "10/minit" in started.stderr
    assert "Traceback" not in started.stderr


def test_a_bad_trusted_proxy_fails_at_start_up() -> None:
    with pytest.raises(ValidationError, match="trusted_proxies"):
        Settings(trusted_proxies="10.0.0.1,proxy.internal")
    assert Settings(trusted_proxies="10.0.0.1, 192.168.0.0/16").trusted_proxies == [
        "10.0.0.1",
        "192.168.0.0/16",
    ]


# Wrong keys and tokens: after the limit, 429 for every further try, even with the right key,
# before the key is looked at; the right key from another address still works.


@dataclass
class Guessing:
    guesses: list[Any]  # four wrong keys from the attacker's address
    right_from_attacker: Any  # then the right key from there
    right: Any  # the right key from another address


def guessing(database_url: str, redis_url: str, right_key: str, send: Any) -> Guessing:
    """An attacker guesses keys past the limit of three failures a minute, then the right key
    is tried from the attacker's address and from another."""
    app = app_with(database_url, redis_url, rate_auth_failures_per_address="3/minute")
    with from_address(app, FLOODER) as attacker:
        guesses = [send(attacker, f"sk_guess{n}") for n in range(4)]
        right_from_attacker = send(attacker, right_key)
    with from_address(app, READER) as owner:
        right = send(owner, right_key)
    return Guessing(guesses, right_from_attacker, right)


def test_wrong_site_keys_from_one_address_are_refused_past_the_limit(
    database_url: str, redis_server: RedisServer
) -> None:
    site = add_site(database_url, "gazette")

    def submit(client: TestClient, key: str) -> Any:
        body = comment(1, site_id="gazette")
        return client.post("/api/v1/comments", json=body, headers={"X-Site-Key": key})

    tried = guessing(database_url, redis_server.url, site.secret_key, submit)

    assert [g.status_code for g in tried.guesses] == [401] * 3 + [429]
    assert refused_by(tried.guesses[3]) == "rate_auth_failures_per_address"
    assert refused_by(tried.right_from_attacker) == "rate_auth_failures_per_address"
    assert tried.right.status_code == 202


def test_wrong_akismet_keys_from_one_address_are_refused_past_the_limit(
    sqlite_url: str, redis_server: RedisServer
) -> None:
    site = add_site(sqlite_url, "gazette")

    def verify(client: TestClient, key: str) -> Any:
        form = {"key": key, "blog": "https://news.example"}
        return client.post("/1.1/verify-key", data=form)

    tried = guessing(sqlite_url, redis_server.url, site.secret_key, verify)
    guesses, right = tried.guesses, tried.right

    assert [(g.status_code, g.text) for g in guesses[:3]] == [(200, "invalid")] * 3
    for refused in (guesses[3], tried.right_from_attacker):
        # Neither `invalid` (a bad key) nor `true`/`false`: clients hold the comment.
        assert (refused.status_code, refused.text) == (429, "rate limited")
        assert int(refused.headers["retry-after"]) > 0
        assert "failed authentications" in refused.headers["x-akismet-error"]
    assert (right.status_code, right.text) == (200, "valid")


def test_wrong_perspective_keys_from_one_address_are_refused_past_the_limit(
    sqlite_url: str, redis_server: RedisServer
) -> None:
    site = add_site(sqlite_url, "gazette")

    def suggest(client: TestClient, key: str) -> Any:
        return client.post(f"/v1alpha1/comments:suggestscore?key={key}", json=SUGGESTION)

    tried = guessing(sqlite_url, redis_server.url, site.secret_key, suggest)
    guesses, right = tried.guesses, tried.right

    assert [g.status_code for g in guesses[:3]] == [400] * 3
    assert guesses[0].json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"
    for refused in (guesses[3], tried.right_from_attacker):
        assert refused.status_code == 429
        error = refused.json()["error"]
        assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED")
        assert error["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"
        assert int(refused.headers["retry-after"]) > 0
    assert right.status_code == 200, right.text


def test_wrong_moderation_tokens_from_one_address_are_refused_past_the_limit(
    database_url: str, redis_server: RedisServer
) -> None:
    mona = add_account(database_url, "mona")

    def me(client: TestClient, token: str) -> Any:
        return client.get("/api/v1/moderation/me", headers={"Authorization": f"Bearer {token}"})

    tried = guessing(database_url, redis_server.url, mona.token, me)

    assert [g.status_code for g in tried.guesses[:3]] == [401] * 3
    assert refused_by(tried.guesses[3]) == "rate_auth_failures_per_address"
    assert refused_by(tried.right_from_attacker) == "rate_auth_failures_per_address"
    assert tried.right.status_code == 200
    assert tried.right.json()["name"] == "mona"


def test_calls_with_one_key_are_limited_per_key_and_api(
    sqlite_url: str, redis_server: RedisServer
) -> None:
    site = add_site(sqlite_url, "gazette")
    other = add_site(sqlite_url, "herald")
    app = app_with(sqlite_url, redis_server.url, rate_per_key="3/minute")

    with from_address(app, READER) as client:
        akismet = [
            client.post("/1.1/verify-key", data={"key": site.secret_key, "blog": "x"})
            for _ in range(4)
        ]
        perspective = [
            client.post(f"/v1alpha1/comments:suggestscore?key={site.secret_key}", json=SUGGESTION)
            for _ in range(4)
        ]
        herald = client.post("/1.1/verify-key", data={"key": other.secret_key, "blog": "x"})

    assert [a.text for a in akismet] == ["valid"] * 3 + ["rate limited"]
    assert akismet[3].status_code == 429
    assert "this key" in akismet[3].headers["x-akismet-error"]
    assert [p.status_code for p in perspective] == [200] * 3 + [429]
    assert perspective[3].json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert int(perspective[3].headers["retry-after"]) > 0
    assert herald.text == "valid"


# Which address is believed.


def published(client: TestClient, database_url: str) -> int:
    answer = client.post("/api/v1/comments", json=comment(1))
    assert answer.status_code == 202, answer.text
    comment_id: int = answer.json()["id"]
    decided(database_url, comment_id, CommentStatus.APPROVED, {"spam": 0.01, "toxicity": 0.1})
    return comment_id


def reported_with_forwarded_addresses(client: TestClient, comment_id: int) -> list[Any]:
    return [
        client.post(
            f"/api/v1/comments/{comment_id}/reports",
            json={"reason": "abuse"},
            headers={"X-Forwarded-For": f"192.0.2.{n}"},
        )
        for n in (1, 2, 3)
    ]


def test_x_forwarded_for_from_an_untrusted_client_is_not_believed(
    database_url: str, redis_server: RedisServer
) -> None:
    app = app_with(database_url, redis_server.url, reports_to_hide=3)

    with from_address(app, FLOODER) as client:
        comment_id = published(client, database_url)
        reports = reported_with_forwarded_addresses(client, comment_id)
        thread = client.get(f"/api/v1/articles/{VALID['article_id']}/comments").json()

    # One client, one address: its three reports count once and the comment stays up.
    assert [r.json()["hidden"] for r in reports] == [False, False, False]
    assert [c["id"] for c in thread["comments"]] == [comment_id]
    with session_scope(database_url) as session:
        assert session.get(Comment, comment_id).client_ip == FLOODER  # type: ignore[union-attr]


def test_x_forwarded_for_from_a_trusted_proxy_is_believed(
    database_url: str, redis_server: RedisServer
) -> None:
    proxy = "10.0.0.5"
    app = app_with(
        database_url, redis_server.url, reports_to_hide=3, trusted_proxies=["10.0.0.0/24"]
    )

    with from_address(app, proxy) as client:
        comment_id = published(client, database_url)
        reports = reported_with_forwarded_addresses(client, comment_id)
        forwarded = client.post(
            "/api/v1/comments", json=comment(2), headers={"X-Forwarded-For": "203.0.113.77"}
        )

    # Three readers behind the proxy: the third report hides the comment.
    assert [r.json()["hidden"] for r in reports] == [False, False, True]
    with session_scope(database_url) as session:
        stored = session.get(Comment, forwarded.json()["id"])
        assert stored is not None and stored.client_ip == "203.0.113.77"


# Redis down: the limits are not applied, nothing is refused or lost.


def test_a_comment_is_accepted_and_stored_while_redis_is_down(
    database_url: str, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    app = app_with(database_url, redis_server.url, rate_per_address="1/minute")
    redis_server.stop()

    with caplog.at_level(logging.INFO), from_address(app, FLOODER) as client:
        answers = [client.post("/api/v1/comments", json=comment(n)) for n in range(3)]
        statuses = [client.get(a.json()["status_url"]).json()["status"] for a in answers]

    assert [a.status_code for a in answers] == [202] * 3
    assert statuses == ["queued"] * 3
    assert stored_comments(database_url) == 3
    assert "rate limits not applied for now (fail open)" in caplog.text
    assert FLOODER not in caplog.text
