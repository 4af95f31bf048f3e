"""The workers survive Redis going away: closing the lost connection must not crash them."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from kombu.common import ignore_errors
from kombu.transport.redis import Channel
from redis.exceptions import ConnectionError as RedisConnectionError

from workers.broker import survive_a_lost_broker


def test_a_channel_whose_connection_is_gone_reports_a_connection_error() -> None:
    survive_a_lost_broker()
    survive_a_lost_broker()  # applied once, however often the app is created
    # What Celery 5.7's consumer leaves behind after collecting a lost connection.
    orphan = SimpleNamespace(connection=SimpleNamespace(client=None))

    with pytest.raises(RedisConnectionError):
        Channel._connparams(orphan)  # type: ignore[arg-type]

    # ... which the consumer's `ignore_errors(connection, connection.close)` swallows (an
    # AttributeError, as before the workaround, went through it and stopped the worker).
    errors = SimpleNamespace(connection_errors=(RedisConnectionError,), channel_errors=())
    ignore_errors(errors, Channel._connparams, orphan)
