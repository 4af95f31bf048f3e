"""The dispatcher: the API's buffer of committed comment ids, sent to the workers in batches."""

from __future__ import annotations

import queue
import threading
import time

from celery import Celery

from moderation.messaging.queues import send_decide, try_send


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
        # Lists of ids: one hand-over per stored group, not one thread wake-up per comment.
        self._ids: queue.SimpleQueue[list[int] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.sent_batches = 0
        self.failed_batches = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="comment-dispatcher", daemon=True)
        self._thread.start()

    def submit(self, comment_ids: list[int]) -> None:
        if comment_ids:
            self._ids.put(comment_ids)

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
            batch = list(first)
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
                batch.extend(more)
            for start in range(0, len(batch), self._max_batch):
                self._send(batch[start : start + self._max_batch])

    def _send(self, batch: list[int]) -> None:
        if try_send(lambda: send_decide(self._app, batch), "comments to decide", batch):
            self.sent_batches += 1
        else:
            self.failed_batches += 1
