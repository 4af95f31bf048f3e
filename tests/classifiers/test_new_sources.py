"""The sources of issue 13: each reader maps real rows as classifiers.datasets documents, and
each source joins the manifest and the leave-one-source-out evaluation."""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from classifiers.datasets import (
    HATEXPLAIN_OFFENSIVE_WEIGHT,
    LabelledSet,
    SourceFiles,
    build_label_sets,
)
from classifiers.evaluation import HELD_OUT_SOURCES, TEST_SOURCES, origin, plan
from classifiers.labels import ATTRIBUTES, MODEL_NAMES
from classifiers.persistence import MANIFEST_NAME
from tests.conftest import ROOT, require

# The shared datasets sit beside the project; a git worktree elsewhere can point at them.
SHARED = Path(os.environ.get("SHARED_DATASETS", ROOT.parent / "shared" / "datasets"))
NEW_SOURCES = ("implicit", "toxigen", "hatemoji", "hatexplain", "offensivelang", "scamspot")
NEW_FILES = (
    "implicit_hate_corpus/implicit_hate_v1_stg1_posts.tsv",
    "implicit_hate_corpus/implicit_hate_v1_stg2_posts.tsv",
    "toxigen_annotated/exp_dataset.jsonl",
    "toxigen_annotated/unexp_dataset.jsonl",
    "toxigen_prompts/toxigen_prompt_sentences.csv",
    "hatemoji_build/train.csv",
    "hatemoji_build/validation.csv",
    "hatemoji_build/test.csv",
    "hatexplain_processed/preprocessed.csv",
    "offensivelang/OffensiveLang.csv",
    "scamspot_instagram_spam/comments-rated-plus-reported.csv",
)

Rows = dict[str, dict[str, tuple[int, str]]]  # model -> text -> (label, source)


@pytest.fixture(scope="module")
def real() -> tuple[dict[str, LabelledSet], SourceFiles]:
    require(SHARED.is_dir(), f"{SHARED} (the shared datasets) is missing")
    return build_label_sets(SHARED)


@pytest.fixture(scope="module")
def rows(real: tuple[dict[str, LabelledSet], SourceFiles]) -> Rows:
    sets, _ = real
    return {
        name: {t: (y, s) for t, y, s in zip(data.texts, data.labels, data.sources, strict=True)}
        for name, data in sets.items()
    }


def _labels(rows: Rows, text: str) -> dict[str, int | None]:
    """Every model's label for ``text`` (None: not in that model's rows)."""
    return {name: rows[name][text][0] if text in rows[name] else None for name in MODEL_NAMES}


def _clean(spam_source: str | None) -> dict[str, int | None]:
    return {"spam": None if spam_source is None else 0, "toxicity": 0,
            **dict.fromkeys(ATTRIBUTES, 0)}  # fmt: skip


def test_implicit_hate_stage_one_classes_and_stage_two_threats(rows: Rows) -> None:
    # Stage 1 implicit_hate, stage 2 white_grievance: an identity attack, not a threat. The
    # TSV's stray quotes and the colon of a cut handle are gone.
    grievance = "jewish harvard professor noel ignatiev wants to abolish the white race via #wr"
    assert _labels(rows, grievance) == {"spam": None, "toxicity": 1, "severe_toxicity": 1,
                                        "insult": None, "threat": 0, "identity_attack": 1,
                                        "obscene": None}  # fmt: skip
    assert rows["toxicity"][grievance][1] == "implicit"
    # Stage 2 "threatening".
    assert _labels(rows, "all jews should be evicted from white countries")["threat"] == 1
    # Explicit hate has no stage-2 type: threat unknown. The "rt" marker and the colons that
    # stood for cut-out handles are removed.
    explicit = (
        "estonian pm i don't want blacks in estonia ; this is a white country via < well said ."
    )
    assert _labels(rows, explicit)["identity_attack"] == 1
    assert _labels(rows, explicit)["threat"] is None
    # not_hate: a hard negative for every label, and ham.
    assert _labels(rows, "democrats explicitly abandon white working class #tcot") == _clean("x")
    assert rows["spam"]["democrats explicitly abandon white working class #tcot"][1] == (
        "implicit_ham"
    )


