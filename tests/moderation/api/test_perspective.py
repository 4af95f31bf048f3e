"""The Perspective-compatible API, spoken to as Perspective's documentation and Coral Talk speak
to Google's: requests in their exact shapes, answers and errors read the way those clients read
them. Scores come from a real Celery worker process over a real Redis (the API never scores).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from moderation.app import create_app
from moderation.domain.perspective import parse_analyze, parse_body
from moderation.services.sites import DEFAULT_SITE
from moderation.storage.db import session_scope
from moderation.storage.migrate import upgrade
from moderation.storage.models import Analysis, Site
from tests.conftest import ROOT, RedisServer
from tests.moderation.conftest import settings_for

ANALYZE = "/v1alpha1/comments:analyze"
SUGGEST = "/v1alpha1/comments:suggestscore"
TOXIC = "You are a pathetic idiot and a moron, nobody wants to read your garbage."
CLEAN = "Thanks for the careful reporting on the council budget, it answered my questions."


@dataclass
class Perspective:
    client: TestClient
    key: str
    database_url: str

    def analyze(self, body: dict[str, Any] | bytes, key: str | None = None) -> Any:
        url = f"{ANALYZE}?key={key or self.key}"
        if isinstance(body, bytes):
            return self.client.post(url, content=body, headers={"content-type": "application/json"})
        return self.client.post(url, json=body)

    def suggest(self, body: dict[str, Any]) -> Any:
        return self.client.post(f"{SUGGEST}?key={self.key}", json=body)

    def toxicity(self, text: str) -> float:
        """What Coral Talk sends, and the one value it reads."""
        answer = self.analyze(
            {
                "comment": {"text": text},
                "doNotStore": True,
                "requestedAttributes": {"TOXICITY": {}},
                "languages": ["en"],
            }
        )
        assert answer.status_code == 200, answer.text
        value: float = answer.json()["attributeScores"]["TOXICITY"]["summaryScore"]["value"]
        return value

    def analyses(self) -> list[Analysis]:
        with session_scope(self.database_url) as session:
            return list(session.execute(select(Analysis).order_by(Analysis.id)).scalars())


@pytest.fixture(scope="module")
def perspective(
    tmp_path_factory: pytest.TempPathFactory, shared_redis: RedisServer
) -> Iterator[Perspective]:
    """The app over one SQLite file, and one real worker serving the decisions' queue."""
    directory = tmp_path_factory.mktemp("perspective")
    url = f"sqlite:///{directory / 'moderation.db'}"
    upgrade(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODERATION_")}
    env.update(
        MODERATION_DATABASE_URL=url,
        MODERATION_REDIS_URL=shared_redis.url,
        MODERATION_DATA_DIR=str(directory / "data"),
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "commands", "worker", "--queues", "comments"],
        env=env,
        cwd=ROOT,
        stdout=(directory / "worker.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    # A generous timeout: the first request waits for the worker to start and load its model.
    settings = settings_for(url, shared_redis.url, analyze_timeout_seconds=60)
    try:
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            with session_scope(url) as session:
                key = session.execute(
                    select(Site.secret_key).where(Site.slug == DEFAULT_SITE)
                ).scalar_one()
            yield Perspective(client, key, url)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)


def test_the_documented_curl_request_gets_the_documented_answer(perspective: Perspective) -> None:
    # Perspective's "Sample requests" page, byte for byte: its JavaScript-style keys included.
    sample = b"""{comment: {text: "what kind of idiot name is foo?"},
          languages: ["en"],
          requestedAttributes: {TOXICITY:{}} }"""

    answer = perspective.analyze(sample)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"attributeScores", "languages"}
    assert body["languages"] == ["en"]
    assert set(body["attributeScores"]) == {"TOXICITY"}
    summary = body["attributeScores"]["TOXICITY"]["summaryScore"]
    assert summary["type"] == "PROBABILITY"
    assert 0 <= summary["value"] <= 1
    assert summary["value"] > perspective.toxicity("what kind of name is foo?")


