"""Ingest precomputes the answer model's sentence vectors; answering looks them up."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from companion.answering.judgement import NEGATIVE, POSITIVE
from companion.archive.embedding import SentenceTransformerEmbedder
from companion.archive.sentence_vectors import CachedEmbedder, cached
from companion.archive.store import ChromaStore
from companion.factory import Components, build_chat
from companion.settings import Settings
from companion.text import sentences
from ingest.pipeline import run_ingest
from tests.ingest.test_pipeline import write_review


class Counting:
    """The real model, counting what it is asked to embed."""

    def __init__(self, model: SentenceTransformerEmbedder) -> None:
        self.name = model.name
        self.dimension = 384
        self._model = model
        self.texts: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.texts += texts
        return self._model.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self._model.embed_query(text)


def _cache(settings: Settings, model: object) -> CachedEmbedder:
    return CachedEmbedder(model, settings.sentence_vectors_db)  # type: ignore[arg-type]


def test_ingest_embeds_each_sentence_once_and_answers_embed_none(
    tmp_path: Path,
    settings: Settings,
    store: ChromaStore,
    embedder: SentenceTransformerEmbedder,
    sentence_embedder: SentenceTransformerEmbedder,
) -> None:
    folder = tmp_path / "reviews"
    folder.mkdir()
    body = "A lighthouse keeper befriends a talking whale. The whale sings at dawn."
    write_review(folder, 1, "Alpha Film", body)
    beta = "Two astronauts argue about a toaster on Mars. A funny, clever film I recommend."
    write_review(folder, 2, "Beta Film", beta)
    model = Counting(sentence_embedder)
    run_ingest([str(folder)], settings, store, sentences=model)  # type: ignore[arg-type]
    _, texts = store.all_chunks()
    every = {s for t in texts for s in sentences(t)}
    assert set(model.texts) == every, "each sentence of the archive, each once"
    assert len(model.texts) == len(every)

    cache = _cache(settings, sentence_embedder)
    stored = np.asarray(cache.embed_documents(sorted(every)))
    fresh = np.asarray(sentence_embedder.embed_documents(sorted(every)))
    cos = (
        np.sum(stored * fresh, axis=1)
        / np.linalg.norm(stored, axis=1)
        / np.linalg.norm(fresh, axis=1)
    )
    assert cos.min() > 0.999, "the cached vectors are the model's"

    model.texts.clear()
    answering = Counting(sentence_embedder)
    chat = build_chat(
        Components(settings, embedder, store, cached(answering, settings.sentence_vectors_db))
    )  # type: ignore[arg-type]
    answer = chat.ask("What does the whale do at dawn in Alpha Film?")
    assert "sings at dawn" in answer.text
    verdict = chat.ask("Did the blog like Beta Film?")
    assert verdict.kind == "verdict"
    # Only the verdict scale's fixed phrases are new to this cache: no review sentence is.
    assert set(answering.texts) <= set(POSITIVE + NEGATIVE), answering.texts


def test_edits_and_deletions_keep_the_cache_in_step(
    tmp_path: Path,
    settings: Settings,
    store: ChromaStore,
    sentence_embedder: SentenceTransformerEmbedder,
) -> None:
    folder = tmp_path / "reviews"
    folder.mkdir()
    write_review(folder, 1, "Alpha Film", "A lighthouse keeper befriends a talking whale.")
    write_review(folder, 2, "Beta Film", "Two astronauts argue about a broken toaster on Mars.")
    run_ingest([str(folder)], settings, store, sentences=sentence_embedder)
    cache = _cache(settings, sentence_embedder)
    old, new = (
        "Two astronauts argue about a broken toaster on Mars.",
        "Two astronauts repair a singing refrigerator on Venus.",
    )
    assert cache.bytes.mget([cache.key(old), cache.key(new)])[0] is not None

    model = Counting(sentence_embedder)
    write_review(folder, 2, "Beta Film", new)
    run_ingest([str(folder)], settings, store, sentences=model)  # type: ignore[arg-type]
    assert new in model.texts and "We liked it." not in model.texts, "only what is new"
    got = cache.bytes.mget([cache.key(old), cache.key(new)])
    assert got[0] is None and got[1] is not None, "the edited sentence's vector is replaced"

    (folder / "alpha-film.md").unlink()
    run_ingest([str(folder)], settings, store, prune=True, sentences=sentence_embedder)
    whale = cache.key("A lighthouse keeper befriends a talking whale.")
    assert cache.bytes.mget([whale]) == [None], "a deleted post's sentences go with it"
    _, texts = store.all_chunks()
    assert set(cache.bytes.yield_keys()) == {cache.key(s) for t in texts for s in sentences(t)}


def test_a_broken_cache_file_costs_time_not_answers(
    sample_components: Components,
    sentence_embedder: SentenceTransformerEmbedder,
    tmp_path: Path,
) -> None:
    broken = tmp_path / "sentences.sqlite"
    broken.write_bytes(b"not a database" * 100)
    c = sample_components
    fallback = cached(sentence_embedder, broken)
    assert fallback is sentence_embedder, "an unreadable cache is left out, with a warning"
    chat = build_chat(Components(c.settings, c.embedder, c.store, fallback))
    assert "Scarlett Johansson" in chat.ask("Who voices Samantha in Her?").text


def test_a_cache_file_a_server_created_does_not_make_ingest_skip_filling_it(
    tmp_path: Path,
    settings: Settings,
    store: ChromaStore,
    sentence_embedder: SentenceTransformerEmbedder,
) -> None:
    """A store from before the cache existed, served first: the server creates the file empty,
    and the next ingest, with no post changed, must still fill it."""
    folder = tmp_path / "reviews"
    folder.mkdir()
    write_review(folder, 1, "Alpha Film", "A lighthouse keeper befriends a talking whale.")
    run_ingest([str(folder)], settings, store, sentences=sentence_embedder)
    settings.sentence_vectors_db.unlink()
    cached(sentence_embedder, settings.sentence_vectors_db)  # what a server does at start
    model = Counting(sentence_embedder)
    report = run_ingest([str(folder)], settings, store, sentences=model)  # type: ignore[arg-type]
    assert report.skipped == 1
    assert "A lighthouse keeper befriends a talking whale." in model.texts
    again = Counting(sentence_embedder)
    run_ingest([str(folder)], settings, store, sentences=again)  # type: ignore[arg-type]
    assert again.texts == [], "once filled, a no-op ingest embeds nothing"
