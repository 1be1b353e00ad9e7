"""Small synthetic corpora for the gpux tests: words that separate the classes, and filler."""

import numpy as np
import pytest

from gpu.data import Corpus

CLASS_WORDS = (("apple", "banana", "cherry"), ("car", "truck", "engine"), ("river", "ocean", "lake"))
FILLER = ("the", "of", "and", "with", "from", "into", "over", "under")


def synthetic_corpus(n: int = 90, seed: int = 0, multilabel: bool = False) -> Corpus:
    """n texts of 12-30 words: three class words of the text's class among filler; seeded."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        y = i % 3
        words = list(rng.choice(FILLER, rng.integers(9, 27))) + list(rng.choice(CLASS_WORDS[y], 3))
        ys = (y,)
        if multilabel and i % 5 == 0:
            words += list(rng.choice(CLASS_WORDS[(y + 1) % 3], 3))
            ys = tuple(sorted({y, (y + 1) % 3}))
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(ys)
    return Corpus(tuple(texts), tuple(labels), ("fruit", "vehicle", "water"), multilabel, "synthetic")


@pytest.fixture(scope="session")
def corpus():
    return synthetic_corpus()


@pytest.fixture(scope="session")
def make_corpus():
    """The synthetic corpus builder, for tests that need another size, seed or multi-label."""
    return synthetic_corpus
