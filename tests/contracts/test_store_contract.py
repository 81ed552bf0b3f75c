"""The ``Store`` contract, run against the real ``ChromaStore`` (Chroma on a temp folder, fed by
the hashing fake embedder, so no model loads) and the in-process ``FakeStore``: whatever the
unit tests learn from the fake holds for Chroma too (the langchain-chroma conformance pattern).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from companion.archive.base import Store
from companion.archive.records import PostRecord
from companion.archive.scores import Score
from companion.archive.store import ChromaStore, open_client
from companion.types import Post
from tests.fakes.archive import Chunk, chunks_of, put
from tests.fakes.embedder import FakeEmbedder
from tests.fakes.store import FakeStore

DIM = 256

HER = Post(
    doc_id="her",
    text="",
    source="blog.xml",
    title="Review: Her (2013)",
    url="https://blog.example/2014/01/her.html",
    date="2014-01-10",
    author="Ada",
    film="Her",
    year=2013,
    labels=("romance", "sci-fi"),
)
ARRIVAL = Post(
    doc_id="arrival",
    text="",
    source="blog.xml",
    title="Arrival is a quiet marvel",
    url="http://blog.example/arrival/",
    date="2016-11-20",
    author="Ben",
    film="Arrival",
    year=2016,
)
ARRIVAL_AGAIN = Post(
    doc_id="arrival-rewatch",
    text="",
    source="feed",
    title="Rewatch: Arrival",
    url="https://blog.example/arrival-rewatch",
    date="2017-02-01",
    author="Cy",
    film="Arrival",
    year=2016,
)
JAWS = Post(
    doc_id="jaws",
    text="",
    source="feed",
    title="Jaws",
    url="https://blog.example/jaws",
    date="2015-06-01",
    film="Jaws",
    year=1975,
)
HAMLET_96 = Post(
    doc_id="hamlet-96",
    text="",
    source="feed",
    title="Branagh's Hamlet",
    url="https://blog.example/hamlet-1996",
    date="2013-09-01",
    film="Hamlet",
    year=1996,
)
HAMLET_48 = Post(
    doc_id="hamlet-48",
    text="",
    source="feed",
    title="Olivier's Hamlet",
    url="https://blog.example/hamlet-1948",
    date="2013-05-05",
    film="Hamlet",
    year=1948,
)
NOTICE = Post(  # a post about no film: not in films(), not in chunk_ids_by_film()
    doc_id="notice",
    text="",
    source="feed",
    title="The blog is moving",
    url="https://blog.example/moving",
    date="2018-01-01",
)

CHUNKS: dict[str, list[Chunk]] = {
    "her": chunks_of(
        HER,
        [
            "Theodore writes letters for strangers and lives alone in a glass city.",
            "Scarlett Johansson voices Samantha, an operating system who falls in love.",
            "The ending lets them both go, gently, and I cried on the bus home.",
        ],
        section="Plot",
    ),
    "arrival": chunks_of(
        ARRIVAL,
        [
            "Amy Adams plays a linguist asked to talk with the heptapods.",
            "Their circular language rewires how she remembers her daughter.",
        ],
    ),
    "arrival-rewatch": chunks_of(
        ARRIVAL_AGAIN, ["On a second viewing the heptapod language scenes hit even harder."]
    ),
    "jaws": chunks_of(
        JAWS,
        [
            "A great white shark terrorises the beach town of Amity.",
            "Quint's speech about the Indianapolis is the best scene.",
        ],
    ),
    "hamlet-96": chunks_of(HAMLET_96, ["Branagh films the full text of the play in Blenheim."]),
    "hamlet-48": chunks_of(HAMLET_48, ["Olivier cuts the play and broods in black and white."]),
    "notice": chunks_of(NOTICE, ["New posts will appear at our new address from March."]),
}
ALL = [c for chunks in CHUNKS.values() for c in chunks]
BY_ID = {c.id: c for c in ALL}
POSTS = {p.doc_id: p for p in (HER, ARRIVAL, ARRIVAL_AGAIN, JAWS, HAMLET_96, HAMLET_48, NOTICE)}


def make_chroma(path: Path, embedder: FakeEmbedder) -> Store:
    return ChromaStore(open_client(path / "chroma"), "reviews", embedder, DIM)


def make_fake(path: Path, embedder: FakeEmbedder) -> Store:
    return FakeStore(embedder, "reviews")


MAKERS: dict[str, Callable[[Path, FakeEmbedder], Store]] = {
    "chroma": make_chroma,
    "fake": make_fake,
}


@pytest.fixture
def embedder() -> FakeEmbedder:  # shadows tests/conftest.py's real model on purpose
    return FakeEmbedder(DIM)


@pytest.fixture(params=sorted(MAKERS))
def empty(request: pytest.FixtureRequest, tmp_path: Path, embedder: FakeEmbedder) -> Store:
    return MAKERS[request.param](tmp_path, embedder)


@pytest.fixture
def store(empty: Store) -> Store:
    """The sample archive, written in an order that is not reading order."""
    scrambled = sorted(ALL, key=lambda c: (c.meta["chunk"] % 2, c.id), reverse=True)
    put(empty, scrambled[:5])
    put(empty, scrambled[5:])
    return empty


def vector(embedder: FakeEmbedder, text: str) -> np.ndarray:
    return embedder.vector(text)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# -- writing ---------------------------------------------------------------------------------


def test_starts_empty(empty: Store, embedder: FakeEmbedder) -> None:
    assert empty.count() == 0
    assert empty.query(embedder.embed_query("anything"), 5) == []
    assert empty.all_chunks() == ([], [])
    assert empty.posts() == {}
    assert empty.films() == []
    assert empty.chunk_ids_by_film() == {}
    assert empty.post_vectors() == ({}, {})


def test_upserting_the_same_ids_again_changes_nothing(store: Store) -> None:
    put(store, ALL)
    put(store, CHUNKS["her"])
    assert store.count() == len(ALL)
    ids, texts = store.all_chunks()
    assert sorted(ids) == sorted(BY_ID)
    assert dict(zip(ids, texts, strict=True)) == {c.id: c.document for c in ALL}


def test_upserting_a_known_id_replaces_its_text_and_vector(
    store: Store, embedder: FakeEmbedder
) -> None:
    old = BY_ID["jaws#1"]
    body = "Robert Shaw gives Quint a monologue about the USS Indianapolis disaster."
    new = Chunk(old.id, f"{old.meta['header']}\n\n{body}", old.meta, body)
    put(store, [new])
    assert store.count() == len(ALL)
    assert dict(zip(*store.all_chunks(), strict=True))["jaws#1"] == new.document
    assert [p.text for p in store.post_chunks(["jaws"])["jaws"]] == [BY_ID["jaws#0"].body, body]
    top = store.query(embedder.embed_query(new.document), 1)[0]
    assert (top.id, top.text) == ("jaws#1", body)
    assert top.score == pytest.approx(1.0, abs=1e-4)


def test_an_upsert_merges_metadata_into_the_known_record(store: Store) -> None:
    """Chroma's upsert of a known id keeps metadata keys the new record leaves out; the fake
    must too, or a test could pass on it and fail on Chroma."""
    first = BY_ID["notice#0"]
    scored = {**first.meta, "score": "9/10", "score_fraction": 0.9}
    put(store, [Chunk(first.id, first.document, scored, first.body)])
    unscored = {k: v for k, v in first.meta.items() if not k.startswith("score")}
    put(store, [Chunk(first.id, first.document, unscored, first.body)])
    assert store.posts()["notice"].score == Score("9/10", 0.9)
    assert store.posts()["notice"].title == NOTICE.title


def test_update_metadata_merges_fields_and_keeps_text_and_vector(
    store: Store, embedder: FakeEmbedder
) -> None:
    c = BY_ID["jaws#1"]
    store.update_metadata(["jaws#1", "jaws#0", "nobody#0"], [{"version": "v2"}] * 3)
    store.update_metadata(["jaws#0"], [{"version": None}])  # None removes a key
    chunks = store.post_chunks(["jaws"])["jaws"]
    assert [p.id for p in chunks] == ["jaws#1"]  # one text of the post: the stamped one
    assert chunks[0].version == "v2" and chunks[0].text == c.body and chunks[0].spoiler is False
    top = store.query(embedder.embed_query(c.document), 1)[0]
    assert (top.id, top.version) == ("jaws#1", "v2")
    assert top.score == pytest.approx(1.0, abs=1e-4)
    assert store.ids_for_post("nobody") == [] and store.count() == len(ALL)


def test_a_batch_that_repeats_an_id_is_refused_whole(store: Store) -> None:
    c = BY_ID["her#0"]
    extra = Chunk("new#0", "new text", {**c.meta, "doc_id": "new"}, "new text")
    with pytest.raises(Exception, match=r"(?i)duplicate"):
        put(store, [extra, c, c])
    assert store.count() == len(ALL)
    assert store.ids_for_post("new") == []


def test_an_empty_metadata_record_is_refused(empty: Store) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        empty.upsert(["x"], ["some text"], [{}])
    assert empty.count() == 0


def test_upserting_nothing_is_harmless(store: Store) -> None:
    store.upsert([], [], [])
    assert store.count() == len(ALL)


def test_delete_removes_chunks_everywhere(store: Store, embedder: FakeEmbedder) -> None:
    store.delete(["jaws#0", "jaws#1", "her#1"])
    assert store.count() == len(ALL) - 3
    assert "jaws" not in store.posts()
    assert "Jaws" not in store.chunk_ids_by_film()
    assert "Jaws (1975)" not in store.films()
    assert store.ids_for_post("jaws") == []
    assert [p.id for p in store.post_chunks(["her"])["her"]] == ["her#0", "her#2"]
    found = store.query(embedder.embed_query(BY_ID["jaws#0"].document), len(ALL))
    assert {p.id for p in found} == set(BY_ID) - {"jaws#0", "jaws#1", "her#1"}


def test_deleting_unknown_or_no_ids_is_harmless(store: Store) -> None:
    store.delete([])
    store.delete(["no-such-chunk", "her#99"])
    assert store.count() == len(ALL)
    store.delete(["her#0", "her#0-not"])
    assert store.count() == len(ALL) - 1


# -- reading ---------------------------------------------------------------------------------


def test_post_chunks_come_back_in_reading_order_without_their_header(store: Store) -> None:
    got = store.post_chunks(["her", "arrival", "no-such-post"])
    assert set(got) == {"her", "arrival"}
    for doc_id in ("her", "arrival"):
        assert [p.id for p in got[doc_id]] == [c.id for c in CHUNKS[doc_id]]
        assert [p.text for p in got[doc_id]] == [c.body for c in CHUNKS[doc_id]]
        assert all(p.score == 0.0 for p in got[doc_id])
    her = got["her"][1]
    assert (her.doc_id, her.film, her.year, her.title, her.url, her.section) == (
        "her",
        "Her",
        2013,
        HER.title,
        HER.url,
        "Plot",
    )
    assert store.post_chunks(["jaws"])["jaws"][0].text == BY_ID["jaws#0"].body
    assert store.post_chunks([]) == {}


def test_a_passage_of_a_post_without_a_year_has_none(store: Store) -> None:
    notice = store.post_chunks(["notice"])["notice"][0]
    assert notice.year is None
    assert notice.film == ""


def test_query_returns_at_most_k_best_first(store: Store, embedder: FakeEmbedder) -> None:
    question = "the heptapod language"
    q = embedder.embed_query(question)
    got = store.query(q, 3)
    assert len(got) == 3
    scores = [p.score for p in got]
    assert scores == sorted(scores, reverse=True)
    expected = sorted(ALL, key=lambda c: cosine(vector(embedder, c.document), np.asarray(q)))
    assert [p.id for p in got] == [c.id for c in reversed(expected[-3:])]
    assert {p.doc_id for p in got[:2]} <= {"arrival", "arrival-rewatch"}


def test_query_gives_what_there_is_when_k_exceeds_the_store(
    store: Store, embedder: FakeEmbedder
) -> None:
    got = store.query(embedder.embed_query("shark"), len(ALL) + 20)
    assert sorted(p.id for p in got) == sorted(BY_ID)
    assert store.query(embedder.embed_query("shark"), 0) == []


def test_query_scores_are_cosine_similarities(store: Store, embedder: FakeEmbedder) -> None:
    q = embedder.embed_query("a shark at the beach")
    for p in store.query(q, 4):
        expected = cosine(vector(embedder, BY_ID[p.id].document), np.asarray(q))
        assert p.score == pytest.approx(expected, abs=1e-4)
    assert store.query(q, 1)[0].id == "jaws#0"


def test_passages_are_scored_by_cosine(store: Store, embedder: FakeEmbedder) -> None:
    q = np.asarray(embedder.embed_query("Samantha the operating system"))
    wanted = ["her#1", "jaws#0", "no-such-chunk", "hamlet-48#0"]
    got = {p.id: p for p in store.passages(wanted, (3.0 * q).tolist())}  # any length
    assert set(got) == {"her#1", "jaws#0", "hamlet-48#0"}
    for cid, p in got.items():
        assert p.score == pytest.approx(cosine(vector(embedder, BY_ID[cid].document), q), abs=1e-4)
        assert p.text == BY_ID[cid].body
    assert got["her#1"].score > got["jaws#0"].score
    assert store.passages([], q.tolist()) == []


def test_posts_give_one_record_per_post(store: Store) -> None:
    posts = store.posts()
    assert set(posts) == set(POSTS)
    for doc_id, record in posts.items():
        assert record == PostRecord.of(POSTS[doc_id])  # the record survives the round trip
    assert posts["her"].labels == ("romance", "sci-fi")
    assert posts["her"].published == dt.date(2014, 1, 10)
    assert posts["notice"].year is None


def test_film_posts_are_one_per_post_oldest_first(store: Store) -> None:
    got = store.film_posts(["Arrival", "Her"])
    assert [r.doc_id for r in got] == ["her", "arrival", "arrival-rewatch"]
    assert [r.doc_id for r in store.film_posts(["Hamlet"])] == ["hamlet-48", "hamlet-96"]
    assert store.film_posts(["Her"])[0].url == HER.url
    assert store.film_posts([]) == []
    assert store.film_posts(["Vertigo"]) == []
    assert store.film_posts(["her"]) == []  # titles are matched exactly


def test_film_years_tell_remakes_apart(store: Store) -> None:
    assert store.film_years("Hamlet") == {1948, 1996}
    assert store.film_years("Arrival") == {2016}
    assert store.film_years("Vertigo") == set()


@pytest.mark.parametrize(
    ("url", "film"),
    [
        ("https://blog.example/2014/01/her.html", "Her"),
        ("http://blog.example/2014/01/her.html", "Her"),
        ("https://blog.example/2014/01/her.html?m=1", "Her"),
        ("https://blog.example/2014/01/her.html#comments", "Her"),
        ("  https://blog.example/2014/01/her.html/  ", "Her"),
        ("http://blog.example/arrival/", "Arrival"),
        ("https://blog.example/arrival", "Arrival"),
        ("https://blog.example/arrival/?utm_source=feed#top", "Arrival"),
        ("http://blog.example/arrival-rewatch/", "Arrival"),
        ("https://blog.example/moving", ""),  # a post about no film
        ("https://other.example/2014/01/her.html", ""),
        ("https://blog.example/2014/01/her", ""),
        ("ftp://blog.example/2014/01/her.html", ""),
        ("blog.example/2014/01/her.html", ""),
        ("", ""),
    ],
)
def test_film_for_url_matches_the_ways_blogs_link_a_post(store: Store, url: str, film: str) -> None:
    assert store.film_for_url(url) == film


def test_films_are_labelled_newest_review_first(store: Store) -> None:
    assert store.films() == [
        "Arrival (2016)",
        "Jaws (1975)",
        "Her (2013)",
        "Hamlet (1996)",
        "Hamlet (1948)",
    ]


def test_chunk_ids_by_film(store: Store) -> None:
    got = store.chunk_ids_by_film()
    assert {f: sorted(ids) for f, ids in got.items()} == {
        "Her": ["her#0", "her#1", "her#2"],
        "Arrival": ["arrival#0", "arrival#1", "arrival-rewatch#0"],
        "Jaws": ["jaws#0", "jaws#1"],
        "Hamlet": ["hamlet-48#0", "hamlet-96#0"],
    }


def test_ids_for_post(store: Store) -> None:
    assert sorted(store.ids_for_post("her")) == ["her#0", "her#1", "her#2"]
    assert sorted(store.ids_for_post("arrival")) == ["arrival#0", "arrival#1"]
    assert store.ids_for_post("arrival-") == []
    assert store.ids_for_post("") == []


def test_all_chunks_are_every_id_with_its_stored_document(store: Store) -> None:
    ids, texts = store.all_chunks()
    assert len(ids) == len(texts) == len(ALL)
    assert dict(zip(ids, texts, strict=True)) == {c.id: c.document for c in ALL}


def test_post_vectors_are_unit_means_of_the_chunk_vectors(
    store: Store, embedder: FakeEmbedder
) -> None:
    metas, vectors = store.post_vectors()
    assert set(metas) == set(vectors) == set(POSTS)
    for doc_id, v in vectors.items():
        assert v.shape == (DIM,)
        assert float(np.linalg.norm(v)) == pytest.approx(1.0, abs=1e-5)
        mean = sum(vector(embedder, c.document) for c in CHUNKS[doc_id])
        assert cosine(v, mean) == pytest.approx(1.0, abs=1e-5)
        assert metas[doc_id] == PostRecord.of(POSTS[doc_id])
    assert cosine(vectors["arrival"], vectors["arrival-rewatch"]) > cosine(
        vectors["arrival"], vectors["hamlet-48"]
    )


# -- LangChain's index() through our seam -----------------------------------------------------


def test_langchain_index_writes_through_the_seam_into_both_stores_alike(tmp_path: Path) -> None:
    from langchain_classic.indexes import SQLRecordManager
    from langchain_core.documents import Document
    from langchain_core.indexing import index

    from companion.archive.vectorstore import StoreVectorStore
    from ingest.identity import chunk_key

    def docs(chunks: list[Chunk]) -> list[Document]:
        return [Document(page_content=c.document, metadata=c.meta) for c in chunks]

    edited = chunks_of(
        JAWS,
        [
            "A great white shark terrorises the beach town of Amity.",
            "Robert Shaw's Indianapolis monologue is the best scene of the decade.",
        ],
    )
    states = []
    for name, make in sorted(MAKERS.items()):
        store = make(tmp_path / name, FakeEmbedder(DIM))
        records = SQLRecordManager(name, db_url=f"sqlite:///{tmp_path / name}-records.db")
        records.create_schema()
        vectorstore = StoreVectorStore(store)

        def run(chunks: list[Chunk], s: StoreVectorStore = vectorstore, r: Any = records) -> Any:
            return index(
                docs(chunks),
                r,
                s,
                cleanup="scoped_full",
                source_id_key="doc_id",
                key_encoder=chunk_key,
            )

        first = run(ALL)
        assert (first["num_added"], first["num_deleted"]) == (len(ALL), 0), name
        assert store.count() == len(ALL)

        again = run(ALL)
        assert (again["num_added"], again["num_skipped"], again["num_deleted"]) == (
            0,
            len(ALL),
            0,
        ), name
        assert store.count() == len(ALL)

        changed = run(edited + CHUNKS["her"])
        assert (changed["num_added"], changed["num_deleted"]) == (1, 1), name
        assert store.count() == len(ALL)
        jaws = store.post_chunks(["jaws"])["jaws"]
        assert [p.text for p in jaws] == [c.body for c in edited], name
        assert len(store.ids_for_post("arrival")) == 2  # posts outside the batch are untouched

        ids, texts = store.all_chunks()
        states.append((name, sorted(zip(ids, texts, strict=True)), store.films()))

    (_, chroma_chunks, chroma_films), (_, fake_chunks, fake_films) = states
    assert chroma_chunks == fake_chunks
    assert chroma_films == fake_films
    assert {cid for cid, _ in fake_chunks} == {
        chunk_key(d) for d in docs([c for c in ALL if c.meta["doc_id"] != "jaws"] + edited)
    }


def test_the_seam_refuses_chunks_without_their_ids(store: Store) -> None:
    from companion.archive.vectorstore import StoreVectorStore

    with pytest.raises(ValueError, match="id"):
        StoreVectorStore(store).add_texts(["a", "b"], [{"doc_id": "x"}] * 2, ids=["x#0"])
    assert store.count() == len(ALL)


def test_the_seam_refuses_chunks_without_metadata(store: Store) -> None:
    """Every chunk carries its post's record; a bare text would be a passage of no post."""
    from companion.archive.vectorstore import StoreVectorStore

    for metadatas in (None, [{}]):
        with pytest.raises(ValueError, match="metadata"):
            StoreVectorStore(store).add_texts(["bare text"], metadatas, ids=["bare#0"])
    assert store.count() == len(ALL)
