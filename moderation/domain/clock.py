"""The clock: now, always in UTC, for timestamps that are stored and compared."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    # Aware, never naive: the storage refuses naive datetimes, and comparing one with an aware
    # one raises.
    return datetime.now(UTC)
