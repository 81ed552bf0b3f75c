"""Find the passages that may answer a question: dense search over the store, grouped by post."""

from __future__ import annotations

from typing import Protocol

from companion.embedding import Embedder
from companion.store import Store
from companion.types import Passage


class Retriever(Protocol):
    def retrieve(self, question: str, k: int) -> list[Passage]: ...


class DenseRetriever:
    """Top-k by cosine similarity, at most ``per_post`` passages from any one post."""

    def __init__(self, store: Store, embedder: Embedder, per_post: int = 3) -> None:
        self._store = store
        self._embedder = embedder
        self._per_post = per_post

    def retrieve(self, question: str, k: int) -> list[Passage]:
        vector = self._embedder.embed_query(question)
        candidates = self._store.query(vector, k * 3)
        kept: list[Passage] = []
        per: dict[str, int] = {}
        for p in candidates:
            if per.get(p.doc_id, 0) < self._per_post:
                kept.append(p)
                per[p.doc_id] = per.get(p.doc_id, 0) + 1
            if len(kept) == k:
                break
        return kept
