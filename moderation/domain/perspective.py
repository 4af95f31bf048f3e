"""The Perspective API's protocol (`comments:analyze`, `comments:suggestscore`): requests checked
the way Google's service checks them, answers and errors shaped the way it shapes them.

Pure functions over plain values: the route adapts HTTP, the workers score. Error messages are
the ones Perspective's documentation lists ("Comment must be non-empty.", "Comment text too
long.", "Unknown requested attribute: X", "Attribute X does not support request languages: fr"),
with the `errorType` detail its clients read (COMMENT_EMPTY, LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE,
...). Unknown request fields are tolerated (Google refuses them; a lenient stand-in loses
nothing), so clients that send `sessionId`, `communityId` or `context` keep working.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from moderation.domain import fields

# Perspective's limit: 20 KB of UTF-8 per comment.
MAX_TEXT_BYTES = 20 * 1024
PROBABILITY = "PROBABILITY"
# Perspective's attribute names and the score of ours each one reads.
ATTRIBUTES: dict[str, str] = {
    "TOXICITY": "toxicity",
    "SEVERE_TOXICITY": "severe_toxicity",
    "IDENTITY_ATTACK": "identity_attack",
    "INSULT": "insult",
    "PROFANITY": "obscene",
    "THREAT": "threat",
}
# Score types Perspective names; we give probabilities only, as Perspective does for almost all
# attributes. An unnamed type means the default, a probability.
_OTHER_SCORE_TYPES = frozenset({"STD_DEV_SCORE", "PERCENTILE", "RAW", "LOG_LIKELIHOOD"})
_DEFAULT_SCORE_TYPES = frozenset({PROBABILITY, "SCORE_TYPE_UNSPECIFIED"})
# Our models read English.
LANGUAGE = "en"
_ERROR_TYPE = "type.googleapis.com/google.commentanalyzer.v1alpha1.Error"


@dataclass
class PerspectiveError(Exception):
    """An error in Google's shape: `{"error": {"code", "message", "status", "details"}}`."""

    message: str
    code: int = 400
    status: str = "INVALID_ARGUMENT"
    # Perspective's ErrorType (COMMENT_EMPTY, ...); None for errors of Google's front end.
    error_type: str | None = "INVALID_REQUEST"
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.error_type is not None:
            error["details"] = [
                {"@type": _ERROR_TYPE, "errorType": self.error_type, **self.details}
            ]
        elif self.details:
            error["details"] = [self.details]
        return {"error": error}


def missing_key() -> PerspectiveError:
    """What Google answers a call without `?key=`."""
    return PerspectiveError(
        "The request is missing a valid API key.", 403, "PERMISSION_DENIED", error_type=None
    )


def invalid_key() -> PerspectiveError:
    """What Google answers a key it does not know."""
    return PerspectiveError(
        "API key not valid. Please pass a valid API key.",
        error_type=None,
        details={
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
            "metadata": {"service": "commentanalyzer.googleapis.com"},
        },
    )


def resource_exhausted(limit: str) -> PerspectiveError:
    """What Google answers past a quota (its clients back off and try again); the API adds
    Retry-After."""
    return PerspectiveError(
        f"Quota exceeded for quota metric '{limit}' of service 'commentanalyzer.googleapis.com'.",
        429,
        "RESOURCE_EXHAUSTED",
        error_type=None,
        details={
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "RATE_LIMIT_EXCEEDED",
            "domain": "googleapis.com",
            "metadata": {"service": "commentanalyzer.googleapis.com", "quota_limit": limit},
        },
    )


def unavailable() -> PerspectiveError:
    """No score in time (no worker, Redis away): clients such as Coral Talk then let the comment
    through unflagged, which is their choice; we never make up a score."""
    return PerspectiveError(
        "The service is currently unavailable.", 503, "UNAVAILABLE", error_type=None
    )


def too_long() -> PerspectiveError:
    return PerspectiveError("Comment text too long.", error_type="COMMENT_TOO_LONG")


def _invalid_value(path: str, kind: str) -> PerspectiveError:
    return PerspectiveError(f"Invalid value at '{path}' ({kind})")


# The JSON Perspective's own documentation sends with curl: `{comment: {text: "..."}}`, keys
# unquoted, which Google's parser reads. A string literal is skipped whole, so only a bare name
# followed by a colon outside strings is quoted.
_BARE_KEY = re.compile(r'("(?:[^"\\]|\\.)*")|([A-Za-z_][A-Za-z0-9_]*)(\s*:)')


