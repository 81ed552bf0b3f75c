"""Ingest sources into the store: skip unchanged posts, replace edited ones, prune deleted ones.

LangChain's ``index()`` with a SQL record manager does the chunk-level bookkeeping (stable ids,
no duplicates, cleanup of a post's old chunks); the manifest adds post-level skip and prune.
One process at a time: a file lock guards the folder, because Chroma's embedded client is not
safe across processes.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock, Timeout

from companion.archive import generation, lexical
from companion.archive.records import PostRecord
from companion.archive.sentence_vectors import is_filled as sentence_vectors_filled
from companion.settings import Settings
from companion.types import Post
from ingest.chunking import Chunker
from ingest.fetch import HttpCache, is_url
from ingest.identity import chunk_key, post_hash
from ingest.manifest import Entry, Manifest
from ingest.sources import LoadError, SourceError, SourceOptions, open_source

if TYPE_CHECKING:
    from langchain_core.indexing import RecordManager

    from companion.archive.base import Embedder, Store

log = logging.getLogger(__name__)

BATCH_POSTS = 48  # posts per index() call; the manifest is written after each

Progress = Callable[[int, int], None]  # (posts embedded so far, posts to embed)


class IngestBusy(RuntimeError):
    """Another ingest holds the store's lock."""


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    skipped: int = 0
    deleted: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    chunks_added: int = 0
    chunks_deleted: int = 0
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)
    store_chunks: int | None = None
    sentences_embedded: int = 0
    sentences_dropped: int = 0
    prune_skipped: list[dict[str, str]] = field(default_factory=list)
    pages_fetched: int = 0
    pages_unchanged: int = 0

    def public(self) -> dict[str, object]:
        """The public ``companion ingest --json`` shape (counts of posts), plus warnings and
        the sources prune spared because they were not read whole."""
        keys = ("added", "updated", "skipped", "deleted", "errors", "warnings", "prune_skipped")
        return {k: v for k, v in asdict(self).items() if k in keys}


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _progress(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="post", desc="Embedding", disable=not enabled, file=sys.stderr)


