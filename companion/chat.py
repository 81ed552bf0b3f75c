"""The chat's one entry point: check the question, retrieve, answer. Every surface calls this."""

from __future__ import annotations

import logging
import time
import unicodedata
from collections.abc import Iterator

from companion.answering import Answerer, LLMError
from companion.followup import resolve
from companion.retrieval import Retriever
from companion.store import Store
from companion.types import Answer

log = logging.getLogger(__name__)


class QuestionError(ValueError):
    """The question cannot be answered as asked; the message is safe to show a fan."""


class ChatUnavailable(RuntimeError):
    """The store or model is not usable right now; the message is safe to show a fan."""


def check_question(question: str, max_chars: int) -> str:
    """Return the question tidied, or raise ``QuestionError`` with a friendly message."""
    if not isinstance(question, str):
        raise QuestionError("Please ask your question as text.")
    cleaned = "".join(
        ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else " " for ch in question
    ).strip()
    if not cleaned:
        raise QuestionError(
            "Ask me something about the films the blog has reviewed — for example, "
            "“What did the blog think of Her?”"
        )
    if len(cleaned) > max_chars:
        raise QuestionError(
            f"That question is {len(cleaned):,} characters long; please keep it under "
            f"{max_chars:,} characters."
        )
    return cleaned


class ChatService:
    def __init__(
        self,
        retriever: Retriever,
        answerer: Answerer,
        *,
        top_k: int,
        max_chars: int,
        store: Store | None = None,
    ) -> None:
        self.retriever = retriever
        self.answerer = answerer
        self.store = store
        self._k = top_k
        self._max_chars = max_chars

    def ask(
        self,
        question: str,
        history: list[tuple[str, str]] | None = None,
        page_url: str | None = None,
    ) -> Answer:
        """Answer ``question``; ``history`` holds earlier (question, answer) turns, oldest
        first; ``page_url`` is the blog post the fan is reading, if any."""
        *_, final = self.stream(question, history, page_url)
        return final  # type: ignore[return-value]  # a stream always ends with its Answer

    def stream(
        self,
        question: str,
        history: list[tuple[str, str]] | None = None,
        page_url: str | None = None,
    ) -> Iterator[str | Answer]:
        """Pieces of the answer's text as they are ready, then the final ``Answer``."""
        q = check_question(question, self._max_chars)
        started = time.perf_counter()
        final: Answer | None = None
        try:
            page_film = self.store.film_for_url(page_url) if page_url and self.store else ""
            focus = resolve(q, history or [], self.retriever.films, page_film)
            passages = self.retriever.retrieve(
                q, self._k, films=focus.films, exclude_urls=focus.exclude_urls
            )
            for item in self.answerer.stream(q, passages):
                if isinstance(item, Answer):
                    final = item
                yield item
        except (QuestionError, ChatUnavailable):
            raise
        except LLMError as exc:
            raise ChatUnavailable(str(exc)) from exc
        except Exception as exc:
            log.exception("answering failed")
            raise ChatUnavailable(
                "Sorry — the review archive is unavailable right now. Please try again later."
            ) from exc
        if final is not None:
            log.info(
                "answered in %.0f ms, declined=%s, cited=%s",
                (time.perf_counter() - started) * 1000,
                final.declined,
                [c.doc_id for c in final.citations],
            )
