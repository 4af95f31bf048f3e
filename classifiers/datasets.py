"""Readers that map the shared public datasets onto our spam and toxicity labels.

Label mapping (decided here, once, for every model trained from these sources):

Spam (1 = spam, 0 = ham)
- ``youtube_spam/Youtube0*.csv``: ``CLASS`` as published (1 = spam). The only source with
  comment-style link/channel spam. Grouped by video so cross-validation holds a video out.
- ``sms_spam/SMSSpamCollection``: ``spam``/``ham`` as published. Teaches prize/scam/phone
  number spam.
- Extra ham: the non-toxic rows of ``jigsaw_toxic_sample`` (Wikipedia talk), of
  ``toxic_spans_civil_comments`` (news-site comments) and ``noHate`` rows of
  ``stormfront_hate_speech`` (forum posts). Without them the model learns "long, opinionated
  prose" = not SMS ham = spam, and news comments would look like spam. Toxic rows are not
  used as ham, so the spam score does not learn to ignore abuse-laden link spam. Davidson
  tweets are left out: retweet/@mention/t.co artefacts would teach that links are ham.

Toxicity (1 = toxic, 0 = not toxic), following the Civil Comments umbrella definition (rude,
disrespectful, hateful, obscene or threatening):
- ``jigsaw_toxic_sample/jigsaw_sample.csv``: toxic if any of the six labels is 1.
- ``davidson_hate_offensive/labeled_data.csv``: class 0 (hate) -> toxic; class 1 (offensive)
  -> toxic with row weight 0.5, because it is mostly casual profanity in tweets, which a news
  site still does not want but which is weaker evidence than abuse; class 2 -> not toxic.
  Tweets are HTML-unescaped, "RT" prefixes dropped and @handles replaced by "@user" so the
  model does not learn Twitter artefacts as a source fingerprint.
- ``toxic_spans_civil_comments``: comments.csv joined with annotations.csv on comment_id; a
  comment is not toxic when more than half of its raters ticked "not toxic", toxic when fewer
  than half did, and dropped on a tie. Span offsets (spans.csv) are not needed for
  whole-comment labels and are not read.
- ``stormfront_hate_speech/stormfront_combined.csv``: ``hate`` -> toxic, ``noHate`` -> not
  toxic; ``relation`` (needs context) and ``idk/skip`` are dropped.
- ``ldnoobw_profanity`` is not used in v0: the n-gram features learn profanity from the
  labelled sources.

Weighting: each source gets the same total weight, then the two classes are rebalanced to
equal total weight, so neither the 24,783 Davidson tweets nor the 5,574 SMS dominate and the
probabilities are calibrated to a 50/50 prior (thresholds live in the moderation service).
"""

from __future__ import annotations

import csv
import hashlib
import html
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["LabelledSet", "SourceFiles", "build_training_sets", "file_record"]

N_FOLDS = 5

# csv's default field limit (128 KiB) is fine, but long Jigsaw comments contain newlines
# inside quotes, so always open with newline="".
_RT = re.compile(r"^\s*(?:RT\s+)?")
_HANDLE = re.compile(r"@\w+")


@dataclass
class LabelledSet:
    """Rows for one model: text, label, pre-normalisation row weight, source and CV fold."""

    texts: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    row_weights: list[float] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    folds: list[int] = field(default_factory=list)

    def add(self, text: str, label: int, source: str, fold: int, weight: float = 1.0) -> None:
        text = text.strip()
        if not text:
            return
        self.texts.append(text)
        self.labels.append(label)
        self.row_weights.append(weight)
        self.sources.append(source)
        self.folds.append(fold)

    def __len__(self) -> int:
        return len(self.texts)

    def sample_weights(self) -> np.ndarray:
        """Equal total weight per source, then equal total weight per class (mean 1)."""
        w = np.asarray(self.row_weights, dtype=np.float64)
        sources = np.asarray(self.sources)
        labels = np.asarray(self.labels)
        for source in np.unique(sources):
            mask = sources == source
            w[mask] /= w[mask].sum()
        for label in np.unique(labels):
            mask = labels == label
            w[mask] /= w[mask].sum()
        return w * (len(w) / w.sum())

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, Counter[str]] = defaultdict(Counter)
        for source, label in zip(self.sources, self.labels, strict=True):
            out[source]["positive" if label else "negative"] += 1
        return {s: {"rows": sum(c.values()), **dict(c)} for s, c in sorted(out.items())}


@dataclass
class SourceFiles:
    """The data files read, relative to the data directory, for the manifest."""

    data_dir: Path
    paths: list[Path] = field(default_factory=list)

    def use(self, relative: str) -> Path:
        path = self.data_dir / relative
        if not path.is_file():
            raise FileNotFoundError(f"training file missing: {path}")
        if path not in self.paths:
            self.paths.append(path)
        return path

    def records(self) -> list[dict[str, Any]]:
        return [file_record(p, self.data_dir) for p in sorted(self.paths)]


