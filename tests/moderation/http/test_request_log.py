"""Request ids, access lines and who may read /metrics, on the real app."""

from __future__ import annotations

import logging
import subprocess
import sys
import urllib.request

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from moderation.app import create_app
from moderation.logs import request_id_from
from tests.conftest import ROOT, RedisServer, free_port
from tests.moderation.conftest import VALID, make_client, settings_for


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [
        ("3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b", True),
        ("Root=1-5759e988-bd862e3fe1be46a994272793", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("", False),
        ("two words", False),
        ("line\nbreak", False),
        ("<script>", False),
        ("ünïcode", False),
    ],
)
def test_an_incoming_request_id_is_kept_only_when_short_and_plain(
    incoming: str, kept: bool
) -> None:
    assert (request_id_from(incoming) == incoming) is kept
    assert len(request_id_from(None)) == 32


def test_every_answer_names_its_request_id_and_logs_one_line_by_route_template(
    shared_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="moderation.access"):
        given = shared_client.post(
            "/api/v1/comments", json=VALID, headers={"X-Request-ID": "req-given-1"}
        )
        made = shared_client.get("/api/v1/comments/987654", headers={"X-Request-ID": "a b"})
        lost = shared_client.get("/no/such/page")
    assert given.status_code == 202 and given.headers["X-Request-ID"] == "req-given-1"
    assert made.status_code == 404 and made.headers["X-Request-ID"] not in ("", "a b")
    assert lost.headers["X-Request-ID"]
    lines = [
        (r.__dict__["method"], r.__dict__["route"], r.__dict__["status"], r.__dict__["request_id"])
        for r in caplog.records
    ]
    assert lines == [
        ("POST", "/api/v1/comments", 202, "req-given-1"),
        ("GET", "/api/v1/comments/{comment_id}", 404, made.headers["X-Request-ID"]),
        ("GET", "unmatched", 404, lost.headers["X-Request-ID"]),
    ]
    assert all(seen not in r.getMessage() for r in caplog.records for seen in ("ann@", "987654"))


def test_metrics_are_refused_to_a_client_that_is_not_local(shared_client: TestClient) -> None:
    # The test client's address is "testclient", not a loopback address.
    answer = shared_client.get("/metrics")
    assert answer.status_code == 403
    assert "MODERATION_METRICS_TOKEN" in answer.json()["message"]


def test_with_a_token_metrics_need_it_and_count_by_route_template(
    database_url: str, redis_server: RedisServer
) -> None:
    with make_client(database_url, redis_server.url, metrics_token="t0ken") as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"] == "Bearer"
        for comment_id in (11, 12, 13):
            client.get(f"/api/v1/comments/{comment_id}")
        answer = client.get("/metrics", headers={"Authorization": "Bearer t0ken"})
    assert answer.status_code == 200
    routes = {
        sample.labels["route"]
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
        if sample.name == "moderation_http_requests_total"
    }
    assert "/api/v1/comments/{comment_id}" in routes
    assert not any(route.startswith("/api/v1/comments/1") for route in routes)


def test_on_a_port_of_their_own_metrics_leave_the_api(
    database_url: str, redis_server: RedisServer
) -> None:
    port = free_port()
    app = create_app(
        settings_for(database_url, redis_server.url, metrics_port=port, host="127.0.0.1")
    )
    with TestClient(app) as client:
        assert client.get("/metrics").status_code == 404
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            text = answer.read().decode()
    assert "moderation_comments_queued" in text


def test_the_commands_do_not_load_prometheus_client_before_a_worker_sets_its_directory() -> None:
    # prometheus_client chooses its multiprocess mode once, when first imported.
    code = "import sys, commands; print('prometheus_client' in sys.modules)"
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert loaded.stdout.strip() == "False", loaded.stderr
