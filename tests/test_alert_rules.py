"""The example alert rules and Grafana dashboard under deploy/: valid for Prometheus (promtool),
and naming only metrics the service defines (tests/e2e/test_metrics.py checks them against a
running stack's /metrics)."""

from __future__ import annotations

import shutil
import subprocess

from tests.conftest import require
from tests.support.monitoring import METRIC, RULES, dashboard_expressions, rule_metric_names


def test_promtool_accepts_the_alert_rules() -> None:
    promtool = shutil.which("promtool")
    require(promtool is not None, "promtool is not on PATH (Debian package prometheus)")
    assert promtool is not None
    checked = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_rules_alert_on_what_operators_asked_for() -> None:
    names = rule_metric_names()
    for wanted in (
        "moderation_comments_queued",  # backlog growing
        "moderation_oldest_queued_comment_age_seconds",  # a comment waits > 60 s
        "moderation_worker_heartbeat_timestamp_seconds",  # no live worker
        "moderation_http_requests_total",  # 5xx rate
        "moderation_webhook_deliveries_total",  # webhook failures
    ):
        assert wanted in names


def test_every_panel_of_the_dashboard_has_a_query() -> None:
    expressions = dashboard_expressions()
    assert len(expressions) >= 10
    assert all(METRIC.search(expr) for expr in expressions)
