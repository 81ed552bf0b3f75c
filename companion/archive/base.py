"""The archive's seams: what an embedder and a store must do, whatever backs them.

``ChromaStore`` (in-process or a ``chroma run`` server) and the test suite's in-process fake
both implement ``Store`` and pass the same contract tests (tests/contracts/).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from companion.types import Passage

if TYPE_CHECKING:
    import numpy as np

    from companion.archive.records import PostRecord

T = TypeVar("T")


class Embedder(Protocol):
    """Text to unit vectors; LangChain's ``Embeddings`` shape, so LangChain can use it too."""

    name: str

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


class Store(Protocol):
    """Review chunks with their post's record (``records.PostRecord``, written flat on
    every chunk; read back one per post, from its first chunk)."""

    name: str

    def upsert(self, ids: list[str], texts: list[str], metadatas: list[dict[str, Any]]) -> None:
        """Embed and store these chunks; the same id again replaces, never duplicates."""
        ...

    def update_metadata(self, ids: list[str], metadatas: list[dict[str, Any]]) -> None:
        """Merge these fields into the chunks' metadata (``None`` removes a key), keeping
        their text and vectors; unknown ids are ignored."""
        ...

    def delete(self, ids: list[str]) -> None: ...

    def count(self) -> int: ...

    def query(self, vector: list[float], k: int) -> list[Passage]:
        """The ``k`` nearest chunks, best first (fewer when the store holds fewer)."""
        ...

    def passages(self, ids: list[str], vector: list[float]) -> list[Passage]:
        """These chunks, scored by cosine similarity to ``vector``."""
        ...

    def all_chunks(self) -> tuple[list[str], list[str]]:
        """Every chunk id and its stored text."""
        ...

    def ids_for_post(self, doc_id: str) -> list[str]: ...

    def post_chunks(self, doc_ids: list[str]) -> dict[str, list[Passage]]:
        """These posts' chunks in reading order, keyed by post id."""
        ...

    def posts(self) -> dict[str, PostRecord]: ...

    def film_posts(self, films: list[str]) -> list[PostRecord]:
        """One record per post about these films, oldest review first."""
        ...

    def film_years(self, film: str) -> set[int]: ...

    def film_for_url(self, url: str) -> str: ...

    def films(self) -> list[str]:
        """Reviewed films as "Title (year)", newest review first."""
        ...

    def chunk_ids_by_film(self) -> dict[str, list[str]]: ...

    def post_vectors(self) -> tuple[dict[str, PostRecord], dict[str, np.ndarray]]:
        """Each post's record and the unit mean of its chunk vectors."""
        ...


class Snapshot(Generic[T]):
    """Something derived from the whole store (films and their chunk ids, review profiles),
    read once, on first use, by one thread while the others wait for it. A server sees an
    ingest by building a new chat when the store's generation moves
    (``companion.web.engine``), not by re-reading this: the chunk count it once keyed on
    missed an edit that keeps the count, and never saw another process's writes.
    ``store`` and ``recheck`` are kept for its callers and not used."""

    def __init__(
        self, store: Store, build: Callable[[], T], empty: T, recheck: float = 0.0
    ) -> None:
        self._build = build
        self._value = empty
        self._built = False
        self._lock = threading.Lock()

    def get(self) -> T:
        if self._built:  # the fast path, without the lock: set once, never unset
            return self._value
        with self._lock:
            if not self._built:
                self._value = self._build()
                self._built = True
            return self._value
