"""Training on a small fixture dataset, persistence round trips and load failures."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import skops.io as sio
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from classifiers import CommentText, ModelLoadError, Scorer, Scores, train
from classifiers.datasets import LabelledSet, build_label_sets
from classifiers.labels import ATTRIBUTES, MODEL_NAMES
from classifiers.persistence import ARTIFACT_NAME, MANIFEST_NAME
from classifiers.training import fit_on_used_columns


def test_training_writes_loadable_model_with_manifest(
    fixture_data: Path, trained_dir: Path
) -> None:
    manifest = json.loads((trained_dir / MANIFEST_NAME).read_text())
    files = {f["path"]: f for f in manifest["data_files"]}
    assert "youtube_spam/Youtube01-Psy.csv" in files
    assert "toxic_spans_civil_comments/annotations.csv" in files
    assert "toxic_spans_civil_comments/spans.csv" in files
    for rel, entry in files.items():
        data = (fixture_data / rel).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["bytes"] == len(data)
    assert set(manifest["libraries"]) == {"python", "sklearn", "skops", "numpy", "scipy"}
    assert manifest["training_rows"]["spam"]["youtube"]["rows"] == 72
    # Stormfront "relation" rows are dropped; the tied toxic-spans rows do not exist here.
    assert manifest["training_rows"]["toxicity"]["stormfront"]["rows"] == 36
    for model in ("spam", "toxicity"):
        assert 0.0 <= manifest["metrics"][model]["roc_auc_pooled"] <= 1.0
    sha = hashlib.sha256((trained_dir / ARTIFACT_NAME).read_bytes()).hexdigest()
    assert manifest["artifact"]["sha256"] == sha
    assert manifest["model_version"].startswith("v0-") and manifest["model_version"].endswith(
        sha[:8]
    )

    scorer = Scorer.load(trained_dir)
    assert scorer.version == manifest["model_version"]
    scores = scorer.score([CommentText("check out my channel"), CommentText("thanks")])
    assert all(isinstance(s, Scores) and 0 <= s.spam <= 1 and 0 <= s.toxicity <= 1 for s in scores)
    assert scorer.score([]) == []


def test_round_trip_gives_identical_scores(trained_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(trained_dir, copy)
    comments = [CommentText("you stupid idiot", "a", "a@gmail.com", "http://a.example.com")]
    assert Scorer.load(copy).score(comments) == Scorer.load(trained_dir).score(comments)


def test_training_is_reproducible(fixture_data: Path, trained_dir: Path, tmp_path: Path) -> None:
    manifest = train(fixture_data, tmp_path)
    before = json.loads((trained_dir / MANIFEST_NAME).read_text())
    assert manifest["metrics"] == before["metrics"]
    comments = [CommentText("free prize call now"), CommentText("you idiot")]
    assert Scorer.load(tmp_path).score(comments) == Scorer.load(trained_dir).score(comments)


class Sneaky(TransformerMixin, BaseEstimator):
    """A type the loader has never heard of."""

    def fit(self, X: object, y: object = None) -> Sneaky:
        return self

    def transform(self, X: object) -> object:
        return X


def test_untrusted_type_is_refused(trained_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(trained_dir, tmp_path, dirs_exist_ok=True)
    models = sio.load(trained_dir / ARTIFACT_NAME, trusted=sio.get_untrusted_types(
        file=trained_dir / ARTIFACT_NAME))  # fmt: skip
    models["spam"] = Pipeline([("sneaky", Sneaky()), ("clf", models["spam"][-1])])
    # The manifest agrees, so the failure is about the type, not the checksum.
    _replace_artifact(models, tmp_path)
    with pytest.raises(ModelLoadError, match="untrusted"):
        Scorer.load(tmp_path)


def test_tampered_artifact_is_refused(trained_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(trained_dir, tmp_path, dirs_exist_ok=True)
    with (tmp_path / ARTIFACT_NAME).open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelLoadError, match="sha256"):
        Scorer.load(tmp_path)


def test_wrong_object_is_refused(trained_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(trained_dir, tmp_path, dirs_exist_ok=True)
    _replace_artifact({"spam": LogisticRegression()}, tmp_path)  # type: ignore[dict-item]
    with pytest.raises(ModelLoadError):
        Scorer.load(tmp_path)


@pytest.mark.parametrize("broken", ["missing_dir", "missing_manifest", "bad_json", "no_artifact"])
def test_broken_directories_raise_model_load_error(
    broken: str, trained_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "model"
    if broken != "missing_dir":
        shutil.copytree(trained_dir, target)
    if broken == "missing_manifest":
        (target / MANIFEST_NAME).unlink()
    elif broken == "bad_json":
        (target / MANIFEST_NAME).write_text("{not json")
    elif broken == "no_artifact":
        (target / ARTIFACT_NAME).unlink()
    with pytest.raises(ModelLoadError):
        Scorer.load(target)


def _replace_artifact(models: dict[str, Pipeline], model_dir: Path) -> None:
    """Write ``models`` as the artifact of ``model_dir`` with a manifest that agrees."""
    sio.dump(models, model_dir / ARTIFACT_NAME)
    manifest = json.loads((model_dir / MANIFEST_NAME).read_text())
    manifest["artifact"]["sha256"] = hashlib.sha256(
        (model_dir / ARTIFACT_NAME).read_bytes()
    ).hexdigest()
    (model_dir / MANIFEST_NAME).write_text(json.dumps(manifest))


def _trusted_load(model_dir: Path) -> dict[str, Pipeline]:
    path = model_dir / ARTIFACT_NAME
    models: dict[str, Pipeline] = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    return models


def test_every_model_is_trained_and_scored(trained_dir: Path) -> None:
    manifest = json.loads((trained_dir / MANIFEST_NAME).read_text())
    assert set(manifest["metrics"]) == set(manifest["training_rows"]) == set(MODEL_NAMES)
    scorer = Scorer.load(trained_dir)
    assert scorer.attributes == ATTRIBUTES
    (score,) = scorer.score([CommentText("you stupid idiot")])
    assert list(score.as_dict()) == list(MODEL_NAMES)
    assert all(0.0 <= v <= 1.0 for v in score.as_dict().values())
    (explanation,) = scorer.explain([CommentText("you stupid idiot")])
    assert set(explanation.attributes) == set(ATTRIBUTES)


def test_an_artifact_from_before_the_attributes_still_loads(
    trained_dir: Path, tmp_path: Path
) -> None:
    shutil.copytree(trained_dir, tmp_path, dirs_exist_ok=True)
    models = _trusted_load(trained_dir)
    _replace_artifact({"spam": models["spam"], "toxicity": models["toxicity"]}, tmp_path)
    old, new = Scorer.load(tmp_path), Scorer.load(trained_dir)
    comments = [CommentText("you stupid idiot"), CommentText("thanks for the article")]
    assert old.attributes == ()
    for before, now in zip(old.score(comments), new.score(comments), strict=True):
        assert before.attributes == {}
        assert (before.spam, before.toxicity) == (now.spam, now.toxicity)
    assert old.explain(comments)[0].attributes == {}


def test_an_artifact_with_an_unknown_model_is_refused(trained_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(trained_dir, tmp_path, dirs_exist_ok=True)
    models = _trusted_load(trained_dir)
    _replace_artifact({**models, "sarcasm": models["toxicity"]}, tmp_path)
    with pytest.raises(ModelLoadError, match="does not hold the models"):
        Scorer.load(tmp_path)


def test_attribute_labels_follow_each_source(fixture_data: Path) -> None:
    sets, _ = build_label_sets(fixture_data)

    def labelled(name: str, source: str) -> dict[str, int]:
        data = sets[name]
        return {
            t: y
            for t, y, s in zip(data.texts, data.labels, data.sources, strict=True)
            if s == source
        }

    jigsaw_insult = labelled("insult", "jigsaw")  # the fixture's toxic Jigsaw rows are insults
    jigsaw_toxic = labelled("toxicity", "jigsaw")
    assert jigsaw_insult == jigsaw_toxic and 0 < sum(jigsaw_insult.values()) < len(jigsaw_insult)
    assert set(labelled("threat", "jigsaw").values()) == {0}
    # TOXICSPANS: two of three raters marked an Insult span in each toxic comment.
    assert labelled("insult", "toxicspans") == labelled("toxicity", "toxicspans")
    assert set(labelled("threat", "toxicspans").values()) == {0}
    # Davidson and Stormfront "hate" is an identity attack; neither labels insults.
    davidson_hate = {t for t, y in labelled("identity_attack", "davidson").items() if y}
    assert davidson_hate and davidson_hate <= set(labelled("toxicity", "davidson"))
    assert "davidson" not in sets["insult"].sources
    stormfront = labelled("identity_attack", "stormfront")
    assert stormfront == labelled("toxicity", "stormfront")
    assert not any(labelled("insult", "stormfront").values())
    # The template rows teach threats and their harmless pairs.
    synthetic = labelled("threat", "synthetic")
    assert synthetic["I will shoot him."] == 1
    assert synthetic["The chief executive should resign."] == 0


def test_spam_templates_pair_article_spam_with_news_comments(fixture_data: Path) -> None:
    sets, _ = build_label_sets(fixture_data)
    spam = sets["spam"]
    rows = {
        t: y
        for t, y, s in zip(spam.texts, spam.labels, spam.sources, strict=True)
        if s == "synthetic_spam"
    }
    positives = [t for t, y in rows.items() if y == 1]
    negatives = [t for t, y in rows.items() if y == 0]
    # Both kinds, in comparable numbers, so the source cannot be learnt as "spam".
    assert len(positives) > 200 and len(negatives) > 150
    # Messenger handles and commercial links among the spam; the same messengers and cited
    # news sites among the clean comments.
    assert any("telegram" in t.lower() and "@" in t for t in positives)
    assert any("telegram" in t.lower() for t in negatives)
    assert any("apnews.com" in t for t in negatives)
    assert "synthetic_spam" not in sets["toxicity"].sources


def test_criticism_rows_train_as_their_own_source(fixture_data: Path) -> None:
    sets, _ = build_label_sets(fixture_data)

    def labelled(name: str) -> dict[str, int]:
        data = sets[name]
        return {
            t: y
            for t, y, s in zip(data.texts, data.labels, data.sources, strict=True)
            if s == "synthetic_criticism"
        }

    toxicity, insult, threat = labelled("toxicity"), labelled("insult"), labelled("threat")
    # A reader insulted is toxic and an insult, nothing more; a trade criticised is clean.
    assert toxicity["You are an idiot."] == insult["You are an idiot."] == 1
    assert threat["You are an idiot."] == 0
    assert toxicity["Politicians are all liars."] == insult["Politicians are all liars."] == 0
    assert "synthetic_criticism" not in sets["spam"].sources  # spam sees it as synthetic_ham


def moderators_rows(data: LabelledSet) -> dict[str, int]:
    """The moderators' rows of one model's set: text -> label."""
    return {
        t: y
        for t, y, s in zip(data.texts, data.labels, data.sources, strict=True)
        if s == "moderators"
    }


def test_moderators_labels_teach_each_model_what_they_say(fixture_data: Path) -> None:
    from classifiers import ModeratorLabel

    feedback = [
        ModeratorLabel("Visit my shop for cheap watches", spam=True, toxic=None),
        ModeratorLabel("You are a disgrace to this town", spam=None, toxic=True),
        ModeratorLabel("Fair point about the bus cuts", spam=False, toxic=False),
    ]

    sets, _ = build_label_sets(fixture_data, feedback)

    def labelled(name: str) -> dict[str, int]:
        return moderators_rows(sets[name])

    assert labelled("spam") == {
        "Visit my shop for cheap watches": 1,
        "Fair point about the bus cuts": 0,
    }
    assert labelled("toxicity") == {
        "You are a disgrace to this town": 1,
        "Fair point about the bus cuts": 0,
    }
    # Published, so clean for every attribute; an abusive one says nothing about which kind.
    assert labelled("threat") == {"Fair point about the bus cuts": 0}


def test_a_few_moderators_labels_weigh_little_until_there_are_many(fixture_data: Path) -> None:
    from classifiers import ModeratorLabel
    from classifiers.datasets import SOURCE_FULL_WEIGHT_ROWS

    def moderators_share(count: int) -> float:
        feedback = [
            ModeratorLabel(f"Spam offer number {i}", spam=bool(i % 2), toxic=None)
            for i in range(count)
        ]
        sets, _ = build_label_sets(fixture_data, feedback)
        weights = sets["spam"].sample_weights()
        mine = [s == "moderators" for s in sets["spam"].sources]
        return float(weights[mine].sum() / weights.sum())

    few, many = moderators_share(10), moderators_share(SOURCE_FULL_WEIGHT_ROWS["moderators"])

    assert few < many / 10
    assert many > 0.05


def test_a_removals_ground_labels_the_attributes_it_names_and_no_other(
    fixture_data: Path,
) -> None:
    from classifiers import ModeratorLabel

    threat = "Shame if something happened to that garden of yours"
    hate = "People like them are vermin"
    feedback = [
        ModeratorLabel(threat, spam=None, toxic=True, attributes=("threat", "severe_toxicity")),
        ModeratorLabel(
            hate, spam=None, toxic=True, attributes=("identity_attack", "severe_toxicity")
        ),
        ModeratorLabel("You are a disgrace to this town", spam=None, toxic=True),
        ModeratorLabel("Fair point about the bus cuts", spam=False, toxic=False),
    ]

    sets, _ = build_label_sets(fixture_data, feedback)

    def labelled(name: str) -> dict[str, int]:
        return moderators_rows(sets[name])

    assert labelled("toxicity") == {threat: 1, hate: 1, "You are a disgrace to this town": 1,
                                    "Fair point about the bus cuts": 0}  # fmt: skip
    assert labelled("threat") == {threat: 1, "Fair point about the bus cuts": 0}
    assert labelled("identity_attack") == {hate: 1, "Fair point about the bus cuts": 0}
    assert labelled("severe_toxicity") == {threat: 1, hate: 1, "Fair point about the bus cuts": 0}
    # A threat says nothing of insults or obscenity: unknown, not absent.
    assert labelled("insult") == {"Fair point about the bus cuts": 0}
    with pytest.raises(ValueError, match="no attribute model is called menace"):
        ModeratorLabel(threat, spam=None, toxic=True, attributes=("menace",))


def test_a_grounds_positives_weigh_as_the_moderators_rows_do_not_less(fixture_data: Path) -> None:
    """The moderators' source is scaled by its rows (SOURCE_FULL_WEIGHT_ROWS); scaling a
    ground's few positives again by ATTRIBUTE_FULL_WEIGHT_POSITIVES would leave them ~nothing."""
    from classifiers import ModeratorLabel
    from classifiers.datasets import SOURCE_FULL_WEIGHT_ROWS

    threats = [
        ModeratorLabel(f"Accidents happen to reporters on street {i}", None, True, ("threat",))
        for i in range(12)
    ]
    published = [ModeratorLabel(f"The bus to street {i} is late", False, False) for i in range(12)]
    sets, _ = build_label_sets(fixture_data, threats + published)
    threat = sets["threat"]
    weights = threat.sample_weights()
    labels = np.asarray(threat.labels)
    mine = np.asarray([s == "moderators" for s in threat.sources])

    positives = float(weights[mine & (labels == 1)].sum() / weights[labels == 1].sum())

    # 24 rows of 500: their source weighs 0.048, about half of it on the 12 threats, beside
    # the synthetic threats' ~0.17 (the only other positives here): a ground's share is ~12%.
    # Scaled again by 12/200 positives it would be ~0.8%.
    assert 24 / SOURCE_FULL_WEIGHT_ROWS["moderators"] == 0.048
    assert 0.08 < positives < 0.2


def test_fitting_on_the_used_columns_gives_the_full_fit() -> None:
    rng = np.random.default_rng(0)
    # 200 rows over 5,000 columns of which only every tenth is ever used.
    dense = np.zeros((200, 5_000))
    dense[:, ::10] = rng.random((200, 500)) * (rng.random((200, 500)) < 0.05)
    features = sp.csr_matrix(dense)
    y = (dense[:, :250].sum(axis=1) > dense[:, 250:].sum(axis=1) / 19).astype(int)
    weights = rng.random(200) + 0.5

    full = LogisticRegression(C=2.0, tol=1e-8, max_iter=2000)
    full.fit(features, y, sample_weight=weights)
    compact = fit_on_used_columns(LogisticRegression(C=2.0, tol=1e-8, max_iter=2000),
                                  features, y, weights)  # fmt: skip

    assert compact.coef_.shape == full.coef_.shape == (1, 5_000)
    assert not compact.coef_[:, 1::10].any()
    np.testing.assert_allclose(compact.coef_, full.coef_, atol=1e-5)
    np.testing.assert_allclose(
        compact.decision_function(features), full.decision_function(features), atol=1e-5
    )