def run_ingest(
    paths: Iterable[str],
    settings: Settings,
    store: Store | Callable[[], Store],
    *,
    prune: bool = False,
    dry_run: bool = False,
    show_progress: bool = False,
    base_url: str = "",
    sentences: Embedder | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """``sentences`` is the answer model whose sentence vectors ingest precomputes (default:
    the one settings name, loaded only if a sentence is new); ``progress`` hears of each
    batch embedded (a server streams it to the CLI that handed it the job)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(settings.lock_file))
    try:
        lock.acquire(timeout=0)
    except Timeout as exc:
        raise IngestBusy(
            f"another ingest is running on {settings.data_dir} (lock {settings.lock_file}); "
            "wait for it to finish"
        ) from exc
    try:
        opener = store if callable(store) else (lambda: store)
        job = (prune, dry_run, show_progress, base_url, sentences, progress)
        return _ingest_locked(list(paths), settings, opener, *job)
    finally:
        lock.release()


def _load(
    paths: list[str], options: SourceOptions, report: IngestReport, show_progress: bool
) -> tuple[dict[str, Post], dict[str, str], list[str], set[str], dict[str, str]]:
    """Read every source: posts by id, each post's scope, the scopes read, what failed, and
    what was not read whole (prune spares both)."""
    from tqdm import tqdm

    posts: dict[str, Post] = {}
    scope_of: dict[str, str] = {}
    scopes: list[str] = []
    failed: set[str] = set()
    blocked: dict[str, str] = {}
    for target in paths:
        try:
            source = open_source(target, options)
            items = []
            for item in tqdm(
                source.documents(),
                desc=f"Reading {target}",
                unit="item",
                leave=False,
                disable=not show_progress,
                file=sys.stderr,
            ):
                items.append(item)
        except (SourceError, OSError) as exc:
            report.errors.append({"source": target, "error": str(exc)})
            failed.add(target)
            failed.add(_resolved(target))
            continue
        scopes.append(source.scope)
        report.warnings.extend(source.outcome.warnings)
        blocked.update(source.blocked)
        report.pages_fetched += source.outcome.pages
        report.pages_unchanged += source.outcome.unchanged_pages
        for item in items:
            if isinstance(item, LoadError):
                report.errors.append({"source": item.source, "error": item.error})
                failed.add(item.source)
            elif item.doc_id in posts and posts[item.doc_id].source != item.source:
                report.errors.append(
                    {
                        "source": item.source,
                        "error": f"skipped: post id {item.doc_id!r} is already used by "
                        f"{posts[item.doc_id].source}",
                    }
                )
            else:
                posts[item.doc_id] = item
                scope_of[item.doc_id] = source.scope
    return posts, scope_of, scopes, failed, blocked


def _resolved(target: str) -> str:
    return target if is_url(target) else str(Path(target).expanduser().resolve())


def _ingest_locked(
    paths: list[str],
    settings: Settings,
    open_store: Callable[[], Store],
    prune: bool,
    dry_run: bool,
    show_progress: bool,
    base_url: str,
    sentences: Embedder | None,
    progress: Progress | None = None,
) -> IngestReport:
    report = IngestReport(dry_run=dry_run)
    cache = HttpCache(settings.http_cache_db, read_only=dry_run)
    options = SourceOptions(
        max_bytes=settings.max_file_bytes,
        timeout=settings.fetch_timeout,
        base_url=base_url,
        max_pages=settings.feed_max_pages,
        max_posts=settings.feed_max_posts,
        cache=cache,
    )
    try:
        posts, scope_of, scopes, failed, blocked = _load(paths, options, report, show_progress)
    finally:
        cache.close()
    if prune:
        for where, why in blocked.items():
            report.prune_skipped.append({"source": where, "why": why})
            report.warnings.append(f"not pruned: {why}")

    namespace = f"chroma/{settings.collection}"
    manifest = Manifest(settings.records_db, namespace)
    try:
        known = manifest.all()
        changed: list[tuple[Post, Entry, bool]] = []
        moved: list[Entry] = []
        for post in posts.values():
            digest = post_hash(post, settings)
            old = known.get(post.doc_id)
            entry = Entry(post.doc_id, post.source, digest, scope_of[post.doc_id])
            if old is not None and old.content_hash == digest:
                report.skipped += 1
                if (old.source, old.scope) != (entry.source, entry.scope):
                    moved.append(entry)
            else:
                changed.append((post, entry, old is not None))

        gone: list[str] = []
        if prune:
            gone = [
                e.doc_id
                for e in known.values()
                if e.doc_id not in posts
                and any(e.scope == s or _under(e.source, s) for s in scopes)
                and not any(
                    e.source == f or e.scope == f or _under(e.source, f)
                    for f in failed | blocked.keys()
                )
            ]
        if dry_run:
            report.added = sum(1 for _, _, existed in changed if not existed)
            report.updated = len(changed) - report.added
            report.deleted = len(gone)
            return report
        if moved:
            manifest.put(moved)
        # Marks the lexical index stale until it is rebuilt below, so a killed run is
        # repaired by the next one even when that one finds nothing else to do.
        dirty = settings.bm25_dir.with_name(settings.bm25_dir.name + ".dirty")
        repairing = dirty.exists()  # a killed run may have written chunks no server has seen
        if changed or gone:
            dirty.parent.mkdir(parents=True, exist_ok=True)
            dirty.touch()
        elif (
            not dirty.exists()
            and lexical.chunk_count(settings.bm25_dir) is not None
            and sentence_vectors_filled(settings.sentence_vectors_db)
        ):
            # Nothing to do: the store, the model and LangChain are never even loaded.
            return report

        store = open_store()
        records = _record_manager(namespace, settings)
        if changed:
            _index_changed(changed, settings, store, records, report, show_progress, progress)
        for doc_id in gone:
            keys = records.list_keys(group_ids=[doc_id])
            ids = sorted(set(keys) | set(store.ids_for_post(doc_id)))
            store.delete(ids)
            records.delete_keys(keys)
            manifest.remove([doc_id])
            report.chunks_deleted += len(ids)
            report.deleted += 1
        ids, texts = store.all_chunks()
        lexical.build(ids, texts, settings.bm25_dir)
        if changed or gone or repairing:  # the store and BM25 are final: servers may reload
            generation.bump(settings.generation_file)
        report.sentences_embedded, report.sentences_dropped = _refresh_sentences(
            settings, texts, show_progress, sentences
        )
        dirty.unlink(missing_ok=True)
        report.store_chunks = len(ids)
        log.info(
            "ingest: %d added, %d updated, %d skipped, %d deleted, %d errors",
            report.added,
            report.updated,
            report.skipped,
            report.deleted,
            len(report.errors),
        )
        return report
    finally:
        manifest.close()


def _refresh_sentences(
    settings: Settings, texts: list[str], show_progress: bool, model: Embedder | None
) -> tuple[int, int]:
    """Embed new sentences for answering now, so no fan waits for it (see sentence_vectors)."""
    from companion.archive.sentence_vectors import CachedEmbedder, refresh
    from companion.factory import sentence_embedder

    cache = CachedEmbedder(model or sentence_embedder(settings), settings.sentence_vectors_db)
    try:
        embedded, dropped = refresh(cache, texts, show_progress)
    finally:
        cache.bytes.close()
    log.info("sentence vectors: %d embedded, %d dropped", embedded, dropped)
    return embedded, dropped


def _record_manager(namespace: str, settings: Settings) -> RecordManager:
    from langchain_classic.indexes import SQLRecordManager

    records = SQLRecordManager(namespace, db_url=f"sqlite:///{settings.records_db}")
    records.create_schema()
    return records


def _index_changed(
    changed: list[tuple[Post, Entry, bool]],
    settings: Settings,
    store: Store,
    records: RecordManager,
    report: IngestReport,
    show_progress: bool,
    progress: Progress | None = None,
) -> None:
    """Chunk and index changed posts in batches; the manifest follows each finished batch."""
    from langchain_core.indexing import index

    from companion.archive.models import model_folder
    from companion.archive.vectorstore import StoreVectorStore

    folder = model_folder(settings.model_name, settings.model_path, settings.cache_dir)
    chunker = Chunker(
        folder / "tokenizer.json", settings.chunk_tokens, settings.chunk_overlap_tokens
    )
    vectorstore = StoreVectorStore(store)
    manifest = Manifest(settings.records_db, f"chroma/{settings.collection}")
    bar = _progress(len(changed), show_progress)
    if progress is not None:
        progress(0, len(changed))
    try:
        for start in range(0, len(changed), BATCH_POSTS):
            batch = changed[start : start + BATCH_POSTS]
            docs = [d for post, _, _ in batch for d in chunker.chunks(post)]
            result = index(
                docs,
                records,
                vectorstore,
                cleanup="scoped_full",
                source_id_key="doc_id",
                key_encoder=chunk_key,
                batch_size=1024,  # one embedding call per batch: long sorted batches run faster
            )
            report.chunks_added += result["num_added"]
            report.chunks_deleted += result["num_deleted"]
            for post, _, _ in batch:
                report.chunks_deleted += _drop_orphans(store, records, post.doc_id)
                _stamp_version(store, records, post)
            manifest.put([entry for _, entry, _ in batch])
            for _, _, existed in batch:
                if existed:
                    report.updated += 1
                else:
                    report.added += 1
            bar.update(len(batch))
            if progress is not None:
                progress(start + len(batch), len(changed))
    finally:
        bar.close()
        manifest.close()


def _stamp_version(store: Store, records: RecordManager, post: Post) -> None:
    """A chunk an edit left unchanged keeps its id and vector but takes the post's new
    version, so every chunk of the post reads as one text again."""
    keys = records.list_keys(group_ids=[post.doc_id])
    version = PostRecord.of(post).version
    store.update_metadata(keys, [{"version": version}] * len(keys))


def _drop_orphans(store: Store, records: RecordManager, doc_id: str) -> int:
    """Chunks in Chroma that the record manager does not know: left by a killed ingest."""
    known = set(records.list_keys(group_ids=[doc_id]))
    orphans = [cid for cid in store.ids_for_post(doc_id) if cid not in known]
    store.delete(orphans)
    return len(orphans)
