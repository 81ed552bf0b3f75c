"""RSS 2.0 and Atom feeds (Blogger's /feeds/posts/default, WordPress's /feed) via feedparser."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

from companion.types import Post
from ingest.html import fragment_to_text
from ingest.metadata import make_post

if TYPE_CHECKING:
    from ingest.sources import LoadError


def feed_posts(raw: bytes, name: str) -> Iterator[Post | LoadError]:
    import feedparser

    from ingest.sources import LoadError

    # Our own cleaner runs on the HTML: feedparser's sanitizer would keep text that a style
    # attribute hid, after dropping the attribute that hid it.
    parsed = feedparser.parse(raw, sanitize_html=False, resolve_relative_uris=False)
    if parsed.bozo and not parsed.entries:
        raise ValueError(f"malformed feed: {parsed.get('bozo_exception')}")
    if not parsed.entries:
        raise ValueError("the feed has no posts")
    for entry in parsed.entries:
        with warnings.catch_warnings():  # feedparser warns when "updated" falls back
            warnings.simplefilter("ignore", DeprecationWarning)
            updated = entry.get("updated", "")
        html = entry.content[0].value if entry.get("content") else entry.get("summary", "")
        url = entry.get("link", "")
        try:
            yield make_post(
                doc_id=entry.get("id") or url or f"{name}#{entry.get('title', '')}",
                text=fragment_to_text(html),
                source=name,
                title=entry.get("title", ""),
                url=url,
                date=entry.get("published", "") or updated,
                updated=updated,
                author=entry.get("author", ""),
                labels=[t.get("term", "") for t in entry.get("tags", [])],
            )
        except ValueError as exc:
            yield LoadError(f"{name}: {entry.get('title') or url}", str(exc))
