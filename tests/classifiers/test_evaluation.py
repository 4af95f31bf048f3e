"""Leave-one-source-out evaluation, its baselines and the report it writes."""

from __future__ import annotations

import os
import random
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from classifiers.datasets import (
    LabelledSet,
    build_label_sets,
    build_training_sets,
    feature_lexicon,
    read_lexicon,
)
from classifiers.evaluation import (
    Bogofilter,
    Evaluation,
    ProfanityCheck,
    Split,
    TfidfLogisticRegression,
    Thresholds,
    compute_metrics,
    evaluate,
    expected_calibration_error,
    plan,
    train_on_subset,
)
from classifiers.report import evaluation_report, verdict, why
from classifiers.training import build_body_rows, build_toxicity_pipeline
from tests.conftest import ROOT, require

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The shared datasets sit beside the project; a git worktree elsewhere can point at them.
SHARED = Path(os.environ.get("SHARED_DATASETS", ROOT.parent / "shared" / "datasets"))


@pytest.fixture(scope="module")
def jigsaw_held_out(fixture_data: Path) -> Evaluation:
    # Jigsaw carries both labels: toxicity (both classes) and spam (ham only), so one
    # held-out source exercises both kinds of split; the spam-with-spam split (sms) is run
    # by the CLI test.
    return evaluate(fixture_data, sources=["jigsaw"])


def test_compute_metrics_on_known_scores() -> None:
    y = np.array([0, 0, 0, 1, 1, 1])
    p = np.array([0.1, 0.6, 0.2, 0.55, 0.95, 0.3])
    m = compute_metrics(y, p, Thresholds(hold=0.5, reject=0.9))
    assert m.rows == 6 and m.positives == 3
    assert m.roc_auc == pytest.approx(7 / 9)  # 7 of the 9 (positive, negative) pairs in order
    hold, reject = m.at["hold"], m.at["reject"]
    assert (hold.precision, hold.recall, hold.false_positive_rate) == (2 / 3, 2 / 3, 1 / 3)
    assert hold.f1 == pytest.approx(2 / 3)
    assert (reject.precision, reject.recall, reject.false_positive_rate) == (1.0, 1 / 3, 0.0)


def test_ham_only_rows_get_a_false_positive_rate_and_no_auc() -> None:
    m = compute_metrics(np.zeros(4, dtype=int), np.array([0.1, 0.2, 0.7, 0.95]), Thresholds())
    assert m.roc_auc is None and m.pr_auc is None and m.at["hold"].recall is None
    assert m.at["hold"].false_positive_rate == 0.5
    assert m.at["reject"].false_positive_rate == 0.25


@pytest.mark.parametrize(
    ("y", "p", "ece"),
    [
        ([0, 1, 0, 1], [0.05, 0.95, 0.05, 0.95], 0.05),  # confident and right
        ([1, 1, 0, 0], [0.05, 0.05, 0.95, 0.95], 0.95),  # confident and wrong
        ([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5], 0.0),  # says 50% and half are positive
    ],
)
def test_expected_calibration_error(y: list[int], p: list[float], ece: float) -> None:
    assert expected_calibration_error(np.array(y), np.array(p)) == pytest.approx(ece)


