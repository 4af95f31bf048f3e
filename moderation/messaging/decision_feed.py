"""The decision feed: workers announce the comments they have just decided on a Redis channel,
and the API wakes the requests that wait for those decisions (the Akismet-compatible
comment-check answers synchronously, yet its comment is decided by a worker like any other).

Publishing is best effort and subscribing keeps no state in Redis: a message missed (the API was
reconnecting, Redis restarted) only costs latency, because the API also reads the statuses of
every comment still awaited from the database every `poll_seconds`, in one query for all of them.
So a wait ends on the first of: the worker's message, the poll, the caller's timeout.

Waiting costs one future per request; one subscription and one poller serve every waiter of a
process, so a thousand concurrent checks are a thousand futures, not a thousand connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import redis

from moderation.domain.redis_urls import RedisAddress
from moderation.domain.statuses import CommentStatus
from moderation.messaging.redis_clients import async_client, sync_client

log = logging.getLogger(__name__)

CHANNEL = "moderation:decisions"
# Decisions remembered after their message arrived with nobody waiting: a fast worker can decide
# a comment before the request that stored it starts waiting. A few seconds of traffic.
RECENT = 4096


@dataclass(frozen=True, slots=True)
class Decided:
    """A comment's decided status and its spam score (None: decided without scoring)."""

    comment_id: int
    status: CommentStatus
    spam: float | None = None


def encode(decided: Iterable[Decided]) -> str:
    return json.dumps({"decided": [[d.comment_id, d.status.value, d.spam] for d in decided]})


def decode(raw: bytes | str) -> list[Decided]:
    """The decisions of one message; a message this version cannot read yields none."""
    try:
        items = json.loads(raw)["decided"]
        return [
            Decided(
                int(item[0]), CommentStatus(item[1]), None if item[2] is None else float(item[2])
            )
            for item in items
        ]
    except (ValueError, KeyError, TypeError, IndexError):
        log.warning("ignoring a decision message this version cannot read: %.200r", raw)
        return []


# --- the workers' side -------------------------------------------------------------------------

_publishers: dict[RedisAddress, redis.Redis] = {}
_publishers_lock = threading.Lock()


def _publisher(address: RedisAddress) -> redis.Redis:
    with _publishers_lock:
        client = _publishers.get(address)
        if client is None:
            # Short timeouts: a publish must never hold up a worker when Redis is slow or away.
            client = sync_client(address, socket_connect_timeout=1, socket_timeout=1)
            _publishers[address] = client
        return client


def publish_decisions(address: RedisAddress | None, decided: Sequence[Decided]) -> bool:
    """Announce committed decisions; best effort (False when Redis refused): waiting requests
    then learn them from the database a moment later."""
    if not decided or address is None:
        return False
    try:
        _publisher(address).publish(CHANNEL, encode(decided))
    except Exception as error:  # Redis away or slow: the waiters' poll recovers
        log.warning(
            "could not announce %d decision(s) (first comment %d): %s",
            len(decided),
            decided[0].comment_id,
            error,
        )
        return False
    return True


# --- the API's side ----------------------------------------------------------------------------

# Given comment ids, those of them decided by now (runs in a thread: it queries the database).
ReadDecided = Callable[[list[int]], list[Decided]]


class DecisionFeed:
    """One subscription to the decision channel per process, and the requests waiting on it.

    Its tasks start on the first wait, in the event loop of that request, and `stop()` ends
    them. Thread-safe it is not: everything runs in the one event loop of the API process.
    """

    def __init__(
        self,
        address: RedisAddress,
        read_decided: ReadDecided,
        poll_seconds: float = 0.5,
        reconnect_max_seconds: float = 5.0,
    ) -> None:
        self._address = address
        self._read_decided = read_decided
        self._poll_seconds = poll_seconds
        self._reconnect_max = reconnect_max_seconds
        self._waiters: dict[int, list[asyncio.Future[Decided]]] = {}
        self._recent: OrderedDict[int, Decided] = OrderedDict()
        self._tasks: list[asyncio.Task[None]] = []
        self._subscribed: asyncio.Event | None = None
        self._ever_subscribed = False
        self.messages = 0  # decision messages received (for tests and figures)
        self.polls = 0  # database reads made on behalf of waiters

    @property
    def subscribed(self) -> bool:
        return self._subscribed is not None and self._subscribed.is_set()

    async def ready(self, timeout: float) -> bool:
        """Start the feed if needed and wait up to `timeout` for its first subscription: a
        comment queued after this cannot be decided before the feed hears of it. Once it has
        subscribed, this never waits: while it subscribes again (Redis restarted), waits rely
        on the poll. False while not subscribed."""
        self._start()
        assert self._subscribed is not None
        if self._subscribed.is_set() or self._ever_subscribed:
            return self._subscribed.is_set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), timeout)
        return self._subscribed.is_set()

    async def wait(self, comment_id: int, timeout: float) -> Decided | None:
        """The comment's decision, or None if none came within `timeout` seconds."""
        self._start()
        known = self._recent.pop(comment_id, None)
        if known is not None:
            return known
        future: asyncio.Future[Decided] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(comment_id, []).append(future)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return None
        finally:
            waiting = self._waiters.get(comment_id)
            if waiting is not None:
                with contextlib.suppress(ValueError):
                    waiting.remove(future)
                if not waiting:
                    del self._waiters[comment_id]

    @property
    def waiting(self) -> int:
        return sum(len(w) for w in self._waiters.values())

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._subscribed = None
        self._ever_subscribed = False

    def _start(self) -> None:
        if self._tasks:
            return
        self._subscribed = asyncio.Event()
        self._tasks = [
            asyncio.create_task(self._listen(), name="decision-feed-listen"),
            asyncio.create_task(self._poll(), name="decision-feed-poll"),
        ]

    def _settle(self, decided: Iterable[Decided], remember: bool) -> None:
        for item in decided:
            waiting = self._waiters.pop(item.comment_id, None)
            if waiting:
                for future in waiting:
                    if not future.done():
                        future.set_result(item)
            elif remember:
                self._recent[item.comment_id] = item
                while len(self._recent) > RECENT:
                    self._recent.popitem(last=False)

    async def _listen(self) -> None:
        """Subscribe, hand every message to the waiters; on any trouble reconnect, backing off
        up to `reconnect_max_seconds`."""
        assert self._subscribed is not None
        delay = 0.1
        while True:
            client: Any = async_client(
                self._address, socket_connect_timeout=2, health_check_interval=15
            )
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(CHANNEL)
                self._subscribed.set()
                self._ever_subscribed = True
                delay = 0.1
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
                    if message is not None and message.get("type") == "message":
                        self.messages += 1
                        self._settle(decode(message["data"]), remember=True)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("decision feed: %s; subscribing again in %.1f s", error, delay)
            finally:
                self._subscribed.clear()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                with contextlib.suppress(Exception):
                    await client.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._reconnect_max)

    async def _poll(self) -> None:
        """Read the statuses of every awaited comment in one query, every `poll_seconds`."""
        while True:
            await asyncio.sleep(self._poll_seconds)
            if not self._waiters:
                continue
            ids = list(self._waiters)
            try:
                found = await asyncio.to_thread(self._read_decided, ids)
            except Exception as error:  # the database is away: the waits time out
                log.warning("decision feed: cannot read %d status(es): %s", len(ids), error)
                continue
            self.polls += 1
            self._settle(found, remember=False)
