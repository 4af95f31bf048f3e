"""The worker's batch decision: quoted speech gets a second look without its quotes."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from classifiers import CommentText, Scores
from moderation.domain.policy import Thresholds
from moderation.domain.statuses import CommentStatus
from moderation.storage.comments import QueuedComment
from tests.support.policy_settings import default_policy_settings
from workers import scoring
from workers.scoring import ScoringFailed, decide_batch

# A court report quoting a slur-laden threat (toxicity 0.999 whole, 0.155 without the quote
# with v0-20261129-bdc752e7), the same abuse written at the reader, and the report followed by
# abuse of the reader's own.
REPORT = (
    'The court heard that the defendant shouted "you stupid fucking faggot, I\'ll kill you" at '
    "the bus driver. He got four years."
)
DIRECT = "You stupid fucking faggot, I'll kill you."
# Its own abuse must be plainly over the threshold: with "You are a worthless fucking idiot
# for defending him." as that abuse, the text outside the quotes scored 0.901 with
# v0-20261206-636ac371 and 0.897 with v0-20261206-cd9df488, a coin toss around 0.9 rather
# than the rule under test.
REPORT_THEN_ABUSE = (
    REPORT + " You are a worthless fucking idiot and a piece of shit for defending him."
)
CLEAN = "The bridge repairs were finished on time."
# A site that rejects from toxicity 0.9 (the default is 0.99): the rule under test is the
# second look at quoted speech, which needs a comment at or above the reject threshold.
SITE = Thresholds(spam_reject=0.9, toxicity_reject=0.9)


def _queued(*bodies: str) -> list[QueuedComment]:
    return [
        QueuedComment(i, body, "Ann Reader", "ann@example.com", None)
        for i, body in enumerate(bodies)
    ]


def test_a_reported_slur_is_held_and_the_same_abuse_at_the_reader_is_rejected() -> None:
    report, direct, both, clean = decide_batch(
        default_policy_settings(SITE), _queued(REPORT, DIRECT, REPORT_THEN_ABUSE, CLEAN)
    )

    assert report.status is CommentStatus.PENDING
    assert report.scores["toxicity"] >= SITE.toxicity_reject
    outside = next(r for r in report.reasons if r["rule"] == "toxicity_outside_quotes")
    assert outside["value"] < SITE.toxicity_reject
    assert (outside["threshold"], outside["op"]) == (SITE.toxicity_reject, "<")
    # What the moderator reads: toxic as a whole, not toxic outside the quotes.
    assert f"toxicity {report.scores['toxicity']:.2f} >= 0.5" in report.reason_text
    assert report.reason_text.endswith(f"toxicity_outside_quotes {outside['value']:.2f} < 0.9")

    assert direct.status is CommentStatus.REJECTED
    assert direct.reason_text.startswith(f"toxicity {direct.scores['toxicity']:.2f} >= 0.9")
    assert both.status is CommentStatus.REJECTED
    assert "toxicity_outside_quotes" not in both.reason_text
    assert clean.status is CommentStatus.APPROVED
    assert {r.model_version for r in (report, direct, both, clean)} == {report.model_version}


class _CountingScorer:
    """Scores a body by what it contains and records every call the worker makes."""

    version = "v-test"

    def __init__(self, fail_on_call: int | None = None) -> None:
        self.calls: list[list[CommentText]] = []
        self.fail_on_call = fail_on_call

    @property
    def bodies(self) -> list[list[str]]:
        return [[c.body for c in call] for call in self.calls]

    def score(self, comments: Sequence[CommentText]) -> list[Scores]:
        self.calls.append(list(comments))
        if len(self.calls) == self.fail_on_call:
            raise RuntimeError("out of memory")
        return [Scores(0.01, 0.99 if "scum" in c.body else 0.1) for c in comments]


@pytest.fixture
def scorer(monkeypatch: pytest.MonkeyPatch) -> _CountingScorer:
    fake = _CountingScorer()
    monkeypatch.setattr(scoring, "get_scorer", lambda settings: fake)
    return fake


def test_toxic_comments_that_quote_are_rescored_together_in_one_more_call(
    scorer: _CountingScorer,
) -> None:
    bodies = (
        "He called them 'scum' at the meeting.",
        "You are scum.",  # toxic, quotes nothing
        "A quiet 'thank you' to the volunteers.",  # quotes, not toxic
        'The sign said "scum out" and "no scum".',
    )
    records = decide_batch(default_policy_settings(SITE), _queued(*bodies))

    assert scorer.bodies == [
        list(bodies),
        ['He called them "\u2026" at the meeting.', 'The sign said "\u2026" and "\u2026".'],
    ]
    assert [r.status for r in records] == [
        CommentStatus.PENDING,
        CommentStatus.REJECTED,
        CommentStatus.APPROVED,
        CommentStatus.PENDING,
    ]
    assert records[0].reason_text == "toxicity 0.99 >= 0.5; toxicity_outside_quotes 0.10 < 0.9"


def test_a_batch_with_nothing_to_rescore_costs_one_call(scorer: _CountingScorer) -> None:
    decide_batch(default_policy_settings(), _queued("You are scum.", "A quiet 'thank you'.", CLEAN))

    assert len(scorer.calls) == 1


def test_the_second_call_keeps_the_author_fields(scorer: _CountingScorer) -> None:
    comment = QueuedComment(3, "They chanted 'scum'.", "Bo", "bo@example.org", "https://bo.example")

    decide_batch(default_policy_settings(), [comment])

    assert scorer.calls == [
        [CommentText("They chanted 'scum'.", "Bo", "bo@example.org", "https://bo.example")],
        [CommentText('They chanted "\u2026".', "Bo", "bo@example.org", "https://bo.example")],
    ]


def test_a_failure_of_the_second_call_fails_the_batch_like_the_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = _CountingScorer(fail_on_call=2)
    monkeypatch.setattr(scoring, "get_scorer", lambda settings: fake)

    with pytest.raises(ScoringFailed) as failed:
        decide_batch(default_policy_settings(), _queued("He called them 'scum'.", CLEAN))
    assert failed.value.reason == "scoring failed: RuntimeError: out of memory"


def test_word_lists_see_through_disguises_and_authors_standing_counts() -> None:
    from moderation.domain.authors import AuthorStanding
    from moderation.domain.wordlists import ListedTerm, WordKind, WordLists

    word_lists = WordLists.compile(
        [
            ListedTerm(WordKind.BLOCKED, "*cialis*"),
            ListedTerm(WordKind.EXCEPTION, "specialist"),
            ListedTerm(WordKind.SUSPECT, "casino*"),
        ]
    )
    bodies = (
        # Blocked, spaced out and in leetspeak; the model alone would approve it (spam 0.04).
        "The pharmacy ran out of c 1 a l 1 s again, said my neighbour.",
        "My specialist says the new clinic is good.",  # the exception holds
        "The casinos on the waterfront pay little tax.",  # suspect: held
        CLEAN,  # by a banned author
        "Hmm, a borderline remark about the vote.",  # by a trusted author
    )
    standings = {3: AuthorStanding(banned_by="email"), 4: AuthorStanding(trusted=True)}

    blocked, exception, suspect, banned, trusted = decide_batch(
        default_policy_settings(), _queued(*bodies), None, standings, word_lists
    )

    assert blocked.status is CommentStatus.REJECTED
    assert "blocked_word: cialis" in blocked.reason_text
    assert exception.status is CommentStatus.APPROVED
    assert suspect.status is CommentStatus.PENDING
    assert "suspect_word: casinos" in suspect.reason_text
    assert (banned.status, banned.reason_text) == (CommentStatus.REJECTED, "banned_author: email")
    assert trusted.status is CommentStatus.APPROVED


def test_the_worker_reads_the_comments_own_words_its_website_and_its_articles_title() -> None:
    shop_praise = QueuedComment(
        1,
        "Great post, very informative!",
        "Anna",
        "anna@example.com",
        "https://cheap-watches-outlet.example/buy",
        article_title="Council approves the bypass",
    )
    self_harm = QueuedComment(2, "kys", "Ben", "ben@example.com", None)
    reported = QueuedComment(
        3,
        'The troll wrote "kys" under her post, and the police are looking into it.',
        "Cy",
        "cy@example.com",
        None,
    )
    spam, removed, report = decide_batch(
        default_policy_settings(), [shop_praise, self_harm, reported]
    )
    assert spam.status is CommentStatus.SPAM
    assert "generic_praise: Great post" in spam.reason_text
    assert "website_commercial: cheap-watches-outlet.example/buy" in spam.reason_text
    assert removed.status is CommentStatus.REJECTED
    assert removed.reason_text == "self_harm_call: kys"
    # Quoted, the same words are not the author's call: no self-harm rule.
    assert "self_harm_call" not in report.reason_text
    assert report.status is not CommentStatus.REJECTED
