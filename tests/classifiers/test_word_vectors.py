"""Word vectors: insults no labelled row taught still read as insults, group names borrow
nothing from their neighbours, and the shipped model says which table it was trained with."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from sklearn.base import clone

from classifiers import DEFAULT_MODEL_DIR, CommentText, Scorer
from classifiers.features import CommentFeaturizer, reweigh_ngrams
from classifiers.normalise import normalise_text
from classifiers.persistence import sha256_file
from classifiers.training import WORD_VECTOR_DIMENSIONS, build_body_rows, served_vectors
from classifiers.word_vectors import VECTORS_FILE, hash_words, identity_terms, read_vectors

# Insults that occur in none of ../shared/datasets' texts (pillock, plonker) or at most four
# times (nincompoop, halfwit, nitwit): what n-grams learnt of them is next to nothing.
UNSEEN_INSULTS = (
    "You are a complete pillock.",
    "What a plonker you are.",
    "Only a nincompoop would write this.",
    "The author is a halfwit.",
    "Listen to me, you nitwit.",
)
# The same sentences about someone without the insult.
PLAIN_TWINS = (
    "You are a complete newcomer.",
    "What a neighbour you are.",
    "Only a gardener would write this.",
    "The author is a historian.",
    "Listen to me, you people.",
)


@pytest.fixture(scope="module")
def featurizer() -> CommentFeaturizer:
    table = served_vectors()
    return CommentFeaturizer(
        vector_words=table.words, vector_rows=table.rows, vectors=table.vectors
    ).fit(build_body_rows(["x"]))


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer.load()


def _vector_block(featurizer: CommentFeaturizer, texts: list[str]) -> np.ndarray:
    X = featurizer.transform_rows(build_body_rows(texts).tolist())
    end = featurizer.n_text_features_
    return X[:, end - featurizer._vector_width() : end].toarray()


def test_a_text_is_the_direction_of_its_words(featurizer: CommentFeaturizer) -> None:
    block = _vector_block(featurizer, ["idiot", "You IDIOT!", "zzxqj", ""])
    assert np.allclose(np.linalg.norm(block, axis=1), [1, 1, 0, 0], atol=1e-5)
    # "you" adds its own meaning, so the two differ, but they still point the same way.
    assert 0.5 < float(block[0] @ block[1]) < 0.999


def test_group_names_add_nothing(featurizer: CommentFeaturizer) -> None:
    terms = identity_terms()
    assert {"muslim", "muslims", "jews", "women", "gay", "refugees", "black"} <= terms
    block = _vector_block(
        featurizer,
        [
            "Muslim families live on my street.",
            "families live on my street.",
            "Our new neighbours are gay and Jewish.",
            "Our new neighbours are and.",
        ],
    )
    assert np.allclose(block[0], block[1], atol=1e-6)
    assert np.allclose(block[2], block[3], atol=1e-6)
    # Not every word is dropped: a word that names no group still has a vector.
    assert np.abs(block[0]).sum() > 0


def test_each_sentence_has_its_own_vector(featurizer: CommentFeaturizer) -> None:
    first, second = "The harbour looks lovely at dawn.", "You are a complete pillock and a fool."
    X, S, owner = featurizer.transform_sentences(build_body_rows([f"{first} {second}"]).tolist())
    assert owner.tolist() == [0, 0]
    end = featurizer.n_text_features_
    width = featurizer._vector_width()
    alone = _vector_block(featurizer, [first, second, f"{first} {second}"])
    assert np.allclose(S[:, end - width : end].toarray(), alone[:2], atol=1e-5)
    assert np.allclose(X[:, end - width : end].toarray(), alone[2:], atol=1e-5)


def test_the_table_keeps_only_words_the_featurizer_can_find() -> None:
    words, rows, vectors = read_vectors()
    assert vectors.shape == (20000, 300) and len(words) == rows.shape[0] > 250_000
    table = served_vectors()
    assert table.vectors.shape[1] == WORD_VECTOR_DIMENSIONS
    assert bool(np.all(table.words[1:] > table.words[:-1]))
    known = set(table.words.tolist())
    assert hash_words(["hello"])[0] in known
    assert hash_words(["muslims"])[0] not in known
    # The featurizer looks words up in normalised text ("h3ll0" reads "hello"), so a word the
    # normaliser changes could never be found: the table leaves them out.
    changed = [w for w in words if normalise_text(w) != w]
    assert len(changed) > 1000
    assert not known & set(hash_words(changed).tolist())


def test_shipped_model_names_its_vectors(scorer: Scorer) -> None:
    entry = scorer.manifest["word_vectors"]
    assert entry["sha256"] == sha256_file(VECTORS_FILE)
    assert entry["dimensions"] == WORD_VECTOR_DIMENSIONS
    assert (DEFAULT_MODEL_DIR.parents[2] / entry["file"]).resolve() == VECTORS_FILE


def _without_vectors(scorer: Scorer) -> Scorer:
    """The shipped model with every head's word-vector coefficients set to zero."""
    models = {
        name: copy.deepcopy(pipeline)
        for name, pipeline in (
            ("spam", scorer._spam),
            ("toxicity", scorer._toxicity),
            *scorer._attributes.items(),
        )
    }
    for pipeline in models.values():
        featurizer, classifier = pipeline[0], pipeline[-1]
        end = featurizer.n_text_features_
        coef = np.array(classifier.coef_, dtype=np.float64)
        coef[0, end - featurizer._vector_width() : end] = 0
        classifier.coef_ = coef
    return Scorer(models, scorer.manifest)


def test_insults_no_dataset_taught_read_as_insults(scorer: Scorer) -> None:
    insults = scorer.score([CommentText(body) for body in UNSEEN_INSULTS])
    twins = scorer.score([CommentText(body) for body in PLAIN_TWINS])
    blind = _without_vectors(scorer).score([CommentText(body) for body in UNSEEN_INSULTS])
    for body, insult, twin, without in zip(UNSEEN_INSULTS, insults, twins, blind, strict=True):
        # The vectors are what raises them: well above their plain twin, and above the same
        # model with its vector coefficients zeroed.
        assert insult.attributes["insult"] > twin.attributes["insult"] + 0.2, body
        assert insult.attributes["insult"] > without.attributes["insult"] + 0.1, body


def test_explanations_point_at_the_insult_no_dataset_taught(scorer: Scorer) -> None:
    body = "You are a complete pillock."
    explanation = scorer.explain([CommentText(body)])[0]
    assert explanation.attributes["insult"][0].text == "pillock"


def test_reweighing_vectors_equals_featurising_with_that_idf(
    featurizer: CommentFeaturizer,
) -> None:
    # What `moderation evaluate` does each round: hash once without idf, then weigh.
    rows = build_body_rows(
        ["You are a complete pillock.", "The harbour at dawn. Lovely light on the water!", ""]
    ).tolist()
    body = build_body_rows(["x"])
    plain = clone(featurizer).set_params(vector_idf=True).fit(body)
    idf = np.linspace(1, 9, plain.n_ngram_features_)
    weighed = clone(plain).set_params(idf=idf).fit(body)
    X = reweigh_ngrams(plain.transform_rows(rows), idf, plain.word_bits, float(plain.char_scale))
    before = X.toarray()
    weighed.reweigh_vectors(X, rows)
    expected = weighed.transform_rows(rows).toarray()
    assert np.allclose(X.toarray(), expected, atol=1e-5)
    # The idf moved the vectors of the texts with words (not the empty one).
    moved = np.abs(before - expected).max(axis=1)
    assert moved[0] > 1e-3 and moved[1] > 1e-3 and moved[2] == 0