def test_held_out_rows_never_train_the_model(fixture_data: Path) -> None:
    spam, toxicity, _ = build_training_sets(fixture_data)
    sets = {"spam": spam, "toxicity": toxicity}
    rounds = dict(plan(sets, fixture_data, ["youtube", "davidson", "toxicspans"]))
    assert list(rounds) == [
        "youtube",
        "davidson",
        "toxicspans",
        "YouTube video Youtube01-Psy",
        "YouTube video Youtube02-KatyPerry",
        "YouTube video Youtube03-LMFAO",
        "YouTube video Youtube04-Eminem",
    ]
    for tasks in rounds.values():
        for task in tasks:
            assert not (task.train & task.test).any()
            if task.kind == "source":
                # No row derived from the held-out files (e.g. toxicspans_rest) is trained on.
                sources = np.asarray(sets[task.label].sources)[task.train]
                assert not any(s.split("_")[0] == task.held_out for s in sources)
    (davidson,) = rounds["davidson"]  # Davidson carries no spam label
    assert davidson.label == "toxicity"
    toxicspans = {t.label: t for t in rounds["toxicspans"]}
    spam_sources = np.asarray(spam.sources)[toxicspans["spam"].test]
    assert set(spam_sources) == {"toxicspans_ham"}
    tox_sources = np.asarray(toxicity.sources)[toxicspans["toxicity"].test]
    assert set(tox_sources) == {"toxicspans"}  # the synthetic span-removed rows are not tested
    (psy,) = rounds["YouTube video Youtube01-Psy"]
    # Psy's 18 comments are scored; the other three videos (54 comments) still train.
    assert psy.test.sum() == 18 and psy.train.sum() == len(spam) - 18
    assert np.asarray(spam.sources)[psy.train].tolist().count("youtube") == 54


def test_toxicspans_held_out_reports_span_f1_of_models_that_never_saw_it(
    fixture_data: Path,
) -> None:
    evaluation = evaluate(fixture_data, sources=["toxicspans"], baselines=[], videos=False)
    (toxicity,) = [s for s in evaluation.splits if s.label == "toxicity"]
    spans = toxicity.extras["span_f1"]
    assert spans["model_version"] == "trained without toxicspans"
    assert spans["comments"] > 0
    for value in (*spans["f1"].values(), *spans["f1_comments_with_gold_spans"].values()):
        assert 0.0 <= value <= 1.0
    assert "| explain |" in spans["table"]
    # Only that round carries it: other sources' models saw TOXICSPANS.
    assert all("span_f1" not in s.extras for s in evaluation.splits if s.label == "spam")


def test_loso_scores_every_label_the_source_carries(jigsaw_held_out: Evaluation) -> None:
    splits = {(s.label, s.held_out): s for s in jigsaw_held_out.splits}
    # Jigsaw labels every attribute, but its 8 threats are too few to test on.
    labels = {"spam", "toxicity", "severe_toxicity", "insult", "identity_attack", "obscene"}
    assert set(splits) == {(label, "jigsaw") for label in labels}
    assert splits["insult", "jigsaw"].metrics["ours"].positives > 0
    toxicity, spam = splits["toxicity", "jigsaw"], splits["spam", "jigsaw"]
    assert toxicity.metrics["ours"].roc_auc is not None and toxicity.metrics["ours"].roc_auc > 0.8
    assert spam.metrics["ours"].positives == 0 and spam.metrics["ours"].roc_auc is None
    for split in jigsaw_held_out.splits:
        for m in split.metrics.values():
            values = [m.roc_auc, m.pr_auc, m.ece]
            for at in m.at.values():
                values += [at.precision, at.recall, at.f1, at.false_positive_rate]
            assert all(0.0 <= v <= 1.0 for v in values if v is not None), split.held_out


def test_report_has_its_sections_and_real_png_plots(
    jigsaw_held_out: Evaluation, tmp_path: Path
) -> None:
    report = evaluation_report(jigsaw_held_out, tmp_path)
    report.add_section("Bias templates", "Added later by another evaluation.")
    text = report.write().read_text(encoding="utf-8")
    for heading in (
        "## Headline",
        "## Method",
        "## Spam: leave one source out",
        "## Toxicity: leave one source out",
        "## Ours against the baselines",
        "## In distribution, for contrast",
        "## Bias templates",
    ):
        assert heading in text
    assert text.index("## Headline") < text.index("## Bias templates")
    assert "| toxicity | jigsaw | 36 (18) |" in text
    for name in (
        "spam_roc_pr.png",
        "spam_calibration.png",
        "spam_confusion.png",
        "toxicity_roc_pr.png",
        "toxicity_calibration.png",
        "toxicity_confusion.png",
    ):
        assert f"]({name})" in text
        assert (tmp_path / name).read_bytes()[:8] == PNG_SIGNATURE
    if jigsaw_held_out.baselines["alt-profanity-check"] is None:
        # The baseline was trained on Jigsaw: the report must say so next to the verdict.
        assert "unfair to ours: alt-profanity-check was trained on jigsaw" in text


