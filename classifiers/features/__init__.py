"""Scikit-learn transformers turning comment fields into numeric features.

- ``cells``: the column order of the 2-D input (``COLUMNS``) and its rows as strings;
- ``ngrams``: hashed word and char_wb n-grams, their term weights, ``NgramHasher``;
- ``lexicon``: the count of lexicon words and phrases;
- ``vector_sums``: each text's sum of word vectors;
- ``metadata``: links, contacts, scam terms, e-mail and website (``CommentMetaFeatures``);
- ``featurizer``: all of them in one matrix, per comment and per sentence
  (``CommentFeaturizer``).

The estimators keep the module path ``classifiers.features``, which the model artifact names
(see ``classifiers.persistence.ALLOW_LIST``). The names below are the ones other modules,
tests and benchmarks import from here.
"""

from classifiers.features.cells import COLUMNS, as_cells
from classifiers.features.featurizer import CommentFeaturizer
from classifiers.features.lexicon import _LEX_WORD as _LEX_WORD
from classifiers.features.lexicon import _lexicon_sets as _lexicon_sets
from classifiers.features.metadata import _CALL_TO_ACTION as _CALL_TO_ACTION
from classifiers.features.metadata import _MESSENGERS as _MESSENGERS
from classifiers.features.metadata import _PHONE as _PHONE
from classifiers.features.metadata import _SCAM_PHRASES as _SCAM_PHRASES
from classifiers.features.metadata import _SCAM_WORDS as _SCAM_WORDS
from classifiers.features.metadata import _URL as _URL
from classifiers.features.metadata import _URL_HINTS as _URL_HINTS
from classifiers.features.metadata import CommentMetaFeatures
from classifiers.features.ngrams import _BIGRAM_MIX as _BIGRAM_MIX
from classifiers.features.ngrams import (
    NgramHasher,
    char_ngram_windows,
    code_points,
    inverse_document_frequency,
    reweigh_ngrams,
    word_hashes,
)
from classifiers.features.ngrams import _bucket as _bucket
from classifiers.features.ngrams import _hash_texts as _hash_texts
from classifiers.features.vector_sums import find_words

__all__ = [
    "COLUMNS",
    "CommentFeaturizer",
    "CommentMetaFeatures",
    "NgramHasher",
    "as_cells",
    "char_ngram_windows",
    "code_points",
    "find_words",
    "inverse_document_frequency",
    "reweigh_ngrams",
    "word_hashes",
]
