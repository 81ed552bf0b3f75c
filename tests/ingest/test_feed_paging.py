"""Paged feeds and sitemap indexes from a local blog server: read to the end, pruned only
when read whole, re-read with conditional requests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from companion.archive.store import ChromaStore
from companion.settings import Settings
from companion.types import Post
from ingest.pipeline import run_ingest
from ingest.sources import SourceOptions, open_source
from ingest.sources.feeds import with_page
from tests.fakes.blog import Blog, feed_url, serve_blog


@pytest.fixture
def blog() -> Iterator[Blog]:
    with serve_blog(["gattaca", "moon", "solaris", "primer"]) as state:
        yield state


def stored_films(store: ChromaStore) -> set[str]:
    return {r.film for r in store.posts().values()}


# --- reading, without the store -------------------------------------------------------------


def read(url: str, **options: object) -> tuple[list[str], dict[str, str], list[str]]:
    source = open_source(url, SourceOptions(**options))  # type: ignore[arg-type]
    films = [p.film for p in source.documents() if isinstance(p, Post)]
    return films, source.blocked, source.outcome.warnings


def test_atom_feed_is_followed_through_every_next_link(blog: Blog) -> None:
    blog.publish("coherence")  # five posts: three pages of two
    films, blocked, _ = read(feed_url(blog))
    assert films == ["Coherence", "Gattaca", "Moon", "Solaris", "Primer"]
    assert blocked == {}, "the last page has no next link: the feed was read whole"
    assert [p for p, _, _ in blog.requests] == [
        "/feeds/posts/default?max-results=2",
        "/feeds/posts/default?start-index=3&max-results=2",
        "/feeds/posts/default?start-index=5&max-results=2",
    ]


def test_page_cap_stops_reading_and_blocks_prune(blog: Blog) -> None:
    films, blocked, warnings = read(feed_url(blog), max_pages=1)
    assert films == ["Gattaca", "Moon"]
    assert "stopped after 1 pages" in blocked[feed_url(blog)]
    assert any("COMPANION_FEED_MAX_PAGES" in w for w in warnings)
    films, blocked, _ = read(feed_url(blog), max_posts=3)
    assert films == ["Gattaca", "Moon", "Solaris"]
    assert "stopped at 3 posts" in blocked[feed_url(blog)]


def test_wordpress_feed_pages_by_query_until_404(blog: Blog) -> None:
    blog.publish("coherence")
    films, blocked, _ = read(f"{blog.base}/feed/")
    assert films == ["Coherence", "Gattaca", "Moon", "Solaris", "Primer"]
    assert blocked == {}
    assert [(p, s) for p, _, s in blog.requests] == [
        ("/feed/", 200),
        ("/feed/?paged=2", 200),
        ("/feed/?paged=3", 200),
        ("/feed/?paged=4", 404),
    ]


def test_feed_that_ignores_paging_gives_no_end_and_blocks_prune(blog: Blog) -> None:
    blog.page_size = 10
    original = blog.rss
    blog.rss = lambda paged: original(1)  # type: ignore[method-assign]
    films, blocked, _ = read(f"{blog.base}/feed/")
    assert films == ["Gattaca", "Moon", "Solaris", "Primer"]
    assert "gave no sign of where it ends" in blocked[f"{blog.base}/feed/"]


def test_a_saved_page_of_a_longer_feed_blocks_prune(blog: Blog, tmp_path: Path) -> None:
    saved = tmp_path / "feed-page-1.xml"
    saved.write_text(blog.atom(1, 2))
    source = open_source(str(saved), SourceOptions())
    assert len([p for p in source.documents() if isinstance(p, Post)]) == 2
    assert "one page of a longer feed" in source.blocked[str(saved)]


def test_with_page_keeps_other_parameters() -> None:
    assert with_page("https://b.example/feed/?cat=3&paged=2", 3) == (
        "https://b.example/feed/?cat=3&paged=3"
    )
    assert with_page("https://b.example/feed/", 2) == "https://b.example/feed/?paged=2"


# --- ingesting and pruning ------------------------------------------------------------------


def test_prune_keeps_every_paged_post_and_deletes_only_what_left_the_blog(
    blog: Blog, settings: Settings, store: ChromaStore
) -> None:
    first = run_ingest([feed_url(blog)], settings, store, prune=True)
    assert (first.added, first.deleted, first.errors) == (4, 0, [])

    blog.publish("coherence")  # page one now holds Coherence and Gattaca; Primer is on page 3
    second = run_ingest([feed_url(blog)], settings, store, prune=True)
    assert (second.added, second.skipped, second.deleted) == (1, 4, 0)
    assert stored_films(store) == {"Coherence", "Gattaca", "Moon", "Solaris", "Primer"}

    blog.slugs.remove("moon")  # deleted from the blog
    preview = run_ingest([feed_url(blog)], settings, store, prune=True, dry_run=True)
    assert (preview.deleted, preview.prune_skipped) == (1, [])
    third = run_ingest([feed_url(blog)], settings, store, prune=True)
    assert (third.deleted, third.skipped, third.prune_skipped) == (1, 4, [])
    assert stored_films(store) == {"Coherence", "Gattaca", "Solaris", "Primer"}


def test_a_failing_page_leaves_every_post_in_place_and_says_why(
    blog: Blog, settings: Settings, store: ChromaStore
) -> None:
    run_ingest([feed_url(blog)], settings, store, prune=True)
    blog.slugs.remove("primer")  # really deleted, but page two is down: nothing may go
    blog.fail.add("/feeds/posts/default?start-index=3&max-results=2")
    for dry_run in (True, False):
        report = run_ingest([feed_url(blog)], settings, store, prune=True, dry_run=dry_run)
        assert report.deleted == 0
        assert [s["source"] for s in report.prune_skipped] == [feed_url(blog)]
        assert "page 2 could not be read" in report.prune_skipped[0]["why"]
        assert "HTTP 500" in report.prune_skipped[0]["why"]
        assert any(w.startswith("not pruned:") for w in report.warnings)
        assert [e["source"] for e in report.errors] == [
            f"{blog.base}/feeds/posts/default?start-index=3&max-results=2"
        ]
    assert stored_films(store) == {"Gattaca", "Moon", "Solaris", "Primer"}


def test_wordpress_feed_prunes_after_reading_to_its_404(
    blog: Blog, settings: Settings, store: ChromaStore
) -> None:
    blog.publish("coherence")
    assert run_ingest([f"{blog.base}/feed/"], settings, store, prune=True).added == 5
    blog.slugs.remove("solaris")
    report = run_ingest([f"{blog.base}/feed/"], settings, store, prune=True)
    assert (report.deleted, report.skipped, report.errors) == (1, 4, [])
    assert "Solaris" not in stored_films(store)


def test_unchanged_paged_feed_costs_one_conditional_request_per_page(
    blog: Blog, settings: Settings, store: ChromaStore
) -> None:
    blog.publish("coherence")
    run_ingest([feed_url(blog)], settings, store, prune=True)
    blog.requests.clear()

    def no_store() -> ChromaStore:
        raise AssertionError("an unchanged feed must not even open the store")

    report = run_ingest([feed_url(blog)], settings, no_store, prune=True)
    assert (report.added, report.updated, report.deleted, report.skipped) == (0, 0, 0, 5)
    assert report.store_chunks is None, "nothing embedded, nothing rebuilt"
    assert (report.pages_fetched, report.pages_unchanged) == (3, 3)
    assert len(blog.requests) == 3
    assert all(h.get("If-None-Match") and s == 304 for _, h, s in blog.requests)

    blog.edits["solaris"] = "On a second viewing the ending lands harder."  # page 2 changes
    blog.requests.clear()
    report = run_ingest([feed_url(blog)], settings, store, prune=True)
    assert (report.updated, report.skipped, report.pages_unchanged) == (1, 4, 2)
    assert [s for _, _, s in blog.requests] == [304, 200, 304]


def test_sitemap_index_with_a_failing_child_prunes_nothing(
    blog: Blog, settings: Settings, store: ChromaStore
) -> None:
    index = f"{blog.base}/sitemap_index.xml"
    assert run_ingest([index], settings, store, prune=True).added == 4
    blog.slugs.remove(
        "gattaca"
    )  # the posts move between the two child sitemaps, one of which fails
    blog.fail.add("/sitemap-2.xml")
    report = run_ingest([index], settings, store, prune=True)
    assert report.deleted == 0
    assert "sitemap-2.xml it lists could not be read" in report.prune_skipped[0]["why"]
    assert stored_films(store) == {"Gattaca", "Moon", "Solaris", "Primer"}
    blog.fail.clear()
    report = run_ingest([index], settings, store, prune=True)
    assert (report.deleted, report.prune_skipped) == (1, [])
    assert stored_films(store) == {"Moon", "Solaris", "Primer"}
