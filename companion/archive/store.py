"""The Chroma store: one collection of review chunks, stamped with the model that embedded it.

The client is built here and nowhere else: in-process on a folder, or a `chroma run` server. Chroma's own embedding function is never used (it would download a model):
vectors always come from our embedder.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from companion.archive.base import Embedder
from companion.archive.failures import Guarded
from companion.archive.records import RECORD_LAYOUT, PostRecord, upgraded
from companion.errors import StoreError
from companion.types import Passage

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

log = logging.getLogger(__name__)


def open_client(chroma_dir: Path, url: str = "") -> ClientAPI:
    """Chroma in-process on ``chroma_dir``, or the ``chroma run`` server at ``url``."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if url:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise StoreError(f"COMPANION_CHROMA_URL must look like http://host:port, not {url!r}")
        try:
            return chromadb.HttpClient(
                host=parts.hostname,
                port=parts.port or (443 if parts.scheme == "https" else 8000),
                ssl=parts.scheme == "https",
                settings=settings,
            )
        except Exception as exc:  # chromadb raises ValueError / connection errors by version
            raise StoreError(f"cannot reach the Chroma server at {url}: {exc}") from exc
    chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(chroma_dir), settings=settings)


class ChromaStore:
    """Review chunks in one Chroma collection, cosine space, refusing a foreign model."""

    def __init__(
        self,
        client: ClientAPI,
        name: str,
        embedder: Embedder,
        dimension: int,
        create: bool = True,
    ) -> None:
        self._client = client
        # Chroma's own types are narrower than what it accepts (lists of floats, plain dicts):
        # the collection is typed Any at this boundary.
        self._collection: Any
        self._embedder = embedder
        self.name = name
        self._dimension = dimension
        chroma = client.get_settings()
        self.folder = Path(chroma.persist_directory) if chroma.is_persistent else None
        stamp: dict[str, Any] = {"embedding_model": embedder.name, "embedding_dimension": dimension}
        if create:
            self._collection = client.get_or_create_collection(
                name,
                metadata={**stamp, "record_layout": RECORD_LAYOUT},
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
        else:
            try:
                self._collection = client.get_collection(name, embedding_function=None)
            except Exception as exc:  # chromadb raises NotFoundError or ValueError by version
                raise StoreError(
                    f"the store has no collection {name!r} yet: run `companion ingest PATH` first"
                ) from exc
        self._collection = Guarded(self._collection, self.folder)
        found = dict(self._collection.metadata or {})
        if (found.get("embedding_model"), found.get("embedding_dimension")) != (
            stamp["embedding_model"],
            stamp["embedding_dimension"],
        ):
            raise StoreError(
                f"collection {name!r} was built with model {found.get('embedding_model')!r} "
                f"({found.get('embedding_dimension')} dims) but this run uses "
                f"{embedder.name!r} ({dimension} dims); models cannot be mixed in one store. "
                "Use another COMPANION_DATA_DIR or COMPANION_COLLECTION, or delete the store "
                "and ingest again."
            )
        layout = int(found.get("record_layout") or 1)
        if layout > RECORD_LAYOUT:
            raise StoreError(
                f"collection {name!r} was written by a newer companion (record layout "
                f"{layout}; this one reads up to {RECORD_LAYOUT}): upgrade companion to use it"
            )
        if layout < RECORD_LAYOUT:
            self._upgrade(found)

    def _upgrade(self, found: dict[str, Any]) -> None:
        """Rewrite every chunk's post record in the current layout, in place: dates read,
        scores parsed. Vectors and texts are untouched, so nothing is embedded again, and a
        run killed halfway is finished by the next open (the layout is stamped last)."""
        ids: list[str] = []
        metas: list[dict[str, Any]] = []
        bodies: dict[str, list[tuple[int, str]]] = {}
        for got in self._pages(["documents", "metadatas"]):
            for cid, doc, meta in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True
            ):
                m = dict(meta or {})
                p = passage_from(cid, doc or "", m, 0.0)
                ids.append(cid)
                metas.append(m)
                bodies.setdefault(p.doc_id, []).append((int(m.get("chunk") or 0), p.text))
        texts = {d: "\n\n".join(t for _, t in sorted(parts)) for d, parts in bodies.items()}
        self.update_metadata(
            ids, [upgraded(m, texts.get(str(m.get("doc_id", "")), "")) for m in metas]
        )
        self._collection.modify(metadata={**found, "record_layout": RECORD_LAYOUT})
        if ids:
            log.warning(
                "store %r: %d chunks of %d posts rewritten to record layout %d "
                "(dates and scores; nothing re-embedded)",
                self.name,
                len(ids),
                len(bodies),
                RECORD_LAYOUT,
            )

    def upsert(self, ids: list[str], texts: list[str], metadatas: list[dict[str, Any]]) -> None:
        if not ids:
            return
        vectors = self._embedder.embed_documents(texts)
        self._collection.upsert(
            ids=ids,
            documents=texts,
            embeddings=vectors,
            metadatas=metadatas,
        )

    def count(self) -> int:
        return int(self._collection.count())

    def query(self, vector: list[float], k: int) -> list[Passage]:
        """The ``k`` nearest chunks (fewer when the store holds fewer)."""
        if k <= 0:
            return []
        res = self._collection.query(
            query_embeddings=[vector],
            n_results=k,
            include=["documents", "metadatas", "distances"],
        )
        out: list[Passage] = []
        for cid, doc, meta, dist in zip(
            res["ids"][0],
            (res["documents"] or [[]])[0],
            (res["metadatas"] or [[]])[0],
            (res["distances"] or [[]])[0],
            strict=True,
        ):
            out.append(passage_from(cid, doc or "", dict(meta or {}), 1.0 - float(dist)))
        return out

    def _pages(self, include: list[str], page: int = 5000) -> Iterator[dict[str, Any]]:
        """The whole collection in pages: one unpaged get of a large store fails in Chroma
        ("too many SQL variables")."""
        offset = 0
        while True:
            got = self._collection.get(include=include, limit=page, offset=offset)
            yield dict(got)
            if len(got["ids"]) < page:
                return
            offset += page

    def all_chunks(self) -> tuple[list[str], list[str]]:
        """Every chunk id and text."""
        ids: list[str] = []
        docs: list[str] = []
        for got in self._pages(["documents"]):
            ids.extend(got["ids"])
            docs.extend(d or "" for d in (got["documents"] or []))
        return ids, docs

    def passages(self, ids: list[str], vector: list[float]) -> list[Passage]:
        """These chunks as passages, scored by cosine similarity to ``vector``."""
        if not ids:
            return []
        got = self._collection.get(ids=ids, include=["documents", "metadatas", "embeddings"])
        q = np.asarray(vector, dtype=np.float32)
        qn = float(np.linalg.norm(q)) or 1.0
        out = []
        for cid, doc, meta, emb in zip(
            got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
        ):
            e = np.asarray(emb, dtype=np.float32)
            cos = float(e @ q) / ((float(np.linalg.norm(e)) or 1.0) * qn)
            out.append(passage_from(cid, doc or "", dict(meta or {}), cos))
        return out

    def film_for_url(self, url: str) -> str:
        """The film of the post at ``url`` ("" if none): ignores query, fragment and a
        trailing slash, and http vs https, since blogs link the same post all those ways."""
        for candidate in url_variants(url):
            got = self._collection.get(where={"url": candidate}, limit=1, include=["metadatas"])
            metas = got["metadatas"] or []
            if metas and metas[0].get("film"):
                return str(metas[0]["film"])
        return ""

    def ids_for_post(self, doc_id: str) -> list[str]:
        return list(self._collection.get(where={"doc_id": doc_id}, include=[])["ids"])

    def update_metadata(self, ids: list[str], metadatas: list[dict[str, Any]]) -> None:
        for start in range(0, len(ids), 1000):
            self._collection.update(
                ids=ids[start : start + 1000], metadatas=metadatas[start : start + 1000]
            )

    def delete(self, ids: list[str]) -> None:
        if ids:
            self._collection.delete(ids=ids)

    def posts(self) -> dict[str, PostRecord]:
        """One record per post (its first chunk's), keyed by post id."""
        out: dict[str, PostRecord] = {}
        for got in self._pages(["metadatas"]):
            for m in got["metadatas"] or []:
                if m and m.get("doc_id") not in out:
                    out[str(m.get("doc_id"))] = PostRecord.from_metadata(dict(m))
        return out

    def film_posts(self, films: list[str]) -> list[PostRecord]:
        """One record per post about these films, oldest review first."""
        if not films:
            return []
        where: Any = {"film": films[0]} if len(films) == 1 else {"film": {"$in": films}}
        got = self._collection.get(where=where, include=["metadatas"])
        out: dict[str, PostRecord] = {}
        for m in got["metadatas"] or []:
            if m and m.get("doc_id") not in out:
                out[str(m.get("doc_id"))] = PostRecord.from_metadata(dict(m))
        return sorted(out.values(), key=PostRecord.order)

    def film_years(self, film: str) -> set[int]:
        """The release years recorded for a film's reviews (remakes share a title)."""
        return {r.year for r in self.film_posts([film]) if r.year}

    def post_chunks(self, doc_ids: list[str]) -> dict[str, list[Passage]]:
        """These posts' chunks in reading order (score 0), keyed by post id."""
        if not doc_ids:
            return {}
        where: Any = {"doc_id": doc_ids[0]} if len(doc_ids) == 1 else {"doc_id": {"$in": doc_ids}}
        got = self._collection.get(where=where, include=["documents", "metadatas"])
        found: dict[str, list[tuple[int, Passage]]] = {}
        for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
            m = dict(meta or {})
            p = passage_from(cid, doc or "", m, 0.0)
            found.setdefault(p.doc_id, []).append((int(m.get("chunk") or 0), p))
        return {
            d: one_version([p for _, p in sorted(ps, key=lambda t: t[0])])
            for d, ps in found.items()
        }

    def post_vectors(self) -> tuple[dict[str, PostRecord], dict[str, np.ndarray]]:
        """Each post's record and the unit mean of its chunk vectors (a whole-review
        profile, for "films like this one"); one paged read of the collection."""
        metas: dict[str, PostRecord] = {}
        sums: dict[str, np.ndarray] = {}
        for got in self._pages(["metadatas", "embeddings"]):
            for m, emb in zip(got["metadatas"] or [], got["embeddings"], strict=True):
                if not m:
                    continue
                doc_id = str(m.get("doc_id"))
                e = np.asarray(emb, dtype=np.float32)
                e = e / (float(np.linalg.norm(e)) or 1.0)
                sums[doc_id] = sums[doc_id] + e if doc_id in sums else e
                if doc_id not in metas:
                    metas[doc_id] = PostRecord.from_metadata(dict(m))
        vectors = {d: v / (float(np.linalg.norm(v)) or 1.0) for d, v in sums.items()}
        return metas, vectors

    def chunk_ids_by_film(self) -> dict[str, list[str]]:
        """Every reviewed film's chunk ids, for spotting and searching a film a fan names."""
        out: dict[str, list[str]] = {}
        for got in self._pages(["metadatas"]):
            for cid, m in zip(got["ids"], got["metadatas"] or [], strict=True):
                if m and m.get("film"):
                    out.setdefault(str(m["film"]), []).append(cid)
        return out

    def films(self) -> list[str]:
        """Reviewed films as "Title (year)", newest review first, for the decline hint."""
        posts = sorted(self.posts().values(), key=PostRecord.order, reverse=True)
        return list(dict.fromkeys(r.label for r in posts if r.film))


