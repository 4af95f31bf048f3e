"""Every Prometheus metric the service exports, defined once, for the API and the workers.

How processes share them: prometheus_client's multiprocess mode. A process started with
`PROMETHEUS_MULTIPROC_DIR` set writes each value to a memory-mapped file of its own in that
directory (an increment is a write to the page, no lock shared across processes), and an
exposition reads the whole directory. This is what makes Celery's prefork pool countable at
all (its tasks run in child processes that serve no port), and what lets several API
processes on one host be scraped as one:

- `moderation up` gives its API, worker and trainer one fresh directory, so the API's
  `/metrics` shows everything the stack does (one target to scrape).
- `moderation worker` without the variable makes a private directory for its pool and serves
  it on `MODERATION_WORKER_METRICS_PORT` (one target per worker host or pod).
- `moderation api` without it keeps its values in memory (one process, one target).

Serving a port from every pool process instead would need a port per child, which a pool that
replaces its children cannot keep stable. Gauges set in several processes (the heartbeats)
are merged by taking the highest value; the queue depths and the backlog in the database are
not stored at all but read when scraped (`moderation.http.metrics`).

Labels take only values from small closed sets (route templates, never raw paths; statuses;
rule names; model versions), so the number of series stays bounded whatever anyone sends.
"""

from __future__ import annotations

from pathlib import Path

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

# Seconds. A request is answered in milliseconds; anything past a few seconds is an outage.
_REQUEST_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# From a comment's arrival to its decision: well under a second when the workers keep up;
# minutes when they are away and the sweep (every 60 s) re-sends.
_DECISION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)
# One model call for a batch of up to 200 comments.
_SCORING_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "moderation_http_requests",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
HTTP_REQUEST_SECONDS = Histogram(
    "moderation_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=_REQUEST_BUCKETS,
)
COMMENTS_ACCEPTED = Counter(
    "moderation_comments_accepted",
    "Comments stored as queued, by way in: api, form, widget or akismet.",
    ["way_in"],
)
DECISIONS = Counter(
    "moderation_decisions",
    "Comments decided by the workers, by status, first reason (rule) and model version.",
    ["status", "reason", "model_version"],
)
SUBMIT_TO_DECISION_SECONDS = Histogram(
    "moderation_submit_to_decision_seconds",
    "From a comment's creation to its decision being recorded by a worker.",
    buckets=_DECISION_BUCKETS,
)
SWEEP_RESENT = Counter(
    "moderation_sweep_resent_comments",
    "Comments the sweep sent again because they were still queued (a lost message).",
)
WEBHOOK_DELIVERIES = Counter(
    "moderation_webhook_deliveries",
    "Webhook delivery attempts, by result: delivered, retrying or failed (given up).",
    ["result"],
)
SCORING_SECONDS = Histogram(
    "moderation_scoring_batch_duration_seconds",
    "Time the model took to score one batch of comments.",
    buckets=_SCORING_BUCKETS,
)
MODEL_LOAD_FAILURES = Counter(
    "moderation_model_load_failures",
    "Times a worker could not load a model version (the active, a promoted or a shadow one).",
)
RETENTION_CLEARED = Counter(
    "moderation_retention_cleared_rows",
    "Rows whose personal data retention cleared (emptied or deleted), by kind: comment_addresses, "
    "removed_texts, report_addresses, report_notes, login_failures, webhook_deliveries, "
    "analyses, expired_sessions.",
    ["kind"],
)
WORKER_HEARTBEAT = Gauge(
    "moderation_worker_heartbeat_timestamp_seconds",
    "Unix time of the last heartbeat of each worker's consumer loop (every few seconds).",
    ["worker"],
    multiprocess_mode="max",
)

# The values a label takes in any deployment start at 0, so that rate() and the alert rules
# see a series from the first scrape (a labelled counter has none until first counted).
for _way_in in ("api", "form", "widget", "akismet"):
    COMMENTS_ACCEPTED.labels(_way_in)
for _result in ("delivered", "retrying", "failed"):
    WEBHOOK_DELIVERIES.labels(_result)

# What the API reads when scraped (moderation.http.metrics): declared here, beside the rest,
# so that the alert rules' test and the documentation find every name in one place.
QUEUE_MESSAGES = "moderation_queue_messages"
QUEUE_OLDEST_AGE = "moderation_queue_oldest_message_age_seconds"
COMMENTS_QUEUED = "moderation_comments_queued"
OLDEST_QUEUED_AGE = "moderation_oldest_queued_comment_age_seconds"


def stored_registry(directory: Path | None) -> CollectorRegistry:
    """The values of every process sharing `directory` (`Settings.metrics_dir`, which this
    process must have been started with), or, without one, this process's own."""
    if directory is None:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(directory))
    return registry


def exposition(directory: Path | None, *registries: CollectorRegistry) -> bytes:
    """The Prometheus text format of the stored values, then of the given registries."""
    return b"".join(generate_latest(r) for r in (stored_registry(directory), *registries))
