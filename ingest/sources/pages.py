"""Saved or fetched HTML pages (main text only) and sitemaps that list such pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from companion.types import Post
from ingest.cleaning import decode_text
from ingest.fetch import Fetched, FetchError, fetch, is_url
from ingest.html import page_main_text
from ingest.metadata import make_post
from ingest.sources.base import LoadError, Outcome, SourceOptions
from ingest.sources.xml import parse_xml

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def html_post(raw: bytes, name: str) -> Post:
    markup = decode_text(raw)
    page_url = name if is_url(name) else ""
    text, info = page_main_text(markup, page_url)
    url = info.get("url", "") or page_url
    title = info.get("title", "") or Path(name).stem
    labels = [lb for key in ("categories", "tags") for lb in info.get(key, "").split(",")]
    return make_post(
        doc_id=url or Path(name).stem,
        text=text,
        source=name,
        title=title,
        url=url,
        date=info.get("date", ""),
        author=info.get("author", ""),
        labels=labels,
    )


def sitemap_posts(
    raw: bytes, name: str, options: SourceOptions, outcome: Outcome
) -> Iterator[Post | LoadError]:
    """Fetch each page a sitemap lists (and, one level deep, the sitemaps an index lists).

    A child sitemap that fails hides which posts it listed, so it blocks prune for the index.
    """
    root = parse_xml(raw, name)
    if root.tag == f"{SITEMAP_NS}sitemapindex":
        for loc in root.iter(f"{SITEMAP_NS}loc"):
            child = (loc.text or "").strip()
            try:
                got = _fetch(child, options, outcome)
                pages = [
                    (u.text or "").strip()
                    for u in parse_xml(got.content, child).iter(f"{SITEMAP_NS}loc")
                ]
            except (FetchError, ValueError) as exc:
                outcome.cut(
                    f"{name}: the sitemap {child} it lists could not be read ({exc}); run the "
                    "ingest again when it answers"
                )
                yield LoadError(child, str(exc))
                continue
            yield from _pages(pages, options, outcome)
        return
    urls = [(loc.text or "").strip() for loc in root.iter(f"{SITEMAP_NS}loc")]
    if not urls:
        raise ValueError("the sitemap lists no pages")
    yield from _pages(urls, options, outcome)


def _pages(urls: list[str], options: SourceOptions, outcome: Outcome) -> Iterator[Post | LoadError]:
    for url in urls:
        try:
            got = _fetch(url, options, outcome)
            yield html_post(got.content, got.url)
        except (FetchError, ValueError) as exc:
            yield LoadError(url, str(exc))


def _fetch(url: str, options: SourceOptions, outcome: Outcome) -> Fetched:
    got = fetch(url, timeout=options.timeout, max_bytes=options.max_bytes, cache=options.cache)
    outcome.pages += 1
    outcome.unchanged_pages += got.not_modified
    return got