def test_the_methods_example_with_sentence_spans_and_a_client_token(
    perspective: Perspective,
) -> None:
    text = "What kind of idiot name is foo? Sorry, I like your name."

    answer = perspective.analyze(
        {
            "comment": {"text": text},
            "languages": ["en"],
            "requestedAttributes": {"TOXICITY": {}, "INSULT": {}},
            "spanAnnotations": True,
            "clientToken": "echo-me",
        }
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["clientToken"] == "echo-me"
    for name in ("TOXICITY", "INSULT"):
        spans = body["attributeScores"][name]["spanScores"]
        # The spans of Perspective's own example: one per sentence.
        assert [(s["begin"], s["end"]) for s in spans] == [(0, 31), (32, 56)]
        assert text[0:31] == "What kind of idiot name is foo?"
        assert all(s["score"]["type"] == "PROBABILITY" for s in spans)
        # The insulting sentence scores higher than the apology.
        assert spans[0]["score"]["value"] > spans[1]["score"]["value"]


def test_coral_talk_flags_a_toxic_comment_and_not_a_clean_one(perspective: Perspective) -> None:
    stored_before = len(perspective.analyses())

    toxic, clean = perspective.toxicity(TOXIC), perspective.toxicity(CLEAN)

    # Coral Talk's default threshold is 0.80: above it the comment is held.
    assert toxic >= 0.8 > clean
    # Coral Talk sends doNotStore: true.
    assert len(perspective.analyses()) == stored_before


def test_every_attribute_by_name_and_by_version(perspective: Perspective) -> None:
    names = ["TOXICITY", "SEVERE_TOXICITY@1", "IDENTITY_ATTACK", "INSULT", "PROFANITY@7", "THREAT"]
    request = {"requestedAttributes": {name: {"scoreType": "PROBABILITY"} for name in names}}

    profane = perspective.analyze({"comment": {"text": "This is fucking bullshit."}, **request})
    polite = perspective.analyze({"comment": {"text": CLEAN}, **request})

    assert profane.status_code == polite.status_code == 200, profane.text
    profane_scores, polite_scores = profane.json(), polite.json()
    assert list(profane_scores["attributeScores"]) == names  # named as requested
    assert profane_scores["languages"] == ["en"]  # none requested: the language we read
    for name in names:
        assert 0 <= profane_scores["attributeScores"][name]["summaryScore"]["value"] <= 1
    value = "summaryScore"
    assert (
        profane_scores["attributeScores"]["PROFANITY@7"][value]["value"]
        > polite_scores["attributeScores"]["PROFANITY@7"][value]["value"]
    )


def test_a_score_under_its_threshold_is_left_out(perspective: Perspective) -> None:
    answer = perspective.analyze(
        {
            "comment": {"text": CLEAN},
            "requestedAttributes": {
                "TOXICITY": {"scoreThreshold": 0.9},
                "INSULT": {"scoreThreshold": 0},
            },
            "spanAnnotations": True,
        }
    )

    assert answer.status_code == 200, answer.text
    scores = answer.json()["attributeScores"]
    assert "TOXICITY" not in scores
    assert scores["INSULT"]["summaryScore"]["value"] >= 0
    assert [(s["begin"], s["end"]) for s in scores["INSULT"]["spanScores"]] == [(0, len(CLEAN))]


def test_english_however_spelled_is_accepted_and_echoed(perspective: Perspective) -> None:
    answer = perspective.analyze(
        {
            "comment": {"text": CLEAN},
            "requestedAttributes": {"TOXICITY": {}},
            "languages": ["en-US"],
        }
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["languages"] == ["en-US"]


def test_the_size_limit_counts_bytes_not_characters(perspective: Perspective) -> None:
    request = {"requestedAttributes": {"TOXICITY": {}}, "doNotStore": True}

    at_limit = perspective.analyze({"comment": {"text": "é" * 10240}, **request})
    over = perspective.analyze({"comment": {"text": "é" * 10241}, **request})

    assert at_limit.status_code == 200, at_limit.text
    assert over.status_code == 400
    assert over.json()["error"]["message"] == "Comment text too long."


ATTRS = {"requestedAttributes": {"TOXICITY": {}}}
TEXT = {"comment": {"text": "A comment."}}
EMPTY, TOO_LONG, NO_ATTRIBUTES = "COMMENT_EMPTY", "COMMENT_TOO_LONG", "NO_REQUESTED_ATTRIBUTES"
INVALID, LANGUAGE = "INVALID_REQUEST", "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE"
BAD_REQUESTS: list[tuple[dict[str, Any] | bytes, str, str]] = [
    ({"comment": {"text": ""}, **ATTRS}, "Comment must be non-empty.", EMPTY),
    ({**ATTRS}, "Comment must be non-empty.", EMPTY),
    ({"comment": {"text": "a" * 20481}, **ATTRS}, "Comment text too long.", TOO_LONG),
    # Over the app's 64 KiB body limit: refused before it is read, in Perspective's words still.
    ({"comment": {"text": "a" * 70_000}, **ATTRS}, "Comment text too long.", TOO_LONG),
    ({**TEXT}, "Missing requested_attributes", NO_ATTRIBUTES),
    ({**TEXT, "requestedAttributes": {}}, "Missing requested_attributes", NO_ATTRIBUTES),
    (
        {**TEXT, "requestedAttributes": {"TOXICITY": {}, "UNSUBSTANTIAL": {}}},
        "Unknown requested attribute: UNSUBSTANTIAL",
        INVALID,
    ),
    (
        {**TEXT, "requestedAttributes": {"toxicity": {}}},
        "Unknown requested attribute: toxicity",
        INVALID,
    ),
    (
        {**TEXT, **ATTRS, "languages": ["fr"]},
        "Attribute TOXICITY does not support request languages: fr",
        LANGUAGE,
    ),
    (
        {**TEXT, "requestedAttributes": {"TOXICITY": {"scoreType": "STD_DEV_SCORE"}}},
        "Requested score type STD_DEV_SCORE is not supported by attribute TOXICITY",
        INVALID,
    ),
    (
        {"comment": {"text": "<p>Hi</p>", "type": "HTML"}, **ATTRS},
        "Currently, only 'PLAIN_TEXT' comments are supported",
        INVALID,
    ),
    (
        {**TEXT, **ATTRS, "doNotStore": "yes"},
        "Invalid value at 'do_not_store' (TYPE_BOOL)",
        INVALID,
    ),
    (
        b'{"comment": {"text": "half a',
        "Invalid JSON payload received. "
        "Unterminated string starting at: line 1 column 22 (char 21).",
        INVALID,
    ),
    (b"[1, 2]", "Invalid JSON payload received. Expected an object.", INVALID),
]


@pytest.mark.parametrize(("body", "message", "error_type"), BAD_REQUESTS)
def test_bad_requests_get_perspectives_errors(
    perspective: Perspective, body: dict[str, Any] | bytes, message: str, error_type: str
) -> None:
    answer = perspective.analyze(body)

    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert set(error) == {"code", "message", "status", "details"}
    assert (error["code"], error["status"], error["message"]) == (400, "INVALID_ARGUMENT", message)
    (detail,) = error["details"]
    assert detail["@type"] == "type.googleapis.com/google.commentanalyzer.v1alpha1.Error"
    assert detail["errorType"] == error_type
    if error_type == LANGUAGE:  # what clients read to drop a language or an attribute
        assert detail["languageNotSupportedByAttributeError"] == {
            "attribute": "TOXICITY",
            "requestedLanguages": ["fr"],
        }


def test_a_call_without_a_valid_key_is_refused_as_google_refuses_it(
    perspective: Perspective,
) -> None:
    body = {**TEXT, **ATTRS}

    missing = perspective.client.post(ANALYZE, json=body)
    wrong = perspective.analyze(body, key="sk_not-a-site-key")
    # Google's clients may send the key as a header instead.
    header = perspective.client.post(ANALYZE, json=body, headers={"X-Goog-Api-Key": "wrong"})

    assert missing.status_code == 403
    assert missing.json()["error"] == {
        "code": 403,
        "message": "The request is missing a valid API key.",
        "status": "PERMISSION_DENIED",
    }
    for refused in (wrong, header):
        assert refused.status_code == 400
        error = refused.json()["error"]
        assert error["message"] == "API key not valid. Please pass a valid API key."
        assert error["status"] == "INVALID_ARGUMENT"
        assert error["details"][0]["reason"] == "API_KEY_INVALID"


def test_stored_analyses_keep_the_text_and_take_suggested_scores(
    perspective: Perspective,
) -> None:
    before = len(perspective.analyses())

    analyzed = perspective.analyze(
        {"comment": {"text": TOXIC}, **ATTRS, "clientToken": "comment-77"}
    )
    suggested = perspective.suggest(
        {
            "comment": {"text": TOXIC},
            "attributeScores": {"TOXICITY": {"summaryScore": {"value": 1}}},
            "communityId": "Coral:https://news.example",
            "clientToken": "comment-77",
        }
    )

    assert analyzed.status_code == 200, analyzed.text
    assert suggested.status_code == 200, suggested.text
    assert suggested.json() == {"clientToken": "comment-77"}
    (kept,) = perspective.analyses()[before:]
    assert kept.text == TOXIC
    assert kept.client_token == "comment-77"
    assert (
        kept.scores["toxicity"]
        == analyzed.json()["attributeScores"]["TOXICITY"]["summaryScore"]["value"]
    )
    assert kept.model_version
    assert kept.feedback == {
        "attributeScores": {"TOXICITY": {"summaryScore": 1.0}},
        "communityId": "Coral:https://news.example",
    }


def test_the_documented_suggestion_is_kept_as_feedback(perspective: Perspective) -> None:
    before = len(perspective.analyses())
    text = "I guess it comes down a simple choice: Get busy living, or get busy dying."

    # Perspective's SuggestCommentScore example (its trailing comma dropped: that is not JSON).
    answer = perspective.suggest(
        {
            "comment": {"text": text},
            "attributeScores": {"TOXICITY": {"summaryScore": {"value": 0}}},
            "communityId": "/forum/movies",
            "clientToken": "comment-53922",
        }
    )
    unknown = perspective.suggest({"comment": {"text": text}, "attributeScores": {"SPAM": {}}})

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"clientToken": "comment-53922"}
    (kept,) = perspective.analyses()[before:]
    assert (kept.text, kept.scores) == (text, {})
    assert kept.feedback["attributeScores"] == {"TOXICITY": {"summaryScore": 0.0}}
    assert unknown.status_code == 400
    assert json.loads(unknown.text)["error"]["message"] == "Unknown requested attribute: SPAM"


def test_unquoted_keys_are_read_and_the_text_is_left_as_written() -> None:
    raw = (
        b'{comment: {text: "note: a \\"quoted: key\\" stays"}, requestedAttributes: {TOXICITY: {}}}'
    )

    request = parse_analyze(parse_body(raw))

    assert request.text == 'note: a "quoted: key" stays'
    assert [a.name for a in request.attributes] == ["TOXICITY"]
