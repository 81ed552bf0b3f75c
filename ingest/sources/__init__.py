"""Sources turn what an editor names (a file, a folder or a URL) into posts.

The kind is detected from the content, not the file name: a Blogger export (both formats), a
WordPress WXR export, an RSS or Atom feed, a sitemap, an HTML page, or Markdown/plain text.
Problems are yielded as ``LoadError`` items so one bad post or file never stops the rest.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from companion.types import Post
from ingest.fetch import FetchError, fetch, is_url


@dataclass(frozen=True)
class LoadError:
    source: str
    error: str


@dataclass(frozen=True)
class SourceOptions:
    max_bytes: int = 50_000_000
    timeout: float = 20.0
    base_url: str = ""


class SourceError(ValueError):
    """The path or URL itself cannot be read as a source."""


class Source(Protocol):
    """A place posts come from; ``scope`` is what ``--prune`` may delete from."""

    scope: str
    warnings: list[str]

    def documents(self) -> Iterator[Post | LoadError]: ...


def sniff(raw: bytes) -> str:
    """The kind of a source from its first bytes: blogger, blogger-classic, wxr, feed,
    sitemap, html or text."""
    head = raw[:65536].lstrip(b"\xef\xbb\xbf \t\r\n").decode("utf-8", "replace")
    low = head.lower()
    if (
        low.startswith("<?xml")
        or low.startswith("<rss")
        or low.startswith("<feed")
        or (low.startswith("<") and ("<urlset" in low or "<sitemapindex" in low))
    ):
        if "schemas.google.com/blogger/2018" in low:
            return "blogger"
        if "schemas.google.com/blogger/2008/kind#" in low:
            return "blogger-classic"
        if "wordpress.org/export/" in low:
            return "wxr"
        if "<urlset" in low or "<sitemapindex" in low:
            return "sitemap"
        if "<rss" in low or "<feed" in low or "<rdf:rdf" in low:
            return "feed"
        if "<html" in low:
            return "html"
        return "xml"
    if low.startswith(("<!doctype html", "<html")) or (
        low.startswith("<") and ("<body" in low or "<head" in low)
    ):
        return "html"
    return "text"


@dataclass
class BytesSource:
    """One file or fetched document, read by the loader its content calls for."""

    name: str
    raw: bytes
    options: SourceOptions
    scope: str = ""
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.scope = self.scope or self.name

    def documents(self) -> Iterator[Post | LoadError]:
        from ingest.sources import exports, feeds, pages
        from ingest.sources.markdown import markdown_post

        kind = sniff(self.raw)
        try:
            if kind == "blogger":
                yield from exports.blogger_posts(self.raw, self.name, self.options, self.warnings)
            elif kind == "blogger-classic":
                yield from exports.blogger_classic_posts(self.raw, self.name, self.warnings)
            elif kind == "wxr":
                yield from exports.wordpress_posts(self.raw, self.name)
            elif kind == "feed":
                yield from feeds.feed_posts(self.raw, self.name)
            elif kind == "sitemap":
                yield from pages.sitemap_posts(self.raw, self.name, self.options)
            elif kind == "html":
                yield pages.html_post(self.raw, self.name)
            elif kind == "xml":
                yield LoadError(self.name, "skipped: XML that is not a feed, export or sitemap")
            else:
                yield markdown_post(self.raw, Path(self.name))
        except ValueError as exc:
            yield LoadError(self.name, str(exc))


class FolderSource:
    """Every file under a folder, recursively (hidden files and folders skipped)."""

    def __init__(self, root: Path, options: SourceOptions) -> None:
        self.root = root
        self.scope = str(root)
        self.options = options
        self.warnings: list[str] = []

    def documents(self) -> Iterator[Post | LoadError]:
        files = sorted(
            p
            for p in self.root.rglob("*")
            if p.is_file() and not any(s.startswith(".") for s in p.relative_to(self.root).parts)
        )
        if not files:
            raise SourceError(f"{self.root}: the folder holds no files")
        for path in files:
            inner = _file_source(path, self.options)
            if isinstance(inner, LoadError):
                yield inner
                continue
            yield from inner.documents()
            self.warnings.extend(inner.warnings)


def _file_source(path: Path, options: SourceOptions) -> BytesSource | LoadError:
    size = path.stat().st_size
    if size > options.max_bytes:
        return LoadError(
            str(path), f"skipped: {size:,} bytes is over the {options.max_bytes:,}-byte limit"
        )
    if size == 0:
        return LoadError(str(path), "skipped: empty file")
    return BytesSource(str(path), path.read_bytes(), options)


def open_source(target: str, options: SourceOptions) -> Source:
    """The source for a path or URL; raises ``SourceError`` when it cannot be read at all."""
    if is_url(target):
        try:
            got = fetch(target, timeout=options.timeout, max_bytes=options.max_bytes)
        except FetchError as exc:
            raise SourceError(str(exc)) from exc
        return BytesSource(got.url, got.content, options, scope=target)
    path = Path(os.path.expanduser(target))
    if not path.exists():
        raise SourceError(f"{target}: no such file or folder")
    path = path.resolve()
    if path.is_dir():
        return FolderSource(path, options)
    found = _file_source(path, options)
    if isinstance(found, LoadError):
        raise SourceError(found.error.replace("skipped: ", f"{path}: "))
    return found
