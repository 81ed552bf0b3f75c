"""Ingest on a real Chroma in a temp dir with the real packaged model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from filelock import FileLock

from companion.archive.models import model_dimension
from companion.archive.store import ChromaStore, open_client
from companion.errors import StoreError
from companion.settings import Settings
from ingest.pipeline import IngestBusy, run_ingest
from tests.conftest import SAMPLE

REVIEW = """---
id: {id}
title: "Review of '{film}' ({year})"
date: 2024-01-0{n}
author: Test Writer
url: https://blog.example/{id}.html
labels: [review]
film: {film}
year: {year}
---

## The story

{body}

## Verdict

We liked it. Score: 7/10
"""


def write_review(folder: Path, n: int, film: str, body: str) -> Path:
    doc_id = film.lower().replace(" ", "-")
    path = folder / f"{doc_id}.md"
    path.write_text(REVIEW.format(id=doc_id, film=film, year=2000 + n, n=n, body=body))
    return path


@pytest.fixture
def reviews(tmp_path: Path) -> Path:
    folder = tmp_path / "reviews"
    folder.mkdir()
    write_review(folder, 1, "Alpha Film", "A lighthouse keeper befriends a talking whale.")
    write_review(folder, 2, "Beta Film", "Two astronauts argue about a broken toaster on Mars.")
    write_review(folder, 3, "Gamma Film", "A detective in Oslo hunts a clockwork thief.")
    return folder


def test_first_ingest_adds_every_post_and_second_adds_nothing(
    reviews: Path, settings: Settings, store: ChromaStore
) -> None:
    first = run_ingest([str(reviews)], settings, store)
    chunks = store.count()
    assert (first.added, first.updated, first.skipped, first.errors) == (3, 0, 0, [])
    assert chunks >= 3

    second = run_ingest([str(reviews)], settings, store)
    assert (second.added, second.updated, second.skipped, second.deleted) == (0, 0, 3, 0)
    assert second.chunks_added == 0
    assert store.count() == chunks


def test_no_op_ingest_does_not_load_the_model(
    reviews: Path, settings: Settings, store: ChromaStore, embedder
) -> None:
    run_ingest([str(reviews)], settings, store)
    fresh = type(embedder)(embedder.name, cache_dir=settings.cache_dir)
    again = ChromaStore(
        open_client(settings.chroma_dir), settings.collection, fresh, model_dimension(fresh.path)
    )
    report = run_ingest([str(reviews)], settings, again)
    assert report.skipped == 3
    assert not fresh.loaded


def test_edited_post_replaces_its_chunks(
    reviews: Path, settings: Settings, store: ChromaStore
) -> None:
    run_ingest([str(reviews)], settings, store)
    old_ids = set(store.ids_for_post("beta-film"))
    old_version = store.post_chunks(["beta-film"])["beta-film"][0].version
    write_review(reviews, 2, "Beta Film", "Two astronauts repair a singing refrigerator on Venus.")
    report = run_ingest([str(reviews)], settings, store)
    assert (report.added, report.updated, report.skipped) == (0, 1, 2)
    new_ids = set(store.ids_for_post("beta-film"))
    assert len(old_ids & new_ids) == 1, "the unchanged Verdict chunk keeps its id"
    assert report.chunks_added == 1 and report.chunks_deleted == 1
    texts = store._collection.get(ids=sorted(new_ids))["documents"]
    assert any("singing refrigerator" in t for t in texts)
    assert not any("broken toaster" in t for t in texts)
    # The kept chunk is restamped: the post reads as one text (nothing dropped as "old").
    chunks = store.post_chunks(["beta-film"])["beta-film"]
    assert {p.id for p in chunks} == new_ids and len({p.version for p in chunks}) == 1
    assert chunks[0].version and chunks[0].version != old_version


def test_prune_removes_deleted_posts_only_with_flag_and_only_in_scope(
    reviews: Path, tmp_path: Path, settings: Settings, store: ChromaStore
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    write_review(other, 4, "Delta Film", "A choir of robots sings in a cathedral.")
    run_ingest([str(reviews), str(other)], settings, store)
    (reviews / "gamma-film.md").unlink()

    kept = run_ingest([str(reviews)], settings, store)
    assert kept.deleted == 0
    assert store.ids_for_post("gamma-film")

    pruned = run_ingest([str(reviews)], settings, store, prune=True)
    assert pruned.deleted == 1
    assert store.ids_for_post("gamma-film") == []
    assert store.ids_for_post("delta-film"), "a source that was not named must keep its posts"


def test_dry_run_reports_without_changing(
    reviews: Path, settings: Settings, store: ChromaStore
) -> None:
    report = run_ingest([str(reviews)], settings, store, dry_run=True)
    assert report.added == 3
    assert store.count() == 0


def test_bad_files_are_reported_and_the_rest_ingested(
    reviews: Path, settings: Settings, store: ChromaStore
) -> None:
    (reviews / "poster.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    (reviews / "image.png").write_bytes(b"\x89PNG")
    (reviews / "empty.md").write_text("---\ntitle: nothing\n---\n\n")
    (reviews / "broken.md").write_text("---\ntitle: [unclosed\n---\nbody text here\n")
    report = run_ingest([str(reviews)], settings, store)
    assert report.added == 3
    by_file = {Path(e["source"]).name: e["error"] for e in report.errors}
    assert "binary" in by_file["poster.md"]
    assert "PNG image" in by_file["image.png"]
    assert "no text" in by_file["empty.md"]
    assert "front matter" in by_file["broken.md"]


def test_failed_file_is_not_pruned(reviews: Path, settings: Settings, store: ChromaStore) -> None:
    run_ingest([str(reviews)], settings, store)
    (reviews / "alpha-film.md").write_bytes(b"\x00\x01binary now")
    report = run_ingest([str(reviews)], settings, store, prune=True)
    assert report.deleted == 0
    assert store.ids_for_post("alpha-film"), "an unreadable file must not lose its stored post"


def test_missing_and_empty_paths_are_clear_errors(
    tmp_path: Path, settings: Settings, store: ChromaStore
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    report = run_ingest([str(tmp_path / "nope"), str(empty)], settings, store)
    errors = {e["source"]: e["error"] for e in report.errors}
    assert "no such file or folder" in errors[str(tmp_path / "nope")]
    assert "holds no files" in errors[str(empty)]
    assert report.added == 0


def test_duplicate_post_ids_are_reported(
    reviews: Path, settings: Settings, store: ChromaStore
) -> None:
    shutil.copy(reviews / "alpha-film.md", reviews / "alpha-copy.md")
    report = run_ingest([str(reviews)], settings, store)
    assert report.added == 3
    assert any("already used" in e["error"] for e in report.errors)


def test_second_ingest_is_refused_while_one_runs(
    reviews: Path, settings: Settings, store: ChromaStore
) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(settings.lock_file)), pytest.raises(IngestBusy, match="another ingest"):
        run_ingest([str(reviews)], settings, store)


def test_store_refuses_another_model(settings: Settings, store: ChromaStore, embedder) -> None:
    other = type(embedder)("some-other-model", embedder.path)
    with pytest.raises(StoreError, match="cannot be mixed"):
        ChromaStore(open_client(settings.chroma_dir), settings.collection, other, 384)


def test_sample_archive_chunks_carry_post_metadata(sample_components) -> None:
    store = sample_components.store
    posts = store.posts()
    assert len(list(SAMPLE.glob("*.md"))) == len(posts) >= 15
    her = posts["her-2013"]
    assert her.film == "Her" and her.year == 2013
    assert her.url.startswith("https://")
    assert her.title and her.published and her.author


def test_chunks_fit_the_model_window(sample_components) -> None:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(sample_components.embedder.path / "tokenizer.json"))
    docs = sample_components.store._collection.get(include=["documents"])["documents"]
    tok.no_padding()
    tok.no_truncation()
    lengths = [len(tok.encode(d).ids) for d in docs]
    assert max(lengths) <= 256
    assert sum(lengths) / len(lengths) > 100, "chunks should be sized near the window, not tiny"
    longest = max(lengths)
    assert longest <= 256
