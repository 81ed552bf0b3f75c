"""Chunk records shaped as the ingest writes them (``ingest/chunking.py``): the post's flat
metadata plus ``section``, ``header``, ``chunk`` and ``spoiler``, and a document that starts
with its context header; no tokenizer or model involved."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from companion.archive.base import Store
from companion.archive.records import PostRecord
from companion.types import Post
from ingest.chunking import context_header


@dataclass(frozen=True)
class Chunk:
    id: str
    document: str
    meta: dict[str, Any]
    body: str


def chunks_of(
    post: Post, bodies: list[str], section: str = "", spoilers: frozenset[int] = frozenset()
) -> list[Chunk]:
    """The post's chunks in reading order; ids are ``<doc_id>#<n>``."""
    header = context_header(post, section)
    out = []
    for n, body in enumerate(bodies):
        meta = {
            **PostRecord.of(post).metadata(),
            "section": section,
            "header": header,
            "chunk": n,
            "spoiler": n in spoilers,
        }
        out.append(Chunk(f"{post.doc_id}#{n}", f"{header}\n\n{body}", meta, body))
    return out


def put(store: Store, chunks: list[Chunk]) -> None:
    store.upsert([c.id for c in chunks], [c.document for c in chunks], [c.meta for c in chunks])
