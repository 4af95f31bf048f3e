"""The model, loaded once per worker process, and the batch decision it feeds."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from classifiers import CommentText, ModelLoadError, Scorer, Scores
from classifiers.cues import find_cues
from classifiers.link_signals import link_signals
from classifiers.normalise import normalise_text
from classifiers.registry import ModelRegistry, RegistryError
from moderation.config import Settings
from moderation.domain.authors import AuthorStanding
from moderation.domain.policy import (
    DecisionInputs,
    Thresholds,
    Verdict,
    decide,
    decide_unscored,
    quoted_passages,
    without_quotes,
)
from moderation.domain.records import DecisionRecord, ShadowDecision
from moderation.domain.wordlists import WordHits, WordLists
from moderation.metrics import MODEL_LOAD_FAILURES, SCORING_SECONDS
from moderation.services.sites import SitePolicy
from moderation.storage.comments import QueuedComment

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Loaded:
    scorer: Scorer
    source: tuple[Path | None, Path]  # (model_dir, models_root) of the settings it came from
    pointer: str | None  # the registry version it was loaded as; None for a fixed model_dir
    checked: float  # time.monotonic() of the last look at ACTIVE
    refused: str | None = None  # a version that failed to load, not retried until ACTIVE changes


_lock = threading.Lock()
_loaded: _Loaded | None = None


def _return_freed_memory() -> None:
    """Give the heap pages freed after loading back to the system.

    Unpacking the artifact goes through temporary buffers about its size; glibc keeps the
    freed pages mapped, and each worker process would keep them for its lifetime (a worker's
    resident memory is a target). glibc only; elsewhere a no-op.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _load(settings: Settings, now: float) -> _Loaded:
    source = (settings.model_dir, settings.models_root)
    if settings.model_dir is not None:
        # An explicit directory is what the operator pinned: the registry is not consulted.
        scorer = Scorer.load(settings.model_dir)
        return _Loaded(scorer, source, None, now)
    registry = ModelRegistry(settings.models_root)
    try:
        pointer = registry.active_version()
        scorer = Scorer.load(registry.path_of(pointer))
    except RegistryError as error:
        raise ModelLoadError(str(error)) from error
    return _Loaded(scorer, source, pointer, now)


def _follow_active(settings: Settings, loaded: _Loaded, now: float) -> _Loaded:
    """Switch to the version ACTIVE names now, keeping the current one if that fails."""
    loaded.checked = now
    registry = ModelRegistry(settings.models_root)
    try:
        pointer = registry.active_version()
    except (OSError, ModelLoadError) as error:
        log.error("keeping model %s: cannot read the active version: %s", loaded.pointer, error)
        return loaded
    if pointer == loaded.pointer:
        loaded.refused = None  # rolled back past a broken version: it may be fixed and re-promoted
        return loaded
    if pointer == loaded.refused:
        return loaded
    try:
        scorer = Scorer.load(registry.path_of(pointer))
    except (ModelLoadError, RegistryError, OSError) as error:
        MODEL_LOAD_FAILURES.inc()
        log.error("keeping model %s: version %s failed to load: %s", loaded.pointer, pointer, error)
        loaded.refused = pointer
        return loaded
    log.info("switched model %s -> %s", loaded.scorer.version, scorer.version)
    return _Loaded(scorer, loaded.source, pointer, now)


def get_scorer(settings: Settings) -> Scorer:
    """The model, loaded once per process; a promoted version replaces it between batches."""
    global _loaded
    with _lock:
        now = time.monotonic()
        source = (settings.model_dir, settings.models_root)
        if _loaded is None or _loaded.source != source:
            try:
                _loaded = _load(settings, now)
            except Exception:
                MODEL_LOAD_FAILURES.inc()
                raise
            _return_freed_memory()
            log.info("loaded model %s", _loaded.scorer.version)
        elif _loaded.pointer is not None and now - _loaded.checked >= settings.model_check_seconds:
            previous = _loaded.scorer
            _loaded = _follow_active(settings, _loaded, now)
            if _loaded.scorer is not previous:
                del previous
                _return_freed_memory()
        return _loaded.scorer


@dataclass(slots=True)
class _Shadow:
    root: Path
    version: str | None
    scorer: Scorer | None  # None: no shadow, or the version failed to load
    checked: float


_shadow: _Shadow | None = None


