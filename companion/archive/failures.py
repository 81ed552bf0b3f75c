"""Chroma's failures as one line an editor or the server's log can act on: a full disk is
named as such, with the folder and roughly the space the write needed."""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from companion.errors import StoreError

LOW_SPACE = 16 * 2**20  # below this much free space a failed write is put down to the disk
WRITES = {"upsert": "the write", "update": "the write", "modify": "the write"}


class Guarded:
    """The Chroma collection, its failures raised as ``StoreError`` (a fan sees "the archive
    is unavailable", an editor one line), never as Chroma's internal errors. Chroma's own
    refusals of bad input (duplicate ids, wrong widths) pass through unchanged."""

    def __init__(self, collection: Any, folder: Path | None) -> None:
        self._collection = collection
        self._folder = folder

    @property
    def metadata(self) -> Any:
        return self._collection.metadata

    def __getattr__(self, name: str) -> Any:
        from chromadb.errors import InternalError

        call = getattr(self._collection, name)

        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return call(*args, **kwargs)
            except (InternalError, OSError, sqlite3.Error) as exc:
                needed = write_size(kwargs) if name in WRITES else 0
                raise trouble(self._folder, WRITES.get(name, name), exc, needed) from exc

        return guarded


def trouble(folder: Path | None, what: str, exc: Exception, needed: int = 0) -> StoreError:
    where = str(folder) if folder else "the Chroma server"
    free = free_bytes(folder)
    full = isinstance(exc, OSError) and exc.errno == errno.ENOSPC
    full = full or "disk is full" in str(exc) or (free is not None and free < LOW_SPACE)
    if full and free is not None:
        need = f"; {what} needed about {size(needed)}" if needed else ""
        return StoreError(
            f"the disk holding {where} is full ({size(free)} free{need}): free some space, "
            "then run the ingest again (nothing already stored is lost)"
        )
    return StoreError(f"the store in {where} failed ({what}): {exc}")


def write_size(kwargs: dict[str, Any]) -> int:
    """Roughly what Chroma needs on disk for a write: vectors, texts and metadata, about
    three times over while it compacts its log into segments."""
    vectors = kwargs.get("embeddings")
    if vectors is None or not len(vectors):
        return 0
    texts = sum(len(t.encode()) for t in kwargs.get("documents") or [])
    return 3 * (len(vectors) * (len(vectors[0]) * 4 + 1024) + texts)


def free_bytes(folder: Path | None) -> int | None:
    if folder is None:
        return None
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def size(n: int | None) -> str:
    n = n or 0
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{max(1, round(n / 1024))} KB"
