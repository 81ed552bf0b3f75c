"""Every source kind from fixtures we wrote, detected by content; URLs from a local server."""

from __future__ import annotations

import http.server
import shutil
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from companion.archive.store import ChromaStore
from companion.settings import Settings
from companion.types import Post
from ingest.pipeline import run_ingest
from ingest.sources import LoadError, SourceError, SourceOptions, open_source, sniff

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sources"
CANARIES = [
    "CANARY-DISPLAYNONE",
    "CANARY-HIDDENATTR",
    "CANARY-COMMENT",
    "CANARY-WHITE",
    "CANARY-ZEROSIZE",
]


def load(name: str, **options: object) -> tuple[list[Post], list[LoadError], list[str]]:
    source = open_source(str(FIXTURES / name), SourceOptions(**options))  # type: ignore[arg-type]
    items = list(source.documents())
    posts = [i for i in items if isinstance(i, Post)]
    errors = [i for i in items if isinstance(i, LoadError)]
    return posts, errors, source.warnings


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("blogger-export-2018.xml", "blogger"),
        ("blogger-export-classic.xml", "blogger-classic"),
        ("wordpress.xml", "wxr"),
        ("feed-rss.xml", "feed"),
        ("feed-atom.xml", "feed"),
        ("sitemap.xml", "sitemap"),
        ("page-with-chrome.html", "html"),
        ("page-plain.html", "html"),
        ("notes-latin1.txt", "text"),
    ],
)
def test_kind_is_detected_from_content_not_name(name: str, kind: str, tmp_path: Path) -> None:
    renamed = tmp_path / "download.bin"
    shutil.copy(FIXTURES / name, renamed)
    assert sniff(renamed.read_bytes()) == kind


def test_blogger_2018_export_takes_only_live_posts_and_builds_urls() -> None:
    posts, errors, warnings = load("blogger-export-2018.xml", base_url="https://blog.example/")
    assert errors == [] and warnings == []
    assert sorted(p.film for p in posts) == ["Arrival", "Gattaca", "Moon"]
    moon = next(p for p in posts if p.film == "Moon")
    assert moon.url == "https://blog.example/2023/07/review-of-moon-2009.html"
    assert moon.year == 2009 and moon.author and moon.date and moon.updated and moon.labels
    assert "Duncan Jones" in moon.text and "Sam Rockwell" in moon.text
    text = " ".join(p.text for p in posts)
    for skipped in (
        "Rewatch before publishing",
        "scrapping this post",
        "favourite movie robot",
        "Shepperton Studios",
    ):
        assert skipped not in text


def test_blogger_export_without_base_url_says_urls_are_missing() -> None:
    posts, _, warnings = load("blogger-export-2018.xml")
    assert all(p.url == "" for p in posts)
    assert len(warnings) == 1 and "--base-url" in warnings[0]


def test_blogger_classic_export_skips_settings_template_comment_and_draft() -> None:
    posts, errors, _ = load("blogger-export-classic.xml")
    assert errors == []
    assert {p.film: p.url for p in posts} == {
        "Looper": "https://oldblog.example/2012/10/looper.html",
        "District 9": "https://oldblog.example/2009/09/district-9.html",
    }
    text = " ".join(p.text for p in posts)
    assert "Not ready to post" not in text and "The diner scene between the two Joes" not in text


def test_wordpress_export_takes_published_posts_only() -> None:
    posts, errors, _ = load("wordpress.xml")
    assert errors == []
    assert sorted(p.film for p in posts) == ["Primer", "Sunshine"]
    assert all(p.author == "priya" and p.labels for p in posts)
    text = " ".join(p.text for p in posts)
    for skipped in ("do not publish until", "Got a recommendation?", "sunshine-icarus-ii.jpg"):
        assert skipped not in text


def test_feeds_rss_and_atom() -> None:
    rss, rss_errors, _ = load("feed-rss.xml")
    atom, atom_errors, _ = load("feed-atom.xml")
    assert rss_errors == atom_errors == []
    assert sorted(p.film for p in rss) == ["Looper", "Moon"]
    assert sorted(p.film for p in atom) == ["District 9", "Gattaca"]
    assert all(p.url.startswith("https://") for p in rss + atom)
    moon = next(p for p in rss if p.film == "Moon")
    assert "fifteen years later" in moon.title
    assert len(moon.text) > 300, "the full content:encoded, not the excerpt"


def test_html_page_keeps_main_text_and_drops_chrome_and_hidden_text() -> None:
    (post,), errors, _ = load("page-with-chrome.html")
    assert errors == []
    assert "directed by James Ward Byrkit" in post.text
    assert post.url == "https://astromech-sample.blogspot.com/2024/02/review-of-coherence-2013.html"
    assert (post.film, post.year) == ("Coherence", 2013)
    for chrome in (
        "Post a Comment",
        "Powered by Blogger",
        "Back to Top",
        "did not sleep well",
        "Try Timecrimes",
    ):
        assert chrome not in post.text
    for canary in CANARIES:
        assert canary not in post.text


