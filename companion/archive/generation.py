"""The store's generation: a number beside the store that every ingest which changes the
archive bumps, so a running server knows, from one ``stat``, that what it holds is stale.

Chroma's in-process client does not see another process's writes (chroma-core/chroma#3792)
and the chunk count misses an edit that keeps it, so neither can tell a server to refresh.
The file is replaced whole (a temp file renamed over it), so a reader sees the old number or
the new one, never half a write.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

Stamp = tuple[int, int, int] | None  # (inode, mtime ns, size), None when there is no file


def read(path: Path) -> int:
    """The generation at ``path``; 0 before the first ingest that changed anything."""
    try:
        return int(path.read_text().strip() or 0)
    except (OSError, ValueError):
        return 0


def bump(path: Path) -> int:
    """Add one to the generation; callers hold the ingest lock, so no two bumps race."""
    value = read(path) + 1
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(f"{value}\n")
    os.replace(tmp, path)
    return value


def stamp(path: Path) -> Stamp:
    """What identifies one write of the file: a replaced file is a new inode, and a data
    folder deleted and rebuilt from scratch counts as a change even at the same number."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class Watcher:
    """Says whether the generation moved since ``mark``; looks at most every ``interval``
    seconds, so the answer path pays a clock read, and a ``stat`` once a second."""

    def __init__(self, path: Path, interval: float = 1.0) -> None:
        self.path = path
        self.interval = interval
        self._seen: Stamp = stamp(path)
        self._checked = time.monotonic()
        self._lock = threading.Lock()

    def mark(self, seen: Stamp) -> None:
        """Record ``seen`` (read before a rebuild started) as what the server now holds."""
        with self._lock:
            self._seen = seen

    def moved(self) -> bool:
        """Whether the file changed since the last ``mark`` (looked at once per interval)."""
        now = time.monotonic()
        if now - self._checked < self.interval:
            return False
        with self._lock:
            self._checked = now
            return stamp(self.path) != self._seen
