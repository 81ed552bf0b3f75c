"""An in-process ``Embedder`` without a model: feature hashing of content words and character
trigrams into a fixed number of dimensions, normalised to unit length.

Deterministic across processes (blake2b, not Python's salted ``hash``); texts that share words
share features, so they are closer than unrelated texts, which is all that retrieval-ish
rules need. ``calls`` records every batch it was asked to embed.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import numpy as np

from companion.text import STOPWORDS

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)

DIMENSION = 256
WORD_WEIGHT = 1.0
TRIGRAM_WEIGHT = 0.25


@lru_cache(maxsize=65536)
def _slot(feature: str, dimension: int) -> tuple[int, float]:
    """The feature's dimension and sign (signed hashing: collisions cancel out on average)."""
    digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % dimension, 1.0 if (value >> 63) & 1 else -1.0


def features(text: str) -> list[tuple[str, float]]:
    """Lower-cased words other than stop words, and the character trigrams of each word
    padded with spaces (so "heptapod" and "heptapods" are close)."""
    out: list[tuple[str, float]] = []
    for word in _WORD.findall(text.lower()):
        if word in STOPWORDS:
            continue
        out.append((f"w:{word}", WORD_WEIGHT))
        padded = f" {word} "
        out.extend((f"c:{padded[i : i + 3]}", TRIGRAM_WEIGHT) for i in range(len(padded) - 2))
    return out


class FakeEmbedder:
    """LangChain's ``Embeddings`` shape, as ``companion.archive.base.Embedder`` asks."""

    def __init__(self, dimension: int = DIMENSION, name: str = "fake-hashing-embedder") -> None:
        if dimension < 2:
            raise ValueError("a fake embedding needs at least two dimensions")
        self.name = name
        self.dimension = dimension
        self.calls: list[list[str]] = []

    def vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dimension, dtype=np.float64)
        for feature, weight in features(text):
            i, sign = _slot(feature, self.dimension)
            v[i] += sign * weight
        norm = float(np.linalg.norm(v))
        if norm == 0.0:  # no words at all: still a unit vector, the same one every time
            v[0] = 1.0
            return v
        return v / norm

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [self.vector(t).tolist() for t in texts]

    def embed_query(self, text: str) -> list[float]:
        self.calls.append([text])
        return self.vector(text).tolist()
