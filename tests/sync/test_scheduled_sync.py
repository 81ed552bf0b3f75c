"""Scheduled sync: a running server re-ingests a local blog's paged Atom feed every 2 s. The
blog gains a post, loses one, edits one, fails, and holds still; the server answers from what
the blog says now, prunes only what it read whole, asks only conditional questions of an
unchanged feed, and tells the editor (not the public) how each run went.

The app runs in this process under uvicorn, on the session's models (no second model load);
the blog is ``tests.fakes.blog``, the same one the feed-paging tests read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from filelock import FileLock

from companion.archive.embedding import SentenceTransformerEmbedder
from companion.archive.sentence_vectors import cached
from companion.factory import Components
from companion.settings import Settings
from companion.web.engine import Engine
from tests.conftest import make_settings, make_store
from tests.fakes.blog import Blog, feed_url, serve_blog
from tests.web_fixtures import EDITOR_PASSWORD, free_port

EVERY = 2.0
SLACK = 1.0  # a run starts EVERY after the last one ended, give or take the thread's wake-up
RUN_SECONDS = 60.0  # the longest a run may take on a loaded 2-core CI box
UNUSED = Path("never-written")
PAGE_2 = "/feeds/posts/default?start-index=3&max-results=2"


def post_id(slug: str) -> str:
    return f"tag:blogger.com,1999:blog-1.post-{slug}"


@dataclass
class Synced:
    url: str
    blog: Blog
    settings: Settings

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", timeout=60, **kw)

    def editor(self, path: str = "/editor") -> httpx.Response:
        r = self.get(path, auth=("editor", EDITOR_PASSWORD))
        assert r.status_code == 200, r.text
        return r

    def sync(self) -> dict[str, Any]:
        body: dict[str, Any] = self.editor("/editor/sync.json").json()
        return body

    def health(self) -> dict[str, Any]:
        r = self.get("/api/health")
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def ask(self, question: str) -> dict[str, Any]:
        r = httpx.post(f"{self.url}/api/ask", json={"question": question}, timeout=60)
        assert r.status_code == 200, r.text  # the answer path serves throughout
        body: dict[str, Any] = r.json()
        return body

    def next_run(self, meanwhile: Callable[[], None] = lambda: None) -> dict[str, Any]:
        """The run that ends after this call (one that is under way counts), calling
        ``meanwhile`` while waiting."""
        seen = self.sync()["runs_since_start"]
        deadline = time.monotonic() + EVERY + RUN_SECONDS
        while (state := self.sync())["runs_since_start"] == seen:
            assert time.monotonic() < deadline, "no sync run ended in time"
            meanwhile()
            time.sleep(0.1)
        run: dict[str, Any] = state["runs"][0]
        return run

    def between_runs(self) -> float:
        """Right after a run ended, so the next starts EVERY from now; the wall clock then."""
        self.next_run()
        return time.time()


@pytest.fixture(scope="module")
def synced(
    tmp_path_factory: pytest.TempPathFactory,
    embedder: SentenceTransformerEmbedder,
    sentence_embedder: SentenceTransformerEmbedder,
) -> Iterator[Synced]:
    import uvicorn

    from companion.web.server import create_app

    with serve_blog(["gattaca", "moon", "solaris", "primer"]) as blog:
        settings = make_settings(
            tmp_path_factory.mktemp("sync") / "data",
            sync_sources=feed_url(blog),
            sync_every=f"{EVERY:g}s",
            editor_password=EDITOR_PASSWORD,
            rate_limit_per_minute=100_000,
        )
        engine = Engine(settings)
        # The session's models, behind the on-disk cache as build_components puts them.
        sentences = cached(sentence_embedder, settings.sentence_vectors_db)
        store = make_store(settings, embedder)
        engine._components = Components(settings, embedder, store, sentences, sentence_embedder)
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings, engine), port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        try:
            yield Synced(f"http://127.0.0.1:{port}", blog, settings)
        finally:
            server.should_exit = True
            thread.join(60)
    assert engine.sync is not None and engine.sync._thread is None, "the schedule stopped"


def test_the_first_run_ingests_the_feed_and_the_public_sees_only_when_and_whether(
    synced: Synced,
) -> None:
    state = synced.sync()
    assert state["sources"] == [feed_url(synced.blog)]
    assert state["every_seconds"] == EVERY
    if not state["runs"]:
        synced.next_run()
    run = synced.sync()["runs"][-1]  # the first run (the page keeps the last 20)
    assert run["ok"] and (run["added"], run["deleted"], run["errors"]) == (4, 0, [])
    assert (run["pages_fetched"], run["prune_skipped"]) == (2, [])

    health = synced.health()
    assert health["sync"]["ok"] is True and health["posts"] == 4
    assert datetime.fromisoformat(health["sync"]["at"]) <= datetime.now(UTC)
    assert set(health["sync"]) == {"at", "ok"}
    assert synced.blog.base not in synced.get("/api/health").text, "no source to the public"

    answer = synced.ask("Who does Sam Rockwell talk to on the lunar base in Moon?")
    assert "GERTY" in answer["answer"]
    assert post_id("moon") in {c["doc_id"] for c in answer["citations"]}


def test_an_unchanged_feed_costs_only_conditional_requests(synced: Synced) -> None:
    synced.between_runs()
    with synced.blog.lock:
        synced.blog.requests.clear()
    run = synced.next_run()
    with synced.blog.lock:
        requests = list(synced.blog.requests)
    assert run["ok"]
    assert (run["added"], run["updated"], run["deleted"], run["skipped"]) == (0, 0, 0, 4)
    assert (run["pages_fetched"], run["pages_unchanged"]) == (2, 2)
    assert len(requests) >= 2
    assert all(h.get("If-None-Match") and status == 304 for _, h, status in requests), requests


def test_a_new_a_deleted_and_an_edited_post_within_one_period(synced: Synced) -> None:
    blog = synced.blog
    synced.between_runs()
    with blog.lock:
        changed = time.time()
        blog.publish("coherence")
        blog.slugs.remove("moon")
        blog.edits["solaris"] = "The station's doctor Snaut is played by Jeremy Davies, twitching."

    def still_answering() -> None:  # an unchanged post, answered while the sync works
        assert "genome" in synced.ask("What does Ethan Hawke borrow in Gattaca?")["answer"]

    run = synced.next_run(still_answering)
    assert run["ok"] and (run["added"], run["updated"], run["deleted"]) == (1, 1, 1)
    started = datetime.fromisoformat(run["started"]).timestamp()
    assert started <= changed + EVERY + SLACK, "the run after the change started in one period"

    # Answerable the moment the run is reported, without waiting for anything else.
    new = synced.ask("What passes overhead during the dinner party in Coherence?")
    assert "comet" in new["answer"]
    assert post_id("coherence") in {c["doc_id"] for c in new["citations"]}
    gone = synced.ask("Who does Sam Rockwell talk to on the lunar base in Moon?")
    assert post_id("moon") not in {c["doc_id"] for c in gone["citations"]}
    assert "GERTY" not in gone["answer"]
    edited = synced.ask("Who plays Snaut in Solaris?")
    assert "Jeremy Davies" in edited["answer"]
    assert any("Jeremy Davies" in c["quote"] for c in edited["citations"])
    assert synced.health()["posts"] == 4

    page = synced.editor().text
    assert "Scheduled sync" in page and run["started"] in page
    assert "<td>ok</td><td>1</td><td>1</td><td>1</td>" in page


def test_a_failing_page_prunes_nothing_is_reported_and_retried(synced: Synced) -> None:
    blog = synced.blog
    synced.between_runs()
    with blog.lock:
        blog.slugs.remove("primer")  # really deleted, but the page after the first fails
        blog.fail.add(PAGE_2)
    run = synced.next_run()
    assert not run["ok"] and run["deleted"] == 0
    assert [e["source"] for e in run["errors"]] == [blog.base + PAGE_2]
    assert [p["source"] for p in run["prune_skipped"]] == [feed_url(blog)]
    assert "page 2 could not be read" in run["prune_skipped"][0]["why"]
    health = synced.get("/api/health")
    assert health.json()["sync"]["ok"] is False and blog.base not in health.text
    primer = synced.ask("What do the two engineers build in a garage in Primer?")
    assert post_id("primer") in {c["doc_id"] for c in primer["citations"]}
    page = synced.editor().text
    assert "failed" in page and "HTTP 500" in page and "page 2 could not be read" in page

    with blog.lock:
        blog.fail.clear()
    run = synced.next_run()  # the next run tries again, and now prunes
    assert run["ok"] and (run["deleted"], run["prune_skipped"]) == (1, [])
    assert synced.health()["sync"]["ok"] is True
    primer = synced.ask("What do the two engineers build in a garage in Primer?")
    assert post_id("primer") not in {c["doc_id"] for c in primer["citations"]}


def test_a_concurrent_ingest_holds_the_lock_and_the_run_waits_for_the_next_period(
    synced: Synced,
) -> None:
    """Another process's ingest (``companion ingest --dry-run`` runs on its own) holds the
    lock: the run is refused, says why, and the next one runs."""
    synced.between_runs()
    with FileLock(str(synced.settings.lock_file)).acquire(timeout=5):
        run = synced.next_run()
    assert not run["ok"] and "another ingest is running" in run["refused"]
    assert synced.health()["sync"]["ok"] is False
    assert "not run: another ingest is running" in synced.editor().text
    assert synced.next_run()["ok"]


def test_off_unless_both_are_set(tmp_path: Path) -> None:
    from companion.web.sync import Scheduler

    engine = Engine(make_settings(tmp_path / "a"))
    for sources, every in (("", "30m"), ("https://blog.example/feed/", ""), ("", "")):
        settings = make_settings(tmp_path / "a", sync_sources=sources, sync_every=every)
        assert Scheduler.configured(settings, engine) is None
    settings = make_settings(tmp_path / "a", sync_sources="a.xml, b.xml c.xml", sync_every="6h")
    scheduler = Scheduler.configured(settings, engine)
    assert scheduler is not None and scheduler.every == 6 * 3600
    assert [s.rsplit("/", 1)[-1] for s in scheduler.sources] == ["a.xml", "b.xml", "c.xml"]
    assert all(s.startswith("/") for s in scheduler.sources), "paths as the server meant them"


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("30m", 1800), ("6h", 21600),
                                               ("1.5h", 5400), (" 2S ", 2), ("1d", 86400)])  # fmt: skip
def test_periods(text: str, seconds: float) -> None:
    assert make_settings(UNUSED, sync_sources="x", sync_every=text).sync_seconds == seconds


@pytest.mark.parametrize("text", ["90", "0s", "soon", "-5m", "5 minutes"])
def test_a_period_without_a_unit_is_refused_with_an_example(text: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="a number and a unit, as in 90s, 30m, 6h"):
        make_settings(UNUSED, sync_every=text)
