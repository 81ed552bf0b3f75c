"""Sources turn a path the editor names into posts, reporting per-item errors instead of raising.

``open_source`` is the one place that decides which loader reads a path.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from companion.types import Post


@dataclass(frozen=True)
class LoadError:
    source: str
    error: str


class Source(Protocol):
    """A place posts come from; ``scope`` is what ``--prune`` may delete from."""

    scope: str

    def documents(self) -> Iterator[Post | LoadError]: ...


class SourceError(ValueError):
    """The path itself cannot be read as a source (missing, empty, unknown kind)."""


def open_source(path: str, max_bytes: int) -> Source:
    from ingest.sources.markdown import MarkdownSource

    p = Path(path).expanduser()
    if not p.exists():
        raise SourceError(f"{path}: no such file or folder")
    return MarkdownSource(p.resolve(), max_bytes=max_bytes)
