"""scikit-learn's estimator contract for our custom transformers, and normalisation."""
# ruff: noqa: RUF001  (look-alike characters are the point of this file)

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from classifiers.features import (
    COLUMNS,
    CommentFeaturizer,
    CommentMetaFeatures,
    NgramHasher,
    _hash_texts,
    inverse_document_frequency,
    reweigh_ngrams,
)
from classifiers.normalise import normalise_text
from classifiers.word_vectors import hash_words


def _small_vectors() -> dict[str, np.ndarray]:
    """A three-word vector table, shaped as ``word_vectors.vector_table`` makes one."""
    hashes = hash_words(["fool", "idiot", "lovely"])
    order = np.argsort(hashes)
    vectors = np.asarray([[1, 0, 0], [0.9, 0.1, 0], [0, 0, 1]], dtype=np.float32)
    return {
        "vector_words": hashes[order],
        "vector_rows": np.arange(3, dtype=np.int32)[order],
        "vectors": vectors,
    }


SMALL_VECTORS = _small_vectors()


# Small hash tables keep the checks fast; the logic is the same as in production.
@parametrize_with_checks(
    [
        NgramHasher(word_bits=8, char_bits=8),
        CommentMetaFeatures(),
        CommentFeaturizer(word_bits=8, char_bits=8),
        CommentFeaturizer(word_bits=8, char_bits=8, char_scale=0.5, lexicon=("idiot", "ball gag")),
        CommentFeaturizer(word_bits=8, char_bits=8, idf=np.linspace(1, 5, 512, dtype=np.float32)),
        CommentFeaturizer(word_bits=8, char_bits=8, **SMALL_VECTORS),
    ]
)
def test_sklearn_estimator_contract(estimator: Any, check: Any) -> None:
    check(estimator)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("You 1d10t!!!!", "you idiot!!"),
        ("i d i o t", "idiot"),
        ("f.u.c.k off", "fuck off"),
        ("stuuuupid", "stupid"),
        ("ѕtupid іdiot", "stupid idiot"),
        ("id\u200biot", "idiot"),
        ("Ｉｄｉｏｔ", "idiot"),
        ("sh!t h3ll0 n00b", "shit hello noob"),
        # Ordinary numbers and alphanumerics survive for the spam features.
        ("Call 07123456789, 1st prize 2005", "call 07123456789, 1st prize 2005"),
        ("covid19 mp3 $100 www.site.com", "covid19 mp3 $100 www.site.com"),
    ],
)
def test_normalise_text(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


def test_char_ngrams_match_sklearn_char_wb() -> None:
    from sklearn.feature_extraction.text import CountVectorizer

    text = "the quick brown fox jumps over the lazy dog again and again"
    sk = CountVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=False)
    expected = sk.fit_transform([text])
    ours = _hash_texts([text], (1, 1), (3, 5), 4, 20)[:, 16:]
    assert ours.sum() == expected.sum()
    # With a 2**20 table and ~100 distinct n-grams, collisions are (near) impossible.
    assert ours.nnz == expected.nnz


def test_hasher_rows_are_independent_of_batch() -> None:
    X = np.array([["you idiot", "", "", ""], ["nice day", "", "", ""]], dtype=object)
    hasher = NgramHasher(columns=(0,)).fit(X)
    both = hasher.transform(X).toarray()
    assert np.array_equal(both[1], hasher.transform(X[1:]).toarray()[0])


def test_meta_features_see_links_contacts_and_fields() -> None:
    X = np.array(
        [
            ["visit http://a.example.com and www.b.ru, whatsapp +1 555 123 4567", "bob",
             "bob@mailinator.com", "http://a.example.com"],
            ["A calm comment about the library opening hours.", "ann", "", ""],
        ],
        dtype=object,
    )  # fmt: skip
    meta = CommentMetaFeatures(roles=("body", "author", "email", "url")).fit(X)
    names = list(meta.get_feature_names_out())
    spammy, calm = meta.transform(X)
    assert spammy[names.index("body0__has_link")] == 1
    assert spammy[names.index("body0__log_link_domains")] == pytest.approx(np.log1p(2))
    assert spammy[names.index("body0__has_phone")] == 1
    assert spammy[names.index("body0__has_messenger")] == 1
    assert spammy[names.index("email2__email_disposable")] == 1
    assert spammy[names.index("url3__url_domain_in_body")] == 1
    assert calm[names.index("body0__has_link")] == 0
    # No e-mail sets no flag at all (see features._email_features for why).
    assert not any(calm[names.index(f"email2__{n}")] for n in ("email_none", "email_freemail"))


