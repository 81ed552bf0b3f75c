"""The fakes the unit tests lean on behave as their contracts say (the store's full contract,
shared with Chroma, is in tests/contracts/)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from companion.archive.embedding import cosine
from tests.fakes.embedder import FakeEmbedder


def test_vectors_are_unit_length_and_deterministic() -> None:
    emb = FakeEmbedder(128)
    texts = ["Amy Adams plays a linguist.", "", "!!!", "Jaws " * 50]
    vectors = emb.embed_documents(texts)
    assert all(len(v) == 128 for v in vectors)
    for v in vectors:
        assert float(np.linalg.norm(v)) == pytest.approx(1.0)
    assert vectors == FakeEmbedder(128).embed_documents(texts)
    assert emb.embed_query(texts[0]) == vectors[0]
    assert emb.calls == [texts, [texts[0]]]


def test_vectors_are_the_same_in_another_process() -> None:
    """blake2b, not Python's per-process salted hash()."""
    code = (
        "from tests.fakes.embedder import FakeEmbedder; print(FakeEmbedder(32).embed_query('Her'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == str(FakeEmbedder(32).embed_query("Her"))


def test_texts_sharing_words_are_closer_than_unrelated_texts() -> None:
    emb = FakeEmbedder()
    q = emb.embed_query("the heptapods and their language")
    near = emb.embed_query("Arrival's heptapod language is circular")
    far = emb.embed_query("A great white shark terrorises Amity beach")
    assert cosine(q, near) > 0.2
    assert abs(cosine(q, far)) < 0.1
    assert cosine(q, q) == pytest.approx(1.0)


def test_stop_words_alone_carry_no_meaning() -> None:
    emb = FakeEmbedder()
    assert emb.embed_query("the of and a") == emb.embed_query("")
    assert emb.embed_query("The Shark") == emb.embed_query("shark")


def test_a_width_below_two_is_refused() -> None:
    with pytest.raises(ValueError):
        FakeEmbedder(1)