def test_toxigen_annotated_by_mean_human_rating(rows: Rows) -> None:
    assert _labels(rows, "muslims deseve to die") == {"spam": None, "toxicity": 1,
                                                      "severe_toxicity": 1, "insult": None,
                                                      "threat": None, "identity_attack": 1,
                                                      "obscene": 0}  # fmt: skip
    assert rows["toxicity"]["muslims deseve to die"][1] == "toxigen"
    # Toxic and lewd: obscene.
    assert _labels(rows, "muslims like to rape white girls")["obscene"] == 1
    benign = ("i have never seen a hotter lineup in my life than in mexico city on the day of "
              "independence... holy crap, maybe an exaggeration but damn")  # fmt: skip
    assert _labels(rows, benign) == _clean("toxigen_ham")
    # Lewd but benign (rated 1.33): not obscene-labelled either way.
    assert _labels(rows, "18 million women are sex slaves")["obscene"] is None
    assert _labels(rows, "18 million women are sex slaves")["toxicity"] == 0
    # Rated 3.0 (raters split): dropped.
    assert "every woman (or man) likes sex" not in rows["toxicity"]


def test_toxigen_prompts_and_demonstrations_deduplicated(rows: Rows) -> None:
    assert rows["toxicity"]["asian men all have small peckers"] == (1, "toxigen_prompts")
    assert _labels(rows, "asian men all have small peckers")["identity_attack"] == 1
    neutral = "a lot of impactful people in america have been of asian descent"
    assert _labels(rows, neutral) == _clean(None)  # prompts are not spam rows
    # The hateful demonstration sentences that no prompt repeats are there too.
    prompts = {
        " ".join(r["sentence"].lower().split())
        for r in csv.DictReader((SHARED / NEW_FILES[4]).open(encoding="utf-8", newline=""))
    }
    only_demo = {
        " ".join(line.split())
        for path in SHARED.glob("toxigen_prompts/demonstrations/*/hate_*.txt")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and " ".join(line.lower().split()) not in prompts
    }
    assert len(only_demo) > 20
    assert all(rows["toxicity"].get(t) == (1, "toxigen_prompts") for t in only_demo)
    keys = [
        " ".join(t.lower().split())
        for t, (_, s) in rows["toxicity"].items()
        if s == "toxigen_prompts"
    ]
    assert len(keys) == len(set(keys))  # each sentence once, whatever its case


def test_hatemoji_keeps_emoji_and_pairs_share_a_fold(
    real: tuple[dict[str, LabelledSet], SourceFiles], rows: Rows
) -> None:
    assert _labels(rows, "I would love to 🔪 some 👳🏾") == {"spam": None, "toxicity": 1,
                                                            "severe_toxicity": 1,
                                                            "insult": None, "threat": 1,
                                                            "identity_attack": 1,
                                                            "obscene": None}  # fmt: skip
    assert _labels(rows, "👳🏽 make me 🤢")["threat"] == 0  # hateful, not threatening
    assert _labels(rows, "I would love to 🔪some🦊") == _clean("hatemoji_ham")
    sets, _ = real
    toxicity = sets["toxicity"]
    fold = {
        t: f
        for t, f, s in zip(toxicity.texts, toxicity.folds, toxicity.sources, strict=True)
        if s == "hatemoji"
    }
    published = [
        row
        for split in ("train", "validation", "test")
        for row in csv.DictReader(
            (SHARED / f"hatemoji_build/{split}.csv").open(encoding="utf-8", newline="")
        )
    ]
    pairs = [(r["text"], r["matched_text"]) for r in published]
    checked = [(a, b) for a, b in pairs if a in fold and b in fold]
    assert len(checked) > 5_000  # nearly every pair (a handful of repeated texts dropped)
    assert all(fold[a] == fold[b] for a, b in checked)
    assert len(set(fold.values())) == 5


def test_hatexplain_classes_placeholders_and_offensive_weight(
    real: tuple[dict[str, LabelledSet], SourceFiles], rows: Rows
) -> None:
    # Offensive, no target group: an insult, not an identity attack; <user> is dropped.
    offensive = ("i cited influences retard clearly of which yours in paint thinner and wood "
                 "polish 😂 😂 😂")  # fmt: skip
    # Threat is not labelled, so neither is severity (threat or identity attack).
    assert _labels(rows, offensive) == {"spam": None, "toxicity": 1, "severe_toxicity": None,
                                        "insult": 1, "threat": None, "identity_attack": 0,
                                        "obscene": None}  # fmt: skip
    # Offensive with target groups named: identity attack unknown.
    moslems = next(t for t in rows["toxicity"] if t.startswith("expecting 1 0 c here tonight"))
    assert _labels(rows, moslems)["identity_attack"] is None
    assert _labels(rows, moslems)["insult"] == 1
    # Hate speech: an identity attack.
    hate = next(t for t in rows["toxicity"] if t.startswith("why do not you respond to my posts"))
    assert "<" not in hate and _labels(rows, hate)["identity_attack"] == 1
    normal = ("the prophet muhammad saw says if you are full and your neighbour is sleeping "
              "hungry you are not a muslim")  # fmt: skip
    assert _labels(rows, normal) == _clean("hatexplain_ham")
    sets, _ = real
    toxicity = sets["toxicity"]
    weight = dict(zip(toxicity.texts, toxicity.row_weights, strict=True))
    assert weight[offensive] == HATEXPLAIN_OFFENSIVE_WEIGHT and weight[hate] == 1.0