def test_a_model_trained_on_shuffled_labels_scores_worse(
    fixture_data: Path, jigsaw_held_out: Evaluation
) -> None:
    _, toxicity, files = build_training_sets(fixture_data)
    pipeline = build_toxicity_pipeline(feature_lexicon(read_lexicon(files)))
    features = pipeline[:-1].fit_transform(build_body_rows(toxicity.texts))
    test = np.asarray(toxicity.sources) == "jigsaw"
    train = ~test
    labels = list(toxicity.labels)
    trained = [labels[i] for i in np.flatnonzero(train)]
    random.Random(1).shuffle(trained)
    for i, label in zip(np.flatnonzero(train), trained, strict=True):
        labels[i] = label
    broken = train_on_subset(replace(toxicity, labels=labels), features, train, pipeline[-1])
    y = np.asarray(toxicity.labels)[test]
    broken_auc = compute_metrics(y, broken.predict_proba(features[test])[:, 1], Thresholds())
    real = next(s for s in jigsaw_held_out.splits if s.label == "toxicity")
    assert np.array_equal(real.y, y)
    assert broken_auc.roc_auc is not None and real.metrics["ours"].roc_auc is not None
    assert broken_auc.roc_auc < real.metrics["ours"].roc_auc - 0.2


def test_bogofilter_learns_the_training_fold_and_ranks_spam_above_ham() -> None:
    bogofilter = Bogofilter()
    require(bogofilter.unavailable() is None, "bogofilter is not installed")
    spam = [
        "WIN a free prize now, call 0800 123 456",
        "cheap pills online, buy now at www.pharma.example",
        "From now on: free money, click http://cash.example",  # an mbox separator look-alike
        "subscribe to my channel for free gift cards",
    ] * 5
    ham = [
        "the council vote on the budget is next week",
        "see you at dinner tonight\n\nbring the salad",
        "i disagree with the article but the reporting was fair",
        "the bridge repairs finished on time",
    ] * 5
    scores = bogofilter.fit_predict(
        spam + ham,
        [1] * len(spam) + [0] * len(ham),
        ["win a free prize, call now", "free pills at www.pharma.example", "dinner and the vote"],
    )
    assert scores.shape == (3,)
    assert min(scores[:2]) > 0.5 > scores[2]


def test_a_fresh_bogofilter_wordlist_per_fold() -> None:
    bogofilter = Bogofilter()
    require(bogofilter.unavailable() is None, "bogofilter is not installed")
    texts = ["free prize money now", "lunch at noon with the team"]
    first = bogofilter.fit_predict(texts, [1, 0], texts)
    flipped = bogofilter.fit_predict(texts, [0, 1], texts)  # would be muddled if shared
    assert first[0] > 0.5 > first[1] and flipped[0] < 0.5 < flipped[1]


def test_missing_bogofilter_is_reported_not_raised(tmp_path: Path) -> None:
    assert "bogofilter is not installed" in (Bogofilter(str(tmp_path / "nope")).unavailable() or "")


def test_profanity_check_ranks_profanity_above_clean_text() -> None:
    baseline = ProfanityCheck()
    require(baseline.unavailable() is None, "alt-profanity-check is not installed")
    scores = baseline.fit_predict(
        [], [], ["you are a fucking idiot", "shut up you stupid bitch", "thanks for the article"]
    )
    assert min(scores[:2]) > scores[2]


