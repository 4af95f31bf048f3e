"""`moderation score`: the model and the policy over a JSON-lines file; no queue, no database."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from moderation.config import Settings
from moderation.storage.comments import QueuedComment
from workers.scoring import decide_batch


def _parse(number: int, line: str) -> QueuedComment | str:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as error:
        return f"not JSON: {error}"
    if not isinstance(item, dict):
        return "not a JSON object"
    body = item.get("body")
    if not isinstance(body, str) or not body.strip():
        return "body is required and must be a non-empty string"
    fields = {name: item.get(name) or "" for name in ("author", "email", "url")}
    if not all(isinstance(value, str) for value in fields.values()):
        return "author, email and url must be strings"
    return QueuedComment(number, body, fields["author"], fields["email"], fields["url"] or None)


def _flush(settings: Settings, batch: list[QueuedComment], sink: TextIO) -> None:
    for record in decide_batch(settings, batch):
        result: dict[str, Any] = {
            "line": record.comment_id,
            "scores": record.scores,
            "decision": record.status.value,
            "reasons": record.reasons,
            "model_version": record.model_version,
        }
        sink.write(json.dumps(result) + "\n")
    batch.clear()


def score_jsonl(settings: Settings, source: Iterable[str], sink: TextIO, batch_size: int) -> int:
    """Writes one JSON line per input line, in order; a bad line gets an `error` instead."""
    batch: list[QueuedComment] = []
    count = 0
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        parsed = _parse(number, line)
        if isinstance(parsed, str):
            _flush(settings, batch, sink)
            sink.write(json.dumps({"line": number, "error": parsed}) + "\n")
            continue
        batch.append(parsed)
        count += 1
        if len(batch) >= batch_size:
            _flush(settings, batch, sink)
    if batch:
        _flush(settings, batch, sink)
    return count