def test_latin1_text_is_decoded() -> None:
    (post,), errors, _ = load("notes-latin1.txt")
    assert errors == []
    assert "café" in post.text and "naïve" in post.text and "Kelvin's" in post.text


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("broken-truncated.xml", "malformed XML at line"),
        ("empty-feed.xml", "the feed has no posts"),
    ],
)
def test_bad_exports_are_one_clear_error(name: str, message: str) -> None:
    posts, errors, _ = load(name)
    assert posts == []
    assert len(errors) == 1 and message in errors[0].error


def test_huge_file_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "huge.md"
    big.write_text("word " * 5000)
    with pytest.raises(SourceError, match="over the 1,000-byte limit"):
        open_source(str(big), SourceOptions(max_bytes=1000))


def test_bad_sources_do_not_stop_good_ones_and_lose_nothing(
    settings: Settings, store: ChromaStore
) -> None:
    good = str(FIXTURES / "feed-rss.xml")
    first = run_ingest([good], settings, store)
    assert first.added == 2
    before = store.count()
    report = run_ingest(
        [
            str(FIXTURES / "broken-truncated.xml"),
            good,
            str(FIXTURES / "empty-feed.xml"),
            str(FIXTURES / "wordpress.xml"),
        ],
        settings,
        store,
        prune=True,
    )
    assert report.added == 2 and report.skipped == 2 and report.deleted == 0
    assert {Path(e["source"]).name for e in report.errors} == {
        "broken-truncated.xml",
        "empty-feed.xml",
    }
    assert store.count() > before


def test_prune_is_scoped_to_the_feed_it_names(
    tmp_path: Path, settings: Settings, store: ChromaStore
) -> None:
    rss = tmp_path / "rss.xml"
    shutil.copy(FIXTURES / "feed-rss.xml", rss)
    run_ingest([str(rss), str(FIXTURES / "feed-atom.xml")], settings, store)
    text = rss.read_text()
    start = text.index("<item>")
    end = text.index("</item>", start) + len("</item>")
    rss.write_text(text[:start] + text[end:])  # the first item is deleted from the blog
    report = run_ingest([str(rss)], settings, store, prune=True)
    assert report.deleted == 1 and report.skipped == 1
    assert store.ids_for_post("https://reelorbit.example/?p=88") == []
    assert store.ids_for_post("tag:blogger.com,1999:blog-5566778899.post-6610"), "other feed kept"


# --- URLs, from a local server only -------------------------------------------------------


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/slow"):
            time.sleep(3)
        if self.path == "/sitemap.xml":
            body = (FIXTURES / "sitemap.xml").read_text().replace("{BASE}", self.server.base)  # type: ignore[attr-defined]
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        super().do_GET()


@pytest.fixture(scope="module")
def web() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(_Handler, directory=str(FIXTURES))
    )
    base = f"http://127.0.0.1:{server.server_address[1]}"
    server.base = base  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()


def test_feed_and_page_by_url(web: str) -> None:
    feed = open_source(f"{web}/feed-atom.xml", SourceOptions())
    assert sorted(p.film for p in feed.documents() if isinstance(p, Post)) == [
        "District 9",
        "Gattaca",
    ]
    assert feed.scope == f"{web}/feed-atom.xml"
    page = list(open_source(f"{web}/page-plain.html", SourceOptions()).documents())
    assert isinstance(page[0], Post) and "Shane Carruth" in page[0].text


def test_sitemap_ingests_the_pages_it_lists(
    web: str, settings: Settings, store: ChromaStore
) -> None:
    report = run_ingest([f"{web}/sitemap.xml"], settings, store)
    assert (report.added, report.errors) == (2, [])
    films = {r.film for r in store.posts().values()}
    assert films == {"Coherence", "Primer"}
    docs = store._collection.get(include=["documents"])["documents"]
    assert not any(c in d for d in docs for c in CANARIES), "hidden text never reaches the store"


def test_url_errors_are_per_source(web: str, settings: Settings, store: ChromaStore) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/feed.xml"
    slow_settings = settings.model_copy(update={"fetch_timeout": 0.5, "max_file_bytes": 6000})
    report = run_ingest(
        [
            dead,
            f"{web}/missing.xml",
            f"{web}/slow/feed.xml",
            f"{web}/wordpress.xml",
            f"{web}/feed-atom.xml",
        ],
        slow_settings,
        store,
    )
    errors = {e["source"]: e["error"] for e in report.errors}
    assert "ConnectError" in errors[dead]
    assert "HTTP 404" in errors[f"{web}/missing.xml"]
    assert "timed out after 0.5 s" in errors[f"{web}/slow/feed.xml"]
    assert (
        "6,000-byte limit" in errors[f"{web}/wordpress.xml"]
        or "6000-byte" in errors[f"{web}/wordpress.xml"]
    )
    assert report.added == 2, "the one good URL is still ingested"
