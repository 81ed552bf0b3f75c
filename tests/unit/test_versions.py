"""While an edit is written, a post's new chunks are in before its old ones are gone: an
answer quotes one text of the post, never both."""

from __future__ import annotations

from dataclasses import replace

from companion.retrieval.hybrid import HybridRetriever
from companion.types import Post
from tests.fakes.archive import chunks_of, put
from tests.fakes.embedder import FakeEmbedder
from tests.fakes.store import FakeStore

OLD = ["The shark is rubber and the town is scared.", "Quint's speech about the sea."]
NEW = ["The shark is rubber, the town is scared, the mayor lies.", "Brody cannot swim."]


def test_a_post_mid_edit_is_retrieved_in_one_version_only() -> None:
    embedder = FakeEmbedder()
    store = FakeStore(embedder)
    post = Post(doc_id="jaws", text="", source="s", film="Jaws", year=1975)
    old = [replace(c, meta={**c.meta, "version": "v1"}) for c in chunks_of(post, OLD)]
    new = [
        replace(c, id=f"jaws#new{n}", meta={**c.meta, "version": "v2", "chunk": n})
        for n, c in enumerate(chunks_of(post, NEW))
    ]
    put(store, old + new)
    found = HybridRetriever(store, embedder).retrieve("Is the shark in Jaws scary?", 4)
    assert found and len({p.version for p in found}) == 1
    assert len({p.version for p in store.post_chunks(["jaws"])["jaws"]}) == 1