def get_shadow_scorer(settings: Settings) -> Scorer | None:
    """The candidate named in the registry's SHADOW, loaded once per version; SHADOW is read
    again at most every `model_check_seconds`, like ACTIVE. None without one."""
    global _shadow
    if settings.model_dir is not None:
        return None  # a pinned model: the registry is not consulted
    with _lock:
        now = time.monotonic()
        root = settings.models_root
        if (
            _shadow is not None
            and _shadow.root == root
            and now - _shadow.checked < settings.model_check_seconds
        ):
            return _shadow.scorer
        registry = ModelRegistry(root)
        try:
            version = registry.shadow_version()
        except OSError as error:
            log.error("cannot read the shadow version: %s", error)
            version = _shadow.version if _shadow is not None else None
        if _shadow is not None and _shadow.root == root and version == _shadow.version:
            _shadow.checked = now
            return _shadow.scorer
        scorer = None
        if version is not None:
            try:
                scorer = Scorer.load(registry.path_of(version))
                log.info("shadow model %s scores beside the active one", version)
            except (ModelLoadError, RegistryError, OSError) as error:
                MODEL_LOAD_FAILURES.inc()
                log.error("shadow model %s failed to load: %s", version, error)
        _shadow = _Shadow(root, version, scorer, now)
        _return_freed_memory()
        return scorer


def signals_of(comment: QueuedComment) -> dict[str, str]:
    """What the policy reads beside the scores, by name, with the words that matched: the
    cues of the comment's own words (quoted passages left out: reported speech is not the
    author's threat) and the spam signals of its links, website and praise."""
    own_words = normalise_text(without_quotes(comment.body))
    found = {cue.name: cue.text for cue in find_cues(own_words)}
    found.update(
        link_signals(
            comment.body,
            comment.author_name,
            comment.author_url or "",
            comment.article_title or "",
        )
    )
    return found


