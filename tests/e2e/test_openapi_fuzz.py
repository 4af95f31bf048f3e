"""Schemathesis against the served API: requests generated from our own OpenAPI schema (its
examples, its boundaries and negative cases, then seeded random ones) to every operation in it,
the moderation API with a moderator's token (an admin's for /api/v1/admin). Every answer must be
no 5xx, a status the schema documents for that operation, of the documented content type, with
the documented headers, and conform to the documented body schema.

The app is served by uvicorn on a free port, in a thread of this process: real HTTP through the
server production runs (its parser, its connection handling: a server error that drops the
connection shows as one), while the app is built here with the Settings this test chooses (rate
limiting off, so no 429 cuts the run short) and shares nothing else with the test. Behind it a
real PostgreSQL database (as production; it refuses what SQLite lets through, such as NUL in
text) and a real Redis; no worker, so comments stay queued, which no route cares about, but a
worker's heartbeat, so /readyz is ready.

Bounded: a fixed seed and MAX_EXAMPLES random requests per operation, with the schema's boundary
and negative cases, keep the run reproducible and within a few minutes on a 2-core machine.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
import uvicorn
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from moderation.app import create_app
from moderation.config import Settings
from moderation.domain.statuses import CommentStatus
from moderation.services.accounts import Role
from moderation.storage.migrate import upgrade
from tests.conftest import RedisServer, _postgres_database, free_port, require
from tests.moderation.conftest import VALID
from tests.support.heartbeats import beat
from tests.support.stack import http
from tests.support.staff import Account, add_account, decided

SEED = 20_251_104
MAX_EXAMPLES = 100
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
        # Stateful testing needs links between operations, which the schema does not declare.
        "phases": {"stateful": {"enabled": False}},
    }
)


def _settings(database_url: str, redis_url: str) -> Settings:
    # A run of thousands of requests from one address must not be throttled; and the worker's
    # one heartbeat (below) keeps /readyz ready for the whole run, so a 503 there is a bug.
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        rate_limits_enabled=False,
        worker_stale_seconds=3600,
    )


# Built at import, without a database, so pytest lists one test per operation.
schema = schemathesis.openapi.from_dict(
    create_app(_settings("sqlite://", "redis://127.0.0.1:1/0")).openapi(), config=CONFIG
)


@dataclass
class Served:
    base: str
    moderator: Account
    admin: Account
    requests: int = 0

    def headers_for(self, path: str) -> dict[str, str]:
        if path.startswith("/api/v1/admin/"):
            return self.admin.headers
        if path.startswith("/api/v1/moderation/"):
            return self.moderator.headers
        return {}


def _seed_comments(base: str, database_url: str) -> None:
    """Comments in every state the reads show: published (with a reply), held, queued."""
    ids = []
    for number in range(4):
        status, answer = http(
            "POST", f"{base}/api/v1/comments", {**VALID, "body": f"Comment number {number}."}
        )
        assert status == 202, answer
        ids.append(answer["id"])
    status, answer = http(
        "POST", f"{base}/api/v1/comments", {**VALID, "parent_id": ids[0], "body": "A reply."}
    )
    assert status == 202, answer
    for comment, outcome in zip(
        [ids[0], answer["id"], ids[1], ids[2]],
        [CommentStatus.APPROVED, CommentStatus.APPROVED, CommentStatus.PENDING, CommentStatus.SPAM],
        strict=True,
    ):
        decided(database_url, comment, outcome, {"spam": 0.1, "toxicity": 0.2})


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Served]:
    require(shutil.which("redis-server") is not None, "redis-server is not on PATH")
    redis = RedisServer(tmp_path_factory.mktemp("fuzz-redis"))
    redis.start()
    try:
        for database_url in _postgres_database():
            upgrade(database_url)
            beat(redis.url)
            moderator = add_account(database_url, "fuzz-moderator", Role.MODERATOR)
            admin = add_account(database_url, "fuzz-admin", Role.ADMIN)
            app = create_app(_settings(database_url, redis.url))
            port = free_port()
            server = uvicorn.Server(
                uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
            )
            thread = threading.Thread(target=server.run, name="fuzzed-api", daemon=True)
            thread.start()
            try:
                _wait_until_started(server, thread)
                base = f"http://127.0.0.1:{port}"
                _seed_comments(base, database_url)
                served = Served(base, moderator, admin)
                yield served
                print(f"\nschemathesis: {served.requests} requests, seed {SEED}")
            finally:
                server.should_exit = True
                thread.join(30)
    finally:
        redis.stop()


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    for _ in range(300):
        if server.started:
            return
        assert thread.is_alive(), "uvicorn stopped while starting"
        time.sleep(0.05)
    raise AssertionError("uvicorn did not start")


@schema.parametrize()
def test_every_answer_is_documented_and_no_request_gives_a_server_error(
    case: schemathesis.Case, served: Served
) -> None:
    served.requests += 1
    case.call_and_validate(
        base_url=served.base,
        headers=served.headers_for(case.path),
        checks=CHECKS,
        timeout=30,
    )


def test_the_run_covers_every_operation_of_the_schema() -> None:
    """Nothing in the schema is left out of the run (a filter or an exclusion would be)."""
    document: dict[str, Any] = schema.raw_schema
    documented = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    fuzzed = {
        (operation.ok().method.upper(), operation.ok().path)
        for operation in schema.get_all_operations()
    }
    assert fuzzed == documented
    assert ("GET", "/api/v1/moderation/queue") in fuzzed
    assert ("POST", "/api/v1/admin/word-rules") in fuzzed