def parse_body(raw: bytes) -> Any:
    """The request's JSON; keys may be unquoted, as in Perspective's curl example."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PerspectiveError("Invalid JSON payload received. Invalid UTF-8.") from None
    # ValueError: also a number of more than 4,300 digits; RecursionError: nesting too deep.
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as strict_error:
        try:
            return json.loads(
                _BARE_KEY.sub(lambda m: m.group(1) or f'"{m.group(2)}"{m.group(3)}', text)
            )
        except (ValueError, RecursionError):
            raise PerspectiveError(f"Invalid JSON payload received. {strict_error}.") from None


@dataclass(frozen=True, slots=True)
class RequestedAttribute:
    name: str  # as the client wrote it, e.g. "TOXICITY" or "TOXICITY@6": the answer's key
    score: str  # the score of ours it reads
    threshold: float | None = None


@dataclass(frozen=True, slots=True)
class AnalyzeRequest:
    text: str
    attributes: tuple[RequestedAttribute, ...]
    spans: bool
    languages: tuple[str, ...]  # as requested, or ("en",) when none were
    do_not_store: bool
    client_token: str | None


_T = TypeVar("_T")


def _typed(value: Any, kind: type[_T], path: str, error: str) -> _T | None:
    """The value if it has the JSON type the field wants, None if it is null or left out;
    Google's `error` (TYPE_BOOL, ...) for any other type."""
    if value is None:
        return None
    if not isinstance(value, kind):
        raise _invalid_value(path, error)
    return value


def _object(value: Any, path: str) -> dict[str, Any]:
    found = _typed(value, dict, path, "TYPE_MESSAGE")
    return {} if found is None else found


def _flag(body: dict[str, Any], name: str, path: str) -> bool:
    return _typed(body.get(name), bool, path, "TYPE_BOOL") or False


def _string(body: dict[str, Any], name: str, path: str) -> str | None:
    return _typed(body.get(name), str, path, "TYPE_STRING")


def _comment_text(body: dict[str, Any]) -> str:
    comment = _object(body.get("comment"), "comment")
    text = _string(comment, "text", "comment.text") or ""
    kind = _string(comment, "type", "comment.type")
    if kind not in (None, "PLAIN_TEXT", "TEXT_TYPE_UNSPECIFIED"):
        if kind == "HTML":
            raise PerspectiveError("Currently, only 'PLAIN_TEXT' comments are supported")
        raise PerspectiveError("Unknown text type")
    if not text.strip():
        raise PerspectiveError("Comment must be non-empty.", error_type="COMMENT_EMPTY")
    try:
        fields.unicode(text)
    except fields.FieldRuleBroken as broken:
        # JSON can carry "\ud800"; UTF-8, the model and the database cannot.
        raise PerspectiveError(f"Invalid value at 'comment.text': it {broken.message}") from None
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise too_long()
    return text


def _attribute(name: str) -> str:
    """Our score for a Perspective name, which may carry a version: `TOXICITY@6`."""
    score = ATTRIBUTES.get(name.split("@", 1)[0])
    if score is None:
        raise PerspectiveError(f"Unknown requested attribute: {name}")
    return score


