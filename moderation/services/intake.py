"""Intake: stores accepted comments in groups, one transaction per group, then queues them.

Requests hand their validated comment to one writer thread and wait for its commit, so the 202
still means "stored". Whatever arrives while a group is being written forms the next group:
under load, one commit carries many comments (group commit), and SQLite never sees two writers
of ours fighting over its lock, which would make them sleep in its busy handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from moderation.domain.errors import InvalidComment, ServiceUnavailable
from moderation.domain.schemas import CommentSubmission
from moderation.logs import current_request_id
from moderation.messaging.dispatcher import Dispatcher
from moderation.metrics import COMMENTS_ACCEPTED
from moderation.services import comments as service
from moderation.storage.db import session_scope

log = logging.getLogger(__name__)


class StorageUnavailable(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__(
            "the comment could not be stored right now; nothing was kept, please try again"
        )


@dataclass(slots=True)
class _Pending:
    submission: CommentSubmission
    client: service.ClientInfo
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[service.AcceptedComment]
    request_id: str | None = None


def _settle(settled: list[tuple[_Pending, service.AcceptedComment | BaseException]]) -> None:
    """Runs in the event loop: completes the waiting requests of one group."""
    for pending, result in settled:
        # Cancelled: the client left (the comment is stored and queued all the same).
        if pending.future.done():
            continue
        if isinstance(result, BaseException):
            pending.future.set_exception(result)
        else:
            pending.future.set_result(result)


def _count_accepted(ways_in: list[str | None]) -> None:
    counts: dict[str, int] = {}
    for way_in in ways_in:
        counts[way_in or "api"] = counts.get(way_in or "api", 0) + 1
    for way_in, count in counts.items():
        COMMENTS_ACCEPTED.labels(way_in).inc(count)


class Intake:
    def __init__(self, database_url: str, dispatcher: Dispatcher, max_group: int = 256) -> None:
        self._database_url = database_url
        self._dispatcher = dispatcher
        self._max_group = max_group
        self._pending: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="comment-intake", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Writes what is waiting, then stops."""
        if self._thread is not None:
            self._pending.put(None)
            self._thread.join(timeout)
            self._thread = None

    async def submit(
        self, submission: CommentSubmission, client: service.ClientInfo
    ) -> service.AcceptedComment:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[service.AcceptedComment] = loop.create_future()
        self._pending.put(_Pending(submission, client, loop, future, current_request_id.get()))
        return await future

    def _run(self) -> None:
        while True:
            first = self._pending.get()
            if first is None:
                return
            group = [first]
            stopping = False
            while len(group) < self._max_group:
                try:
                    item = self._pending.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                group.append(item)
            try:
                self._write(group)
            except Exception:  # a bug; the thread must live on, or every request would hang
                log.exception("intake failed on a group of %d comment(s)", len(group))
                for pending in group:
                    failed: list[tuple[_Pending, Any]] = [(pending, StorageUnavailable())]
                    with contextlib.suppress(RuntimeError):  # its event loop may be closed
                        pending.loop.call_soon_threadsafe(_settle, failed)
            if stopping:
                return

    def _store(self, group: list[_Pending]) -> list[service.AcceptedComment | InvalidComment]:
        """Store a group in one transaction; raises if the database refuses it."""
        with session_scope(self._database_url) as session:
            return service.submit_comments(session, [(p.submission, p.client) for p in group])

    def _store_each(self, pending: _Pending) -> service.AcceptedComment | BaseException:
        try:
            return self._store([pending])[0]
        except Exception:
            log.exception("could not store a comment; it was refused with 503")
            return StorageUnavailable()

    def _write(self, group: list[_Pending]) -> None:
        results: Sequence[service.AcceptedComment | BaseException]
        try:
            results = self._store(group)
        except Exception:
            # One comment the database refuses must not cost the others theirs: one by one.
            results = [self._store_each(pending) for pending in group]
        # Committed above: only now may a worker be told about them.
        accepted = [
            (pending, result)
            for pending, result in zip(group, results, strict=True)
            if isinstance(result, service.AcceptedComment)
        ]
        self._dispatcher.submit(
            [result.id for _, result in accepted],
            [p.request_id for p, _ in accepted if p.request_id is not None],
        )
        _count_accepted([pending.client.channel for pending, _ in accepted])
        # One wake-up per event loop for the whole group, not one per comment.
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Pending, Any]]] = {}
        for pending, result in zip(group, results, strict=True):
            by_loop.setdefault(pending.loop, []).append((pending, result))
        for loop, items in by_loop.items():
            loop.call_soon_threadsafe(_settle, items)
