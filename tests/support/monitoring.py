"""The example alert rules and Grafana dashboard under deploy/, read for the tests that check
them (tests/test_alert_rules.py) and compare them with a running stack's metrics
(tests/e2e/test_metrics.py)."""

from __future__ import annotations

import json
import re

import yaml

from tests.conftest import ROOT

RULES = ROOT / "deploy/prometheus/alerts.yml"
DASHBOARD = ROOT / "deploy/grafana/moderation-dashboard.json"
METRIC = re.compile(r"\bmoderation_[a-z0-9_]+\b")


def rule_expressions() -> list[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def dashboard_expressions() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel["targets"]]


def rule_metric_names() -> set[str]:
    return {name for expr in rule_expressions() for name in METRIC.findall(expr)}


def dashboard_metric_names() -> set[str]:
    return {name for expr in dashboard_expressions() for name in METRIC.findall(expr)}
