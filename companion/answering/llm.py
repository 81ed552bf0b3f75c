"""Fluent answers from a chat model (any OpenAI-compatible endpoint), kept honest by code.

The extractive answerer's decline rules run first (no passages worth using: no LLM call), the
model sees numbered passages marked as untrusted, and its answer passes the citation checker
before a fan sees it. Any failure — refused connection, timeout, 5xx, a broken stream, an empty
or wholly unsupported answer — falls back to the extractive answer with a one-line notice.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

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


_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="llm")


def _text_of(result: Any) -> str:
    """A LangChain message or chunk, or a plain string, as text."""
    content = getattr(result, "content", result)
    if isinstance(content, list):
        content = "".join(c.get("text", "") if isinstance(c, dict) else str(c) for c in content)
    return str(content or "")


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

    def decline(self, passages: list[Passage]) -> Answer:
        return self._fallback.decline(passages)

    def stream(
        self, question: str, passages: list[Passage], confirmed: bool = False
    ) -> Iterator[str | Answer]:
        """The answer as the model writes it, a checked sentence at a time (a fan never sees a
        sentence the checker would drop), then the final ``Answer``."""
        if not passages or (not confirmed and self._fallback.should_decline(question, passages)):
            yield self._fallback.decline(passages)
            return
        events: queue.Queue[tuple[str, Any]] = queue.Queue()

        def produce() -> None:
            try:
                for chunk in self._model.stream(messages(question, passages)):
                    events.put(("piece", _text_of(chunk)))
                events.put(("end", None))
            except Exception as exc:  # handed to the consumer, which falls back
                events.put(("error", exc))

        _POOL.submit(produce)
        deadline = time.monotonic() + self.deadline
        texts = [p.text for p in passages]
        raw, shown, error = "", "", None
        while True:
            try:
                kind, value = events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                error = LLMError(f"no answer within {self.deadline:g} s")
                break
            if kind == "error":
                error = value
                break
            if kind == "end":
                break
            raw += value
            done = sentences(raw)[:-1]  # the last one may still be growing
            if done:
                checked = self._checker.check(" ".join(done), texts).text
                if checked.startswith(shown) and len(checked) > len(shown):
                    yield (
                        checked[len(shown) :] if not shown else " " + checked[len(shown) :].lstrip()
                    )
                    shown = checked
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