def test_real_data_sms_held_out() -> None:
    """The one real-data split that stays cheap: the spam model without SMS, scored on SMS."""
    require(SHARED.is_dir(), f"{SHARED} (the shared datasets) is missing")
    require(shutil.which("bogofilter") is not None, "bogofilter is not installed")
    # bogofilter alone beside ours: the TF-IDF baseline's refit on every label's rows would
    # double the time, and the fixture-data tests show it is run.
    evaluation = evaluate(SHARED, sources=["sms"], baselines=[Bogofilter()], videos=False)
    (split,) = evaluation.splits
    assert (split.label, split.held_out, split.metrics["ours"].rows) == ("spam", "sms", 5574)
    assert split.metrics["ours"].positives == 747
    # Trained only on YouTube spam, SMS spam is still mostly ranked above SMS ham.
    assert split.metrics["ours"].roc_auc is not None and split.metrics["ours"].roc_auc > 0.8
    assert split.metrics["bogofilter"].roc_auc is not None


def test_bogofilter_failure_is_an_error(tmp_path: Path) -> None:
    fake = tmp_path / "bogofilter"
    fake.write_text("#!/bin/sh\necho 'cannot open wordlist' >&2\nexit 3\n", encoding="utf-8")
    fake.chmod(0o755)
    with pytest.raises(RuntimeError, match="cannot open wordlist"):
        Bogofilter(str(fake)).fit_predict(["spam"], [1], ["text"])


def _split(label: str, held_out: str, y: list[int], **scores: list[float]) -> Split:
    split = Split(label, held_out, "source", 100, np.asarray(y))
    for name, p in scores.items():
        split.scores[name.replace("_", "-")] = np.asarray(p)
        split.metrics[name.replace("_", "-")] = compute_metrics(
            np.asarray(y), np.asarray(p), Thresholds()
        )
    return split


def test_a_comparison_ours_loses_is_explained_with_the_figures_behind_it() -> None:
    # Spam: bogofilter keeps the ham-only source cleaner (0 vs 1 of 4 flagged) but finds
    # 1 of 4 spams where ours finds 3 of 4.
    ham_only = _split("spam", "jigsaw", [0, 0, 0, 0], ours=[0.6, 0.1, 0.2, 0.1],
                      bogofilter=[0.1, 0.1, 0.1, 0.1])  # fmt: skip
    with_spam = _split("spam", "sms", [1, 1, 1, 1, 0, 0], ours=[0.9, 0.8, 0.7, 0.2, 0.1, 0.1],
                       bogofilter=[0.9, 0.1, 0.1, 0.1, 0.2, 0.1])  # fmt: skip
    # Toxicity on TOXICSPANS: lost and explained; on Stormfront: won, nothing to explain.
    lost = _split("toxicity", "toxicspans", [1, 1, 0, 0], ours=[0.6, 0.3, 0.4, 0.2],
                  alt_profanity_check=[0.9, 0.8, 0.1, 0.2])  # fmt: skip
    won = _split("toxicity", "stormfront", [1, 1, 0, 0], ours=[0.9, 0.8, 0.1, 0.2],
                 alt_profanity_check=[0.6, 0.3, 0.4, 0.2])  # fmt: skip
    in_distribution = {"spam": {"by_source": {"jigsaw_ham": {"false_positive_rate_at_0.5": 0.02}}}}
    evaluation = Evaluation([ham_only, with_spam, lost, won], Thresholds(), {}, in_distribution,
                            "data")  # fmt: skip

    ham_reason = why(ham_only, evaluation)
    assert ham_reason is not None
    assert "recall at hold" in ham_reason and "sms 0.750 vs 0.250" in ham_reason
    assert "cross-validated FPR@0.5 is 0.020" in ham_reason
    lost_reason = why(lost, evaluation)
    assert lost_reason is not None and "Civil Comments" in lost_reason
    assert why(won, evaluation) is None
    assert why(with_spam, evaluation) is None


