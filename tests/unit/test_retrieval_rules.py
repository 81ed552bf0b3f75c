"""The hybrid retriever's rules (companion/retrieval/hybrid.py) over the in-process store and
hashing embedder: diversity across posts, a named film searched on its own and boosted,
follow-up films, and posts left out by URL. Dense search only (no BM25 index)."""

from __future__ import annotations

import pytest

from companion.retrieval.hybrid import FILM_BOOST, HybridRetriever
from companion.types import Post
from tests.fakes.archive import chunks_of, put
from tests.fakes.embedder import FakeEmbedder
from tests.fakes.store import FakeStore

SHARK = [f"The shark circles the boat near the beach, scene {n}." for n in range(8)]


@pytest.fixture
def embedder() -> FakeEmbedder:  # shadows tests/conftest.py's real model on purpose
    return FakeEmbedder()


@pytest.fixture
def store(embedder: FakeEmbedder) -> FakeStore:
    store = FakeStore(embedder)
    posts = [
        (Post("jaws", "", "s", url="https://b.example/jaws", film="Jaws", year=1975), SHARK),
        (
            Post("deep", "", "s", url="https://b.example/deep", film="The Reef", year=2010),
            ["A shark hunts divers near the beach.", "The shark film drags in the middle."],
        ),
        (
            Post("meg", "", "s", url="https://b.example/meg", film="The Meg", year=2018),
            ["A giant shark attacks a beach resort.", "Jason Statham fights the shark."],
        ),
        (
            Post("arrival", "", "s", url="https://b.example/arrival", film="Arrival", year=2016),
            ["Amy Adams plays a linguist.", "Denis Villeneuve directed it with restraint."],
        ),
    ]
    for post, bodies in posts:
        put(store, chunks_of(post, bodies))
    return store


def test_no_post_fills_more_than_its_share(store: FakeStore, embedder: FakeEmbedder) -> None:
    got = HybridRetriever(store, embedder, per_post=2).retrieve("shark near the beach", k=6)
    assert len(got) == 6
    per_post = {d: sum(p.doc_id == d for p in got) for d in {p.doc_id for p in got}}
    assert max(per_post.values()) == 2
    assert {"jaws", "deep", "meg"} <= set(per_post)


def test_one_named_film_may_fill_every_slot_and_is_boosted(
    store: FakeStore, embedder: FakeEmbedder
) -> None:
    question = "the shark near the beach in Jaws"
    got = HybridRetriever(store, embedder, per_post=2).retrieve(question, k=5)
    assert [p.doc_id for p in got] == ["jaws"] * 5
    cosines = {
        p.id: p.score for p in store.passages([p.id for p in got], embedder.embed_query(question))
    }
    for p in got:
        assert p.score == pytest.approx(cosines[p.id] + FILM_BOOST)


def test_an_unnamed_film_gets_no_boost(store: FakeStore, embedder: FakeEmbedder) -> None:
    question = "a giant shark at a beach resort"
    got = HybridRetriever(store, embedder).retrieve(question, k=3)
    q = embedder.embed_query(question)
    assert got[0].id == "meg#0"
    for p in got:
        assert p.score == pytest.approx(store.passages([p.id], q)[0].score)


def test_follow_up_films_override_the_question(store: FakeStore, embedder: FakeEmbedder) -> None:
    got = HybridRetriever(store, embedder).retrieve("who directed it?", k=2, films=["Arrival"])
    assert embedder.calls[-1] == ["who directed it? (Arrival)"]
    assert [p.id for p in got] == ["arrival#1", "arrival#0"]
    assert all(p.film == "Arrival" for p in got)


def test_excluded_urls_are_left_out(store: FakeStore, embedder: FakeEmbedder) -> None:
    got = HybridRetriever(store, embedder).retrieve(
        "the shark", k=10, exclude_urls=["https://b.example/jaws", ""]
    )
    assert len(got) == 6  # every chunk of the three other posts, none of Jaws's eight
    assert {p.doc_id for p in got} == {"deep", "meg", "arrival"}


def test_an_empty_store_gives_nothing(embedder: FakeEmbedder) -> None:
    assert HybridRetriever(FakeStore(embedder), embedder).retrieve("Jaws?", k=5) == []


def test_k_zero_gives_nothing(store: FakeStore, embedder: FakeEmbedder) -> None:
    assert HybridRetriever(store, embedder).retrieve("the shark", k=0) == []
