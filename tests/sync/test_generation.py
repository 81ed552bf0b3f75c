"""The store's generation, and a query racing a delete."""

from __future__ import annotations

import time
from pathlib import Path

from companion.archive import generation
from companion.archive.base import Embedder
from companion.archive.store import ChromaStore


def test_bump_counts_up_and_replaces_the_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "generation"
    assert generation.read(path) == 0 and generation.stamp(path) is None
    assert generation.bump(path) == 1
    first = generation.stamp(path)
    assert generation.bump(path) == 2 and generation.read(path) == 2
    assert generation.stamp(path) != first
    assert [p.name for p in tmp_path.iterdir()] == ["generation"], "no temp file left"


def test_the_watcher_looks_at_most_once_per_interval(tmp_path: Path) -> None:
    path = tmp_path / "generation"
    watch = generation.Watcher(path, interval=0.2)
    generation.bump(path)
    assert not watch.moved(), "within the interval it does not look"
    time.sleep(0.25)
    assert watch.moved()
    watch.mark(generation.stamp(path))
    time.sleep(0.25)
    assert not watch.moved()


def test_a_deleted_folder_rebuilt_from_scratch_counts_as_a_change(tmp_path: Path) -> None:
    path = tmp_path / "generation"
    generation.bump(path)
    watch = generation.Watcher(path, interval=0.0)
    path.unlink()
    assert watch.moved()
    generation.bump(path)  # 1 again, but a new file
    assert watch.moved()


def test_a_chunk_deleted_between_query_and_read_is_just_missing(
    store: ChromaStore, embedder: Embedder
) -> None:
    """In one process, an ingest may delete a chunk a query just returned (BM25's ids, an
    edit's old chunks): reading it afterwards finds nothing, never an error."""
    meta = {"doc_id": "p", "title": "T", "film": "F", "chunk": 0}
    store.upsert(["a", "b"], ["the first text", "the second text"], [meta, {**meta, "chunk": 1}])
    vector = embedder.embed_query("the text")
    found = [p.id for p in store.query(vector, 2)]
    store.delete(["a"])
    assert [p.id for p in store.passages(found, vector)] == ["b"]
