"""Fluent answers from a chat model (any OpenAI-compatible endpoint), kept honest by code.

The extractive answerer's decline rules run first (no passages worth using: no LLM call), the
model sees numbered passages marked as untrusted, and its answer passes the citation checker
before a fan sees it. Any failure — refused connection, timeout, 5xx, a broken stream, an empty
or wholly unsupported answer — falls back to the extractive answer with a one-line notice.

Every call to the model ends at its deadline (``ModelCall``, ``invoke_within``): a model that
streams slowly or without end would otherwise keep a worker and its HTTP response long after
the fan got the fallback (an HTTP read timeout only trips on total silence), and a few such
calls stall every later answer. LangChain models are called through their async API on one
shared event loop, so the deadline cancels the request where it waits and closes the response;
a model with only a blocking ``stream`` (the in-process GGUF model) stops between tokens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, Protocol, runtime_checkable

from companion.answering import ChatModel
from companion.answering.check import CitationChecker
from companion.answering.extractive import ExtractiveAnswerer
from companion.answering.prompt import messages
from companion.answering.streaming import stream_pieces
from companion.errors import LLMError
from companion.text import sentences
from companion.types import Answer, Citation, Passage

log = logging.getLogger(__name__)

NOTICE = "(The language model is unavailable right now, so here are the reviews' own words.)"
DROPPED = "(I left out {n} statement{s} the reviews don't support.)"

_loop_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def model_loop() -> asyncio.AbstractEventLoop:
    """The one event loop every async model call runs on, in its own daemon thread: one
    thread however many calls wait, and LangChain's shared async HTTP clients stay on one
    loop (an httpx async client must not move between loops)."""
    global _loop
    with _loop_lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="llm-loop", daemon=True).start()
            _loop = loop
        return _loop


def _forget_loop() -> None:
    global _loop
    _loop = None  # a forked child has the loop object but not its thread


os.register_at_fork(after_in_child=_forget_loop)


class OnLoop:
    """A coroutine run on the model loop that a cancel really stops. LangChain wraps each
    streamed chunk's wait in ``asyncio.wait_for``, which on Python 3.11 can swallow a
    cancellation that lands as a chunk arrives; so the task is cancelled again until it ends."""

    def __init__(self, start: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        self._loop = model_loop()
        self._task: asyncio.Task[Any] | None = None
        self.future = asyncio.run_coroutine_threadsafe(self._run(start), self._loop)

    async def _run(self, start: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
        self._task = asyncio.current_task()
        return await start()

    def cancel(self) -> None:
        """From any thread; safe to call more than once."""
        if not self.future.done():
            self._loop.call_soon_threadsafe(self._kill)

    def _kill(self) -> None:
        if self._task is None:  # not started: cancelling the future stops it before it runs
            self.future.cancel()
        elif not self._task.done():
            self._task.cancel()
            self._loop.call_later(0.05, self._kill)


@runtime_checkable
class CancellableModel(Protocol):
    """A blocking model that can be told to stop: it checks ``cancel`` between tokens and
    while it waits for its turn."""

    def stream_cancellable(
        self, messages: list[tuple[str, str]], cancel: threading.Event
    ) -> Iterator[str]: ...


def text_of(result: Any) -> str:
    """A LangChain message or chunk, or a plain string, as text."""
    content = getattr(result, "content", result)
    if isinstance(content, list):
        content = "".join(c.get("text", "") if isinstance(c, dict) else str(c) for c in content)
    return str(content or "")


class ModelCall:
    """One streamed request to a chat model that ends by ``seconds`` from now, whatever the
    model does. Read it with ``pieces()``; leaving early (the deadline, an error, the reader
    closing the generator) cancels the request and frees what it held."""

    def __init__(self, model: ChatModel, prompt: list[tuple[str, str]], seconds: float) -> None:
        self.seconds = seconds
        self._deadline = time.monotonic() + seconds
        self._events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._stop = threading.Event()
        self._running: OnLoop | None = None
        astream = getattr(model, "astream", None)
        if callable(astream) and not isinstance(model, CancellableModel):
            self._running = OnLoop(lambda: self._pump_async(astream, prompt))
        else:
            threading.Thread(
                target=self._pump, args=(model, prompt), name="llm-call", daemon=True
            ).start()

    async def _pump_async(self, astream: Any, prompt: list[tuple[str, str]]) -> None:
        chunks = astream(prompt)
        try:
            async for chunk in chunks:
                if self._stop.is_set():  # the cancellation was swallowed (see OnLoop)
                    return
                self._events.put(("piece", text_of(chunk)))
            self._events.put(("end", None))
        except Exception as exc:  # handed to the reader, which falls back
            self._events.put(("error", exc))
        finally:  # a no-op once a cancellation has unwound the stream from inside
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()

    def _pump(self, model: ChatModel, prompt: list[tuple[str, str]]) -> None:
        chunks = (
            model.stream_cancellable(prompt, self._stop)
            if isinstance(model, CancellableModel)
            else model.stream(prompt)
        )
        try:
            for chunk in chunks:
                if self._stop.is_set():
                    return
                self._events.put(("piece", text_of(chunk)))
            self._events.put(("end", None))
        except Exception as exc:
            self._events.put(("error", exc))
        finally:
            close = getattr(chunks, "close", None)
            if callable(close):
                close()

    def pieces(self) -> Iterator[str]:
        """The reply's text as it arrives; ``LLMError`` when the deadline passes first, the
        model's own exception when it fails."""
        try:
            while True:
                left = self._deadline - time.monotonic()
                try:
                    if left > 0:
                        kind, value = self._events.get(timeout=left)
                    else:  # time is up: no more from the model, only what already came
                        self.cancel()
                        kind, value = self._events.get_nowait()
                except queue.Empty:
                    raise LLMError(f"no answer within {self.seconds:g} s") from None
                if kind == "end":
                    return
                if kind == "error":
                    raise value
                yield value
        finally:
            self.cancel()

    def text(self) -> str:
        return "".join(self.pieces())

    def cancel(self) -> None:
        """Stops the request wherever it is (safe to call more than once, from any thread)."""
        self._stop.set()
        if self._running is not None:
            self._running.cancel()


