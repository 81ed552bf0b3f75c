"""Paged feeds and sitemap indexes from a local blog server: read to the end, pruned only
when read whole, re-read with conditional requests."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

import pytest

from companion.archive.store import ChromaStore
from companion.settings import Settings
from companion.types import Post
from ingest.pipeline import run_ingest
from ingest.sources import SourceOptions, open_source
from ingest.sources.feeds import with_page

FILMS = {
    "gattaca": ("Gattaca", 1997, "Ethan Hawke borrows a better genome to reach the stars."),
    "moon": ("Moon", 2009, "Sam Rockwell talks to GERTY on a lonely lunar base."),
    "solaris": ("Solaris", 2002, "George Clooney meets a wife who died years ago, in orbit."),
    "primer": ("Primer", 2004, "Two engineers build a box in a garage and lose track of time."),
    "coherence": ("Coherence", 2013, "A dinner party splinters while a comet passes overhead."),
    "looper": ("Looper", 2012, "Joseph Gordon-Levitt is hired to kill his own older self."),
}


@dataclass
class Blog:
    """A Blogger-style Atom feed, a WordPress-style RSS feed and a sitemap index of the same
    posts (newest first), with ETags; ``fail`` holds paths answered with 500."""

    slugs: list[str] = field(default_factory=list)
    page_size: int = 2
    fail: set[str] = field(default_factory=set)
    requests: list[tuple[str, dict[str, str], int]] = field(default_factory=list)
    base: str = ""
    edits: dict[str, str] = field(default_factory=dict)

    def publish(self, slug: str) -> None:
        self.slugs.insert(0, slug)

    def text(self, slug: str) -> str:
        film, year, line = FILMS[slug]
        extra = self.edits.get(slug, "")
        return (
            f"{film} ({year}) is a film this blog keeps returning to. {line} "
            f"The review weighs its ideas against its budget and finds it generous. {extra}"
        )

    def date(self, slug: str) -> datetime:
        return datetime(2024, 1, 1, tzinfo=UTC) - timedelta(days=30 * list(FILMS).index(slug))

    def atom(self, start: int, size: int) -> str:
        page = self.slugs[start - 1 : start - 1 + size]
        links = ""
        if start - 1 + size < len(self.slugs):
            nxt = (
                f"{self.base}/feeds/posts/default?start-index={start + size}&amp;max-results={size}"
            )
            links = f"<link rel='next' type='application/atom+xml' href='{nxt}'/>"
        entries = "".join(
            f"<entry><id>tag:blogger.com,1999:blog-1.post-{s}</id>"
            f"<published>{self.date(s).isoformat()}</published>"
            f"<title type='text'>{FILMS[s][0]} ({FILMS[s][1]})</title>"
            f"<content type='html'>{escape('<p>' + self.text(s) + '</p>')}</content>"
            f"<link rel='alternate' type='text/html' href='{self.base}/{s}.html'/>"
            f"<author><name>Jonah</name></author></entry>"
            for s in page
        )
        return (
            "<?xml version='1.0' encoding='UTF-8'?><feed xmlns='http://www.w3.org/2005/Atom' "
            "xmlns:openSearch='http://a9.com/-/spec/opensearchrss/1.0/'>"
            "<id>tag:blogger.com,1999:blog-1</id><title>Orbital Matinee</title>"
            f"<generator version='7.00' uri='http://www.blogger.com'>Blogger</generator>{links}"
            f"<openSearch:totalResults>{len(self.slugs)}</openSearch:totalResults>"
            f"<openSearch:startIndex>{start}</openSearch:startIndex>"
            f"<openSearch:itemsPerPage>{size}</openSearch:itemsPerPage>{entries}</feed>"
        )

    def rss(self, paged: int) -> str | None:
        page = self.slugs[(paged - 1) * self.page_size : paged * self.page_size]
        if not page and paged > 1:
            return None  # WordPress: 404 past the last page
        items = "".join(
            f"<item><title>{FILMS[s][0]} ({FILMS[s][1]})</title>"
            f"<link>{self.base}/?p={s}</link><guid>{self.base}/?p={s}</guid>"
            f"<pubDate>{format_datetime(self.date(s))}</pubDate>"
            f"<description>{escape(self.text(s))}</description></item>"
            for s in page
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Reel Orbit</title><link>{self.base}</link>"
            "<generator>https://wordpress.org/?v=6.5</generator>"
            f"{items}</channel></rss>"
        )

    def sitemap_index(self) -> str:
        children = "".join(
            f"<sitemap><loc>{self.base}/sitemap-{n}.xml</loc></sitemap>" for n in (1, 2)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{children}'
            "</sitemapindex>"
        )

    def sitemap(self, n: int) -> str:
        half = self.slugs[::2] if n == 1 else self.slugs[1::2]
        urls = "".join(f"<url><loc>{self.base}/{s}.html</loc></url>" for s in half)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
        )

    def page(self, slug: str) -> str | None:
        if slug not in self.slugs:
            return None
        film, year, _ = FILMS[slug]
        return (
            f"<html><head><title>{film} ({year})</title></head><body><article>"
            f"<h1>{film} ({year})</h1><p>{self.text(slug)}</p></article></body></html>"
        )

    def respond(self, path: str) -> tuple[int, str]:
        url = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if path in self.fail or url.path in self.fail:
            return 500, "down"
        body: str | None = None
        if url.path == "/feeds/posts/default":
            body = self.atom(int(query.get("start-index", 1)), int(query.get("max-results", 2)))
        elif url.path == "/feed/":
            body = self.rss(int(query.get("paged", 1)))
        elif url.path == "/sitemap_index.xml":
            body = self.sitemap_index()
        elif url.path.startswith("/sitemap-"):
            body = self.sitemap(int(url.path.removeprefix("/sitemap-").removesuffix(".xml")))
        elif url.path.endswith(".html"):
            body = self.page(url.path.strip("/").removesuffix(".html"))
        return (404, "not found") if body is None else (200, body)


class _Handler(http.server.BaseHTTPRequestHandler):
    blog: Blog

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        status, body = self.server.blog.respond(self.path)  # type: ignore[attr-defined]
        data = body.encode()
        etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
        if status == 200 and self.headers.get("If-None-Match") == etag:
            status, data = 304, b""
        self.server.blog.requests.append((self.path, dict(self.headers), status))  # type: ignore[attr-defined]
        self.send_response(status)
        if status == 200:
            self.send_header("ETag", etag)
            self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def blog() -> Iterator[Blog]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    state = Blog(slugs=["gattaca", "moon", "solaris", "primer"])
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    server.blog = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def stored_films(store: ChromaStore) -> set[str]:
    return {r.film for r in store.posts().values()}


def feed_url(blog: Blog) -> str:
    return f"{blog.base}/feeds/posts/default?max-results=2"


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
