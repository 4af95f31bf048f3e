"""Sentences as the Perspective-compatible API's `spanScores` cut them: offsets into the text,
surrounding spaces left out."""

from __future__ import annotations

import json

import pytest
import redis
from sqlalchemy import select

from moderation.messaging.analysis import TextToAnalyze, reply_key, texts_key
from moderation.storage.db import session_scope
from moderation.storage.models import Analysis
from tests.conftest import RedisServer
from tests.support.policy_settings import default_policy_settings
from workers.analysis import MAX_SENTENCES, answer_batch, sentence_spans


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        # Perspective's own example.
        (
            "What kind of idiot name is foo? Sorry, I like your name.",
            ["What kind of idiot name is foo?", "Sorry, I like your name."],
        ),
        ("No full stop at the end", ["No full stop at the end"]),
        ("  Spaces around.  ", ["Spaces around."]),
        ('He said "go away!" Then he left...', ['He said "go away!"', "Then he left..."]),
        ("First line\nsecond line\n\nthird", ["First line", "second line", "third"]),
        ("Version 2.5 is out. Really!?", ["Version 2.5 is out.", "Really!?"]),
        ("Wait\u2026 what?", ["Wait\u2026", "what?"]),
        ("   ", []),
    ],
)
def test_sentences(text: str, sentences: list[str]) -> None:
    spans = sentence_spans(text)

    assert [text[begin:end] for begin, end in spans] == sentences


def test_a_text_of_countless_sentences_ends_in_one_last_span() -> None:
    text = " ".join(f"Line {n}." for n in range(500))

    spans = sentence_spans(text)

    assert len(spans) == MAX_SENTENCES
    assert spans[-1] == (text.index(f"Line {MAX_SENTENCES - 1}."), len(text))


def test_a_batch_with_odd_unicode_is_scored_whole_and_kept(
    database_url: str, redis_server: RedisServer
) -> None:
    """A lone surrogate, a NUL and a bidirectional override in one text of a batch (sent by an
    API that did not refuse them, or by any Redis client) cost no other text its scores, and
    the kept texts fit both databases. The scorer failed the whole batch on the surrogate."""
    settings = default_policy_settings().model_copy(
        update={"database_url": database_url, "redis_url": redis_server.url}
    )
    texts = [
        TextToAnalyze("Thank you for a careful report.", 1, sentences=False, keep=True),
        TextToAnalyze("odd \ud800 text\x00 \u202eevil", 1, sentences=True, keep=True),
        TextToAnalyze("You are an idiot.", 1, sentences=False, keep=True),
    ]
    client = redis.Redis.from_url(redis_server.url)
    client.set(texts_key("odd"), json.dumps([t.as_item() for t in texts]))

    scored = answer_batch(settings, "odd")

    reply = json.loads(client.lpop(reply_key("odd")) or b"{}")
    assert scored == 3
    answers = reply["answers"]
    assert [set(a) >= {"scores", "model_version"} for a in answers] == [True] * 3
    assert answers[2]["scores"]["toxicity"] > answers[0]["scores"]["toxicity"]
    with session_scope(database_url) as session:
        kept = sorted(session.execute(select(Analysis.text)).scalars())
    assert kept == [
        "Thank you for a careful report.",
        "You are an idiot.",
        "odd \ufffd text \u202eevil",
    ]
