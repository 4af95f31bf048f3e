"""Behaviour of the committed default model on clear-cut comments."""
# ruff: noqa: RUF001  (look-alike characters are the point of this file)

from __future__ import annotations

import pytest

from classifiers import DEFAULT_MODEL_DIR, CommentText, Scorer
from classifiers.labels import ATTRIBUTES


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer.load()


def test_default_model_dir_is_committed() -> None:
    assert (DEFAULT_MODEL_DIR / "model.skops").is_file()
    assert (DEFAULT_MODEL_DIR / "manifest.json").is_file()


def test_version_comes_from_manifest(scorer: Scorer) -> None:
    assert scorer.version == scorer.manifest["model_version"]
    assert scorer.version.startswith("v0-")


@pytest.mark.parametrize(
    "comment",
    [
        CommentText("Buy cheap viagra now!!! visit http://cheap-pills.example.com"),
        CommentText("check out my channel, subscribe!!"),
        CommentText("Congratulations! You won a FREE prize, call 09061701461 to claim now"),
    ],
)
def test_clear_spam_scores_high(scorer: Scorer, comment: CommentText) -> None:
    assert scorer.score([comment])[0].spam > 0.5


@pytest.mark.parametrize(
    "body",
    [
        "The government's budget is a disaster: cutting hospital funding while handing tax "
        "breaks to the wealthiest is short-sighted and irresponsible policy.",
        "I respectfully disagree with the author; the evidence on rent control suggests it "
        "reduces housing supply over time.",
        "The council meeting was moved to Thursday, so residents still have time to comment "
        "on the new bus routes.",
    ],
)
def test_news_comments_are_not_spam(scorer: Scorer, body: str) -> None:
    assert (
        scorer.score([CommentText(body, author="Jane Doe", email="jane@gmail.com")])[0].spam < 0.5
    )


@pytest.mark.parametrize(
    "body",
    [
        "You are a stupid idiot and a moron.",
        "shut up you worthless piece of shit",
        "You 1d10t",  # leetspeak
        "you are an i d i o t",  # spaced letters
        "stuuupid m0r0n",  # repeated letters + leetspeak
        "you are an id\u200biot",  # zero-width space
        "уou аre аn idiоt",  # Cyrillic look-alikes
    ],
)
def test_insults_score_high_toxicity(scorer: Scorer, body: str) -> None:
    assert scorer.score([CommentText(body)])[0].toxicity > 0.8


@pytest.mark.parametrize(
    "body",
    [
        "I respectfully disagree with the author; the evidence on rent control suggests it "
        "reduces housing supply over time.",
        "Thanks for the thoughtful reply. I see your point, though I still think the tax "
        "change will mostly help large companies.",
    ],
)
def test_civil_disagreement_scores_low_toxicity(scorer: Scorer, body: str) -> None:
    # 0.31 for the first since the attribute release (the synthetic rows raised clean prose a
    # little); still far below the hold threshold (0.5).
    assert scorer.score([CommentText(body)])[0].toxicity < 0.35


@pytest.mark.parametrize(
    ("about_things_or_trades", "at_a_reader"),
    [
        ("Most politicians are liars and cowards.", "You are an idiot and a liar."),
        ("Bankers are greedy, as usual.", "You're a pathetic little man."),
        ("Honestly, the whole plan is stupid.", "You are stupid."),
        ("The new parking rules are idiotic.", "Go back to school, you moron."),
    ],
)
def test_harsh_criticism_is_published_or_held_but_insulting_a_reader_is_rejected(
    scorer: Scorer, about_things_or_trades: str, at_a_reader: str
) -> None:
    # Sentences that are not among the template rows: debate calls a plan stupid and
    # politicians liars every day; a reader called stupid has been insulted. 0.09, 0.07,
    # 0.54, 0.39 against 1.00, 0.96, 0.99, 0.97 with v0-20261129-19c434e0 (0.94 for the
    # stupid plan before the criticism rows). v0-20261205-ee896085: the insult attribute of
    # "Go back to school, you moron." is 0.88 (its toxicity 0.9 or more rejects it).
    criticism, insult = scorer.score(
        [CommentText(about_things_or_trades), CommentText(at_a_reader)]
    )
    assert criticism.toxicity < 0.75
    assert insult.toxicity >= 0.9
    assert insult.attributes["insult"] >= 0.85


