"""RSS 2.0 and Atom feeds (Blogger's /feeds/posts/default, WordPress's /feed) via feedparser.

A feed URL is read to its end: Atom's ``rel="next"`` links are followed (Blogger serves at
most about 100 posts a page), and an RSS or WordPress feed without them is asked for
``?paged=2``, ``3``… until a page is empty or 404 (WordPress's way). A feed that never says
where it ends, or whose reading was cut short, is marked so that prune spares it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from companion.types import Post
from ingest.fetch import FetchError, fetch
from ingest.html import fragment_to_text
from ingest.metadata import make_post
from ingest.sources.base import LoadError, Outcome, SourceOptions

TO_PRUNE = "to prune, ingest the blog's full export or its sitemap instead"


def parse_feed(raw: bytes) -> Any:
    import feedparser

    # Our own cleaner runs on the HTML: feedparser's sanitizer would keep text that a style
    # attribute hid, after dropping the attribute that hid it.
    parsed = feedparser.parse(raw, sanitize_html=False, resolve_relative_uris=False)
    if parsed.bozo and not parsed.entries:
        raise ValueError(f"malformed feed: {parsed.get('bozo_exception')}")
    return parsed


def feed_posts(
    raw: bytes, name: str, options: SourceOptions, outcome: Outcome, *, url: str = ""
) -> Iterator[Post | LoadError]:
    """Posts of a feed; ``url`` is where the first page came from (empty for a file)."""
    parsed = parse_feed(raw)
    if not parsed.entries:
        raise ValueError("the feed has no posts")
    seen: set[str] = set()
    page, page_url = 1, url
    visited = {url}
    while True:
        for entry in parsed.entries:
            doc_id = _doc_id(entry, name)
            if doc_id in seen:
                continue
            if len(seen) >= options.max_posts:
                _capped(
                    outcome,
                    f"{name}: stopped at {options.max_posts:,} posts (the cap, "
                    "COMPANION_FEED_MAX_POSTS)",
                )
                return
            seen.add(doc_id)
            yield _post(entry, doc_id, name)
        declared = _total(parsed)
        following = _next_link(parsed)
        if not url:
            if following or (declared is not None and declared > len(seen)):
                outcome.cut(
                    f"{name} is one page of a longer feed (it links to a next page or declares "
                    "more posts); ingest the feed's URL, which is read page by page, or "
                    "the blog's export"
                )
            return
        if following:
            next_url = urljoin(page_url, following)
        elif declared is not None and len(seen) >= declared:
            return  # openSearch:totalResults reached: the whole feed is read
        elif declared is not None:
            outcome.cut(f"{name} declares {declared:,} posts but its pages held {len(seen):,}")
            return
        elif _pages_by_query(parsed):
            next_url = with_page(url, page + 1)
        else:
            return  # an Atom feed without a next link: this is its last page
        if next_url in visited:
            outcome.cut(f"{name}: page {page + 1} links back to a page already read ({next_url})")
            return
        if page >= options.max_pages:
            _capped(
                outcome,
                f"{name}: stopped after {options.max_pages:,} pages (the cap, "
                "COMPANION_FEED_MAX_PAGES)",
            )
            return
        visited.add(next_url)
        try:
            got = fetch(
                next_url, timeout=options.timeout, max_bytes=options.max_bytes, cache=options.cache
            )
            parsed = parse_feed(got.content)
        except FetchError as exc:
            if exc.status == 404 and not following:
                return  # WordPress answers 404 past its last page
            yield _page_failed(outcome, name, page + 1, next_url, str(exc))
            return
        except ValueError as exc:
            yield _page_failed(outcome, name, page + 1, next_url, f"{next_url}: {exc}")
            return
        outcome.pages += 1
        outcome.unchanged_pages += got.not_modified
        page, page_url = page + 1, got.url
        if not parsed.entries:
            return  # an empty page past the last one
        if not following and all(_doc_id(e, name) in seen for e in parsed.entries):
            outcome.cut(
                f"{name} gave no sign of where it ends (asked for page {page} with "
                f"?paged={page}, it sent posts already read), so it may hold only the newest "
                f"posts; {TO_PRUNE}"
            )
            return


def with_page(url: str, page: int) -> str:
    """``url`` asking for WordPress's page ``page`` (``?paged=N``, other parameters kept)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "paged"]
    query.append(("paged", str(page)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _post(entry: Any, doc_id: str, name: str) -> Post | LoadError:
    with warnings.catch_warnings():  # feedparser warns when "updated" falls back
        warnings.simplefilter("ignore", DeprecationWarning)
        updated = entry.get("updated", "")
    html = entry.content[0].value if entry.get("content") else entry.get("summary", "")
    url = entry.get("link", "")
    try:
        return make_post(
            doc_id=doc_id,
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
        return LoadError(f"{name}: {entry.get('title') or url}", str(exc))


def _doc_id(entry: Any, name: str) -> str:
    return str(entry.get("id") or entry.get("link") or f"{name}#{entry.get('title', '')}")


def _next_link(parsed: Any) -> str:
    for link in parsed.feed.get("links", []):
        if link.get("rel") == "next" and link.get("href"):
            return str(link["href"])
    return ""


def _total(parsed: Any) -> int | None:
    value = str(parsed.feed.get("opensearch_totalresults", "")).strip()
    return int(value) if value.isdigit() else None


def _pages_by_query(parsed: Any) -> bool:
    """RSS feeds and WordPress's feeds say nothing of their pages; WordPress takes ?paged=N."""
    generator = str(parsed.feed.get("generator", "")).lower()
    return str(parsed.get("version", "")).startswith("rss") or "wordpress" in generator


def _capped(outcome: Outcome, why: str) -> None:
    outcome.warnings.append(why)
    outcome.cut(f"{why}; raise the cap to read the whole feed")


def _page_failed(outcome: Outcome, name: str, page: int, url: str, error: str) -> LoadError:
    outcome.cut(
        f"{name}: page {page} could not be read ({error}); run the ingest again when "
        "the blog answers"
    )
    return LoadError(url, error)
