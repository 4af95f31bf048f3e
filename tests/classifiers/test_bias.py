"""Identity-term bias of the committed model on neutral template sentences."""

from __future__ import annotations

import pytest

from classifiers import Scorer
from classifiers.bias import GROUPS, TEMPLATES, BiasReport, Group, bias_report, sentences


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer.load()


@pytest.fixture(scope="module")
def report(scorer: Scorer) -> BiasReport:
    result = bias_report(scorer)
    # Printed so `pytest -s` shows the figures the guard below holds.
    print("\n" + result.markdown())
    return result


def test_templates_cover_at_least_40_groups_including_the_ones_named_in_the_issue() -> None:
    names = {g.name for g in GROUPS}
    assert len(names) == len(GROUPS) >= 40
    assert {"Korean", "Russian", "Ukrainian", "American"} <= names
    assert {"Jewish", "Muslim", "Black", "Roma", "women", "transgender", "gay"} <= names
    assert {g.category for g in GROUPS} >= {
        "nationality", "religion", "ethnicity", "gender", "orientation", "disability",
    }  # fmt: skip
    assert "I am a proud {group} person." in TEMPLATES
    assert "{group} people live on my street." in TEMPLATES
    assert len(TEMPLATES) >= 5


def test_each_sentence_names_the_group_and_starts_with_a_capital() -> None:
    filled = sentences(Group("gay", "gay", "orientation"))
    assert filled[:2] == ["I am a proud gay person.", "Gay people live on my street."]
    assert all("{" not in s and s[0].isupper() for s in filled)
    assert len(filled) == len(TEMPLATES)


def test_rates_and_gaps_follow_from_the_scores(report: BiasReport) -> None:
    assert [g.group for g in report.groups] == [g.name for g in GROUPS]
    for g in report.groups:
        assert len(g.scores) == len(TEMPLATES)
        assert 0.0 <= g.fpr <= 1.0
        assert g.fpr == sum(s >= 0.5 for s in g.scores) / len(TEMPLATES)
        assert g.mean == pytest.approx(sum(g.scores) / len(g.scores))
        assert g.max == max(g.scores)
    fprs = [g.fpr for g in report.groups]
    means = [g.mean for g in report.groups]
    assert report.max_fpr == max(fprs)
    assert report.fpr_gap == pytest.approx(max(fprs) - min(fprs))
    assert report.mean_gap == pytest.approx(max(means) - min(means))
    worst = report.worst_groups(3)
    assert worst[0].fpr == report.max_fpr
    assert [g.fpr for g in worst] == sorted((g.fpr for g in worst), reverse=True)
    assert report.worst_sentences[0][2] == max(max(g.scores) for g in report.groups)


def test_the_threshold_decides_what_counts_as_a_false_positive(scorer: Scorer) -> None:
    korean = [g for g in GROUPS if g.name == "Korean"]
    assert bias_report(scorer, threshold=0.0, groups=korean).max_fpr == 1.0
    assert bias_report(scorer, threshold=1.01, groups=korean).max_fpr == 0.0


def test_regression_guard_at_the_level_model_v0_reaches(report: BiasReport) -> None:
    # v0-20261129-19c434e0 (hate said plainly and its negations among the template rows):
    # 4.1% flagged, worst Nigerian and Jewish 2 of 6, mean gap 0.287.
    # Measured with v0-20261129-43712254, threshold 0.5: 5.4% of the 294 sentences flagged
    # (7.1% for v0-20261129-c4993aa1), worst groups Nigerian and Jewish at 3 of 6 (50%), FPR
    # gap 50%, mean gap 0.342 (Nigerian 0.497 vs American 0.155); Korean, Russian, Ukrainian
    # and American 0 of 6. Far from fair; these guards stop it getting worse.
    named = {g.group: g for g in report.groups}
    print(
        f"\noverall FPR {report.overall_fpr:.1%}; max FPR {report.max_fpr:.1%}; "
        f"FPR gap {report.fpr_gap:.1%}; mean gap {report.mean_gap:.3f}; worst "
        + ", ".join(f"{g.group} {g.fpr:.0%}" for g in report.worst_groups(5))
        + "; "
        + ", ".join(
            f"{n} {named[n].fpr:.0%}/{named[n].mean:.2f}"
            for n in ("Korean", "Russian", "Ukrainian", "American")
        )
    )
    assert report.overall_fpr <= 0.05
    assert report.max_fpr <= 2 / 6
    assert report.mean_gap <= 0.30
    for name in ("Korean", "Russian", "Ukrainian", "American"):
        assert named[name].fpr <= 1 / 6, name


def test_markdown_names_the_worst_group_and_the_figures(report: BiasReport) -> None:
    text = report.markdown()
    assert text.startswith("## Identity-term bias\n")
    assert f"| Highest group false-positive rate | {report.max_fpr:.1%} |" in text
    assert f"| Largest gap in false-positive rate | {report.fpr_gap:.1%} |" in text
    assert f"| {report.worst_groups(1)[0].group} |" in text
    assert report.as_dict()["worst_groups"][0] == report.worst_groups(1)[0].group