def test_the_seven_models_weigh_n_grams_with_one_idf_held_once(scorer: Scorer) -> None:
    featurizers = [
        p.steps[0][1] for p in (scorer._spam, scorer._toxicity, *scorer._attributes.values())
    ]
    assert len(featurizers) == 7
    assert featurizers[0].idf is not None and featurizers[0].idf.shape == (1 << 19,)
    assert all(f.idf is featurizers[0].idf for f in featurizers)  # one array in memory, not 7
    # Rare n-grams weigh more than common ones: the weights are not all equal.
    assert featurizers[0].idf.min() < 2 < featurizers[0].idf.max()


def test_batch_equals_single(scorer: Scorer) -> None:
    comments = [CommentText("you idiot"), CommentText("visit www.example.com now"),
                CommentText("Nice article")]  # fmt: skip
    assert scorer.score(comments) == [scorer.score([c])[0] for c in comments]


def test_shared_fast_path_matches_the_saved_pipelines(scorer: Scorer) -> None:
    comments = [
        CommentText("you idiot", "x", "x@mailinator.com", "http://spam.example.com"),
        CommentText("visit www.example.com now, whatsapp +1 555 123 4567"),
        CommentText("A calm comment about the library opening hours."),
        CommentText(""),
    ]
    fast = scorer.score(comments)
    reference = scorer.score_with_pipelines(comments)
    for a, b in zip(fast, reference, strict=True):
        assert a.spam == pytest.approx(b.spam, abs=1e-5)
        assert a.toxicity == pytest.approx(b.toxicity, abs=1e-5)
        assert set(a.attributes) == set(b.attributes) == set(ATTRIBUTES)
        for name in ATTRIBUTES:
            assert a.attributes[name] == pytest.approx(b.attributes[name], abs=1e-5)


# Scams, and the toxicity each stays under: prize scams as the SMS set has them, then scam
# wording unlike the SMS set's.
SCAMS = [
    ("Congratulations, your phone number has won a cash prize, call now to claim it", 0.2),
    ("FREE ringtones! Text TONE to 85023 now, only 1.50 per week", 0.2),
    ("Quit your 9-5 job! I earn $300 a day from home with crypto trading, dm me to start", 0.5),
    ("Want extra income? Message me on telegram, guaranteed profit every week", 0.5),
]


@pytest.mark.parametrize(("body", "toxicity_under"), SCAMS)
def test_scams_are_spam_but_not_toxic(scorer: Scorer, body: str, toxicity_under: float) -> None:
    score = scorer.score([CommentText(body)])[0]
    assert score.spam > 0.5
    assert score.toxicity < toxicity_under


@pytest.mark.parametrize(
    "body",
    [
        "The new cycle lanes are badly designed and the council wasted money on them.",
        "I think the plan is too expensive, but the idea is good.",
        "Thank you for the balanced article about the election.",
        "I'm a Christian and I go to church every Sunday.",
        "The transgender community centre is hosting a meeting.",
        "Korean people live on my street.",
    ],
)
def test_ordinary_and_identity_comments_are_clean(scorer: Scorer, body: str) -> None:
    # Well below the policy's hold threshold (0.5); closing the identity gap further is the
    # work of the classifier-quality issue.
    score = scorer.score([CommentText(body, "Reader", "reader@example.org")])[0]
    # Below the hold threshold (0.5), so the comment is published. "I'm a Christian and I go
    # to church every Sunday." is the closest: 0.47 since the attribute release (it was under
    # 0.4; the synthetic attacks on groups mention churches), a regression to win back.
    assert score.toxicity < 0.5
    assert score.spam < 0.3


