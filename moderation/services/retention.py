"""Retention: personal data is cleared once its period is over (docs/privacy.md says what, how
long and why), kind by kind, in batches of their own transactions.

A batch is a few hundred rows in one short transaction: a first run over years of comments
never holds a table's locks for long nor builds one huge transaction, and whatever it cleared
stays cleared if it is stopped. A run with a deadline (the beat task) stops between batches
once it has passed and says it did not finish; the next run goes on where it stopped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from moderation.config import Settings
from moderation.domain.clock import utcnow
from moderation.metrics import RETENTION_CLEARED
from moderation.storage import retention as store

log = logging.getLogger(__name__)

# Rows per transaction: each batch locks this many rows for a few milliseconds.
BATCH = 500

# A unit of work: a session committed when the block ends (storage.db.session_scope).
Units = Callable[[], AbstractContextManager[Session]]


@dataclass(frozen=True, slots=True)
class RetentionPeriods:
    """How long each kind of personal data is kept (the MODERATION_RETENTION_* settings)."""

    ip_days: int = 30
    removed_text_days: int = 90
    webhook_days: int = 30
    analysis_days: int = 90
    notice_days: int = 183

    @classmethod
    def of(cls, settings: Settings) -> RetentionPeriods:
        return cls(
            ip_days=settings.retention_ip_days,
            removed_text_days=settings.retention_removed_text_days,
            webhook_days=settings.retention_webhook_days,
            analysis_days=settings.retention_analysis_days,
            notice_days=settings.retention_notice_days,
        )

    def due(self, now: datetime) -> dict[str, store.Due]:
        """Every kind, by the name its counts and metrics carry, in the order they run."""
        ips = now - timedelta(days=self.ip_days)
        texts = now - timedelta(days=self.removed_text_days)
        return {
            "comment_addresses": store.comment_addresses(ips),
            "removed_texts": store.removed_texts(texts),
            "report_addresses": store.report_addresses(ips),
            "report_notes": store.report_notes(texts),
            "login_failures": store.login_failures(ips),
            "webhook_deliveries": store.webhook_deliveries(now - timedelta(days=self.webhook_days)),
            "emails": store.emails(now - timedelta(days=self.webhook_days)),
            "analyses": store.analyses(now - timedelta(days=self.analysis_days)),
            "notice_contacts": store.notice_contacts(now - timedelta(days=self.notice_days)),
            "expired_sessions": store.expired_sessions(now),
        }


KINDS = tuple(RetentionPeriods().due(utcnow()))
# Every kind's series exists from the first scrape (rate() and alerts need one).
for _kind in KINDS:
    RETENTION_CLEARED.labels(_kind)


@dataclass(slots=True)
class RetentionRun:
    """What a run cleared (or, dry, would clear), by kind; `finished` false when it stopped at
    its deadline with rows still due."""

    cleared: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    finished: bool = True
    dry_run: bool = False

    @property
    def total(self) -> int:
        return sum(self.cleared.values())

    def summary(self) -> str:
        """One line of counts (never what was cleared): for the log and the command."""
        return " ".join(f"{kind}={count}" for kind, count in self.cleared.items())


def apply(
    units: Units,
    periods: RetentionPeriods,
    *,
    dry_run: bool = False,
    batch: int = BATCH,
    deadline: float | None = None,
) -> RetentionRun:
    """Clear every kind past its period, `batch` rows per transaction, until none is due or
    `deadline` (a time.monotonic() value) has passed, which stops it after the batch it is in.
    Dry, count what would be cleared."""
    run = RetentionRun(dry_run=dry_run)
    due = periods.due(utcnow())
    if dry_run:
        with units() as session:
            run.cleared.update({kind: store.count_due(session, d) for kind, d in due.items()})
        log.info("retention dry run, would clear: %s", run.summary())
        return run
    for kind, rows in due.items():
        while True:
            with units() as session:
                cleared = store.clear_batch(session, rows, batch)
            run.cleared[kind] += cleared
            RETENTION_CLEARED.labels(kind).inc(cleared)
            if cleared < batch:
                break  # none of this kind is due any more
            # Checked after a batch, never before: each run moves on by one batch at least,
            # so runs that hand on to one another always come to an end.
            if deadline is not None and time.monotonic() >= deadline:
                run.finished = False
                break
        if not run.finished:
            break
    state = "cleared" if run.finished else "stopped at its deadline, so far cleared"
    log.info("retention %s: %s", state, run.summary())
    return run