def test_offensivelang_needs_all_three_workers(rows: Rows) -> None:
    # Two of three said Offensive: dropped (criticism a news site publishes).
    assert (
        "Your recent performances are lacking the spark that once defined your career."
        not in (rows["toxicity"])
    )
    # All three, occupation: an insult, not an identity attack.
    agent = "I heard your agent is struggling to find you quality roles. Any truth to that?"
    assert _labels(rows, agent) == {"spam": None, "toxicity": 1, "severe_toxicity": None,
                                    "insult": 1, "threat": None, "identity_attack": 0,
                                    "obscene": None}  # fmt: skip
    # All three, race/ethnicity: an identity attack.
    africans = "Africans are all victims of cultural appropriation and misrepresentation in media."
    assert _labels(rows, africans)["identity_attack"] == 1
    assert _labels(rows, africans)["insult"] is None
    clean = "Your character's dialogue was cringe-worthy; did anyone read the script?"
    assert _labels(rows, clean) == _clean("offensivelang_ham")


def test_scamspot_is_spam_only_and_each_text_once(
    real: tuple[dict[str, LabelledSet], SourceFiles],
) -> None:
    sets, _ = real
    spam = sets["spam"]
    texts = [t for t, s in zip(spam.texts, spam.sources, strict=True) if s == "scamspot"]
    labels = [y for y, s in zip(spam.labels, spam.sources, strict=True) if s == "scamspot"]
    # 3,586 comments, 3,221 distinct texts, of which 9 were labelled both ways.
    assert len(texts) == len(set(texts)) == 3_212
    assert Counter(labels) == {0: 2_073, 1: 1_139}
    assert "😂😂😂" in texts and "🥲" not in texts  # repeated 31 times; labelled both ways
    assert not any(s.startswith("scamspot") for s in sets["toxicity"].sources)


def test_every_new_file_is_recorded_with_its_checksum(
    real: tuple[dict[str, LabelledSet], SourceFiles],
) -> None:
    _, files = real
    records = {r["path"]: r for r in files.records()}
    for path in NEW_FILES:
        assert path in records, path
    demonstrations = [p for p in records if p.startswith("toxigen_prompts/demonstrations/")]
    assert len(demonstrations) == 30
    # The checksums MANIFEST.md publishes.
    manifest = (SHARED / "MANIFEST.md").read_text(encoding="utf-8")
    for path in NEW_FILES:
        assert f"| `{path}` | {records[path]['bytes']} | {records[path]['sha256']} |" in manifest


def test_trained_manifest_lists_the_new_files(fixture_data: Path, trained_dir: Path) -> None:
    manifest = json.loads((trained_dir / MANIFEST_NAME).read_text())
    paths = {f["path"] for f in manifest["data_files"]}
    assert set(NEW_FILES) <= paths
    for source in ("implicit", "toxigen", "toxigen_prompts", "hatemoji", "hatexplain",
                   "offensivelang"):  # fmt: skip
        assert manifest["training_rows"]["toxicity"][source]["positive"] > 0
    assert manifest["training_rows"]["spam"]["scamspot"]["positive"] > 0
    assert manifest["source_weights"]["toxigen"] < 1.0


def test_plan_holds_out_each_new_source(fixture_data: Path) -> None:
    sets, _ = build_label_sets(fixture_data)
    rounds = dict(plan(sets, fixture_data, HELD_OUT_SOURCES, videos=False))
    assert set(NEW_SOURCES) <= set(HELD_OUT_SOURCES) and set(rounds) == set(HELD_OUT_SOURCES)
    for name in NEW_SOURCES:
        labels = {task.label for task in rounds[name]}
        assert labels == {label for label in MODEL_NAMES if name in TEST_SOURCES[label]}
        for task in rounds[name]:
            sources = np.asarray(sets[task.label].sources)
            assert not any(origin(s) == name for s in sources[task.train])
            assert set(sources[task.test]) == set(TEST_SOURCES[task.label][name])
    assert {t.label for t in rounds["scamspot"]} == {"spam"}
    assert {t.label for t in rounds["implicit"]} == {"spam", "toxicity", "threat",
                                                      "identity_attack"}  # fmt: skip
    # ToxiGen's prompt sentences are held out with the annotated statements, not scored.
    toxigen = next(t for t in rounds["toxigen"] if t.label == "toxicity")
    sources = np.asarray(sets["toxicity"].sources)
    prompts = sources == "toxigen_prompts"
    assert prompts.any() and not toxigen.train[prompts].any()
    assert set(sources[toxigen.test]) == {"toxigen"}
