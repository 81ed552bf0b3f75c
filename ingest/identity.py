"""When is a post unchanged, and when is a chunk the same chunk: the two hashes that let
an unchanged post cost nothing and an edited one keep the chunks it did not touch."""

from __future__ import annotations

import hashlib
import json

from langchain_core.documents import Document

from companion.settings import Settings
from companion.types import Post
from ingest.chunking import CHUNKER_VERSION


def chunk_key(doc: Document) -> str:
    """Chunk id: same post + same chunk text + same metadata -> same id, wherever the file is
    and whatever else in the post changed (the version is restamped on kept chunks)."""
    meta = {k: v for k, v in doc.metadata.items() if k not in ("source", "version")}
    payload = json.dumps([doc.page_content, meta], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:40]


def post_hash(post: Post, settings: Settings) -> str:
    """The post as its source gave it (not as the store records it), so a change in how
    records are stored never makes an unchanged post look edited."""
    meta = {
        "doc_id": post.doc_id,
        "title": post.title,
        "url": post.url,
        "date": post.date,
        "updated": post.updated,
        "author": post.author,
        "film": post.film,
        "year": post.year if post.year is not None else 0,
        "labels": ", ".join(post.labels),
    }
    payload = json.dumps(
        [
            post.text,
            meta,
            CHUNKER_VERSION,
            settings.chunk_tokens,
            settings.chunk_overlap_tokens,
            settings.model_name,
        ],
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()
