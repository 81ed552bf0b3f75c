"""An in-process ``Store``: a dict of records that behaves as ``ChromaStore`` does.

It mirrors Chroma where the product could notice: records come back in the order they were
first written; an upsert of a known id replaces its text and vector but *merges* its metadata
(keys the new record leaves out survive, a ``None`` value removes a key); a batch with a
repeated id, an empty metadata record or vectors of another width is refused; scores are
cosine similarities. tests/contracts/ runs the same tests against both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from companion.archive.base import Embedder
from companion.archive.records import PostRecord
from companion.archive.store import one_version, passage_from, url_variants
from companion.types import Passage

_SCALARS = (str, int, float, bool)


@dataclass
class _Record:
    text: str
    meta: dict[str, Any]
    vector: np.ndarray


def _unit(v: np.ndarray) -> np.ndarray:
    return v / (float(np.linalg.norm(v)) or 1.0)


def _check_metadata(meta: Any) -> None:
    if not isinstance(meta, dict) or not meta:
        raise ValueError(f"Expected metadata to be a non-empty dict, got {meta!r}")
    for key, value in meta.items():
        if not isinstance(key, str):
            raise ValueError(f"metadata keys must be strings, got {key!r}")
        ok = (
            value is None
            or isinstance(value, _SCALARS)
            or (isinstance(value, list) and all(isinstance(x, _SCALARS) for x in value))
        )
        if not ok:
            raise ValueError(f"metadata value of {key!r} must be a scalar, got {value!r}")


class FakeStore:
    def __init__(self, embedder: Embedder, name: str = "reviews") -> None:
        self.name = name
        self._embedder = embedder
        self._records: dict[str, _Record] = {}
        self._dimension: int | None = None

    # -- writing -------------------------------------------------------------------------

    def upsert(self, ids: list[str], texts: list[str], metadatas: list[dict[str, Any]]) -> None:
        if not ids:
            return
        if not len(ids) == len(texts) == len(metadatas):
            raise ValueError("ids, texts and metadatas must have the same length")
        if len(set(ids)) != len(ids):
            repeated = sorted({i for i in ids if ids.count(i) > 1})
            raise ValueError(f"Expected IDs to be unique, found duplicates of: {repeated}")
        for meta in metadatas:
            _check_metadata(meta)
        vectors = [np.asarray(v, dtype=np.float32) for v in self._embedder.embed_documents(texts)]
        for v in vectors:
            self._check_width(len(v))
        for cid, text, meta, vector in zip(ids, texts, metadatas, vectors, strict=True):
            known = self._records.get(cid)
            merged = {**(known.meta if known else {}), **meta}
            merged = {k: v for k, v in merged.items() if v is not None}
            self._records[cid] = _Record(text, merged, vector)

    def update_metadata(self, ids: list[str], metadatas: list[dict[str, Any]]) -> None:
        for meta in metadatas:
            _check_metadata(meta)
        for cid, meta in zip(ids, metadatas, strict=True):
            known = self._records.get(cid)
            if known is not None:
                merged = {**known.meta, **meta}
                known.meta = {k: v for k, v in merged.items() if v is not None}

    def delete(self, ids: list[str]) -> None:
        for cid in ids:
            self._records.pop(cid, None)

    def _check_width(self, width: int) -> None:
        if self._dimension is None:
            self._dimension = width
        elif width != self._dimension:
            raise ValueError(
                f"Collection expecting embedding with dimension of {self._dimension}, got {width}"
            )

    # -- reading -------------------------------------------------------------------------

    def count(self) -> int:
        return len(self._records)

    def query(self, vector: list[float], k: int) -> list[Passage]:
        if k <= 0 or not self._records:
            return []
        q = np.asarray(vector, dtype=np.float32)
        self._check_width(len(q))
        q = _unit(q)
        scored = [
            (float(_unit(r.vector) @ q), n, cid, r)
            for n, (cid, r) in enumerate(self._records.items())
        ]
        scored.sort(key=lambda t: (-t[0], t[1]))
        return [passage_from(cid, r.text, dict(r.meta), s) for s, _, cid, r in scored[:k]]

    def passages(self, ids: list[str], vector: list[float]) -> list[Passage]:
        if not ids:
            return []
        if len(set(ids)) != len(ids):
            raise ValueError("Expected IDs to be unique")
        q = _unit(np.asarray(vector, dtype=np.float32))
        wanted = set(ids)
        return [
            passage_from(cid, r.text, dict(r.meta), float(_unit(r.vector) @ q))
            for cid, r in self._records.items()
            if cid in wanted
        ]

    def all_chunks(self) -> tuple[list[str], list[str]]:
        return list(self._records), [r.text for r in self._records.values()]

    def ids_for_post(self, doc_id: str) -> list[str]:
        return [cid for cid, r in self._records.items() if r.meta.get("doc_id") == doc_id]

    def post_chunks(self, doc_ids: list[str]) -> dict[str, list[Passage]]:
        wanted = set(doc_ids)
        found: dict[str, list[tuple[int, Passage]]] = {}
        for cid, r in self._records.items():
            if r.meta.get("doc_id") in wanted:
                p = passage_from(cid, r.text, dict(r.meta), 0.0)
                found.setdefault(p.doc_id, []).append((int(r.meta.get("chunk") or 0), p))
        return {
            d: one_version([p for _, p in sorted(ps, key=lambda t: t[0])])
            for d, ps in found.items()
        }

    def _first_per_post(self, records: list[_Record]) -> dict[str, PostRecord]:
        out: dict[str, PostRecord] = {}
        for r in records:
            doc_id = str(r.meta.get("doc_id"))
            if doc_id not in out:
                out[doc_id] = PostRecord.from_metadata(dict(r.meta))
        return out

    def posts(self) -> dict[str, PostRecord]:
        return self._first_per_post(list(self._records.values()))

    def film_posts(self, films: list[str]) -> list[PostRecord]:
        wanted = set(films)
        about = [r for r in self._records.values() if r.meta.get("film") in wanted]
        return sorted(self._first_per_post(about).values(), key=PostRecord.order)

    def film_years(self, film: str) -> set[int]:
        return {r.year for r in self.film_posts([film]) if r.year}

    def film_for_url(self, url: str) -> str:
        for candidate in url_variants(url):
            first = next(
                (r for r in self._records.values() if r.meta.get("url") == candidate), None
            )
            if first is not None and first.meta.get("film"):
                return str(first.meta["film"])
        return ""

    def films(self) -> list[str]:
        posts = sorted(self.posts().values(), key=PostRecord.order, reverse=True)
        return list(dict.fromkeys(r.label for r in posts if r.film))

    def chunk_ids_by_film(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for cid, r in self._records.items():
            if r.meta.get("film"):
                out.setdefault(str(r.meta["film"]), []).append(cid)
        return out

    def post_vectors(self) -> tuple[dict[str, PostRecord], dict[str, np.ndarray]]:
        metas: dict[str, PostRecord] = {}
        sums: dict[str, np.ndarray] = {}
        for r in self._records.values():
            doc_id = str(r.meta.get("doc_id"))
            e = _unit(r.vector.astype(np.float32))
            sums[doc_id] = sums[doc_id] + e if doc_id in sums else e
            if doc_id not in metas:
                metas[doc_id] = PostRecord.from_metadata(dict(r.meta))
        return metas, {d: _unit(v) for d, v in sums.items()}
