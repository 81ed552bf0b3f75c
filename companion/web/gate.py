"""How many answers the server computes at once. Answers are CPU-bound: run at most
``concurrency_limit`` at once (more only thrash the cores), let up to ``max_queue`` wait their
turn, and tell the rest at once that we're busy."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from companion.chat import ChatService, ChatUnavailable, QuestionError
from companion.types import Answer

TOO_SLOW = "That took too long to answer. Please try again."

# question, history, page, spoilers, context
Question = tuple[str, list[tuple[str, str]], str | None, bool, dict[str, Any] | None]


class ComputeGate:
    def __init__(self, concurrency: int, queue: int, timeout: float) -> None:
        self._slots = asyncio.Semaphore(concurrency)
        self._capacity = concurrency + queue
        self._timeout = timeout
        self._inflight = 0
        self._producers: set[asyncio.Task[None]] = set()  # answers being streamed (kept from GC)

    @property
    def full(self) -> bool:
        return self._inflight >= self._capacity

    async def answer(self, service: ChatService, question: Question) -> Answer:
        """The whole answer; raises ``QuestionError``, ``ChatUnavailable`` or ``TimeoutError``."""
        self._inflight += 1
        try:
            async with asyncio.timeout(self._timeout), self._slots:
                return await run_in_threadpool(service.ask, *question)
        finally:
            self._inflight -= 1

    async def events(self, service: ChatService, question: Question) -> AsyncIterator[str]:
        """Server-sent events: `delta` pieces as they are ready, then the whole `answer`
        (authoritative: a fallback may replace what the deltas said), or one `error`.

        The answer is computed by its own task, which holds the compute slot; this generator
        only relays. A fan who closes the chat mid-answer leaves this generator suspended
        until it is collected, and a slot held here would be lost for that long (seen in
        bench/load.py: two abandoned streams and every later question timed out)."""
        self._inflight += 1
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
                yield sse("answer", value.public())
            else:
                yield sse("delta", {"text": value})

    async def _produce(
        self, service: ChatService, question: Question, events: asyncio.Queue[tuple[str, Any]]
    ) -> None:
        try:
            async with asyncio.timeout(self._timeout), self._slots:
                async for item in iterate_in_threadpool(service.stream(*question)):
                    events.put_nowait(("item", item))
        except (QuestionError, ChatUnavailable) as exc:
            events.put_nowait(("error", str(exc)))
        except TimeoutError:
            events.put_nowait(("error", TOO_SLOW))
        finally:
            self._inflight -= 1
            events.put_nowait(("end", None))


def sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
