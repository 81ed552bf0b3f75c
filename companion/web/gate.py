"""How many answers the process computes at once. Answers are CPU-bound: run at most
``concurrency_limit`` at once (more only thrash the cores), let up to ``max_queue`` wait their
turn, and tell the rest at once that we're busy.

One ``ComputeBudget`` serves the whole process: the API's requests (on the event loop) and the
two Gradio chats' workers (threads) all take their slot from it, so the API, ``/`` and
``/embed`` together never compute more than the limit."""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from companion.chat import ChatService, ChatUnavailable, QuestionError
from companion.types import Answer
from companion.web.schemas import Compute

TOO_SLOW = "That took too long to answer. Please try again."
BUSY = "The chat is busy right now — please try again in a moment."

# question, history, page, spoilers, context
Question = tuple[str, list[tuple[str, str]], str | None, bool, dict[str, Any] | None]


class Busy(Exception):
    """Every slot is taken and the queue is full."""


class _Waiter:
    """One caller waiting for a slot: a thread (an event) or a coroutine (a future on its
    loop). ``grant`` is called under the budget's lock, from whichever thread frees a slot."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.granted = False
        self.event = threading.Event()
        self.loop = loop
        self.future: asyncio.Future[None] | None = loop.create_future() if loop else None

    def grant(self) -> bool:
        """Hand the slot over; False when the waiter can no longer take it (its loop closed)."""
        if self.loop is not None and self.future is not None:
            try:
                self.loop.call_soon_threadsafe(_resolve, self.future)
            except RuntimeError:
                return False
        self.granted = True
        self.event.set()
        return True


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class ComputeBudget:
    """``slots`` answers at once for the whole process, ``queue`` more waiting, first come
    first served; thread-safe, with a blocking ``hold`` for worker threads and an awaitable
    ``hold_async`` for the event loop. A freed slot passes straight to the next waiter."""

    def __init__(self, slots: int, queue: int) -> None:
        self.slots = slots
        self.queue = queue
        self._in_use = 0
        self._waiters: deque[_Waiter] = deque()
        self._lock = threading.Lock()

    def state(self) -> Compute:
        with self._lock:
            return Compute(
                slots=self.slots, in_use=self._in_use, waiting=len(self._waiters), queue=self.queue
            )

    @property
    def full(self) -> bool:
        """No slot free and nobody more may wait: a new caller would be told "busy"."""
        with self._lock:
            return self._in_use >= self.slots and len(self._waiters) >= self.queue

    def _enter(self, waiter: _Waiter) -> bool:
        """True: a slot is ours now; False: ``waiter`` is queued. Raises ``Busy``."""
        with self._lock:
            if self._in_use < self.slots and not self._waiters:
                self._in_use += 1
                return True
            if len(self._waiters) >= self.queue:
                raise Busy
            self._waiters.append(waiter)
            return False

    def _leave(self, waiter: _Waiter) -> bool:
        """A waiter gives up: True if it had been granted a slot meanwhile (it now owns it)."""
        with self._lock:
            if waiter.granted:
                return True
            self._waiters.remove(waiter)
            return False

    def release(self) -> None:
        with self._lock:
            while self._waiters:
                if self._waiters.popleft().grant():
                    return
            self._in_use -= 1

    def acquire(self, timeout: float) -> None:
        """Block until a slot is ours; ``Busy`` at once when the queue is full,
        ``TimeoutError`` after ``timeout`` seconds of waiting."""
        waiter = _Waiter()
        if self._enter(waiter) or waiter.event.wait(timeout):
            return
        if self._leave(waiter):
            return
        raise TimeoutError

    async def acquire_async(self) -> None:
        """Await a slot (bound the wait with ``asyncio.timeout``); ``Busy`` as ``acquire``."""
        waiter = _Waiter(asyncio.get_running_loop())
        if self._enter(waiter):
            return
        assert waiter.future is not None
        try:
            await waiter.future
        except BaseException:
            if self._leave(waiter):
                self.release()  # granted as we were cancelled: pass it on
            raise

    @contextmanager
    def hold(self, timeout: float) -> Iterator[None]:
        self.acquire(timeout)
        try:
            yield
        finally:
            self.release()

    @asynccontextmanager
    async def hold_async(self) -> AsyncIterator[None]:
        await self.acquire_async()
        try:
            yield
        finally:
            self.release()


class ComputeGate:
    """The API's way through the budget: a whole answer, or its server-sent events."""

    def __init__(self, budget: ComputeBudget, timeout: float) -> None:
        self.budget = budget
        self._timeout = timeout
        self._producers: set[asyncio.Task[None]] = set()  # answers being streamed (kept from GC)

    @property
    def full(self) -> bool:
        return self.budget.full

    async def answer(self, service: ChatService, question: Question) -> Answer:
        """The whole answer; raises ``QuestionError``, ``ChatUnavailable``, ``Busy`` or
        ``TimeoutError``. The thread computing it keeps the slot until it ends, even past the
        deadline (a thread cannot be stopped), so the count of answers computed is exact."""
        async with asyncio.timeout(self._timeout), self.budget.hold_async():
            return await run_in_threadpool(service.ask, *question)

    async def events(self, service: ChatService, question: Question) -> AsyncIterator[str]:
        """Server-sent events: `delta` pieces as they are ready, then the whole `answer`
        (authoritative: a fallback may replace what the deltas said), or one `error`.

        The answer is computed by its own task, which holds the compute slot; this generator
        only relays. A fan who closes the chat mid-answer leaves this generator suspended
        until it is collected, and a slot held here would be lost for that long (seen in
        bench/load.py: two abandoned streams and every later question timed out)."""
        events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        task = asyncio.create_task(self._produce(service, question, events))
        self._producers.add(task)
        task.add_done_callback(self._producers.discard)
        while True:
            kind, value = await events.get()
            if kind == "end":
                return
            if kind == "error":
                yield sse("error", {"error": value})
            elif isinstance(value, Answer):
                yield sse("answer", public(value))
            else:
                yield sse("delta", {"text": value})

    async def _produce(
        self, service: ChatService, question: Question, events: asyncio.Queue[tuple[str, Any]]
    ) -> None:
        try:
            async with asyncio.timeout(self._timeout), self.budget.hold_async():
                async for item in iterate_in_threadpool(service.stream(*question)):
                    events.put_nowait(("item", item))
        except (QuestionError, ChatUnavailable) as exc:
            events.put_nowait(("error", str(exc)))
        except Busy:
            events.put_nowait(("error", BUSY))
        except TimeoutError:
            events.put_nowait(("error", TOO_SLOW))
        finally:
            events.put_nowait(("end", None))


def public(answer: Answer) -> dict[str, Any]:
    """An answer as anonymous callers get it: the published shape, with ``unsupported``
    always empty. The sentences the citation check dropped can be text a planted instruction
    made the model write; they go to the query log (the editor's report) and to
    ``companion ask --json``, not to the public."""
    return {**answer.public(), "unsupported": []}


def sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
