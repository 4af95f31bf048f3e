"""Scoring texts through the workers while a request waits (the Perspective-compatible API).

The API never scores: it groups the texts that arrive within a few milliseconds, puts them in
Redis under a fresh batch name with a short expiry, sends one Celery task naming the batch, and
awaits the workers' answer on the batch's reply list with a blocking pop (redis.asyncio, so the
event loop never blocks). The worker takes the texts with GETDEL, scores them in one model call
and pushes one answer holding only scores.

Why the texts travel beside the task rather than in it: the Celery message then carries
nothing but a name, so no log line, monitoring event or message left in a queue whose workers
are down can show a text; and a text nobody took expires with the request's timeout (the API
deletes it at once when it gives up). That is how `doNotStore: true` leaves no trace in Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import redis.asyncio as aioredis
from celery import Celery

from moderation.config import Settings
from moderation.domain.perspective import SentenceScores
from moderation.messaging.queues import producer_app, send_analyze
from moderation.messaging.redis_clients import async_client, redis_address

log = logging.getLogger(__name__)

KEY_PREFIX = "moderation:analysis:"
# A worker's answer waits this long for an API that already gave up, then Redis drops it.
REPLY_TTL_SECONDS = 10


def texts_key(batch: str) -> str:
    return f"{KEY_PREFIX}{batch}:texts"


def reply_key(batch: str) -> str:
    return f"{KEY_PREFIX}{batch}:reply"


@dataclass(frozen=True, slots=True)
class TextToAnalyze:
    text: str
    site_id: int
    sentences: bool  # a score per sentence wanted (Perspective's `spanAnnotations`)
    keep: bool  # `doNotStore` false: the worker keeps the text and its scores in `analyses`
    client_token: str | None = None

    def as_item(self) -> dict[str, Any]:
        return asdict(self)  # every field, as from_item reads it back

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> TextToAnalyze:
        return cls(
            text=str(item["text"]),
            site_id=int(item["site_id"]),
            sentences=bool(item.get("sentences")),
            keep=bool(item.get("keep")),
            client_token=item.get("client_token"),
        )


@dataclass(frozen=True, slots=True)
class Analysis:
    """The scores of one text (spam, toxicity and its attributes) and, when asked, of each of
    its sentences."""

    scores: Mapping[str, float]
    sentences: tuple[SentenceScores, ...]
    model_version: str

    def as_answer(self) -> dict[str, Any]:
        return {
            "scores": dict(self.scores),
            "sentences": [[s.begin, s.end, dict(s.scores)] for s in self.sentences],
            "model_version": self.model_version,
        }

    @classmethod
    def from_answer(cls, answer: Mapping[str, Any]) -> Analysis:
        return cls(
            scores=answer["scores"],
            sentences=tuple(SentenceScores(b, e, s) for b, e, s in answer.get("sentences", ())),
            model_version=answer["model_version"],
        )


# What a batch's answer holds in place of the scores of a text the model could not score.
_NOT_SCORED = {"error": "the model could not score the text"}


def batch_reply(analyses: Sequence[Analysis | None]) -> str:
    """The scores of each text of a batch, in order; None for a text that could not be scored
    (its request alone fails)."""
    return json.dumps({"answers": [_NOT_SCORED if a is None else a.as_answer() for a in analyses]})


def failed_reply(reason: str) -> str:
    """The whole batch could not be scored: the waiting requests fail at once, not at their
    timeout."""
    return json.dumps({"error": reason})


class AnalysisUnavailable(Exception):
    """No answer: no worker in time, Redis unreachable, or the model failed."""


_Waiting = tuple[TextToAnalyze, "asyncio.Future[Analysis]"]


class Analyzer:
    """Collects texts for a window of a few milliseconds and has each group scored by one task:
    a task costs more than scoring a comment, so under load one task carries many texts."""

    def __init__(
        self,
        celery: Celery,
        redis: aioredis.Redis,
        timeout_seconds: float,
        window_seconds: float,
        max_batch: int,
    ) -> None:
        self._celery = celery
        self._redis = redis
        self.timeout = timeout_seconds
        self._window = window_seconds
        self._max_batch = max_batch
        self._waiting: list[_Waiting] = []
        self._flush_at: asyncio.TimerHandle | None = None
        self._batches: set[asyncio.Task[None]] = set()
        self.sent_batches = 0
        self.unanswered_batches = 0

    @classmethod
    def for_settings(cls, settings: Settings) -> Analyzer:
        redis = async_client(
            redis_address(settings),
            socket_connect_timeout=2,
            # Longer than the blocking pop, which would otherwise fail on redis-py's 5 s.
            socket_timeout=settings.analyze_timeout_seconds + 5,
        )
        return cls(
            producer_app(settings),
            redis,
            settings.analyze_timeout_seconds,
            settings.analyze_window_ms / 1000,
            settings.analyze_max_batch,
        )

    async def analyze(self, text: TextToAnalyze) -> Analysis:
        """The scores of this text, or AnalysisUnavailable after the timeout at most."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Analysis] = loop.create_future()
        self._waiting.append((text, future))
        if len(self._waiting) >= self._max_batch:
            self._flush()
        elif self._flush_at is None:
            self._flush_at = loop.call_later(self._window, self._flush)
        try:
            # The batch answers by its deadline (Redis ends a blocking pop within a few ms of
            # it); this bounds a send stuck on a broker that does not answer.
            return await asyncio.wait_for(future, self.timeout + self._window + 0.5)
        except TimeoutError:
            raise AnalysisUnavailable(f"no answer within {self.timeout:g}s") from None

    def _flush(self) -> None:
        if self._flush_at is not None:
            self._flush_at.cancel()
            self._flush_at = None
        batch, self._waiting = self._waiting, []
        if batch:
            task = asyncio.create_task(self._run(batch))
            self._batches.add(task)
            task.add_done_callback(self._batches.discard)

    async def _run(self, batch: list[_Waiting]) -> None:
        try:
            await self._score(batch)
        except Exception as error:  # a bug: the requests must still get their answer
            log.error("scoring a batch of %d text(s) failed: %s", len(batch), type(error).__name__)
        finally:
            # Cancelled (the server stops) or failed: nobody waits for the timeout in vain.
            self._fail(batch, "no answer")

    async def _score(self, batch: list[_Waiting]) -> None:
        name = uuid.uuid4().hex
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        payload = json.dumps([text.as_item() for text, _ in batch])
        try:
            await self._redis.set(texts_key(name), payload, px=int((self.timeout + 1) * 1000))
            await asyncio.to_thread(send_analyze, self._celery, name, self.timeout)
            self.sent_batches += 1
            popped = await self._redis.blpop([reply_key(name)], max(deadline - loop.time(), 0.01))
        except Exception as error:  # Redis is away: nothing to wait for
            # Redis errors name hosts and commands, never the values sent.
            log.warning("could not have %d text(s) scored: %s", len(batch), error)
            await self._forget(name)
            self._fail(batch, "the scoring queue is unreachable")
            return
        if popped is None:
            self.unanswered_batches += 1
            log.warning("no worker answered %d text(s) within %gs", len(batch), self.timeout)
            await self._forget(name)
            self._fail(batch, f"no worker answered within {self.timeout:g}s")
            return
        reply = json.loads(popped[1])
        if "error" in reply:
            self._fail(batch, str(reply["error"]))
            return
        for (_, future), answer in zip(batch, reply["answers"], strict=True):
            if future.done():
                continue
            if "error" in answer:
                future.set_exception(AnalysisUnavailable(str(answer["error"])))
            else:
                future.set_result(Analysis.from_answer(answer))

    async def _forget(self, name: str) -> None:
        """Delete texts no worker took, so they do not wait in Redis for their expiry."""
        with contextlib.suppress(Exception):
            await self._redis.delete(texts_key(name))

    @staticmethod
    def _fail(batch: list[_Waiting], reason: str) -> None:
        for _, future in batch:
            if not future.done():
                future.set_exception(AnalysisUnavailable(reason))

    async def close(self) -> None:
        """Fail what waits (the server is stopping) and let go of Redis."""
        if self._flush_at is not None:
            self._flush_at.cancel()
            self._flush_at = None
        self._fail(self._waiting, "the service is stopping")
        self._waiting = []
        for task in list(self._batches):
            task.cancel()
        if self._batches:
            await asyncio.gather(*self._batches, return_exceptions=True)
        await self._redis.aclose()
