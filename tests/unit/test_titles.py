"""Which reviewed films a question names: ``TitleMatcher`` (companion/text.py) and ``FilmIndex``
(companion/retrieval/hybrid.py) over the in-process store."""

from __future__ import annotations

import pytest

from companion.retrieval.hybrid import FilmIndex
from companion.text import TitleMatcher
from companion.types import Post
from tests.fakes.archive import chunks_of, put
from tests.fakes.embedder import FakeEmbedder
from tests.fakes.store import FakeStore

FILMS = ["Her", "Jaws", "Hamlet", "Moon", "Up", "Blade Runner", "Blade Runner 2049", "Alien"]


def archive(films: list[str]) -> FakeStore:
    store = FakeStore(FakeEmbedder(32))
    for n, film in enumerate(films):
        post = Post(doc_id=f"p{n}", text="", source="s", title=film, film=film, year=2000 + n)
        put(store, chunks_of(post, [f"A review of {film}.", "More about it."]))
    return store


@pytest.fixture
def index() -> FilmIndex:
    return FilmIndex(archive(FILMS))


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("What did you think of Her?", ["Her"]),
        ("What did her mother think of the film?", []),  # a stop-word title must be capitalised
        ("did you like jaws", ["Jaws"]),
        ("Is Jaws 2 as good?", []),  # a sequel number means another film
        ("Was Jaws II any good?", []),
        ("Jaws Returns, really?", []),
        ("Jawsome shark movies?", []),  # whole words only
        ("does the blog like hamlet", ["Hamlet"]),
        ("any film set in a tiny coastal hamlet", []),  # a lower-case noun, not the film
        ("a tiny coastal Hamlet", ["Hamlet"]),  # capitalised: the film
        ("a film about a man on the moon", []),
        ("Thoughts on Moon and Up?", ["Moon", "Up"]),
        ("never give up", []),  # a short title must be capitalised
        ("Is Blade Runner 2049 better?", ["Blade Runner 2049"]),  # the longest match only
        ("I rewatched blade runner", ["Blade Runner"]),
        ("Aliens or Alien?", ["Alien"]),
        ("Compare Jaws with Alien", ["Alien", "Jaws"]),
        ("", []),
    ],
)
def test_named_in(index: FilmIndex, question: str, named: list[str]) -> None:
    assert index.named_in(question) == named


def test_chunk_ids_are_those_of_the_named_films(index: FilmIndex) -> None:
    assert index.chunk_ids(["Jaws", "Moon"]) == ["p1#0", "p1#1", "p3#0", "p3#1"]
    assert index.chunk_ids(["Vertigo"]) == []


def test_title_matcher_returns_where_the_title_is() -> None:
    found = TitleMatcher("Blade Runner").search("Was BLADE   RUNNER worth it?")
    assert found is not None and found.group(0) == "BLADE   RUNNER"
    assert TitleMatcher("Her").search("HER") is None  # strict titles match their own case only
    assert TitleMatcher("Jaws").search("Jaws Part 2") is None


def test_an_index_reads_the_store_once_and_a_new_index_sees_a_new_film() -> None:
    """A server sees an ingest by building a new chat (and so a new index) when the store's
    generation moves; an index never re-reads the store under a question."""
    store = archive(["Jaws"])
    index = FilmIndex(store)
    assert index.named_in("Alien?") == []
    post = Post(doc_id="new", text="", source="s", film="Alien", year=1979)
    put(store, chunks_of(post, ["Chestburster."]))
    assert index.named_in("Alien?") == []
    assert FilmIndex(store).named_in("Alien?") == ["Alien"]


def test_a_snapshot_is_built_once_however_many_threads_ask() -> None:
    import threading
    import time

    from companion.archive.base import Snapshot

    store = archive(["Jaws"])
    builds: list[int] = []

    def build() -> int:
        time.sleep(0.05)  # long enough for every thread to arrive while it runs
        builds.append(store.count())
        return len(builds)

    snap = Snapshot(store, build, 0)
    got: list[int] = []
    threads = [threading.Thread(target=lambda: got.append(snap.get())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store.delete(["p0#1"])
    assert got == [1] * 8 and snap.get() == 1 and builds == [2]


@pytest.mark.parametrize("question", ["How does Jaws's ending work?", "Was Moon’s score good?"])
def test_a_possessive_still_names_the_film(index: FilmIndex, question: str) -> None:
    assert index.named_in(question) != []
