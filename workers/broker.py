"""A workaround in the broker client, applied when the workers' Celery app is created."""

from __future__ import annotations

from typing import Any


def survive_a_lost_broker() -> None:
    """Keep the worker alive when Redis goes away (Celery 5.7 / kombu 5.7).

    On a lost connection, Celery's consumer now collects the broker connection and then
    closes it. Closing the Redis channel restores its unacknowledged messages through a new
    client, whose address it reads from `transport.client`, which the collect has already
    set to None. The AttributeError escapes `ignore_errors`, which swallows only connection
    errors, and the whole worker exits instead of reconnecting. The trace we saw in CI ran
    through on_connection_error_after_connected, Channel.close, restore_unacked and
    _connparams.

    With Redis down nothing can be restored anyway. The messages stay unacknowledged in
    Redis until the visibility timeout, and the sweep re-sends queued comments. So the
    missing address is reported as the connection error it is.
    """
    try:
        from kombu.transport.redis import Channel
        from redis.exceptions import ConnectionError as RedisConnectionError
    except ImportError:  # pragma: no cover - redis is a dependency
        return
    if getattr(Channel._connparams, "_lost_connection_safe", False):
        return
    original = Channel._connparams

    def _connparams(self: Any, asynchronous: bool = False) -> Any:
        if self.connection is None or self.connection.client is None:
            raise RedisConnectionError("the broker connection was already closed")
        return original(self, asynchronous)

    _connparams._lost_connection_safe = True  # type: ignore[attr-defined]
    Channel._connparams = _connparams  # type: ignore[method-assign]