def invoke_within(runnable: Any, value: Any, seconds: float) -> Any:
    """``runnable.ainvoke(value)`` (a LangChain model, maybe bound or with structured output)
    on the shared loop, cancelled, with its HTTP response closed, when ``seconds`` pass;
    raises ``LLMError`` then, else whatever the call raises."""
    running = OnLoop(lambda: runnable.ainvoke(value))
    try:
        return running.future.result(timeout=seconds)
    except TimeoutError:
        running.cancel()
        raise LLMError(f"no answer within {seconds:g} s") from None


class LLMAnswerer:
    def __init__(
        self,
        model: ChatModel,
        checker: CitationChecker,
        fallback: ExtractiveAnswerer,
        *,
        name: str,
        deadline: float = 15.0,
        strict: bool = False,
    ) -> None:
        self._model = model
        self._checker = checker
        self._fallback = fallback
        self.name = name
        self.deadline = deadline
        self.strict = strict
        self.last_error = ""
        self._lock = threading.Lock()

    def answer(self, question: str, passages: list[Passage], confirmed: bool = False) -> Answer:
        *_, final = self.stream(question, passages, confirmed)
        assert isinstance(final, Answer), "a stream always ends with its Answer"
        return final

    def decline(self, passages: list[Passage], title: str = "") -> Answer:
        return self._fallback.decline(passages, title)

    def should_decline(self, question: str, passages: list[Passage]) -> bool:
        return self._fallback.should_decline(question, passages)

    def stream(
        self, question: str, passages: list[Passage], confirmed: bool = False
    ) -> Iterator[str | Answer]:
        """The answer as the model writes it, a checked sentence at a time (a fan never sees a
        sentence the checker would drop), then the final ``Answer``."""
        if not passages or (not confirmed and self._fallback.should_decline(question, passages)):
            yield self._fallback.decline(passages)
            return
        call = ModelCall(self._model, messages(question, passages), self.deadline)
        texts = [p.text for p in passages]
        raw, shown, error = "", "", None
        try:
            for piece in call.pieces():
                raw += piece
                done = sentences(raw)[:-1]  # the last one may still be growing
                if not done:
                    continue
                checked = self._checker.check(" ".join(done), texts).text
                if checked.startswith(shown) and len(checked) > len(shown):
                    yield (
                        checked[len(shown) :] if not shown else " " + checked[len(shown) :].lstrip()
                    )
                    shown = checked
        except Exception as exc:  # the deadline, or the model failed: fall back below
            error = exc
        finally:  # also when the reader stops early: the request is not left running
            call.cancel()
        if error is None and not raw.strip():
            error = LLMError("the model returned an empty answer")
        if error is not None and not shown:
            final = self._failed(error, question, passages, confirmed)
            yield from stream_pieces(final.text)
            yield final
            return
        if error is not None:
            self._record(f"{type(error).__name__}: {error}")
        else:
            self._record("")
        final = self._finish(raw, question, passages, confirmed)
        if final.text.startswith(shown) and len(final.text) > len(shown):
            yield final.text[len(shown) :]
        yield final

    def _failed(
        self, exc: BaseException, question: str, passages: list[Passage], confirmed: bool
    ) -> Answer:
        self._record(f"{type(exc).__name__}: {exc}")
        log.warning("LLM %s failed, answering extractively: %s", self.name, exc)
        if self.strict:
            raise LLMError(f"the language model failed: {exc}") from exc
        fallback = self._fallback.answer(question, passages, confirmed)
        if not fallback.declined:
            fallback.text = f"{NOTICE} {fallback.text}"
        return fallback

    def _finish(
        self, reply: str, question: str, passages: list[Passage], confirmed: bool
    ) -> Answer:
        checked = self._checker.check(reply, [p.text for p in passages])
        if not checked.used:
            log.warning("LLM answer had no supported sentence; answering extractively")
            fallback = self._fallback.answer(question, passages, confirmed)
            fallback.unsupported = checked.unsupported
            return fallback
        text = checked.text
        if checked.unsupported:
            n = len(checked.unsupported)
            text = f"{text} {DROPPED.format(n=n, s='' if n == 1 else 's')}"
        citations = [Citation.of(new_n, passages[i], quote) for new_n, i, quote in checked.used]
        return Answer(text=text, citations=citations, unsupported=checked.unsupported)

    def _record(self, error: str) -> None:
        with self._lock:
            self.last_error = error

    def status(self) -> dict[str, str]:
        return {"backend": self.name, "error": self.last_error}
