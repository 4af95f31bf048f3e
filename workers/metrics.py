"""The workers' side of the metrics and logs (the metrics are defined in moderation.metrics).

- The heartbeat gauge, `moderation_worker_heartbeat_timestamp_seconds{worker}`, is set with each
  beat of workers/heartbeat.py, from the worker's event loop.
- The figures of each decided batch, counted once it is committed, and its one log line.
- `MODERATION_WORKER_METRICS_PORT`: the worker's pool's metrics on a port of its own.
- `MODERATION_LOG_FORMAT=json`: Celery's log handlers get the JSON formatter.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from celery.signals import after_setup_logger, after_setup_task_logger, worker_ready

from moderation.config import get_settings
from moderation.domain.records import DecisionRecord
from moderation.http.metrics import MetricsServer, wsgi_app
from moderation.logs import use_format
from moderation.messaging.queues import REQUEST_IDS_HEADER
from moderation.metrics import (
    DECISIONS,
    SUBMIT_TO_DECISION_SECONDS,
    WEBHOOK_DELIVERIES,
    exposition,
)
from moderation.storage.comments import QueuedComment

log = logging.getLogger("workers.decisions")

_server: MetricsServer | None = None


@worker_ready.connect
def _serve_metrics(**_kwargs: Any) -> None:
    """In the worker's main process, once its pool has started (the children do not inherit
    the listening socket)."""
    global _server
    settings = get_settings()
    if settings.worker_metrics_port is None or _server is not None:
        return
    page = wsgi_app(settings, lambda: exposition(settings.metrics_dir))
    _server = MetricsServer(settings.host, settings.worker_metrics_port, page).start()


@after_setup_logger.connect
@after_setup_task_logger.connect
def _json_lines(logger: logging.Logger | None = None, **_kwargs: Any) -> None:
    if logger is not None and get_settings().log_format == "json":
        use_format("json", logger)


def request_ids_of(request: Any) -> list[str]:
    """The ids of the requests whose comments a decide task carries (a message header)."""
    ids = getattr(request, REQUEST_IDS_HEADER, None)
    if ids is None:
        ids = (getattr(request, "headers", None) or {}).get(REQUEST_IDS_HEADER)
    return [str(i) for i in ids] if isinstance(ids, list) else []


def record_decided(
    comments: Sequence[QueuedComment],
    records: Sequence[DecisionRecord],
    decided: Sequence[int],
    started: float,
    request_ids: Sequence[str],
) -> None:
    """Count a committed batch's decisions and their latency from submission, and log one line
    for it: figures and request ids only, never a comment's text or author."""
    now = datetime.now(UTC)
    ours = set(decided)
    created = {c.id: c.created_at for c in comments}
    labels: Counter[tuple[str, str, str]] = Counter()
    for record in records:
        if record.comment_id not in ours:
            continue
        ours.discard(record.comment_id)  # counted once, like its decision row
        reason = str(record.reasons[0].get("rule", "other")) if record.reasons else "none"
        labels[(record.status.value, reason, record.model_version or "none")] += 1
        at = created.get(record.comment_id)
        if at is not None:
            at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
            SUBMIT_TO_DECISION_SECONDS.observe(max(0.0, (now - at).total_seconds()))
    statuses: Counter[str] = Counter()
    for (status, reason, version), count in labels.items():
        DECISIONS.labels(status, reason, version).inc(count)
        statuses[status] += count
    duration_ms = (time.perf_counter() - started) * 1000
    log.info(
        "decided %d comment(s) in %.0f ms (%s), skipped %d; request ids: %s",
        len(decided),
        duration_ms,
        ", ".join(f"{status} {n}" for status, n in sorted(statuses.items())) or "none",
        len(comments) - len(decided),
        " ".join(request_ids) or "none",
        extra={
            "count": len(decided),
            "statuses": dict(statuses),
            "duration_ms": round(duration_ms, 1),
            "request_ids": list(request_ids),
        },
    )


def count_deliveries(counts: dict[str, int]) -> None:
    """Webhook attempts recorded by one task, by result (a skipped id was no attempt)."""
    for result in ("delivered", "retrying", "failed"):
        if counts.get(result):
            WEBHOOK_DELIVERIES.labels(result).inc(counts[result])
