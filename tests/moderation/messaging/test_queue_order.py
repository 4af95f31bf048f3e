"""A worker that serves several queues takes decisions first: `moderation worker` lists
`comments` first whatever order it was given, and the broker (a real Redis, with the service's
transport options) hands out what waits in the first queue before anything of the others."""

from __future__ import annotations

from typing import Any

from commands.workers import worker_argv
from moderation.config import Settings
from moderation.messaging.queues import (
    COMMENTS_QUEUE,
    DECIDE_COMMENTS,
    EXPLAIN_BATCH,
    EXPLANATIONS_QUEUE,
    WEBHOOKS_QUEUE,
    producer_app,
    send_decide,
    send_explain,
)
from tests.conftest import RedisServer


def test_the_worker_serves_comments_first_and_reserves_nothing_beyond_its_task() -> None:
    argv = worker_argv(1, "webhooks, explanations,comments", beat=False, loglevel="INFO")

    assert argv[argv.index("-Q") + 1] == "comments,explanations,webhooks"
    assert "--prefetch-multiplier=1" in argv
    # A worker of one queue keeps the configured prefetch (its throughput).
    only = worker_argv(1, "comments", beat=True, loglevel="INFO")
    assert not any(part.startswith("--prefetch-multiplier") for part in only)
    assert only[only.index("-Q") + 1] == "comments" and "--beat" in only


def test_redis_hands_out_every_waiting_decision_before_an_explanation(
    redis_server: RedisServer,
) -> None:
    app = producer_app(Settings(redis_url=redis_server.url))
    # Two explanation tasks wait, then two decisions.
    send_explain(app, list(range(1, 2 * EXPLAIN_BATCH + 1)))
    send_decide(app, [1])
    send_decide(app, [2])
    # The queues a Celery worker started with `-Q comments,explanations,webhooks` consumes, in
    # the order it passes them to its consumer.
    app.amqp.queues.select([COMMENTS_QUEUE, EXPLANATIONS_QUEUE, WEBHOOKS_QUEUE])
    consumed = list(app.amqp.queues.consume_from.values())
    taken: list[str] = []

    def take(_body: Any, message: Any) -> None:
        taken.append(message.headers["task"])
        message.ack()

    with app.connection_for_read() as connection, connection.Consumer(consumed, callbacks=[take]):
        while len(taken) < 4:
            connection.drain_events(timeout=5)

    # Round-robin (Kombu's default) would alternate: decide, explain, decide, explain.
    assert taken[:2] == [DECIDE_COMMENTS, DECIDE_COMMENTS], taken
