"""Any ``Store`` as a LangChain ``VectorStore``, so LangChain's ``index()`` (record manager,
stable ids, cleanup of a post's old chunks) writes through our seam rather than around it.
Only the writing half: searches go through the ``Store`` itself."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore

from companion.archive.base import Store


class StoreVectorStore(VectorStore):
    def __init__(self, store: Store) -> None:
        self.store = store

    def add_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict[Any, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        batch = list(texts)
        if ids is None or len(ids) != len(batch):
            raise ValueError("every chunk needs its id")
        if metadatas is None or len(metadatas) != len(batch) or not all(metadatas):
            raise ValueError("every chunk needs its post's metadata")
        self.store.upsert(list(ids), batch, metadatas)
        return list(ids)

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool | None:
        self.store.delete(list(ids or []))
        return True

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        raise NotImplementedError("search through the Store, which holds the embedder")

    @classmethod
    def from_texts(
        cls,
        texts: list[str],
        embedding: Embeddings,
        metadatas: list[dict[Any, Any]] | None = None,
        **kwargs: Any,
    ) -> StoreVectorStore:
        raise NotImplementedError("build the Store first, then wrap it")
