"""The dispatcher: the API's buffer of committed comment ids, sent to the workers in batches."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Sequence

from celery import Celery

from moderation.messaging.queues import send_decide, try_send

_Group = tuple[list[int], Sequence[str]]


class _RequestIds:
    """The distinct request ids of a batch, in order (a request may bring several comments)."""

    def __init__(self, first: Sequence[str]) -> None:
        self._ids = dict.fromkeys(first)

    def add(self, more: Sequence[str]) -> None:
        self._ids.update(dict.fromkeys(more))

    @property
    def ids(self) -> list[str]:
        return list(self._ids)


class Dispatcher:
    """Collects ids of committed comments and sends them as one task per batch.

    A request only puts an id on an in-memory queue (cheap); a background thread sends a batch
    when `max_batch` ids are waiting or `window` seconds after the first one arrived. If the
    process dies before sending, those comments stay `queued` in the database and the sweep
    re-sends them: the database, not this buffer, is the record of what was accepted.
    """

    def __init__(self, app: Celery, max_batch: int, window_seconds: float) -> None:
        self._app = app
        self._max_batch = max_batch
        self._window = window_seconds
        # Lists of ids (with the ids of the requests that brought them): one hand-over per
        # stored group, not one thread wake-up per comment.
        self._ids: queue.SimpleQueue[_Group | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.sent_batches = 0
        self.failed_batches = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="comment-dispatcher", daemon=True)
        self._thread.start()

    def submit(self, comment_ids: list[int], request_ids: Sequence[str] = ()) -> None:
        if comment_ids:
            self._ids.put((comment_ids, request_ids))

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._ids.put(None)
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._ids.get()
            if first is None:
                break
            batch = list(first[0])
            requests = _RequestIds(first[1])
            deadline = time.monotonic() + self._window
            while len(batch) < self._max_batch:
                remaining = deadline - time.monotonic()
                try:
                    more = (
                        self._ids.get(timeout=remaining)
                        if remaining > 0
                        else self._ids.get_nowait()
                    )
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                batch.extend(more[0])
                requests.add(more[1])
            for start in range(0, len(batch), self._max_batch):
                self._send(batch[start : start + self._max_batch], requests.ids)

    def _send(self, batch: list[int], request_ids: list[str]) -> None:
        def send() -> None:
            send_decide(self._app, batch, request_ids)

        if try_send(send, "comments to decide", batch):
            self.sent_batches += 1
        else:
            self.failed_batches += 1