def file_record(path: Path, data_dir: Path) -> dict[str, Any]:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return {
        "path": path.relative_to(data_dir).as_posix(),
        "bytes": path.stat().st_size,
        "sha256": digest,
    }


def _fold(key: str) -> int:
    # Stable across runs and machines (unlike hash()), so CV figures are reproducible.
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(), "big") % N_FOLDS


def _read_csv(path: Path) -> Iterable[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def _youtube(files: SourceFiles, spam: LabelledSet) -> None:
    videos = sorted(files.data_dir.glob("youtube_spam/Youtube0*.csv"))
    if not videos:
        raise FileNotFoundError(f"no youtube_spam/Youtube0*.csv under {files.data_dir}")
    for index, video in enumerate(videos):
        path = files.use(video.relative_to(files.data_dir).as_posix())
        # Whole videos are held out together: comments under one video share spammers.
        for row in _read_csv(path):
            spam.add(row["CONTENT"], int(row["CLASS"]), "youtube", index % N_FOLDS)


def _sms(files: SourceFiles, spam: LabelledSet) -> None:
    path = files.use("sms_spam/SMSSpamCollection")
    with path.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            label, _, text = line.rstrip("\n").partition("\t")
            if label in ("spam", "ham"):
                spam.add(text, int(label == "spam"), "sms", _fold(f"sms{i}"))


def _jigsaw(files: SourceFiles, spam: LabelledSet, toxicity: LabelledSet) -> None:
    path = files.use("jigsaw_toxic_sample/jigsaw_sample.csv")
    labels = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")
    for row in _read_csv(path):
        toxic = int(any(row[k] == "1" for k in labels))
        fold = _fold(f"jigsaw{row['id']}")
        toxicity.add(row["comment_text"], toxic, "jigsaw", fold)
        if not toxic:
            spam.add(row["comment_text"], 0, "jigsaw_ham", fold)


def _davidson(files: SourceFiles, toxicity: LabelledSet) -> None:
    path = files.use("davidson_hate_offensive/labeled_data.csv")
    for row in _read_csv(path):
        text = _HANDLE.sub("@user", _RT.sub("", html.unescape(row["tweet"]), count=1))
        cls = int(row["class"])
        toxicity.add(
            text,
            int(cls in (0, 1)),
            "davidson",
            _fold(f"davidson{row['']}"),
            weight=0.5 if cls == 1 else 1.0,
        )


def _toxic_spans(files: SourceFiles, spam: LabelledSet, toxicity: LabelledSet) -> None:
    votes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in _read_csv(files.use("toxic_spans_civil_comments/annotations.csv")):
        tally = votes[row["comment_id"]]
        tally[0] += 1
        tally[1] += row["not toxic"] == "True"
    for row in _read_csv(files.use("toxic_spans_civil_comments/comments.csv")):
        raters, not_toxic = votes.get(row["comment_id"], (0, 0))
        if raters == 0 or 2 * not_toxic == raters:
            continue
        toxic = int(2 * not_toxic < raters)
        fold = _fold(f"civil{row['comment_id']}")
        toxicity.add(row["comment_text"], toxic, "toxicspans", fold)
        if not toxic:
            spam.add(row["comment_text"], 0, "toxicspans_ham", fold)


def _stormfront(files: SourceFiles, spam: LabelledSet, toxicity: LabelledSet) -> None:
    path = files.use("stormfront_hate_speech/stormfront_combined.csv")
    for row in _read_csv(path):
        if row["label"] not in ("hate", "noHate"):
            continue
        toxic = int(row["label"] == "hate")
        # Sentences of one forum post stay in one fold.
        fold = _fold(f"stormfront{row['file_id'].rsplit('_', 1)[0]}")
        toxicity.add(row["text"], toxic, "stormfront", fold)
        if not toxic:
            spam.add(row["text"], 0, "stormfront_ham", fold)


def build_training_sets(data_dir: Path) -> tuple[LabelledSet, LabelledSet, SourceFiles]:
    """Read every source under ``data_dir``; return (spam rows, toxicity rows, files read)."""
    files = SourceFiles(Path(data_dir))
    spam, toxicity = LabelledSet(), LabelledSet()
    _youtube(files, spam)
    _sms(files, spam)
    _jigsaw(files, spam, toxicity)
    _davidson(files, toxicity)
    _toxic_spans(files, spam, toxicity)
    _stormfront(files, spam, toxicity)
    return spam, toxicity, files
