"""BM25 over the stored chunks, beside Chroma's dense search.

Built at ingest from the store's own contents (so it can never disagree with the store for
long) and saved next to it; a serving process reloads it when an ingest rewrites it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from pathlib import Path
from typing import Any

from companion.text import STOPWORDS, stem

log = logging.getLogger(__name__)

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)


def tokens(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1]


def build(ids: list[str], texts: list[str], folder: Path) -> None:
    """Write the index for these chunks to ``folder`` atomically (a rename at the end)."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG
    tmp = folder.with_name(folder.name + ".tmp")
    if tmp.exists():
        _rmtree(tmp)
    tmp.mkdir(parents=True)
    if ids:
        index = bm25s.BM25()
        index.index([tokens(t) or ["_"] for t in texts], show_progress=False)
        index.save(str(tmp), show_progress=False)
    (tmp / "ids.json").write_text(json.dumps(ids))
    old = folder.with_name(folder.name + ".old")
    if old.exists():
        _rmtree(old)
    if folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    if old.exists():
        _rmtree(old)
    log.info("BM25 index rebuilt: %d chunks", len(ids))


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def chunk_count(folder: Path) -> int | None:
    """How many chunks the saved index covers, or None when there is none."""
    try:
        return len(json.loads((folder / "ids.json").read_text()))
    except (OSError, ValueError):
        return None


class LexicalIndex:
    """Loads lazily and again whenever the saved index changes on disk."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._stamp: float | None = None
        self._index: Any = None
        self._ids: list[str] = []
        self._lock = threading.Lock()

    def _current(self) -> tuple[Any, list[str]]:
        marker = self._folder / "ids.json"
        try:
            stamp = os.stat(marker).st_mtime_ns
        except OSError:
            return None, []
        with self._lock:
            if stamp != self._stamp:
                import bm25s

                ids = json.loads(marker.read_text())
                index = (
                    bm25s.BM25.load(str(self._folder), show_progress=False, verbosity=0)
                    if ids
                    else None
                )
                self._index, self._ids, self._stamp = index, ids, stamp
            return self._index, self._ids

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        index, ids = self._current()
        q = tokens(query)
        if index is None or not q or not ids:
            return []
        docs, scores = index.retrieve([q], k=min(k, len(ids)), show_progress=False, n_threads=1)
        return [(ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]