def test_tfidf_baseline_ranks_obvious_abuse_above_clean_real_comments() -> None:
    """Trained on ~1,000 real Jigsaw comments, scored on others: toxic ones that are also
    obscene and clean ones."""
    require(SHARED.is_dir(), f"{SHARED} (the shared datasets) is missing")
    sets, _ = build_label_sets(SHARED)
    toxicity, obscene = sets["toxicity"], sets["obscene"]
    rows = [
        row for row in zip(toxicity.texts, toxicity.labels, toxicity.folds, toxicity.sources,
                           strict=True) if row[3] == "jigsaw"
    ]  # fmt: skip
    obscene_texts = {
        t for t, y, s in zip(obscene.texts, obscene.labels, obscene.sources, strict=True)
        if s == "jigsaw" and y
    }  # fmt: skip
    train, test = LabelledSet(), LabelledSet()
    for text, label, fold, source in rows:
        if fold == 0 and (not label or text in obscene_texts):
            test.add(text, label, source, fold)
        elif fold and (label or sum(1 for y in train.labels if not y) < 600):
            train.add(text, label, source, fold)
    assert 300 < sum(train.labels) < len(train) and 30 < sum(test.labels) < len(test)
    baseline = TfidfLogisticRegression()
    assert baseline.unavailable() is None and "obscene" in baseline.labels
    scores = baseline.fit_predict(train.texts, train.labels, test.texts, train.sample_weights())
    assert scores.shape == (len(test),) and ((scores >= 0) & (scores <= 1)).all()
    metrics = compute_metrics(np.asarray(test.labels), scores, Thresholds())
    assert metrics.roc_auc is not None and metrics.roc_auc > 0.8
    # Unweighted, classes are balanced instead.
    unweighted = baseline.fit_predict(train.texts, train.labels, test.texts)
    auc = compute_metrics(np.asarray(test.labels), unweighted, Thresholds()).roc_auc
    assert auc is not None and auc > 0.8


def test_report_sets_every_baseline_beside_ours(tmp_path: Path) -> None:
    tfidf = TfidfLogisticRegression.name
    toxicity = _split("toxicity", "hatexplain", [1, 1, 0, 0], ours=[0.9, 0.7, 0.4, 0.2],
                      alt_profanity_check=[0.9, 0.3, 0.6, 0.2],
                      **{tfidf: [0.6, 0.8, 0.3, 0.1]})  # fmt: skip
    threat = _split("threat", "hatemoji", [1, 1, 0, 0], ours=[0.6, 0.3, 0.4, 0.2],
                    **{tfidf: [0.9, 0.8, 0.1, 0.2]})  # fmt: skip
    spam = _split("spam", "scamspot", [1, 0], ours=[0.9, 0.1], bogofilter=[0.4, 0.6])
    used = {"bogofilter": None, "alt-profanity-check": None, "tfidf+lr": None}
    evaluation = Evaluation([toxicity, threat, spam], Thresholds(), used, {}, "data")

    assert verdict(toxicity) == (
        "beats alt-profanity-check on ROC-AUC (1.000 vs 0.750); ties tfidf+lr on ROC-AUC (1.000)"
    )
    assert verdict(threat, "tfidf+lr").startswith("does NOT beat tfidf+lr on ROC-AUC")
    assert why(toxicity, evaluation) is None
    text = evaluation_report(evaluation, tmp_path).write().read_text(encoding="utf-8")
    headline = text.split("\n## ")[1]
    assert "| ours ROC-AUC | bogofilter ROC-AUC | alt-profanity-check ROC-AUC | " in headline
    assert "| tfidf+lr ROC-AUC |" in headline and "| tfidf+lr FPR@0.5 |" in headline
    assert "| toxicity | hatexplain | 4 (2) | 1.000 | - | 0.750 | 1.000 |" in headline
    assert "| threat | hatemoji | 4 (2) | 0.750 | - | - | 1.000 |" in headline
    assert "threat on hatemoji: ours does NOT beat tfidf+lr" in text
    assert "| hatemoji | tfidf+lr | 4 | 2 |" in text  # the per-label details table
    assert "tfidf+lr (every label)" in text  # the method says what it is
