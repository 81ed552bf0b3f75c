"""One compute budget for the whole process: the budget's own rules (first come first served,
"busy" beyond the queue, a slot passed on when a waiter gives up), then a real server whose
three surfaces (the API, the chat at / and the compact chat at /embed) are flooded at once
while an instrumented chat counts, server-side, how many answers run together."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from companion.chat import ChatService
from companion.settings import Settings
from companion.types import Answer
from companion.web.gate import Busy, ComputeBudget
from companion.web.schemas import Health
from tests.web_fixtures import free_port

SLOTS = 2


def test_budget_serves_threads_and_coroutines_in_turn() -> None:
    budget = ComputeBudget(1, 2)
    budget.acquire(1)
    order: list[str] = []

    def thread_waiter() -> None:
        budget.acquire(5)
        order.append("thread")
        budget.release()

    t = threading.Thread(target=thread_waiter)
    t.start()
    while budget.state().waiting < 1:
        time.sleep(0.005)

    async def coroutine_waiter() -> None:
        async with budget.hold_async():
            order.append("coroutine")

    async def main() -> None:
        task = asyncio.create_task(coroutine_waiter())
        await asyncio.sleep(0.02)
        assert budget.full, "one computing, two waiting: the next hears busy"
        with pytest.raises(Busy):
            budget.acquire(1)
        with pytest.raises(Busy):
            await budget.acquire_async()
        budget.release()  # the first holder is done: the slot goes to the first waiter
        await task

    asyncio.run(main())
    t.join()
    assert order == ["thread", "coroutine"], "first come, first served"
    assert budget.state().model_dump() == {"slots": 1, "in_use": 0, "waiting": 0, "queue": 2}


def test_a_waiter_that_gives_up_leaves_no_slot_behind() -> None:
    budget = ComputeBudget(1, 5)
    budget.acquire(1)
    with pytest.raises(TimeoutError):
        budget.acquire(0.05)

    async def impatient() -> None:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await budget.acquire_async()

    asyncio.run(impatient())
    assert budget.state().waiting == 0
    budget.release()
    assert budget.state().in_use == 0
    budget.acquire(0.01)  # free at once
    budget.release()


class CountingChat:
    """Answers slowly and counts how many answers run at once."""

    query_log = None
    store = None

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.answered = 0

    def stream(self, question: str, *rest: object) -> Iterator[str | Answer]:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            for word in ("Samantha ", "is ", "Scarlett ", "Johansson."):
                time.sleep(0.06)
                yield word
        finally:
            with self.lock:
                self.running -= 1
                self.answered += 1
        yield Answer("Samantha is Scarlett Johansson.")

    def ask(self, question: str, *rest: object) -> Answer:
        *_, final = self.stream(question, *rest)
        assert isinstance(final, Answer)
        return final


class CountingEngine:
    query_log = None
    sync = None

    def __init__(self) -> None:
        self.service = CountingChat()

    def chat(self) -> ChatService:
        return self.service  # type: ignore[return-value]

    def health(self) -> Health:
        return Health(status="ok", store=True, model_loaded=True, posts=1, chunks=1)


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free port, in a thread of this process (so a test can
    look inside it), until the block ends."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, CountingEngine]]:
    from companion.web.server import create_app

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path_factory.mktemp("budget"),
        concurrency_limit=SLOTS,
        max_queue=100,
        rate_limit_per_minute=10_000,
        request_timeout=60,
    )
    engine = CountingEngine()
    with serving(create_app(settings, engine)) as url:  # type: ignore[arg-type]
        yield url, engine


def test_three_surfaces_flooded_never_compute_more_than_the_limit(
    served: tuple[str, CountingEngine], tmp_path: Path
) -> None:
    from gradio_client import Client

    url, engine = served
    per_surface = 6
    full_chat = Client(url, verbose=False, download_files=str(tmp_path))
    compact_chat = Client(f"{url}/embed/", verbose=False, download_files=str(tmp_path))
    health: list[dict[str, Any]] = []

    def api(i: int) -> str:
        body = {"question": f"Who voices Samantha? {i}", "stream": i % 2 == 0}
        r = httpx.post(f"{url}/api/ask", json=body, timeout=60)
        assert r.status_code == 200, r.text
        return r.text

    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            health.append(httpx.get(f"{url}/api/health", timeout=30).json()["compute"])
            time.sleep(0.05)

    started = time.monotonic()
    with ThreadPoolExecutor(per_surface + 1) as pool:
        watcher = pool.submit(watch)
        jobs = [
            client.submit(f"Who voices Samantha? {i}", [], "", api_name="/chat")
            for i in range(per_surface)
            for client in (full_chat, compact_chat)
        ]
        replies = list(pool.map(api, range(per_surface)))
        chats = [job.result(timeout=120) for job in jobs]
        done.set()
        watcher.result()
    took = time.monotonic() - started

    assert all("Scarlett Johansson" in r for r in replies)
    assert all("Scarlett Johansson" in str(history[-1]["content"]) for history, _ in chats)
    assert engine.service.answered == 3 * per_surface
    assert engine.service.peak == SLOTS, "the limit is used, and never passed"
    assert max(h["in_use"] for h in health) == SLOTS and max(h["waiting"] for h in health) > 0
    assert all(h["in_use"] <= SLOTS for h in health)
    # 18 answers of ~0.25 s through 2 slots take at least 18 / 2 * 0.24 s
    assert took > 3 * per_surface / SLOTS * 0.24
    final = httpx.get(f"{url}/api/health", timeout=10).json()["compute"]
    assert final == {"slots": SLOTS, "in_use": 0, "waiting": 0, "queue": 100}
