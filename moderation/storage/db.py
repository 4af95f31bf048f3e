"""Engines and sessions; SQLite is tuned here so the API and workers can write side by side.
And counting rows, which several stores do."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Engine, create_engine, event, func, select, text
from sqlalchemy.orm import Session, sessionmaker


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while a worker writes a batch; NORMAL sync is durable across
    # process crashes (only an OS crash may lose the last transactions); the busy timeout makes
    # the API wait for a worker's write instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine (and pool) per database URL per process."""
    return make_engine(url)


def ping(url: str) -> None:
    """Raises unless the database answers a trivial query (a readiness check)."""
    with engine_for(url).connect() as connection:
        connection.execute(text("SELECT 1"))


@lru_cache(maxsize=8)
def _session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(engine_for(url), expire_on_commit=False)


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """The unit of work at a request or task boundary: commit on success, roll back on error."""
    session = _session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def count_rows(session: Session, table: type[Any], *where: ColumnElement[bool]) -> int:
    """How many rows of the table meet every condition, counted by the database."""
    return session.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
