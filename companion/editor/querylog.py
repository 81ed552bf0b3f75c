"""What fans ask and how it went, for the editor: one SQLite file in the data folder.

Stored per answer: the question, when, whether it was declined, the posts it cited, the films it
was about, the time it took, which backend answered, the sentences the citation check dropped,
and the fan's thumbs up/down. Never the fan's address or anything else about them. Rows older
than the retention period are deleted as new ones arrive.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS queries (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    question TEXT NOT NULL,
    declined INTEGER NOT NULL,
    kind TEXT NOT NULL DEFAULT 'answer',
    films TEXT NOT NULL DEFAULT '[]',
    cited TEXT NOT NULL DEFAULT '[]',
    unsupported TEXT NOT NULL DEFAULT '[]',
    latency_ms INTEGER NOT NULL,
    backend TEXT NOT NULL,
    feedback INTEGER
);
CREATE INDEX IF NOT EXISTS queries_at ON queries (at);
"""
FIELDS = (
    "id", "at", "question", "declined", "kind", "films", "cited", "unsupported",
    "latency_ms", "backend", "feedback",
)  # fmt: skip
_JSON = ("films", "cited", "unsupported")


@dataclass(frozen=True)
class Entry:
    """One answered question, as the chat hands it to the log."""

    question: str
    declined: bool
    films: list[str]
    cited: list[str]
    unsupported: list[str]
    latency_ms: int
    backend: str
    kind: str = "answer"


def parse_date(value: str | None) -> dt.datetime | None:
    """A date or time from a person ("2026-11-01"), in UTC when no zone is given; None for
    none. Raises ValueError for anything else."""
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class QueryLog:
    def __init__(self, path: Path, retention_days: int) -> None:
        self.path = path
        self._retention = dt.timedelta(days=retention_days)
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        return db

    def record(self, entry: Entry, at: dt.datetime | None = None) -> str:
        """Store one answer and return its id (the handle for feedback)."""
        qid = uuid.uuid4().hex
        when = at or now()
        with self._lock, self._connect() as db:
            db.execute(
                "INSERT INTO queries (id, at, question, declined, kind, films, cited, "
                "unsupported, latency_ms, backend) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    qid,
                    when.isoformat(),
                    entry.question,
                    int(entry.declined),
                    entry.kind,
                    json.dumps(entry.films, ensure_ascii=False),
                    json.dumps(entry.cited, ensure_ascii=False),
                    json.dumps(entry.unsupported, ensure_ascii=False),
                    entry.latency_ms,
                    entry.backend,
                ),
            )
            db.execute("DELETE FROM queries WHERE at < ?", ((when - self._retention).isoformat(),))
        return qid

    def feedback(self, qid: str, helpful: bool) -> bool:
        """Thumbs up (True) or down (False) on an answer; False when there is no such answer."""
        with self._lock, self._connect() as db:
            cur = db.execute("UPDATE queries SET feedback = ? WHERE id = ?", (int(helpful), qid))
            return cur.rowcount > 0

    def rows(self, since: dt.datetime | None = None) -> list[dict[str, Any]]:
        """Every entry (oldest first), JSON fields decoded; the export format."""
        query = "SELECT * FROM queries"
        args: tuple[str, ...] = ()
        if since is not None:
            query += " WHERE at >= ?"
            args = (since.isoformat(),)
        with self._connect() as db:
            found = db.execute(query + " ORDER BY at, rowid", args).fetchall()
        out = []
        for row in found:
            item = {k: row[k] for k in FIELDS}
            for key in _JSON:
                item[key] = json.loads(item[key])
            item["declined"] = bool(item["declined"])
            item["feedback"] = (
                None if item["feedback"] is None else ("up" if item["feedback"] else "down")
            )
            out.append(item)
        return out

    def delete(self, before: dt.datetime | None = None) -> int:
        """Delete entries older than ``before`` (all of them when None); returns how many."""
        with self._lock, self._connect() as db:
            if before is None:
                cur = db.execute("DELETE FROM queries")
            else:
                cur = db.execute("DELETE FROM queries WHERE at < ?", (before.isoformat(),))
            count = cur.rowcount
        with self._connect() as db:
            db.execute("VACUUM")  # deleted questions must not linger in free pages
        return count
