"""A store that fails (a full disk, a broken compaction) is one clear line to an editor and
"the archive is unavailable" to a fan, never a traceback."""

from __future__ import annotations

import errno
import logging
from pathlib import Path
from typing import Any

import pytest

from companion.answering.extractive import ExtractiveAnswerer, Thresholds
from companion.archive.failures import Guarded, write_size
from companion.chat import UNAVAILABLE, ChatService, ChatUnavailable
from companion.errors import StoreError
from companion.retrieval.hybrid import HybridRetriever
from companion.types import Passage, Post
from tests.fakes.archive import chunks_of, put
from tests.fakes.embedder import FakeEmbedder
from tests.fakes.store import FakeStore


class FullDisk:
    """A Chroma collection on a disk with no room left."""

    def upsert(self, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def query(self, **kwargs: Any) -> None:
        from chromadb.errors import InternalError

        raise InternalError("Error in compaction: Failed to apply logs to the metadata segment")

    def add(self, **kwargs: Any) -> None:
        raise ValueError("Expected IDs to be unique, found duplicates of: a")


def test_a_full_disk_names_the_folder_and_the_space_the_write_needed(tmp_path: Path) -> None:
    guarded = Guarded(FullDisk(), tmp_path)
    vectors = [[0.0] * 768] * 100
    with pytest.raises(StoreError) as caught:
        guarded.upsert(ids=["a"] * 100, embeddings=vectors, documents=["x" * 1000] * 100)
    message = str(caught.value)
    assert message.startswith(f"the disk holding {tmp_path} is full (")
    needed = write_size({"embeddings": vectors, "documents": ["x" * 1000] * 100})
    assert f"the write needed about {needed / 2**20:.1f} MB)" in message
    assert "nothing already stored is lost" in message


def test_a_failed_read_is_a_store_error_and_bad_input_is_not_hidden(tmp_path: Path) -> None:
    guarded = Guarded(FullDisk(), tmp_path)
    with pytest.raises(StoreError, match="compaction"):  # plenty of space here: not "full"
        guarded.query(query_embeddings=[[0.0]], n_results=1)
    with pytest.raises(ValueError, match="duplicates"):
        guarded.add(ids=["a", "a"])


class FailingStore(FakeStore):
    def query(self, vector: list[float], k: int) -> list[Passage]:
        raise StoreError("the disk holding /data/chroma is full (0 KB free)")


def test_the_chat_says_the_archive_is_unavailable_and_logs_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    embedder = FakeEmbedder()
    store = FailingStore(embedder)
    post = Post(doc_id="jaws", text="", source="s", film="Jaws", year=1975)
    put(store, chunks_of(post, ["A shark, a town, three men in a boat."]))
    chat = ChatService(
        HybridRetriever(store, embedder),
        ExtractiveAnswerer(embedder, Thresholds(min_relevance=0.2, strong_relevance=0.5)),
        top_k=4,
        max_chars=500,
        store=store,
    )
    with caplog.at_level(logging.WARNING), pytest.raises(ChatUnavailable) as caught:
        chat.ask("What did the blog think of Jaws?")
    assert str(caught.value) == UNAVAILABLE
    (record,) = [r for r in caplog.records if r.name == "companion.chat"]
    assert "is full" in record.getMessage() and record.exc_info is None