class ScoringFailed(Exception):
    """No scores for a batch; `reason` says why in one line (the comments' review reason).

    A plain exception, not a frozen dataclass: raising sets `__traceback__` and `__context__`
    on it, which a frozen slots dataclass refuses with a TypeError that hides the reason.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def comment_text(comment: QueuedComment, body: str) -> CommentText:
    """The model's view of a stored comment, with `body` in place of its own (the quotes rule
    scores a comment again without its quoted passages)."""
    return CommentText(
        body=body,
        author=comment.author_name,
        email=comment.author_email,
        url=comment.author_url or "",
    )


@contextlib.contextmanager
def _scoring_errors() -> Iterator[None]:
    """Any failure to load or run the model becomes ScoringFailed (retried, then fail closed)."""
    try:
        yield
    except ModelLoadError as error:
        raise ScoringFailed(f"model unavailable: {error}") from error
    except Exception as error:
        raise ScoringFailed(f"scoring failed: {type(error).__name__}: {error}") from error


def _score(
    scorer: Scorer, comments: Sequence[QueuedComment], reject_at: float
) -> tuple[list[Scores], dict[int, float]]:
    """Scores of the batch, and for each comment at or above the reject toxicity that quotes
    something, its toxicity without the quoted passages (one more call for all of them)."""
    scores = scorer.score([comment_text(c, c.body) for c in comments])
    # Rare (a toxic comment with a quote in it), so the second call is usually not made.
    second_look = [
        i
        for i, (comment, score) in enumerate(zip(comments, scores, strict=True))
        if score.toxicity >= reject_at and quoted_passages(comment.body)
    ]
    if not second_look:
        return scores, {}
    rescored = scorer.score(
        [comment_text(comments[i], without_quotes(comments[i].body)) for i in second_look]
    )
    return scores, {i: s.toxicity for i, s in zip(second_look, rescored, strict=True)}


def decide_batch(
    settings: Settings,
    comments: Sequence[QueuedComment],
    copies: Mapping[int, int] | None = None,
    standings: Mapping[int, AuthorStanding] | None = None,
    word_lists: WordLists | None = None,
    site_policies: Mapping[int, SitePolicy] | None = None,
    *,
    scorer: Scorer | None = None,
) -> list[DecisionRecord]:
    """Score the batch together (one vectorised model call) and apply the policy to each.

    `copies` (comment id -> copies of its text, from `storage.comments.count_copies`) feeds
    the flood rule; a comment without a count (scoring a file, no database) is decided without
    that rule.
    `standings` (comment id -> its author's ban, trust and history) and `word_lists` feed the
    author and word rules, likewise skipped where not given. Words are matched on the text as
    written and on the classifiers' de-obfuscated form of it.
    A comment at or above the reject toxicity that quotes something is scored once more
    without its quoted passages (all such comments of the batch in one more call), so the
    policy can tell reported abuse from abuse; other comments cost nothing more.
    With a shadow model (`moderation models shadow`), the batch is scored by it too and what
    the policy would have decided with it is kept beside each decision.
    Each comment is decided with its site's thresholds (`site_policies`, by site id: the
    deployment's settings with the site's overrides).
    `scorer` decides with that model instead of the worker's (judging a candidate version
    against the active one); there is then no shadow.
    """
    batch = _BatchPolicy.of(settings, comments, copies, standings, word_lists, site_policies)
    with _scoring_errors():
        model = scorer if scorer is not None else get_scorer(settings)
        # The same scorer for the second look: one model version scores a whole decision.
        # The lowest reject toxicity of the batch's sites: a second look is cheap and rare.
        reject_at = min((lim.toxicity_reject for lim in batch.limits), default=1.0)
        with SCORING_SECONDS.time():
            scores, unquoted = _score(model, comments, reject_at)
    shadows = (
        None if scorer is not None else _shadow_decisions(settings, model, comments, batch.verdicts)
    )
    verdicts = batch.verdicts(scores, unquoted)
    return [
        DecisionRecord(
            comment_id=comment.id,
            status=verdict.status,
            scores=score.as_dict(),
            reasons=[r.as_dict() for r in verdict.reasons],
            reason_text="; ".join(r.text for r in verdict.reasons) or "no rule fired",
            model_version=model.version,
            shadow=shadows[i] if shadows else None,
        )
        for i, (comment, score, verdict) in enumerate(zip(comments, scores, verdicts, strict=True))
    ]


@dataclass(frozen=True, slots=True)
class _BatchPolicy:
    """What the policy reads of each comment of a batch besides its scores, gathered once:
    its site's thresholds, its copies, its author's standing, its word hits and cues. The
    active model's scores and a shadow model's are decided with the same."""

    comments: Sequence[QueuedComment]
    limits: list[Thresholds]
    copies: Mapping[int, int]
    standings: Mapping[int, AuthorStanding]
    hits: list[WordHits | None]
    signals: list[dict[str, str]]

    @classmethod
    def of(
        cls,
        settings: Settings,
        comments: Sequence[QueuedComment],
        copies: Mapping[int, int] | None,
        standings: Mapping[int, AuthorStanding] | None,
        word_lists: WordLists | None,
        site_policies: Mapping[int, SitePolicy] | None,
    ) -> _BatchPolicy:
        deployment = settings.thresholds
        per_site = {
            site: policy.applied_to(deployment) for site, policy in (site_policies or {}).items()
        }
        lists = word_lists if word_lists is not None and not word_lists.empty else None
        return cls(
            comments,
            [per_site.get(c.site_id, deployment) for c in comments],
            copies or {},
            standings or {},
            [lists.match(c.body, normalise_text) if lists else None for c in comments],
            [signals_of(c) for c in comments],
        )

    def verdicts(self, scores: Sequence[Scores], unquoted: Mapping[int, float]) -> list[Verdict]:
        return [
            decide(
                DecisionInputs(
                    spam=score.spam,
                    toxicity=score.toxicity,
                    body=comment.body,
                    thresholds=self.limits[i],
                    copies=self.copies.get(comment.id),
                    attributes=score.attributes,
                    unquoted_toxicity=unquoted.get(i),
                    standing=self.standings.get(comment.id),
                    word_hits=self.hits[i],
                    signals=self.signals[i],
                )
            )
            for i, (comment, score) in enumerate(zip(self.comments, scores, strict=True))
        ]


def _shadow_decisions(
    settings: Settings,
    active: Scorer,
    comments: Sequence[QueuedComment],
    verdicts: Callable[[Sequence[Scores], Mapping[int, float]], list[Verdict]],
) -> list[ShadowDecision] | None:
    """What the shadow model would have decided; None without one. Its failures are logged
    and never touch the real decision."""
    try:
        shadow = get_shadow_scorer(settings)
        if shadow is None or shadow.version == active.version:
            return None
        scores, unquoted = _score(shadow, comments, settings.thresholds.toxicity_reject)
        return [
            ShadowDecision(shadow.version, verdict.status, score.as_dict())
            for score, verdict in zip(scores, verdicts(scores, unquoted), strict=True)
        ]
    except Exception as error:  # a broken candidate must not stop the comments' decisions
        log.error("shadow model failed on %d comment(s): %s", len(comments), error)
        return None


def fail_closed(comments: Sequence[QueuedComment], reason: str) -> list[DecisionRecord]:
    """No score after every retry: send each comment to a human with the reason."""
    verdict = decide_unscored(reason)
    return [
        DecisionRecord(
            comment_id=c.id,
            status=verdict.status,
            scores={},
            reasons=[r.as_dict() for r in verdict.reasons],
            reason_text=reason,
            model_version=None,
        )
        for c in comments
    ]
