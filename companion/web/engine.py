"""The server's chat, built lazily and again after a failure, so a server started before the
store exists (or while it is broken) reports that, and recovers once it is fixed.

It follows the store's generation (``companion.archive.generation``): when an ingest changes
the archive, a new chat (its BM25 index, film index, review profiles, covered films) is built
in the background on the models already loaded, and swapped in once it is ready; requests
in flight finish on the old one. An ingest handed over by the CLI runs here too
(``ingest``), through this process's own client, so one process does all of Chroma's access.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Protocol

from companion.archive import generation
from companion.chat import ChatService, ChatUnavailable
from companion.errors import StoreError
from companion.settings import Settings
from companion.web.deps import UNAVAILABLE
from companion.web.schemas import Health, SyncHealth

if TYPE_CHECKING:
    from companion.archive.base import Store
    from companion.factory import Components
    from companion.web.handoff import IngestJob
    from ingest.pipeline import IngestReport, Progress

log = logging.getLogger(__name__)

CHECK_SECONDS = 1.0  # how often the answer path looks at the generation file
RETRY_SECONDS = 10.0  # after a failed rebuild, the wait before the next try


class SyncStatus(Protocol):
    """What the engine reads of the scheduled sync (``sync.Scheduler``) for the health check."""

    def health(self) -> SyncHealth: ...


class Engine:
    def __init__(self, settings: Settings, check_every: float = CHECK_SECONDS) -> None:
        self.settings = settings
        self._chat: ChatService | None = None
        self._components: Components | None = None
        self._posts: tuple[int, int] = (-1, 0)  # (chunks, posts) when last counted
        self._lock = threading.Lock()
        self._watch = generation.Watcher(settings.generation_file, check_every)
        self._refreshing = threading.Lock()  # held by a rebuild or a handed-over ingest
        self._retry_at = 0.0
        self.last_error = ""
        self.sync: SyncStatus | None = None  # the scheduled sync, when configured (sync.py)
        from companion.factory import open_query_log

        self.query_log = open_query_log(settings)

    def _store_gone(self) -> bool:
        """The embedded store's files were deleted under us (a server keeps none locally)."""
        if self.settings.chroma_url:
            return False
        return not (self.settings.chroma_dir / "chroma.sqlite3").exists()

    def chat(self) -> ChatService:
        if self._chat is not None and self._watch.moved():
            self._refresh_in_background()
        with self._lock:
            if self._chat is not None and self._store_gone():
                self._reset("the store's files are gone")
            if self._chat is None:
                self._chat = self._build()
            return self._chat

    def _build(self) -> ChatService:
        from companion.factory import build_chat, build_components, reopened

        seen = generation.stamp(self.settings.generation_file)
        try:
            if self._store_gone():
                raise StoreError(f"no store in {self.settings.chroma_dir}")
            # After a reset the models are kept: only the store is opened again.
            held = self._components
            components = reopened(held) if held else build_components(self.settings, create=False)
            chat = build_chat(components, query_log=self.query_log)
        except Exception as exc:
            self.last_error = str(exc)
            log.warning("chat unavailable: %s", exc)
            raise ChatUnavailable(UNAVAILABLE) from exc
        self._components = components
        self._watch.mark(seen)
        self.last_error = ""
        return chat

    def _reset(self, why: str) -> None:
        """Forget the chat and Chroma's per-path client cache, so the next use starts clean."""
        from companion.factory import clear_client_cache

        log.warning("resetting the chat: %s", why)
        self._chat = None
        self.last_error = why
        clear_client_cache()

    def _refresh_in_background(self) -> None:
        if time.monotonic() < self._retry_at or not self._refreshing.acquire(blocking=False):
            return  # a rebuild (or an ingest, which rebuilds when done) is under way

        def run() -> None:
            try:
                self.refresh(reopen=True)
            finally:
                self._refreshing.release()

        threading.Thread(target=run, name="chat-refresh", daemon=True).start()

    def refresh(self, reopen: bool) -> None:
        """Build a new chat on the store as it is now and swap it in once it is ready;
        ``reopen``: on a new Chroma client, for changes another process made. A failure
        keeps the current chat and is tried again later."""
        from companion.factory import build_chat, reopened

        started = time.perf_counter()
        seen = generation.stamp(self.settings.generation_file)
        try:
            with self._lock:
                components = self._components
            if components is None or self._store_gone():
                return  # nothing built yet: the next request builds from scratch
            if reopen:
                components = reopened(components)
            chat = build_chat(components, query_log=self.query_log)
            chat.warm()  # the first fan after the swap must not pay for the snapshots
        except Exception as exc:
            self._retry_at = time.monotonic() + RETRY_SECONDS
            log.warning("the archive changed but the chat could not be rebuilt: %s", exc)
            return
        with self._lock:
            self._chat, self._components = chat, components
            self._posts = (-1, 0)
        self._watch.mark(seen)
        log.info(
            "the archive changed (generation %d): chat rebuilt in %.1f s",
            generation.read(self.settings.generation_file),
            time.perf_counter() - started,
        )

    def ingest(self, job: IngestJob, progress: Progress, by: str = "CLI") -> IngestReport:
        """Run an ingest the CLI handed over (or the scheduled sync, ``by``), through this
        process's store, then rebuild the chat if anything changed. Raises ``IngestBusy`` or
        ``StoreError`` as a direct ingest would."""
        from ingest.pipeline import run_ingest

        started = time.perf_counter()
        with self._refreshing:  # no background rebuild meanwhile: this one rebuilds at the end
            before = generation.stamp(self.settings.generation_file)
            report = run_ingest(
                job.paths,
                self.settings,
                self._writable_store,
                prune=job.prune,
                dry_run=job.dry_run,
                base_url=job.base_url,
                sentences=self._components.sentence_model if self._components else None,
                progress=progress,
            )
            if self._chat is not None and generation.stamp(self.settings.generation_file) != before:
                self.refresh(reopen=False)  # the same client wrote it: it sees it all
        log.info(
            "ingest from %s%s: %d added, %d updated, %d skipped, %d deleted, %d errors (%.1f s)",
            by,
            " (dry run)" if job.dry_run else "",
            report.added,
            report.updated,
            report.skipped,
            report.deleted,
            len(report.errors),
            time.perf_counter() - started,
        )
        return report

    def _writable_store(self) -> Store:
        """The chat's own store; created when there is none yet (or its files are gone)."""
        from companion.factory import build_components, reopened

        with self._lock:
            if self._components is None:
                self._components = build_components(self.settings, create=True)
            elif self._store_gone():
                self._components = reopened(self._components, create=True)
            return self._components.store

    def health(self) -> Health:
        try:
            chat = self.chat()
            store = chat.store
            chunks = store.count() if store else 0
            if store and self._posts[0] != chunks:  # a full metadata read: only on change
                self._posts = (chunks, len(store.posts()))
            status = getattr(chat.answerer, "status", None)
            components = self._components
            return Health(
                status="ok",
                store=True,
                model_loaded=bool(components and components.embedder.loaded),
                posts=self._posts[1],
                chunks=chunks,
                llm=status() if status else {"backend": "extractive", "error": ""},
                sync=self.sync.health() if self.sync else None,
            )
        except Exception as exc:
            detail = self.last_error or str(exc)
            with self._lock:
                self._reset(detail)  # try again from scratch next time
            return Health(
                status="error",
                store=False,
                model_loaded=False,
                error=f"The store in {self.settings.data_dir} cannot be used ({detail}). "
                "Rebuild it with `companion ingest <your sources>`.",
                sync=self.sync.health() if self.sync else None,
            )