# Identity mentions in neutral sentences must not read as toxic (Dixon et al., AIES 2018).
_GROUPS = (
    "Korean", "Russian", "Ukrainian", "American", "Chinese", "Mexican", "Jewish", "Muslim",
    "Christian", "Hindu", "Black", "white", "Asian", "gay", "lesbian", "transgender",
    "straight", "disabled", "deaf", "immigrant", "African", "Arab", "Indian", "Irish", "Polish",
)  # fmt: skip
IDENTITY_MAX = 0.8
IDENTITY_MEAN = 0.5


def test_identity_templates_are_not_toxic(scorer: Scorer) -> None:
    bodies = [f"I am a proud {g} person." for g in _GROUPS]
    bodies += [f"{g[:1].upper()}{g[1:]} people live on my street." for g in _GROUPS]
    toxicity = [s.toxicity for s in scorer.score([CommentText(b) for b in bodies])]
    worst = max(zip(toxicity, bodies, strict=True))
    assert worst[0] < IDENTITY_MAX, worst
    assert sum(toxicity) / len(toxicity) < IDENTITY_MEAN


@pytest.mark.parametrize(
    "body",
    [
        "We walked along the canal towpath on Sunday and the new benches are lovely.",
        "I would be glad if the library opened on Saturday mornings again.",
        "Our neighbours organised a street party and everyone brought food.",
        "The school choir performed beautifully at the town hall last night.",
        "This policy is poorly thought through and the minister should explain the costs.",
        "The referee made some bad calls, but the team still played badly.",
    ],
)
def test_neutral_and_harsh_but_civil_text_is_not_toxic(scorer: Scorer, body: str) -> None:
    assert scorer.score([CommentText(body)])[0].toxicity < 0.5


def test_every_attribute_is_scored(scorer: Scorer) -> None:
    assert scorer.attributes == ATTRIBUTES
    (score,) = scorer.score([CommentText("A calm comment about the library opening hours.")])
    assert set(score.attributes) == set(ATTRIBUTES)
    assert all(0.0 <= value < 0.5 for value in score.attributes.values())


# Each attribute names the kind of abuse: the attribute of the comment's kind scores highest
# among the attributes and at least 0.5. Phrasings are not in the training templates.
@pytest.mark.parametrize(
    ("body", "attribute"),
    [
        ("I am going to track you down and hurt you badly.", "threat"),
        ("Keep lying and I will come to your house and break your neck.", "threat"),
        ("Immigrants are a disease infecting our cities.", "identity_attack"),
        ("Muslims are savages who should all be thrown out of the country.", "identity_attack"),
        ("what the fuck is this shit, fucking useless", "obscene"),
        ("You are a pathetic, ignorant idiot and everyone here knows it.", "insult"),
    ],
)
def test_the_attribute_of_the_abuse_scores_highest(
    scorer: Scorer, body: str, attribute: str
) -> None:
    (score,) = scorer.score([CommentText(body)])
    assert score.attributes[attribute] >= 0.5, score.attributes
    others = {k: v for k, v in score.attributes.items() if k not in (attribute, "severe_toxicity")}
    assert score.attributes[attribute] >= max(others.values()) - 0.05, score.attributes


@pytest.mark.parametrize(
    "body",
    [
        "This commute is killing me, two hours each way.",
        # Threat 0.93 with v0-20261129-19c434e0, under 0.9 since v0-20261205-ee896085.
        "The striker killed the game off in the second half.",
        "The chancellor should be sacked for this budget.",
        "Immigrants opened most of the new shops on our road.",
        "It is disgraceful that anyone calls refugees vermin.",
    ],
)
def test_violent_words_and_group_names_alone_are_not_threats_or_attacks(
    scorer: Scorer, body: str
) -> None:
    # Below the levels at which the policy holds a comment for these attributes alone
    # (MODERATION_THREAT_HOLD_THRESHOLD 0.9, MODERATION_IDENTITY_ATTACK_HOLD_THRESHOLD 0.95):
    # the attribute models read "probability under a 50/50 prior" and a violent idiom still
    # scores 0.6-0.7 for threat.
    (score,) = scorer.score([CommentText(body)])
    assert score.attributes["threat"] < 0.9, score.attributes
    assert score.attributes["identity_attack"] < 0.95, score.attributes