def test_featurizer_is_ngram_hasher_then_meta_features() -> None:
    X = np.array(
        [
            ["Visit www.example.com NOW, whatsapp +1 555 123 4567", "bob", "b@gmail.com", ""],
            ["You 1d10t", "", "", ""],
            ["", "", "", ""],
        ],
        dtype=object,
    )
    small = {"word_bits": 10, "char_bits": 12}
    featurizer = CommentFeaturizer(roles=COLUMNS, **small).fit(X)
    ngrams = NgramHasher(columns=(0,), **small).fit(X).transform(X)
    meta = CommentMetaFeatures(roles=COLUMNS).fit(X).transform(X)
    both = featurizer.transform(X)
    assert both.dtype == np.float32
    assert both.shape == (3, ngrams.shape[1] + meta.shape[1])
    np.testing.assert_allclose(both[:, : ngrams.shape[1]].toarray(), ngrams.toarray(), rtol=1e-6)
    np.testing.assert_allclose(both[:, ngrams.shape[1] :].toarray(), meta, rtol=1e-6)
    # Without roles the output is the n-gram prefix alone, which the scorer relies on.
    prefix = CommentFeaturizer(**small).fit(X).transform(X)
    assert (prefix != both[:, : ngrams.shape[1]]).nnz == 0


def test_length_cap_makes_long_comments_no_longer_than_the_cap() -> None:
    """A long discussion comment is as long as a cap-length one to the spam model: the spam
    sources' spam is short, so uncapped length taught it that long ham is spam
    (docs/models.md)."""
    short, cap, long = "Thanks for this. " * 4, 120, "I disagree with the council here. " * 40
    X = np.array([[text, "", "", ""] for text in (short, "x" * cap, long)], dtype=object)
    small = {"word_bits": 10, "char_bits": 12, "roles": COLUMNS}
    capped = CommentFeaturizer(length_cap=cap, **small).fit(X)
    column = list(capped.get_feature_names_out()).index("body0__log_length")
    lengths = capped.transform(X)[:, column].toarray().ravel()
    assert lengths[0] < lengths[1] == pytest.approx(lengths[2])
    uncapped = CommentFeaturizer(**small).fit(X).transform(X)[:, column].toarray().ravel()
    assert uncapped[2] > uncapped[1]
    np.testing.assert_allclose(uncapped[:2], lengths[:2])


def test_lexicon_feature_counts_words_and_phrases() -> None:
    X = np.array([["You 1d10t, a ball gag idiot"], ["a calm idea"], [""]], dtype=object)
    featurizer = CommentFeaturizer(word_bits=4, char_bits=4, lexicon=("idiot", "ball gag")).fit(X)
    out = featurizer.transform(X).toarray()
    assert list(featurizer.get_feature_names_out())[-1] == "lexicon_hits"
    np.testing.assert_allclose(out[:, -1], [np.log1p(3), 0, 0], rtol=1e-6)


def test_char_scale_shrinks_only_char_columns() -> None:
    X = np.array([["a calm comment about the library"]], dtype=object)
    plain = CommentFeaturizer(word_bits=6, char_bits=8).fit(X).transform(X).toarray()
    scaled = CommentFeaturizer(word_bits=6, char_bits=8, char_scale=0.5).fit(X).transform(X)
    np.testing.assert_allclose(scaled.toarray()[0, :64], plain[0, :64], rtol=1e-6)
    np.testing.assert_allclose(scaled.toarray()[0, 64:], plain[0, 64:] * 0.5, rtol=1e-6)


