"""The dispatcher sends committed comment ids in batches, and when Redis is away it says so and
leaves them to the sweep instead of failing the request that stored them."""

from __future__ import annotations

import base64
import json
import logging
import time

import pytest
import redis

from moderation.config import Settings
from moderation.messaging.dispatcher import Dispatcher
from moderation.messaging.queues import COMMENTS_QUEUE, DECIDE_COMMENTS, producer_app
from tests.conftest import RedisServer, free_port


def _dispatch(url: str, *batches: list[int]) -> Dispatcher:
    dispatcher = Dispatcher(producer_app(Settings(redis_url=url)), 100, 0.05)
    dispatcher.start()
    for ids in batches:
        dispatcher.submit(ids)
    time.sleep(0.3)  # past the batching window: the ids go out as one batch
    dispatcher.stop()
    return dispatcher


def test_ids_submitted_together_reach_the_comments_queue_as_one_task(
    redis_server: RedisServer,
) -> None:
    dispatcher = _dispatch(redis_server.url, [7, 8], [9])

    assert (dispatcher.sent_batches, dispatcher.failed_batches) == (1, 0)
    (message,) = redis.Redis.from_url(redis_server.url).lrange(COMMENTS_QUEUE, 0, -1)
    task = json.loads(message)
    assert task["headers"]["task"] == DECIDE_COMMENTS
    assert json.loads(base64.b64decode(task["body"]))[0] == [[7, 8, 9]]


def test_with_redis_away_the_batch_is_left_for_the_sweep_and_said_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)

    dispatcher = _dispatch(f"redis://127.0.0.1:{free_port()}/0", [7, 8, 9])

    assert (dispatcher.sent_batches, dispatcher.failed_batches) == (0, 1)
    (line,) = [r.getMessage() for r in caplog.records if "could not queue" in r.getMessage()]
    assert line.startswith("could not queue 3 comments to decide (first id 7); the sweep will:")
