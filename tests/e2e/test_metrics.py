"""What an operator sees of a running stack: /metrics after real traffic (API and worker as
real processes sharing a metrics directory, as `moderation up` runs them), and the alert
rules and dashboard reading only metrics the service really exports."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import RedisServer
from tests.support.comments import ABUSE, CLEAN, SPAM
from tests.support.monitoring import dashboard_metric_names, rule_metric_names
from tests.support.stack import http

SUBMIT_ROUTE = "/api/v1/comments"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def total(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str):
    """The sum of the samples of `name` that carry these labels."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in found.items() if n == name and wanted <= ls)


def scrape(base: str, headers: dict[str, str] | None = None) -> str:
    status, text = http("GET", f"{base}/metrics", headers=headers)
    assert status == 200, text
    return str(text)


def test_a_stack_counts_fifty_comments_from_submission_to_decision(
    tmp_path: Path, database_url: str, redis_server: RedisServer, stack_factory: Any
) -> None:
    shared = tmp_path / "metrics"
    shared.mkdir()
    stack = stack_factory(database_url, redis_server)
    stack.env["PROMETHEUS_MULTIPROC_DIR"] = str(shared)
    stack.start_worker()
    stack.start_api()
    bodies = [*CLEAN, *SPAM, *ABUSE]
    assert len(bodies) == 50
    for number, body in enumerate(bodies):
        stack.submit("metrics-desk", f"Reader {number}", body)
    stack.wait_until_decided(50, timeout=30)

    found: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the worker counts just after its commit
        found = samples(scrape(stack.base))
        if total(found, "moderation_submit_to_decision_seconds_count") >= 50:
            break
        time.sleep(0.2)
    assert total(found, "moderation_comments_accepted_total") == 50
    assert total(found, "moderation_comments_accepted_total", way_in="api") == 50
    assert total(found, "moderation_decisions_total") == 50
    statuses = {
        dict(labels)["status"]
        for (name, labels), value in found.items()
        if name == "moderation_decisions_total" and value
    }
    assert "approved" in statuses and statuses - {"approved"}, statuses
    assert total(found, "moderation_submit_to_decision_seconds_count") == 50
    assert total(found, "moderation_submit_to_decision_seconds_bucket", le="+Inf") == 50
    route = {"method": "POST", "route": SUBMIT_ROUTE}
    assert total(found, "moderation_http_requests_total", **route, status="202") == 50
    assert total(found, "moderation_http_request_duration_seconds_count", **route) == 50
    assert total(found, "moderation_scoring_batch_duration_seconds_count") >= 1
    assert total(found, "moderation_model_load_failures_total") == 0
    assert total(found, "moderation_sweep_resent_comments_total") == 0
    # Read at scrape time: nothing waits in the database, the comments queue is drained.
    assert total(found, "moderation_comments_queued") == 0
    assert total(found, "moderation_oldest_queued_comment_age_seconds") == 0
    assert total(found, "moderation_queue_messages", queue="comments") == 0
    heartbeats = [
        v for (n, _), v in found.items() if n == "moderation_worker_heartbeat_timestamp_seconds"
    ]
    assert heartbeats and time.time() - max(heartbeats) < 30, heartbeats
    # No raw path, however many comments were looked up by id.
    assert not any("/api/v1/comments/" in dict(ls).get("route", "")[:17] for _, ls in found)

    # The alert rules and the dashboard name only what is exported.
    exported = {name for name, _ in found}
    assert rule_metric_names() <= exported, rule_metric_names() - exported
    assert dashboard_metric_names() <= exported, dashboard_metric_names() - exported


def test_the_queue_metrics_see_a_backlog_while_no_worker_runs(
    tmp_path: Path, database_url: str, redis_server: RedisServer, stack_factory: Any
) -> None:
    stack = stack_factory(database_url, redis_server, metrics_token="s3cret-scraper")
    stack.start_api()  # and no worker
    for number in range(3):
        stack.submit("metrics-desk", f"Reader {number}", CLEAN[number])
    time.sleep(1.2)
    assert http("GET", f"{stack.base}/metrics")[0] == 401
    found = samples(scrape(stack.base, {"Authorization": "Bearer s3cret-scraper"}))
    assert total(found, "moderation_comments_queued") == 3
    assert total(found, "moderation_oldest_queued_comment_age_seconds") >= 1
    assert total(found, "moderation_queue_messages", queue="comments") >= 1
    assert total(found, "moderation_queue_oldest_message_age_seconds", queue="comments") >= 1