def test_idf_weighs_a_rare_word_above_one_every_text_has() -> None:
    texts = ["the vote was close", "the vote was late", "the council met", "the idiot voted"]
    small = {"word_bits": 10, "char_bits": 10}
    plain = CommentFeaturizer(**small)
    df = plain.document_frequencies(texts)
    assert df.shape == (2048,)
    assert df.max() == len(texts)  # "the" (and its char n-grams) is in every text
    idf = inverse_document_frequency(df, len(texts))
    X = np.array([["the idiot"]], dtype=object)
    weighed = CommentFeaturizer(idf=idf, **small).fit(X).transform(X).toarray()[0]
    unweighed = plain.fit(X).transform(X).toarray()[0]
    the, idiot = (
        _hash_texts(["the"], (1, 1), (9, 9), 10, 10),
        _hash_texts(["idiot"], (1, 1), (9, 9), 10, 10),
    )
    the_col, idiot_col = the.indices[0], idiot.indices[0]
    assert unweighed[the_col] == pytest.approx(unweighed[idiot_col])
    assert weighed[idiot_col] > 1.3 * weighed[the_col]
    assert np.linalg.norm(weighed[:1024]) ** 2 + np.linalg.norm(
        weighed[1024:]
    ) ** 2 == pytest.approx(1)


def test_reweighing_unweighted_features_equals_featurising_with_idf() -> None:
    # What the leave-one-source-out evaluation relies on: hash once, weigh per round.
    X = np.array(
        [["You are an idiot. Go away, idiot!"], ["A calm, long comment about the budget vote."],
         [""], ["w w w dot example dot com"]], dtype=object,
    )  # fmt: skip
    params = {"word_bits": 9, "char_bits": 10, "char_scale": 0.5, "lexicon": ("idiot",)}
    idf = np.random.default_rng(0).uniform(1, 8, 512 + 1024).astype(np.float32)
    raw = CommentFeaturizer(**params).fit(X).transform(X)
    direct = CommentFeaturizer(idf=idf, **params).fit(X).transform(X)
    np.testing.assert_allclose(
        reweigh_ngrams(raw, idf, 9, 0.5).toarray(), direct.toarray(), rtol=1e-5, atol=1e-7
    )
    with pytest.raises(ValueError, match="one weight per n-gram column"):
        CommentFeaturizer(idf=idf[:10], **params).fit(X)


def test_scam_features_fire_on_scam_wording_not_on_complaints() -> None:
    X = np.array(
        [
            ["Work from home and earn big money daily, click the link in my bio"],
            ["The bins on our street have not been collected for weeks, please fix it."],
        ],
        dtype=object,
    )
    meta = CommentMetaFeatures(roles=("body",)).fit(X)
    names = list(meta.get_feature_names_out())
    scam, complaint = meta.transform(X)
    # "earn", "work from home", "link in my bio"
    assert scam[names.index("body0__log_scam_terms")] >= np.log1p(3)
    assert scam[names.index("body0__call_to_action")] == 1
    assert complaint[names.index("body0__log_scam_terms")] == 0
    assert complaint[names.index("body0__call_to_action")] == 0


def test_meta_features_see_floods_and_bare_links() -> None:
    X = np.array(
        [
            ["lol lol lol lol lol lol lol lol"],
            ["Buy now, buy now, buy now, buy now, buy now"],
            ["The council spent more on consultants than on repairs, which says it all."],
            ["http://cheap-pills.example.com"],
            ["The figures are in the ONS release https://www.ons.gov.uk/x, and they are grim."],
        ],
        dtype=object,
    )
    meta = CommentMetaFeatures(roles=("body",)).fit(X)
    names = list(meta.get_feature_names_out())
    rep, bare = names.index("body0__repetition"), names.index("body0__bare_link")
    flood, pasted, prose, link_only, cited = meta.transform(X)
    assert flood[rep] > 0.8 and pasted[rep] > 0.5
    assert prose[rep] == 0
    assert link_only[bare] == 1 and cited[bare] == 0
    assert prose[bare] == 0
