"""What the store holds per post (content hash, the file or URL it came from, and the source
it was ingested under), so unchanged posts are skipped before they are even chunked and
``--prune`` knows which posts a source owned.

It lives in the same SQLite file as LangChain's record manager and is written only after a
post's chunks are indexed: a crash leaves it behind the store, never ahead, so a rerun redoes
the post and the record manager makes that idempotent.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    doc_id: str
    source: str
    content_hash: str
    scope: str


class Manifest:
    def __init__(self, db: Path, namespace: str) -> None:
        db.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(db, timeout=30)
        self._ns = namespace
        with self._conn:
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS companion_posts ("
                " namespace TEXT NOT NULL, doc_id TEXT NOT NULL, source TEXT NOT NULL,"
                " content_hash TEXT NOT NULL, scope TEXT NOT NULL,"
                " PRIMARY KEY (namespace, doc_id))"
            )

    def all(self) -> dict[str, Entry]:
        rows = self._conn.execute(
            "SELECT doc_id, source, content_hash, scope FROM companion_posts WHERE namespace = ?",
            (self._ns,),
        )
        return {r[0]: Entry(*r) for r in rows}

    def put(self, entries: list[Entry]) -> None:
        with self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO companion_posts VALUES (?, ?, ?, ?, ?)",
                [(self._ns, e.doc_id, e.source, e.content_hash, e.scope) for e in entries],
            )

    def remove(self, doc_ids: list[str]) -> None:
        with self._conn:
            self._conn.executemany(
                "DELETE FROM companion_posts WHERE namespace = ? AND doc_id = ?",
                [(self._ns, d) for d in doc_ids],
            )

    def close(self) -> None:
        self._conn.close()
