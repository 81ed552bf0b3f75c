"""A local blog for ingest and sync tests: the same posts as a Blogger-style Atom feed (paged,
``rel="next"``), a WordPress-style RSS feed (``?paged=N`` until 404), a sitemap index and HTML
pages, each answer with an ETag that honours ``If-None-Match`` (304), every request recorded."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

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
    lock: threading.Lock = field(default_factory=threading.Lock)  # held while answering

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
        blog: Blog = self.server.blog  # type: ignore[attr-defined]
        with blog.lock:  # a test changes the blog between requests, never during one
            status, body = blog.respond(self.path)
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


@contextmanager
def serve_blog(slugs: list[str]) -> Iterator[Blog]:
    """The blog on a free loopback port, publishing ``slugs`` (newest first)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    state = Blog(slugs=list(slugs))
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    server.blog = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def feed_url(blog: Blog) -> str:
    """The Atom feed, two posts a page."""
    return f"{blog.base}/feeds/posts/default?max-results=2"
