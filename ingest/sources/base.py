"""What every source shares: its options, its per-item errors and what it tells prune.

A leaf module, so the loaders import it and ``ingest.sources`` imports the loaders, with no
circle between them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from companion.types import Post

if TYPE_CHECKING:
    from ingest.fetch import HttpCache


@dataclass(frozen=True)
class LoadError:
    source: str
    error: str


@dataclass(frozen=True)
class SourceOptions:
    max_bytes: int = 50_000_000
    timeout: float = 20.0
    base_url: str = ""
    max_pages: int = 500
    max_posts: int = 50_000
    cache: HttpCache | None = None


class SourceError(ValueError):
    """The path or URL itself cannot be read as a source."""


@dataclass
class Outcome:
    """What reading one source found out besides its posts.

    ``cut_short`` says why the source was not read whole (a feed that never said where it
    ends, a page that failed, a cap that was reached): ``--prune`` then deletes nothing the
    source owned, because a post missing from a partial read may still be on the blog.
    """

    warnings: list[str] = field(default_factory=list)
    cut_short: list[str] = field(default_factory=list)
    pages: int = 0
    unchanged_pages: int = 0

    def cut(self, why: str) -> None:
        if why not in self.cut_short:
            self.cut_short.append(why)


class Source(Protocol):
    """A place posts come from; ``scope`` is what ``--prune`` may delete from."""

    scope: str
    outcome: Outcome

    @property
    def blocked(self) -> dict[str, str]:
        """Scopes, files or URLs that were not read whole, and why: prune spares them."""
        ...

    def documents(self) -> Iterator[Post | LoadError]: ...
