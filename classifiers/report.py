"""The evaluation report: report.md with PNG plots, open to sections added by other code."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.metrics import precision_recall_curve, roc_curve

from classifiers.evaluation import (
    ECE_BINS,
    LABELS,
    PROFANITY_CHECK_TRAINED_ON,
    TEST_SOURCES,
    Evaluation,
    Split,
)
from classifiers.operating_points import trade_off_markdown

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "REPORT_NAME",
    "Report",
    "evaluation_report",
    "operating_points_markdown",
    "verdict",
    "why",
]

REPORT_NAME = "report.md"
CLASS_NAMES = {"spam": ("ham", "spam"), "toxicity": ("not toxic", "toxic")}


@dataclass
class Report:
    """A markdown report in ``out_dir``: ordered sections, figures saved beside it.

    Other evaluations (explanation span-F1, bias templates, the policy on a fixed news
    comment set) append their own sections with ``add_section``/``add_figure`` and call
    ``write`` again; the file is always rewritten whole from the sections.
    """

    out_dir: Path
    title: str = "Evaluation"
    sections: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.out_dir = Path(self.out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)

    def add_section(self, title: str, markdown: str) -> None:
        self.sections.append((title, markdown.strip()))

    def add_figure(self, filename: str, figure: Figure, alt: str) -> str:
        """Save ``figure`` as ``out_dir/filename`` (PNG, Agg) and return its markdown link."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(figure)  # render with Agg whatever pyplot's backend may be
        figure.savefig(self.out_dir / filename, format="png", dpi=110)
        return f"![{alt}]({filename})"

    def markdown(self) -> str:
        parts = [f"# {self.title}"]
        parts += [f"## {title}\n\n{body}" for title, body in self.sections]
        return "\n\n".join(parts) + "\n"

    def write(self) -> Path:
        path = self.out_dir / REPORT_NAME
        path.write_text(self.markdown(), encoding="utf-8")
        return path


# --- formatting ------------------------------------------------------------------------


