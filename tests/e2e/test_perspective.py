"""The Perspective-compatible API on real parts: uvicorn, Redis, a Celery worker process and the
database; and what `doNotStore: true` promises, checked everywhere a text could stay behind."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import MetaData, String, cast, func, select

from moderation.services.sites import DEFAULT_SITE
from moderation.storage.db import engine_for, session_scope
from moderation.storage.models import Analysis, Site
from tests.conftest import RedisServer
from tests.support.stack import Stack, http


def _site_key(database_url: str) -> str:
    with session_scope(database_url) as session:
        key: str = session.execute(
            select(Site.secret_key).where(Site.slug == DEFAULT_SITE)
        ).scalar_one()
    return key


def _analyze(stack: Stack, key: str, text: str, **extra: Any) -> tuple[int, Any]:
    body = {
        "comment": {"text": text},
        "requestedAttributes": {"TOXICITY": {}, "INSULT": {}},
        "languages": ["en"],
        **extra,
    }
    return http("POST", f"{stack.base}/v1alpha1/comments:analyze?key={key}", body, timeout=30)


def _database_cells_with(database_url: str, marker: str) -> list[str]:
    """Every table and column of the database whose value contains the marker."""
    engine = engine_for(database_url)
    metadata = MetaData()
    metadata.reflect(engine)
    found = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for column in table.columns:
                hits = connection.execute(
                    select(func.count())
                    .select_from(table)
                    .where(cast(column, String).contains(marker, autoescape=True))
                ).scalar_one()
                if hits:
                    found.append(f"{table.name}.{column.name}")
    return found


def _redis_entries_with(url: str, marker: str) -> list[str]:
    """Every Redis key whose name or value contains the marker, in every database."""
    needle = marker.encode()
    found = []
    client = redis.Redis.from_url(url)
    for db in client.info("keyspace"):
        client = redis.Redis.from_url(url, db=int(db.removeprefix("db")))
        for key in client.scan_iter(count=1000):
            kind = client.type(key).decode()
            values: list[bytes] = [key]
            if kind == "string":
                values.append(client.get(key) or b"")
            elif kind == "list":
                values.extend(client.lrange(key, 0, -1))
            elif kind == "hash":
                for field, value in client.hgetall(key).items():
                    values += [field, value]
            elif kind == "set":
                values.extend(client.smembers(key))
            elif kind == "zset":
                values.extend(client.zrange(key, 0, -1))
            if any(needle in value for value in values):
                found.append(f"db{db} {kind} {key.decode(errors='replace')}")
    return found


def _logs_with(directory: Path, marker: str) -> list[str]:
    return [p.name for p in directory.glob("*.log") if marker in p.read_text(errors="replace")]


def test_scores_come_from_the_worker_and_do_not_store_leaves_no_trace(
    database_url: str, redis_server: RedisServer, stack_factory: Any, tmp_path: Path
) -> None:
    # A generous timeout: the first request waits for the worker to load its model.
    stack = stack_factory(database_url, redis_server, analyze_timeout_seconds="30")
    stack.start_worker(beat=False)
    stack.start_api()
    key = _site_key(database_url)
    secret, kept = f"private{uuid.uuid4().hex}", f"public{uuid.uuid4().hex}"

    text = f"You are a pathetic idiot, {secret}. Everyone here knows it."
    status, private = _analyze(stack, key, text, doNotStore=True, spanAnnotations=True)
    clean_status, clean = _analyze(stack, key, "Thank you for this careful report.")
    kept_status, public = _analyze(
        stack, key, f"Thank you {kept}, a careful report.", clientToken="kept-1"
    )

    assert (status, clean_status, kept_status) == (200, 200, 200), (private, stack.logs())
    toxicity = private["attributeScores"]["TOXICITY"]
    assert (
        toxicity["summaryScore"]["value"]
        > clean["attributeScores"]["TOXICITY"]["summaryScore"]["value"]
    )
    sentences = [(s["begin"], s["end"]) for s in toxicity["spanScores"]]
    assert sentences == [(0, text.index(".") + 1), (text.index("Everyone"), len(text))]
    assert public["clientToken"] == "kept-1"
    # The searches see what is there: Celery's keys in Redis, the worker's INFO lines.
    assert _redis_entries_with(redis_server.url, "_kombu.binding.comments")
    assert _logs_with(tmp_path, "moderation.analyze_texts")
    # doNotStore: true: no row, no key, no log line holds any part of the text.
    assert _database_cells_with(database_url, secret) == []
    assert _redis_entries_with(redis_server.url, secret) == []
    assert _logs_with(tmp_path, secret) == []
    # doNotStore false (Perspective's default): kept in `analyses`, and still never logged.
    with session_scope(database_url) as session:
        rows = list(session.execute(select(Analysis)).scalars())
    assert [(r.text, r.client_token) for r in rows if kept in r.text] == [
        (f"Thank you {kept}, a careful report.", "kept-1")
    ]
    assert _database_cells_with(database_url, kept) == ["analyses.text"]
    assert _redis_entries_with(redis_server.url, kept) == []
    assert _logs_with(tmp_path, kept) == []
    # What the workers and the API exchanged is gone from Redis once answered.
    assert _redis_entries_with(redis_server.url, "moderation:analysis:") == []


def test_without_a_worker_the_answer_is_perspectives_unavailable_error(
    sqlite_url: str, redis_server: RedisServer, stack_factory: Any, tmp_path: Path
) -> None:
    stack = stack_factory(sqlite_url, redis_server, analyze_timeout_seconds="1")
    stack.start_api()
    secret = f"private{uuid.uuid4().hex}"

    # urllib's own timeout (30 s) would fail the test if the API kept the caller waiting.
    status, answer = _analyze(stack, _site_key(sqlite_url), f"Hello {secret}", doNotStore=True)

    assert status == 503, answer
    assert '"status":"UNAVAILABLE"' in answer.replace(" ", "")
    assert '"code":503' in answer.replace(" ", "")
    # The text no worker took is not left waiting in Redis, nor written in the API's log.
    assert _redis_entries_with(redis_server.url, secret) == []
    assert _logs_with(tmp_path, "no worker answered 1 text(s) within 1s")
    assert _logs_with(tmp_path, secret) == []


def test_a_text_with_a_lone_surrogate_costs_no_other_request_its_scores(
    sqlite_url: str, redis_server: RedisServer, stack_factory: Any
) -> None:
    # A wide grouping window, so the odd text rides in the same batches as innocent ones.
    stack = stack_factory(
        sqlite_url, redis_server, analyze_timeout_seconds="30", analyze_window_ms="50"
    )
    stack.start_worker(beat=False)
    stack.start_api()
    key = _site_key(sqlite_url)
    assert _analyze(stack, key, "Warm-up: the worker loads its model.")[0] == 200

    texts = [f"Innocent comment number {n} about the council budget." for n in range(30)]
    texts.insert(15, "A broken \ud800 surrogate")  # sent as the JSON escape "\ud800"
    with ThreadPoolExecutor(max_workers=len(texts)) as pool:
        answers = list(pool.map(lambda text: _analyze(stack, key, text), texts))

    odd_status, odd_answer = answers.pop(15)
    assert odd_status == 400, odd_answer
    assert "lone surrogate" in odd_answer
    assert [status for status, _ in answers] == [200] * 30, stack.logs()