def passage_from(cid: str, document: str, meta: dict[str, Any], score: float) -> Passage:
    """Chunks are stored with their context header first; the fan sees only the body."""
    header = str(meta.get("header", ""))
    body = (
        document[len(header) :].lstrip("\n") if header and document.startswith(header) else document
    )
    # On the answer path (up to 2,000 of these per question): the stored fields as they are,
    # no date parsing; the store holds ISO dates since the layout upgrade.
    year = meta.get("year")
    return Passage(
        id=cid,
        doc_id=str(meta.get("doc_id", "")),
        text=body,
        score=score,
        source=str(meta.get("source", "")),
        title=str(meta.get("title", "")),
        url=str(meta.get("url", "")),
        date=str(meta.get("date", "")),
        author=str(meta.get("author", "")),
        film=str(meta.get("film", "")),
        year=year if isinstance(year, int) and year > 0 else None,
        section=str(meta.get("section", "")),
        spoiler=bool(meta.get("spoiler", False)),
        version=str(meta.get("version", "")),
    )


def one_version(chunks: list[Passage]) -> list[Passage]:
    """A post's chunks from one text of it only: while an edit is being written, the new
    chunks are in before the old ones are gone. The version with more chunks wins."""
    versions: dict[str, int] = {}
    for p in chunks:
        versions[p.version] = versions.get(p.version, 0) + 1
    if len(versions) < 2:
        return chunks
    keep = max(versions, key=lambda v: (versions[v], v))
    return [p for p in chunks if p.version == keep]


def url_variants(url: str) -> list[str]:
    from urllib.parse import urlsplit, urlunsplit

    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return []
    bare = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    out = [url, bare, bare.rstrip("/"), bare.rstrip("/") + "/"]
    other = "http" if parts.scheme == "https" else "https"
    out += [other + v[len(parts.scheme) :] for v in out]
    return list(dict.fromkeys(out))
