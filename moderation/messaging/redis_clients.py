"""The one place that turns the configured Redis address into redis-py clients, sync and
asyncio, for one Redis or for the master its Sentinels name (moderation/domain/redis_urls.py
parses the URL). Every client of the service comes from here; Celery reads the same address
through `celery_config()` in queues.py.

A client of a Sentinel address asks the Sentinels for the master when it opens a connection,
and again after the master it was talking to went away or became a replica (redis-py's
SentinelConnectionPool), so after a failover it reaches the new master without a restart.
Closing it closes its connections to the Sentinels too.
"""

from __future__ import annotations

from typing import Any

import redis
import redis.asyncio as aioredis
import redis.asyncio.sentinel as aiosentinel
import redis.sentinel

from moderation.config import Settings
from moderation.domain.redis_urls import RedisAddress


def redis_address(settings: Settings) -> RedisAddress:
    """The configured address; RuntimeError when none is (the embedded Redis of `moderation
    up` is given to its children as MODERATION_REDIS_URL)."""
    address = settings.redis_address
    if address is None:
        raise RuntimeError(
            "no Redis configured: set MODERATION_REDIS_URL, "
            "or start everything with `moderation up`"
        )
    return address


def redis_client(address: RedisAddress, timeout: float = 1.0) -> redis.Redis:
    """A client that gives up within ``timeout`` seconds: health checks must answer fast."""
    return sync_client(address, socket_connect_timeout=timeout, socket_timeout=timeout)


def sync_client(address: RedisAddress, **options: Any) -> redis.Redis:
    """A redis-py client of the master; ``options`` are redis-py's connection options."""
    if not address.is_sentinel:
        return redis.Redis.from_url(address.client_url, **options)
    sentinels = redis.sentinel.Sentinel(
        address.sentinels, sentinel_kwargs=_sentinel_options(address, options)
    )
    return sentinels.master_for(
        address.master_name, redis_class=_SentinelMaster, **_master_options(address, options)
    )


def async_client(address: RedisAddress, **options: Any) -> aioredis.Redis:
    """The same, for asyncio (its connections belong to the event loop that opens them)."""
    if not address.is_sentinel:
        return aioredis.Redis.from_url(address.client_url, **options)
    sentinels = aiosentinel.Sentinel(
        address.sentinels, sentinel_kwargs=_sentinel_options(address, options)
    )
    client: aioredis.Redis = sentinels.master_for(
        address.master_name, redis_class=_AsyncSentinelMaster, **_master_options(address, options)
    )
    return client


def _sentinel_options(address: RedisAddress, options: dict[str, Any]) -> dict[str, Any]:
    """The Sentinels are asked with the same timeouts and retries, and their own password."""
    chosen = {k: v for k, v in options.items() if k.startswith("socket_") or k == "retry"}
    if address.sentinel_password is not None:
        chosen["password"] = address.sentinel_password
    return chosen


def _master_options(address: RedisAddress, options: dict[str, Any]) -> dict[str, Any]:
    chosen = {"db": address.db, **options}
    if address.password is not None:
        chosen["password"] = address.password
    if address.username is not None:
        chosen["username"] = address.username
    return chosen


class _SentinelMaster(redis.Redis):
    """A client of the master that also closes the Sentinel clients that found it."""

    def close(self) -> None:
        manager = getattr(self.connection_pool, "sentinel_manager", None)
        try:
            super().close()
        finally:
            if manager is not None:
                manager.close()


class _AsyncSentinelMaster(aioredis.Redis):
    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        manager = getattr(self.connection_pool, "sentinel_manager", None)
        try:
            await super().aclose(close_connection_pool)
        finally:
            if manager is not None:
                await manager.aclose()
