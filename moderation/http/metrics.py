"""Serving the metrics (moderation/metrics.py): who may read them, what is read at scrape time
(the queues' depths in Redis, the comments still queued in the database), and the separate
port an operator may choose instead of /metrics on the API's own.

Who may read /metrics on the API's port:
- with `MODERATION_METRICS_TOKEN` set, whoever sends `Authorization: Bearer <token>`;
- otherwise, loopback clients whose request came through no proxy (no Forwarded or
  X-Forwarded-For header: a reverse proxy on the same host would make everyone look local).
  A laptop or a sidecar can scrape with no set-up, and a public deployment shows nothing until
  its operator chooses a token or `MODERATION_METRICS_PORT`. The numbers hold no personal data,
  but they tell a site's traffic, which is not everyone's business.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import CONTENT_TYPE_LATEST, ThreadingWSGIServer
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from moderation.config import Settings
from moderation.messaging.backlog import read_backlogs
from moderation.messaging.queues import QUEUES
from moderation.messaging.redis_clients import redis_client
from moderation.metrics import (
    COMMENTS_QUEUED,
    OLDEST_QUEUED_AGE,
    QUEUE_MESSAGES,
    QUEUE_OLDEST_AGE,
    exposition,
)
from moderation.storage import comments as comment_store
from moderation.storage.db import session_scope

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
_FORWARDED = ("forwarded", "x-forwarded-for", "x-real-ip")


def token_matches(settings: Settings, authorization: str | None) -> bool:
    if settings.metrics_token is None:
        return False
    expected = f"Bearer {settings.metrics_token.get_secret_value()}".encode()
    return hmac.compare_digest((authorization or "").encode(), expected)


def is_local(host: str | None, headers: Iterable[str]) -> bool:
    """A loopback peer that came through no proxy."""
    if host is None or any(name.lower() in _FORWARDED for name in headers):
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ScrapeTime(Collector):
    """The depths read when scraped. A part that cannot be reached leaves its metrics out of
    this scrape (Prometheus then sees them absent) and never fails the others."""

    def __init__(self, settings: Settings) -> None:
        self._database_url = settings.database_url
        # One connection per scraping process, with short timeouts: a scrape must not hang.
        address = settings.redis_address
        self._redis = redis_client(address) if address is not None else None

    def collect(self) -> Iterator[Metric]:
        yield from self._queue_metrics()
        yield from self._backlog_metrics()

    def _queue_metrics(self) -> Iterator[Metric]:
        if self._redis is None:
            return
        try:
            backlogs = read_backlogs(self._redis, QUEUES, time.time())
        except Exception as error:  # Redis away: the readiness check says so too
            log.warning("metrics: cannot read the queues: %s", error)
            return
        messages = GaugeMetricFamily(
            QUEUE_MESSAGES, "Messages waiting in each Celery queue.", labels=["queue"]
        )
        oldest = GaugeMetricFamily(
            QUEUE_OLDEST_AGE,
            "Seconds since the oldest message waiting in each queue was sent (0: empty).",
            labels=["queue"],
        )
        for backlog in backlogs:
            messages.add_metric([backlog.queue], backlog.depth)
            if backlog.depth == 0:
                oldest.add_metric([backlog.queue], 0.0)
            elif backlog.oldest_age is not None:  # else sent by a version without the header
                oldest.add_metric([backlog.queue], backlog.oldest_age)
        yield messages
        yield oldest

    def _backlog_metrics(self) -> Iterator[Metric]:
        try:
            with session_scope(self._database_url) as session:
                count, first = comment_store.queued_backlog(session)
        except Exception as error:
            log.warning("metrics: cannot count the queued comments: %s", error)
            return
        age = (datetime.now(UTC) - first).total_seconds() if first is not None else 0.0
        yield GaugeMetricFamily(
            COMMENTS_QUEUED, "Comments stored and not yet decided.", value=count
        )
        yield GaugeMetricFamily(
            OLDEST_QUEUED_AGE,
            "Seconds since the oldest comment still queued was created (0: none).",
            value=max(0.0, age),
        )


def scrape_registry(settings: Settings) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ScrapeTime(settings))
    return registry


def render(settings: Settings, registry: CollectorRegistry) -> bytes:
    return exposition(settings.metrics_dir, registry)


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], list[bytes]]


def wsgi_app(settings: Settings, body: Callable[[], bytes]) -> WSGIApp:
    """The metrics on a port of their own: any path, the token required when one is set."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if settings.metrics_token is not None and not token_matches(
            settings, environ.get("HTTP_AUTHORIZATION")
        ):
            start_response("401 Unauthorized", [("WWW-Authenticate", "Bearer")])
            return [b"a bearer token is required\n"]
        started = time.perf_counter()
        output = body()
        log.debug("metrics scraped in %.1f ms", (time.perf_counter() - started) * 1000)
        start_response("200 OK", [("Content-Type", CONTENT_TYPE)])
        return [output]

    return app


class MetricsServer:
    """A small threaded HTTP server for the metrics, in a daemon thread of this process."""

    def __init__(self, host: str, port: int, app: WSGIApp) -> None:
        self._server = make_server(
            host, port, app, server_class=ThreadingWSGIServer, handler_class=_Quiet
        )
        self.port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="metrics-server", daemon=True
        )

    def start(self) -> MetricsServer:
        self._thread.start()
        log.info("metrics served on port %d", self.port)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
