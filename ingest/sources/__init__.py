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

from companion.types import Post
from ingest.fetch import FetchError, fetch, is_url
from ingest.sources import exports, feeds, pages
from ingest.sources.base import LoadError, Outcome, Source, SourceError, SourceOptions
from ingest.sources.markdown import markdown_post

__all__ = ["LoadError", "Outcome", "Source", "SourceError", "SourceOptions", "open_source", "sniff"]


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
    """One file or fetched document, read by the loader its content calls for.

    ``url`` is where it was fetched from (empty for a file): a feed or sitemap fetched from
    the web goes on to fetch its other pages.
    """

    name: str
    raw: bytes
    options: SourceOptions
    scope: str = ""
    url: str = ""
    outcome: Outcome = field(default_factory=Outcome)

    def __post_init__(self) -> None:
        self.scope = self.scope or self.name

    @property
    def warnings(self) -> list[str]:
        return self.outcome.warnings

    @property
    def blocked(self) -> dict[str, str]:
        return {self.scope: "; ".join(self.outcome.cut_short)} if self.outcome.cut_short else {}

    def documents(self) -> Iterator[Post | LoadError]:
        kind = sniff(self.raw)
        name, options, outcome = self.name, self.options, self.outcome
        try:
            if kind == "blogger":
                yield from exports.blogger_posts(self.raw, name, options, outcome.warnings)
            elif kind == "blogger-classic":
                yield from exports.blogger_classic_posts(self.raw, name, outcome.warnings)
            elif kind == "wxr":
                yield from exports.wordpress_posts(self.raw, name)
            elif kind == "feed":
                yield from feeds.feed_posts(self.raw, name, options, outcome, url=self.url)
            elif kind == "sitemap":
                yield from pages.sitemap_posts(self.raw, name, options, outcome)
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
        self.outcome = Outcome()
        self.blocked: dict[str, str] = {}

    @property
    def warnings(self) -> list[str]:
        return self.outcome.warnings

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
            self.outcome.warnings.extend(inner.warnings)
            self.blocked.update(inner.blocked)


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
            got = fetch(
                target, timeout=options.timeout, max_bytes=options.max_bytes, cache=options.cache
            )
        except FetchError as exc:
            raise SourceError(str(exc)) from exc
        source = BytesSource(got.url, got.content, options, scope=target, url=got.url)
        source.outcome.pages = 1
        source.outcome.unchanged_pages = int(got.not_modified)
        return source
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
