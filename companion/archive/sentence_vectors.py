"""Sentence vectors kept on disk, so answering looks them up instead of embedding them.

An answer embeds the sentences of the passages it quotes from (30-80), and a verdict every
sentence of a review (up to 270): 0.1-1.3 s on 2 cores, most of an answer's time. Ingest
embeds each sentence of the archive once into this cache; answering then embeds only what it
has not seen. LangChain's ``CacheBackedEmbeddings`` does the lookup-or-embed; this module adds
the SQLite file it keeps the vectors in and the ingest step that fills and trims it.

Keys hash the model's name with the sentence, so an edited sentence is a new key and an old
entry is never wrong, only unused: ``refresh`` drops those after each ingest. The cache is
best-effort: a locked or unreadable file costs time, never an answer.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from companion.text import sentences

if TYPE_CHECKING:
    from companion.archive.base import Embedder

log = logging.getLogger(__name__)

_CHUNK = 500  # keys per SQL statement, well under SQLite's variable limit
_FILLED = 1  # PRAGMA user_version once an ingest has filled the file


def is_filled(path: Path) -> bool:
    """Whether an ingest has filled the cache at ``path`` (never creates the file)."""
    if not path.exists():
        return False
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return int(db.execute("PRAGMA user_version").fetchone()[0]) == _FILLED
    except sqlite3.Error:
        return False


class SQLiteByteStore:
    """LangChain's ``ByteStore`` interface (mget, mset, mdelete, yield_keys) on one SQLite file,
    shared by the server's threads and an ingest in another process (WAL: readers never wait
    for the writer). Not a subclass: importing ``langchain_core.stores`` would cost every no-op
    ingest 0.17 s, and this module is imported for its ``is_filled`` check."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=2.0, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB)")
        self._db.commit()
        self._lock = threading.Lock()

    def mget(self, keys: Sequence[str]) -> list[bytes | None]:
        found: dict[str, bytes] = {}
        try:
            with self._lock:
                for i in range(0, len(keys), _CHUNK):
                    part = list(keys[i : i + _CHUNK])
                    marks = ",".join("?" * len(part))
                    rows = self._db.execute(
                        f"SELECT key, value FROM kv WHERE key IN ({marks})", part
                    )
                    found.update(rows)
        except sqlite3.Error as exc:
            log.warning("sentence vector cache unreadable, embedding instead: %s", exc)
        return [found.get(k) for k in keys]

    def mset(self, key_value_pairs: Sequence[tuple[str, bytes]]) -> None:
        try:
            with self._lock, self._db:
                self._db.executemany("INSERT OR REPLACE INTO kv VALUES (?, ?)", key_value_pairs)
        except sqlite3.Error as exc:  # e.g. an ingest holds the write lock: skip, not fail
            log.debug("sentence vectors not cached: %s", exc)

    def mdelete(self, keys: Sequence[str]) -> None:
        with self._lock, self._db:
            self._db.executemany("DELETE FROM kv WHERE key = ?", [(k,) for k in keys])

    def yield_keys(self, *, prefix: str | None = None) -> Iterator[str]:
        with self._lock:
            keys = [k for (k,) in self._db.execute("SELECT key FROM kv")]
        return (k for k in keys if prefix is None or k.startswith(prefix))

    def mark_filled(self) -> None:
        """Record that an ingest filled the file (a server creates it empty)."""
        with self._lock, self._db:
            self._db.execute(f"PRAGMA user_version = {_FILLED}")

    def close(self) -> None:
        with self._lock:
            self._db.close()


class CachedEmbedder:
    """An ``Embedder`` whose documents (sentences) go through LangChain's
    ``CacheBackedEmbeddings`` on this file; questions are embedded every time."""

    def __init__(self, embedder: Embedder, path: Path) -> None:
        # 0.6 s of imports: only servers and ingests that reach this pay for them.
        from langchain_classic.embeddings import CacheBackedEmbeddings
        from langchain_classic.storage.encoder_backed import EncoderBackedStore

        self.name = embedder.name
        self.bytes = SQLiteByteStore(path)
        self.key = _key_encoder(embedder.name)
        self._model = embedder
        store = EncoderBackedStore(self.bytes, self.key, _pack, _unpack)  # type: ignore[arg-type]  # a ByteStore by shape
        self._cache = CacheBackedEmbeddings(embedder, store, batch_size=256)  # type: ignore[arg-type]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._cache.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self._model.embed_query(text)


def cached(embedder: Embedder, path: Path) -> Embedder:
    """``embedder`` behind the cache at ``path``; ``embedder`` itself if the file cannot be
    opened (a read-only data folder): slower answers, not a broken chat."""
    try:
        return CachedEmbedder(embedder, path)
    except (OSError, sqlite3.Error) as exc:
        log.warning("sentence vector cache off: cannot open %s (%s)", path, exc)
        return embedder


def refresh(
    cache: CachedEmbedder, texts: list[str], show_progress: bool = False
) -> tuple[int, int]:
    """Embed the sentences of ``texts`` (the archive's chunks) that the cache lacks and drop
    the entries no chunk has any more. Returns (embedded, dropped)."""
    wanted = {cache.key(s): s for text in texts for s in sentences(text)}
    have = set(cache.bytes.yield_keys())
    missing = [s for k, s in wanted.items() if k not in have]
    stale = [k for k in have if k not in wanted]
    if missing:
        from tqdm import tqdm

        step = 2048
        with tqdm(
            total=len(missing), unit="sentence", desc="Sentences", disable=not show_progress
        ) as bar:
            for i in range(0, len(missing), step):
                cache.embed_documents(missing[i : i + step])
                bar.update(len(missing[i : i + step]))
    if stale:
        cache.bytes.mdelete(stale)
    cache.bytes.mark_filled()
    return len(missing), len(stale)


def _key_encoder(model: str) -> Callable[[str], str]:
    def encode(text: str) -> str:
        return hashlib.sha256(f"{model}\0{text}".encode()).hexdigest()

    return encode


def _pack(vector: list[float]) -> bytes:
    # float16: 768 bytes per MiniLM vector, cosines within 1e-3 of float32
    return np.asarray(vector, dtype=np.float16).tobytes()


def _unpack(blob: bytes) -> list[float]:
    return [float(x) for x in np.frombuffer(blob, dtype=np.float16)]


class QueryMemo:
    """The last few questions' vectors, remembered: the planner's example classifier and the
    extractive answerer embed the same question with the same model, once is enough."""

    def __init__(self, embedder: Embedder, size: int = 64) -> None:
        self.name = embedder.name
        self._embedder = embedder
        self._size = size
        self._memo: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed_documents(texts)

    def clear(self) -> None:
        with self._lock:
            self._memo.clear()

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            found = self._memo.get(text)
        if found is not None:
            return found
        vector = self._embedder.embed_query(text)
        with self._lock:
            if len(self._memo) >= self._size:
                self._memo.pop(next(iter(self._memo)))
            self._memo[text] = vector
        return vector
