"""Scheduled sync: ``companion serve`` re-ingests ``COMPANION_SYNC_SOURCES`` (feeds, sitemaps,
paths) every ``COMPANION_SYNC_EVERY``, so editors need not run ``companion ingest`` after
each post.

A run is an ingest with ``--prune`` done exactly as one the CLI hands over
(``Engine.ingest``): through this process's store, under the ingest lock, with the feed
paging and per-page conditional requests of ``ingest.sources.feeds`` and the safe prune of
``ingest.pipeline`` (a source that fails or is not read whole prunes nothing), and the chat
rebuilt and swapped in when the archive changed, so fans keep being answered throughout and
the new posts are answerable when the run ends. A failed run is kept for the editor's page and
the next one tries again; nothing is retried sooner, so a blog that is down is not hammered.
The next run starts ``every`` after the last one ended: runs never overlap or pile up.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool

from companion.errors import StoreError
from companion.settings import Settings
from companion.web.handoff import IngestJob, absolute
from companion.web.schemas import SyncHealth

if TYPE_CHECKING:
    from companion.web.engine import Engine

log = logging.getLogger(__name__)

RUNS_KEPT = 20  # the editor's page shows this many, newest first
STOP_WAIT = 10.0  # seconds a stopping server waits for a run under way (it is safe to cut)


@dataclass(frozen=True)
class SyncRun:
    """One scheduled sync: what the ingest reported, or why it could not run (``refused``:
    another ingest held the lock, or the store could not be written)."""

    started: datetime
    seconds: float
    added: int = 0
    updated: int = 0
    deleted: int = 0
    skipped: int = 0
    pages_fetched: int = 0
    pages_unchanged: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    prune_skipped: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    refused: str = ""

    @property
    def ok(self) -> bool:
        return not (self.errors or self.refused)

    @property
    def ended(self) -> datetime:
        return self.started + timedelta(seconds=self.seconds)

    def public(self) -> dict[str, Any]:
        """For the editor's ``/editor/sync.json``: the run's counts (posts) and problems."""
        return {
            "started": iso(self.started),
            "ended": iso(self.ended),
            "seconds": round(self.seconds, 2),
            "ok": self.ok,
            "added": self.added,
            "updated": self.updated,
            "deleted": self.deleted,
            "skipped": self.skipped,
            "pages_fetched": self.pages_fetched,
            "pages_unchanged": self.pages_unchanged,
            "errors": self.errors,
            "prune_skipped": self.prune_skipped,
            "warnings": self.warnings,
            "refused": self.refused,
        }


def iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Scheduler:
    """Runs the sync in a thread of its own: one run at start, then one ``every`` seconds
    after each run ends, until ``stop``."""

    def __init__(self, engine: Engine, sources: list[str], every: float) -> None:
        self.engine = engine
        self.sources = absolute(sources)  # a path means what it meant where the server started
        self.every = every
        self.next_at: datetime | None = None
        self.count = 0  # runs since the server started (more than the page keeps)
        self._runs: deque[SyncRun] = deque(maxlen=RUNS_KEPT)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def configured(cls, settings: Settings, engine: Engine) -> Scheduler | None:
        """The scheduler the settings ask for, or None (no sources, or no period)."""
        every = settings.sync_seconds
        if every is None:
            if settings.sync_source_list or settings.sync_every:
                log.warning(
                    "no scheduled sync: it needs both COMPANION_SYNC_SOURCES and "
                    "COMPANION_SYNC_EVERY"
                )
            return None
        return cls(engine, settings.sync_source_list, every)

    def runs(self) -> list[SyncRun]:
        """Newest first."""
        with self._lock:
            return list(reversed(self._runs))

    def health(self) -> SyncHealth:
        last = self.runs()[:1]
        return SyncHealth(at=iso(last[0].ended), ok=last[0].ok) if last else SyncHealth()

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="sync", daemon=True)
            self._thread.start()
            log.info("scheduled sync every %g s of %s", self.every, ", ".join(self.sources))

    def stop(self, wait: float = STOP_WAIT) -> None:
        """Stop scheduling; a run under way gets ``wait`` seconds to finish (an ingest cut
        short is finished by the next one)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(wait)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self.next_at = datetime.now(UTC) + timedelta(seconds=self.every)
            self._stop.wait(self.every)

    def run_once(self) -> SyncRun:
        """One sync, recorded; never raises (a failure is the run's result)."""
        from ingest.pipeline import IngestBusy

        started, clock = datetime.now(UTC), time.monotonic()
        self.next_at = None
        job = IngestJob(self.sources, prune=True)
        try:
            report = self.engine.ingest(job, _quiet, by="scheduled sync")
        except (IngestBusy, StoreError) as exc:
            run = SyncRun(started, time.monotonic() - clock, refused=str(exc))
        except Exception as exc:  # a bug must not end the schedule: it is shown, and retried
            log.exception("scheduled sync failed")
            run = SyncRun(started, time.monotonic() - clock, refused=f"the sync failed: {exc}")
        else:
            run = SyncRun(
                started,
                time.monotonic() - clock,
                report.added,
                report.updated,
                report.deleted,
                report.skipped,
                report.pages_fetched,
                report.pages_unchanged,
                list(report.errors),
                list(report.prune_skipped),
                list(report.warnings),
            )
        with self._lock:
            self._runs.append(run)
            self.count += 1
        if not run.ok:
            problems = run.refused or "; ".join(e["error"] for e in run.errors)
            log.warning("scheduled sync: %s (tried again in %g s)", problems, self.every)
        return run


def _quiet(done: int, total: int) -> None:
    """Nobody watches a scheduled run's progress bar."""


def lifespan(
    scheduler: Scheduler | None,
) -> Callable[[Any], contextlib.AbstractAsyncContextManager[None]]:
    """The app's lifespan: the schedule runs while the server serves."""

    @contextlib.asynccontextmanager
    async def span(app: Any) -> AsyncIterator[None]:
        if scheduler is not None:
            scheduler.start()
        try:
            yield
        finally:
            if scheduler is not None:
                await run_in_threadpool(scheduler.stop)

    return span