def _f(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _baselines_of(split: Split) -> list[str]:
    return [k for k in split.scores if k != "ours"]


def verdict(split: Split, name: str | None = None) -> str:
    """Whether ours beats the baseline ``name`` (default: each of the split's baselines, joined
    by "; "): by ROC-AUC where the held-out rows have both classes, else by the
    false-positive rate at the hold threshold (ham-only sources)."""
    if name is None:
        return "; ".join(verdict(split, n) for n in _baselines_of(split)) or "no baseline"
    ours, base = split.metrics["ours"], split.metrics[name]
    if ours.roc_auc is not None and base.roc_auc is not None:
        a, b, what, higher_better = ours.roc_auc, base.roc_auc, "ROC-AUC", True
    else:
        a = ours.at["hold"].false_positive_rate or 0.0
        b = base.at["hold"].false_positive_rate or 0.0
        what, higher_better = "false-positive rate at hold", False
    # Compared at the precision shown, so the report never calls 1.000 vs 1.000 a loss.
    a, b = round(a, 3), round(b, 3)
    if a == b:
        result = f"ties {name} on {what} ({_f(a)})"
    elif (a > b) == higher_better:
        result = f"beats {name} on {what} ({_f(a)} vs {_f(b)})"
    else:
        result = f"does NOT beat {name} on {what} ({_f(a)} vs {_f(b)})"
    if name == "alt-profanity-check" and split.held_out in PROFANITY_CHECK_TRAINED_ON:
        result += f"; unfair to ours: {name} was trained on {split.held_out}"
    return result


# Why ours loses a fair comparison, for the splits where it has (measured 2026-11-29, model
# recipe v0-20261129-19c434e0); shown only while ours still does not beat that baseline there.
# The figures the reasons rest on are computed in the report itself (see ``why``).
_KNOWN_GAPS: dict[tuple[str, str, str], str] = {
    ("toxicity", "toxicspans", "alt-profanity-check"): (
        "every TOXICSPANS comment had already been flagged toxic by Civil Comments raters, so "
        "this split ranks borderline news comments against each other, and without it ours "
        "has no news-site comments at all (only a 5,000-row Jigsaw sample, tweets and forum "
        "posts); alt-profanity-check learnt from ~200k texts including the full Jigsaw "
        "training set (~160k Wikipedia comments), labelled by raters close to Civil "
        "Comments' own"
    ),
    ("toxicity", "stormfront", "alt-profanity-check"): (
        "Stormfront's hate is mostly implicit (stereotypes and white-nationalist framing, "
        "few slurs or swear words); held out, ours learns hate from Davidson's slur-laden "
        "tweets (weight 0.5) and the template rows, while alt-profanity-check's ~200k texts "
        "cover far more ways of being offensive"
    ),
}


def why(split: Split, evaluation: Evaluation, name: str | None = None) -> str | None:
    """Why ours does not beat the baseline ``name`` (default: any of the split's baselines)
    on ``split``, or None where it does (or there is nothing to say): a comparison ours loses
    is explained next to it, never only listed."""
    lost = [
        n
        for n in (_baselines_of(split) if name is None else [name])
        if verdict(split, n).startswith("does NOT")
        # the verdict already says it: the baseline saw this source
        and not (n == "alt-profanity-check" and split.held_out in PROFANITY_CHECK_TRAINED_ON)
    ]
    if not lost:
        return None
    reasons = []
    cv = evaluation.in_distribution.get(split.label, {}).get("by_source", {})
    if split.metrics["ours"].positives == 0:
        # Ham only: a lower false-positive rate is only better at a comparable recall, which
        # the splits of this label that have positives show.
        scored = [s for s in evaluation.for_label(split.label) if s.metrics["ours"].positives]
        for n in lost:
            pairs = [
                (s.held_out, s.metrics["ours"].at["hold"].recall, s.metrics[n].at["hold"].recall)
                for s in scored
                if n in s.metrics
            ]
            if not pairs:
                continue
            recalls = ", ".join(f"{h} {_f(a)} vs {_f(b)}" for h, a, b in pairs)
            flags_less = sum(b or 0.0 for _, _, b in pairs) < sum(a or 0.0 for _, a, _ in pairs)
            lead = f"{n} flags less of everything: " if flags_less else ""
            reasons.append(
                f"{lead}recall at hold on the held-out sources with positives, ours vs {n}: "
                + recalls
            )
        sources = TEST_SOURCES[split.label][split.held_out]
        in_training = [cv[s]["false_positive_rate_at_0.5"] for s in sources if s in cv]
        if in_training:
            reasons.append(
                "ours never saw this source's writing as ham when it is held out (with it in "
                f"training, cross-validated FPR@0.5 is {_f(in_training[0])})"
            )
    for n in lost:
        known = _KNOWN_GAPS.get((split.label, split.held_out, n))
        if known:
            reasons.append(known)
    return "; ".join(reasons) or None


def _used_baselines(evaluation: Evaluation) -> list[str]:
    """The baselines that scored some split, in the order they were given."""
    scored = {name for split in evaluation.splits for name in _baselines_of(split)}
    return [name for name in evaluation.baselines if name in scored]


def _headline(evaluation: Evaluation) -> str:
    names = _used_baselines(evaluation)
    rows = []
    for split in evaluation.splits:
        ours = split.metrics["ours"]
        bases = [split.metrics.get(name) for name in names]
        rows.append(
            [
                split.label,
                split.held_out,
                f"{ours.rows} ({ours.positives})",
                _f(ours.roc_auc),
                *(_f(base.roc_auc) if base else "-" for base in bases),
                _f(ours.at["hold"].f1),
                _f(ours.at["hold"].false_positive_rate),
                *(_f(base.at["hold"].false_positive_rate) if base else "-" for base in bases),
                verdict(split),
            ]
        )
    hold = evaluation.thresholds.hold
    header = ["label", "held out", "rows (positive)", "ours ROC-AUC",
              *(f"{name} ROC-AUC" for name in names), f"ours F1@{hold}", f"ours FPR@{hold}",
              *(f"{name} FPR@{hold}" for name in names), "verdict"]  # fmt: skip
    return _table(header, rows)


def _details(splits: Sequence[Split], evaluation: Evaluation) -> str:
    t = evaluation.thresholds
    header = ["held out", "scorer", "rows", "positives", "ROC-AUC", "PR-AUC", f"ECE ({ECE_BINS})"]
    for _name, value in t.items():
        header += [f"P@{value}", f"R@{value}", f"F1@{value}", f"FPR@{value}"]
    rows = []
    for split in splits:
        for scorer, m in split.metrics.items():
            row = [split.held_out, scorer, str(m.rows), str(m.positives), _f(m.roc_auc),
                   _f(m.pr_auc), _f(m.ece)]  # fmt: skip
            for name, _ in t.items():
                a = m.at[name]
                row += [_f(a.precision), _f(a.recall), _f(a.f1), _f(a.false_positive_rate)]
            rows.append(row)
    return _table(header, rows)


def _in_distribution(evaluation: Evaluation) -> str:
    if not evaluation.in_distribution:
        return "No manifest metrics were given."
    rows = []
    for split in evaluation.splits:
        if split.kind != "source":
            continue
        cv = evaluation.in_distribution.get(split.label, {}).get("by_source", {})
        for source in TEST_SOURCES[split.label][split.held_out]:
            entry: dict[str, Any] = cv.get(source, {})
            ours = split.metrics["ours"]
            rows.append(
                [
                    split.label,
                    source,
                    _f(entry.get("roc_auc")),
                    _f(ours.roc_auc),
                    _f(entry.get("recall_at_0.5")),
                    _f(ours.at["hold"].recall) if ours.positives else "-",
                    _f(entry.get("false_positive_rate_at_0.5")),
                    _f(ours.at["hold"].false_positive_rate),
                ]
            )
    header = ["label", "source", "CV ROC-AUC", "held-out ROC-AUC", "CV recall@0.5",
              "held-out recall@0.5", "CV FPR@0.5", "held-out FPR@0.5"]  # fmt: skip
    return (
        "The committed model's manifest reports 5-fold cross-validated figures, where every "
        "source is also in the training folds (in distribution). Side by side with the "
        "held-out figures above, the gap is how much of that score does not transfer to a "
        "source the model has never seen.\n\n" + _table(header, rows)
    )


# --- plots -----------------------------------------------------------------------------


def _figure(width: float, height: float, columns: int = 1) -> tuple[Figure, Any]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    return figure, figure.subplots(1, columns, squeeze=False)[0]


def _curves(report: Report, label: str, splits: Sequence[Split]) -> str:
    figure, (roc_ax, pr_ax) = _figure(11, 4.8, 2)
    colours = [f"C{i}" for i in range(10)]
    scored = [s for s in splits if s.both_classes]
    styles = ["-", "--", ":", "-."]  # ours solid, then one dash pattern per baseline
    order = ["ours", *dict.fromkeys(name for split in scored for name in _baselines_of(split))]
    for i, split in enumerate(scored):
        for scorer, scores in split.scores.items():
            style = styles[order.index(scorer) % len(styles)]
            name = f"{split.held_out} · {scorer}"
            fpr, tpr, _ = roc_curve(split.y, scores)
            roc_ax.plot(fpr, tpr, style, color=colours[i % 10], label=name, linewidth=1.3)
            precision, recall, _ = precision_recall_curve(split.y, scores)
            pr_ax.plot(recall, precision, style, color=colours[i % 10], label=name, linewidth=1.3)
    roc_ax.plot([0, 1], [0, 1], ":", color="grey", linewidth=0.8)
    roc_ax.set(xlabel="false-positive rate", ylabel="true-positive rate", title=f"{label}: ROC")
    pr_ax.set(xlabel="recall", ylabel="precision", title=f"{label}: precision-recall")
    pr_ax.set_ylim(0, 1.02)
    if scored:
        roc_ax.legend(fontsize=7, loc="lower right")
    else:  # only ham-only sources held out: no curve exists, say so on the plot
        roc_ax.text(0.5, 0.5, "no held-out source with both classes", ha="center")
    return report.add_figure(
        f"{label}_roc_pr.png",
        figure,
        f"{label} ROC and precision-recall per held-out source (solid: ours, dashed or dotted: "
        "baselines)",
    )


def _calibration(report: Report, label: str, splits: Sequence[Split]) -> str:
    figure, (ax,) = _figure(5.5, 5)
    edges = np.linspace(0, 1, ECE_BINS + 1)
    for i, split in enumerate(splits):
        scores = split.scores["ours"]
        index = np.minimum((scores * ECE_BINS).astype(int), ECE_BINS - 1)
        mean_p, rate = [], []
        for b in range(ECE_BINS):
            in_bin = index == b
            if in_bin.any():
                mean_p.append(float(scores[in_bin].mean()))
                rate.append(float(split.y[in_bin].mean()))
        ax.plot(mean_p, rate, "o-", color=f"C{i % 10}", label=split.held_out, markersize=3)
    ax.plot(edges[[0, -1]], edges[[0, -1]], ":", color="grey")
    ax.set(xlabel="mean predicted probability", ylabel="observed positive rate",
           title=f"{label}: reliability (ours, held out)", xlim=(0, 1), ylim=(0, 1))  # fmt: skip
    ax.legend(fontsize=7)
    return report.add_figure(f"{label}_calibration.png", figure, f"{label} reliability diagram")


def _decisions(split_scores: np.ndarray, y: np.ndarray, hold: float, reject: float) -> np.ndarray:
    """Counts [true class][allow, hold, reject] under the policy thresholds."""
    column = np.where(split_scores >= reject, 2, np.where(split_scores >= hold, 1, 0))
    matrix = np.zeros((2, 3), dtype=int)
    np.add.at(matrix, (y.astype(int), column), 1)
    return matrix


def _confusion(report: Report, label: str, splits: Sequence[Split], ev: Evaluation) -> str:
    t = ev.thresholds
    y = np.concatenate([s.y for s in splits])
    matrix = _decisions(np.concatenate([s.scores["ours"] for s in splits]), y, t.hold, t.reject)
    figure, (ax,) = _figure(5.5, 3.4)
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    columns = [f"allow (<{t.hold})", f"hold ({t.hold}-{t.reject})", f"reject (≥{t.reject})"]
    rows = list(CLASS_NAMES.get(label, (f"not {label}", label)))
    for (r, c), count in np.ndenumerate(matrix):
        colour = "white" if shares[r, c] > 0.6 else "black"  # readable on dark cells
        ax.text(c, r, str(count), ha="center", va="center", color=colour)
    ax.set_xticks(range(3), columns)
    ax.set_yticks(range(2), rows)
    ax.set_title(f"{label}: decisions on held-out rows (ours, all sources pooled)")
    link = report.add_figure(f"{label}_confusion.png", figure, f"{label} confusion matrix")
    table = _table(
        ["true \\ decision", *columns], [[rows[r], *map(str, matrix[r])] for r in (0, 1)]
    )
    return f"{link}\n\n{table}"


# --- the report ------------------------------------------------------------------------


def _method(evaluation: Evaluation) -> str:
    t = evaluation.thresholds
    used = [n for n, why in evaluation.baselines.items() if why is None]
    missing = [f"- **{n} unavailable**: {why}" for n, why in evaluation.baselines.items() if why]
    lines = [
        f"Data: `{evaluation.data_dir}`. Runtime: {evaluation.seconds:.0f} s.",
        "",
        "Leave one source out: for each source, the spam, toxicity and attribute models are "
        "trained by the "
        "training code (same rows, weighting and Platt calibration, recomputed on the remaining "
        "sources) with every row derived from that source removed, and scored on it. A label "
        "is evaluated only where the held-out source carries it; on ham-only sources "
        "(Jigsaw, TOXICSPANS and Stormfront for spam) only the false-positive rate means "
        "anything. The toxicity attributes (severe toxicity, insult, threat, identity attack, "
        "obscene) are tested where the held-out source labels them. YouTube is also held "
        "out one video at a time. Metrics are unweighted, "
        "over the held-out rows as labelled by `classifiers.datasets`.",
        "",
        f"Thresholds: hold at {t.hold}, reject at {t.reject} (a score at or above the "
        f"threshold is flagged). ECE: {ECE_BINS} equal-width bins.",
        "",
        "Baselines, on the same splits: bogofilter (spam), trained from scratch on each "
        "training fold (unweighted); alt-profanity-check (toxicity and obscene), used as "
        "shipped; tfidf+lr (every label), the plain text classifier: TF-IDF word 1-2-grams "
        "and char_wb 2-5-grams (min_df 2, sublinear tf, at most 200,000 char n-grams) into a "
        "logistic regression (C=4, fixed, never tuned on held-out data), refitted on exactly "
        "our training rows with our sample weights, without calibration. "
        "alt-profanity-check was trained on Davidson and Jigsaw, so on those held-out "
        "sources it is scored in distribution and the comparison favours it.",
        "",
        f"Baselines used: {', '.join(used) if used else 'none'}.",
        *missing,
    ]
    return "\n".join(lines)


def operating_points_markdown(
    evaluation: Evaluation, current: Mapping[str, tuple[float, float]]
) -> str:
    """Per score the policy reads (``current``: its hold and reject thresholds now), the
    trade-off of thresholds over every held-out row of that label, pooled across sources
    (the ham-only splits count as clean rows)."""
    parts = []
    for label, thresholds in current.items():
        splits = evaluation.for_label(label)
        if not splits:
            continue
        y = np.concatenate([s.y for s in splits])
        p = np.concatenate([s.scores["ours"] for s in splits])
        if 0 < int(y.sum()) < len(y):
            parts.append(trade_off_markdown(label, y, p, thresholds))
    return "\n".join(parts)


def _sentence_gain(evaluation: Evaluation) -> str:
    rows = [
        [s.label, s.held_out, _f(s.extras["whole_text_roc_auc"]), _f(s.metrics["ours"].roc_auc)]
        for s in evaluation.splits
        if "whole_text_roc_auc" in s.extras and s.metrics["ours"].roc_auc is not None
    ]
    if not rows:
        return ""
    return (
        "ROC-AUC of the whole text's score and of the served score (the highest of the whole "
        "text's and each sentence's), same held-out models.\n\n"
        + _table(["label", "held out", "whole text", "served"], rows)
    )


def evaluation_report(
    evaluation: Evaluation,
    out_dir: Path,
    current: Mapping[str, tuple[float, float]] | None = None,
) -> Report:
    """Build (but do not write) the report of ``evaluation``; its plots are saved now."""
    report = Report(Path(out_dir), "Spam and toxicity models: held-out evaluation")
    report.add_section("Headline", _headline(evaluation))
    report.add_section("Method", _method(evaluation))
    for label in LABELS:
        splits = evaluation.for_label(label)
        if not splits:
            continue
        body = [
            _details(splits, evaluation),
            _curves(report, label, splits),
            _calibration(report, label, splits),
            _confusion(report, label, splits, evaluation),
        ]
        title = label.replace("_", " ").capitalize()
        report.add_section(f"{title}: leave one source out", "\n\n".join(body))
    videos = evaluation.for_label("spam", "video")
    if videos:
        report.add_section(
            "Spam: leave one YouTube video out",
            _details(videos, evaluation) + "\n\n" + _curves(report, "spam_videos", videos),
        )
    comparisons = []
    for split in evaluation.splits:
        line = f"- {split.label} on {split.held_out}: ours {verdict(split)}."
        reason = why(split, evaluation)
        comparisons.append(line if reason is None else f"{line} Why: {reason}.")
    report.add_section("Ours against the baselines", "\n".join(comparisons))
    gain = _sentence_gain(evaluation)
    if gain:
        report.add_section("Sentences: whole text against served score", gain)
    if current:
        report.add_section(
            "Operating points: thresholds for the rates a site feels",
            "Chosen on the held-out rows above (models that never saw them), pooled across "
            "sources: the lowest reject threshold that removes at most the target share of "
            "clean rows, then the highest hold threshold under it that publishes at most the "
            "target share of harmful ones. Held is counted at a day's mix of 70% clean. The "
            "policy's other rules (cues, links, copies) are not in these tables.\n\n"
            + operating_points_markdown(evaluation, current),
        )
    report.add_section("In distribution, for contrast", _in_distribution(evaluation))
    return report