def _languages(body: dict[str, Any], first_attribute: str) -> tuple[str, ...]:
    value = body.get("languages")
    if value is None:
        return (LANGUAGE,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _invalid_value("languages", "TYPE_STRING")
    if not value:
        return (LANGUAGE,)
    # "en", "en-US", "en_GB": English however it is spelled.
    unsupported = [v for v in value if re.split(r"[-_]", v, maxsplit=1)[0].lower() != LANGUAGE]
    if unsupported:
        raise PerspectiveError(
            f"Attribute {first_attribute} does not support request languages: "
            + ", ".join(unsupported),
            error_type="LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE",
            details={
                "languageNotSupportedByAttributeError": {
                    "attribute": first_attribute,
                    "requestedLanguages": value,
                }
            },
        )
    return tuple(value)


def parse_analyze(body: Any) -> AnalyzeRequest:
    """An AnalyzeComment request, checked in the order Perspective reports its problems."""
    if not isinstance(body, dict):
        raise PerspectiveError("Invalid JSON payload received. Expected an object.")
    text = _comment_text(body)
    requested = body.get("requestedAttributes")
    if requested is None or requested == {}:
        raise PerspectiveError("Missing requested_attributes", error_type="NO_REQUESTED_ATTRIBUTES")
    if not isinstance(requested, dict):
        raise _invalid_value("requested_attributes", "TYPE_MESSAGE")
    attributes = []
    for name, options in requested.items():
        score = _attribute(name)
        settings = _object(options, f"requested_attributes[{name}]")
        score_type = settings.get("scoreType")
        if score_type is not None and score_type not in _DEFAULT_SCORE_TYPES:
            if score_type in _OTHER_SCORE_TYPES:
                raise PerspectiveError(
                    f"Requested score type {score_type} is not supported by attribute {name}"
                )
            raise _invalid_value(f"requested_attributes[{name}].score_type", "TYPE_ENUM")
        threshold = settings.get("scoreThreshold")
        if threshold is not None and (
            isinstance(threshold, bool)
            or not isinstance(threshold, int | float)
            or not math.isfinite(threshold)
        ):
            raise _invalid_value(f"requested_attributes[{name}].score_threshold", "TYPE_FLOAT")
        attributes.append(
            RequestedAttribute(name, score, None if threshold is None else float(threshold))
        )
    languages = _languages(body, attributes[0].name)
    return AnalyzeRequest(
        text=text,
        attributes=tuple(attributes),
        spans=_flag(body, "spanAnnotations", "span_annotations"),
        languages=languages,
        do_not_store=_flag(body, "doNotStore", "do_not_store"),
        client_token=_string(body, "clientToken", "client_token"),
    )


@dataclass(frozen=True, slots=True)
class SentenceScores:
    """Our scores of one sentence of the text: `text[begin:end]`."""

    begin: int
    end: int
    scores: Mapping[str, float]


def _score(value: float) -> dict[str, Any]:
    return {"value": value, "type": PROBABILITY}


def analyze_answer(
    request: AnalyzeRequest,
    scores: Mapping[str, float],
    sentences: Sequence[SentenceScores] = (),
) -> dict[str, Any]:
    """The AnalyzeComment response: per requested attribute its summary and, when asked, a score
    per sentence; anything under the attribute's `scoreThreshold` is left out, and an attribute
    with nothing left is absent."""
    attribute_scores: dict[str, Any] = {}
    for attribute in request.attributes:
        value = scores.get(attribute.score)
        if value is None:  # a model trained before this attribute existed
            raise PerspectiveError(f"Unknown requested attribute: {attribute.name}")
        floor = attribute.threshold
        found: dict[str, Any] = {}
        if request.spans:
            spans = [
                {"begin": s.begin, "end": s.end, "score": _score(s.scores[attribute.score])}
                for s in sentences
                if floor is None or s.scores[attribute.score] >= floor
            ]
            if spans:
                found["spanScores"] = spans
        if floor is None or value >= floor:
            found["summaryScore"] = _score(value)
        if found:
            attribute_scores[attribute.name] = found
    answer: dict[str, Any] = {
        "attributeScores": attribute_scores,
        "languages": list(request.languages),
    }
    if request.client_token is not None:
        answer["clientToken"] = request.client_token
    return answer


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A SuggestCommentScore request: the scores the client believes the text should have."""

    text: str
    # {Perspective attribute name: {"summaryScore": v, "spanScores": [[begin, end, v], ...]}}
    attribute_scores: dict[str, dict[str, Any]]
    languages: tuple[str, ...]
    community_id: str | None
    client_token: str | None
    do_not_store: bool  # ours: suggestscore stores by default, as Perspective does

    def feedback(self) -> dict[str, Any]:
        """What is kept on the analysis."""
        kept: dict[str, Any] = {"attributeScores": self.attribute_scores}
        if self.languages:
            kept["languages"] = list(self.languages)
        if self.community_id is not None:
            kept["communityId"] = self.community_id
        return kept


def _probability(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise PerspectiveError(f"Invalid value at '{path}': a score is a number from 0 to 1")
    return float(value)


def _suggested(name: str, value: Any) -> dict[str, Any]:
    _attribute(name)
    path = f"attribute_scores[{name}]"
    scores = _object(value, path)
    kept: dict[str, Any] = {}
    summary = scores.get("summaryScore")
    if summary is not None:
        summary_value = _object(summary, f"{path}.summary_score").get("value", 0)
        kept["summaryScore"] = _probability(summary_value, f"{path}.summary_score.value")
    spans = scores.get("spanScores")
    if spans is not None:
        if not isinstance(spans, list):
            raise _invalid_value(f"{path}.span_scores", "TYPE_MESSAGE")
        kept_spans = []
        for index, span in enumerate(spans):
            where = f"{path}.span_scores[{index}]"
            span = _object(span, where)
            begin, end = span.get("begin"), span.get("end")
            if not isinstance(begin, int) or not isinstance(end, int) or not 0 <= begin <= end:
                raise PerspectiveError(f"Invalid value at '{where}': begin and end must be set")
            score = _object(span.get("score"), f"{where}.score").get("value", 0)
            kept_spans.append([begin, end, _probability(score, f"{where}.score.value")])
        kept["spanScores"] = kept_spans
    if not kept:
        raise PerspectiveError(f"Invalid value at '{path}': it must not be empty")
    return kept


def parse_suggestion(body: Any) -> Suggestion:
    if not isinstance(body, dict):
        raise PerspectiveError("Invalid JSON payload received. Expected an object.")
    text = _comment_text(body)
    scores = body.get("attributeScores")
    if not scores:
        raise PerspectiveError("Missing attribute_scores")
    if not isinstance(scores, dict):
        raise _invalid_value("attribute_scores", "TYPE_MESSAGE")
    languages = body.get("languages") or []
    if not isinstance(languages, list) or not all(isinstance(v, str) for v in languages):
        raise _invalid_value("languages", "TYPE_STRING")
    return Suggestion(
        text=text,
        attribute_scores={name: _suggested(name, value) for name, value in scores.items()},
        languages=tuple(languages),
        community_id=_string(body, "communityId", "community_id"),
        client_token=_string(body, "clientToken", "client_token"),
        do_not_store=_flag(body, "doNotStore", "do_not_store"),
    )


def suggestion_answer(suggestion: Suggestion) -> dict[str, Any]:
    return {} if suggestion.client_token is None else {"clientToken": suggestion.client_token}
