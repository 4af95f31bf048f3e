"""The workers' side of the Perspective-compatible API: take a batch of texts from Redis, score
them in one model call, keep those the caller let us keep, and push the scores back.

Nothing here logs a text or an exception's message about one (a message may quote its input):
a text sent with `doNotStore: true` must leave no trace, in the logs either.

Perspective's `spanScores` are per sentence, each with a probability ("currently done at
per-sentence level"); ours are the same: the text is cut into sentences (after `.`, `!`, `?` or
`…` followed by a space, and at line breaks) and each sentence is scored on its own, all of a
batch's sentences in one more model call. Scoring a sentence is what a reader of a span score
expects (the probability that this sentence alone is toxic), and it costs a fraction of the
word-level explanations the workspace highlights (classifiers.explain), which give logit
weights rather than probabilities.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Sequence
from typing import Any

import redis

from classifiers import CommentText, Scorer
from moderation.config import Settings
from moderation.domain.perspective import SentenceScores
from moderation.domain.redis_urls import RedisAddress
from moderation.messaging.analysis import (
    REPLY_TTL_SECONDS,
    Analysis,
    TextToAnalyze,
    batch_reply,
    failed_reply,
    reply_key,
    texts_key,
)
from moderation.messaging.redis_clients import redis_address, sync_client
from moderation.storage.analyses import AnalysisRecord, record_analyses
from moderation.storage.db import session_scope
from workers.scoring import get_scorer

log = logging.getLogger(__name__)

# A sentence ends at a run of . ! ? … (closing quotes and brackets included) before a space, or
# at a line break.
_SENTENCE_END = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*(?=\s)|\n")
# Beyond this many sentences (a 20 KB text of one-word lines), the rest is one last span: the
# cost of a request stays bounded.
MAX_SENTENCES = 200

_clients: dict[RedisAddress, redis.Redis] = {}
_clients_lock = threading.Lock()


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """[begin, end) of each sentence, surrounding whitespace left out: for "What kind of idiot
    name is foo? Sorry, I like your name." (0, 31) and (32, 56), as Perspective gives them."""
    spans: list[tuple[int, int]] = []
    start = 0
    for end_of in _SENTENCE_END.finditer(text):
        end = end_of.start() if end_of.group() == "\n" else end_of.end()
        _add_trimmed(text, start, end, spans)
        start = end_of.end()
    _add_trimmed(text, start, len(text), spans)
    if len(spans) > MAX_SENTENCES:
        spans[MAX_SENTENCES - 1 :] = [(spans[MAX_SENTENCES - 1][0], spans[-1][1])]
    return spans


def _add_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def analyze_texts(scorer: Scorer, texts: Sequence[TextToAnalyze]) -> list[Analysis]:
    """Scores of each text and, for those that asked, of each sentence: two model calls for
    the whole batch at most."""
    scores = [s.as_dict() for s in scorer.score([CommentText(body=t.text) for t in texts])]
    wanted: list[tuple[int, int, int]] = []  # (text index, begin, end)
    for index, text in enumerate(texts):
        if text.sentences:
            wanted.extend((index, begin, end) for begin, end in sentence_spans(text.text))
    # A sentence that is the whole text has the text's scores.
    to_score = [
        (index, begin, end)
        for index, begin, end in wanted
        if texts[index].text[begin:end] != texts[index].text
    ]
    scored = scorer.score([CommentText(body=texts[i].text[b:e]) for i, b, e in to_score])
    by_span = {key: s.as_dict() for key, s in zip(to_score, scored, strict=True)}
    sentences: list[list[SentenceScores]] = [[] for _ in texts]
    for index, begin, end in wanted:
        sentences[index].append(
            SentenceScores(begin, end, by_span.get((index, begin, end), scores[index]))
        )
    return [
        Analysis(text_scores, tuple(found), scorer.version)
        for text_scores, found in zip(scores, sentences, strict=True)
    ]


def _redis(settings: Settings) -> redis.Redis:
    """One client per worker process (created after the pool forks)."""
    address = redis_address(settings)
    with _clients_lock:
        client = _clients.get(address)
        if client is None:
            client = sync_client(address, socket_connect_timeout=2, socket_timeout=5)
            _clients[address] = client
        return client


def _keep(settings: Settings, texts: Sequence[TextToAnalyze], analyses: list[Analysis]) -> None:
    records = [
        AnalysisRecord(t.site_id, t.text, dict(a.scores), a.model_version, t.client_token)
        for t, a in zip(texts, analyses, strict=True)
        if t.keep
    ]
    if not records:
        return
    try:
        with session_scope(settings.database_url) as session:
            record_analyses(session, records)
    except Exception as error:  # the caller gets its scores all the same
        log.error("could not keep %d analysed text(s): %s", len(records), type(error).__name__)


def answer_batch(settings: Settings, batch: str) -> int:
    """Score the texts stored under this batch name and push the answer; how many were scored.

    The texts are taken with GETDEL: once a worker holds them, Redis does not. A batch whose
    caller gave up is gone already (the API deleted it, or it expired) and is skipped.
    """
    client = _redis(settings)
    raw = client.getdel(texts_key(batch))
    if raw is None:
        log.info("analysis batch %s expired before a worker took it", batch[:8])
        return 0
    texts = [TextToAnalyze.from_item(item) for item in _json_list(raw)]
    try:
        scorer = get_scorer(settings)
    except Exception as error:
        log.error("no model to score %d text(s) for analysis: %s", len(texts), type(error).__name__)
        reply = failed_reply("the model could not be loaded")
        analyses: list[Analysis | None] = []
    else:
        analyses = _analyze_each_if_need_be(scorer, texts)
        scored = [(t, a) for t, a in zip(texts, analyses, strict=True) if a is not None]
        # Kept before the answer, so a suggestscore right after it finds the analysis.
        _keep(settings, [t for t, _ in scored], [a for _, a in scored])
        reply = batch_reply(analyses)
    with client.pipeline(transaction=False) as pipe:
        pipe.rpush(reply_key(batch), reply)
        pipe.expire(reply_key(batch), REPLY_TTL_SECONDS)
        pipe.execute()
    return sum(1 for a in analyses if a is not None)


def _analyze_each_if_need_be(scorer: Scorer, texts: list[TextToAnalyze]) -> list[Analysis | None]:
    """The whole batch in one call; if that fails, each text alone, so that one text the model
    cannot score costs only its own request an error, not the requests it shared a batch with."""
    try:
        return list(analyze_texts(scorer, texts))
    except Exception as error:
        # The message is withheld: it may quote the text.
        log.error("could not score a batch of %d text(s): %s", len(texts), type(error).__name__)
    analyses: list[Analysis | None] = []
    for text in texts:
        try:
            analyses.extend(analyze_texts(scorer, [text]))
        except Exception as error:
            log.error("could not score a text for analysis: %s", type(error).__name__)
            analyses.append(None)
    return analyses


def _json_list(raw: bytes | str) -> list[dict[str, Any]]:
    items = json.loads(raw)
    if not isinstance(items, list):
        raise TypeError("an analysis batch is a JSON list")
    return items
