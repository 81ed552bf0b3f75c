"""The chat's one entry point: check the question, retrieve, answer. Every surface calls this."""

from __future__ import annotations

import logging
import time
import unicodedata
from collections.abc import Iterator
from typing import Any

from companion.answering import Answerer
from companion.answering.cards import CardMaker
from companion.answering.identify import FilmIdentifier
from companion.answering.streaming import stream_pieces
from companion.archive.base import Store
from companion.conversation.followup import resolve
from companion.conversation.intent import describes_film
from companion.conversation.rewrite import QueryRewriter
from companion.editor.querylog import Entry, QueryLog
from companion.errors import LLMError, StoreError
from companion.retrieval.hybrid import Retriever
from companion.types import Answer, Passage

log = logging.getLogger(__name__)


UNAVAILABLE = "Sorry — the review archive is unavailable right now. Please try again later."
SPOILER_NOTE = "The review also discusses plot turns; turn on spoilers to see them."


SPOILER_MARGIN = 0.05


def held_back(ranked: list[Passage]) -> int:
    """Spoiler passages as close to the question as the best passage: the answer would have
    drawn on them (one further down, e.g. the ending's paragraph for "who voices Samantha?",
    is not worth a notice)."""
    top = max((p.score for p in ranked), default=0.0)
    return sum(p.spoiler and p.score >= top - SPOILER_MARGIN for p in ranked)


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
        cards: CardMaker | None = None,
        query_log: QueryLog | None = None,
        backend: str = "extractive",
        rewriter: QueryRewriter | None = None,
        identifier: FilmIdentifier | None = None,
    ) -> None:
        self.retriever = retriever
        self.answerer = answerer
        self.store = store
        self.cards = cards
        self.query_log = query_log
        self.backend = backend
        self.rewriter = rewriter
        self.identifier = identifier
        self._k = top_k
        self._max_chars = max_chars

    def warm(self) -> None:
        """Load the models and read the store's snapshots before the first fan waits for them
        (servers call this once at start)."""
        self.retriever.retrieve("warm up", 1)
        if self.cards is not None:
            self.cards.warm()

    def ask(
        self,
        question: str,
        history: list[tuple[str, str]] | None = None,
        page_url: str | None = None,
        spoilers: bool = False,
        context: dict[str, Any] | None = None,
    ) -> Answer:
        """Answer ``question``; ``history`` holds earlier (question, answer) turns, oldest
        first; ``page_url`` is the blog post the fan is reading, if any; passages that give
        away plot turns are left out unless ``spoilers``; ``context`` is the previous
        answer's ``context``, echoed back."""
        *_, final = self.stream(question, history, page_url, spoilers, context)
        assert isinstance(final, Answer), "a stream always ends with its Answer"
        return final

    def stream(
        self,
        question: str,
        history: list[tuple[str, str]] | None = None,
        page_url: str | None = None,
        spoilers: bool = False,
        context: dict[str, Any] | None = None,
    ) -> Iterator[str | Answer]:
        """Pieces of the answer's text as they are ready, then the final ``Answer``."""
        asked = q = check_question(question, self._max_chars)
        started = time.perf_counter()
        try:
            if history and self.rewriter is not None and not self.retriever.films.named_in(q):
                q = self.rewriter.rewrite(q, history)  # searched and answered; `asked` is logged
            page_film = self.store.film_for_url(page_url) if page_url and self.store else ""
            focus = resolve(q, history or [], self.retriever.films, page_film)
            films = focus.films if focus.films is not None else self.retriever.films.named_in(q)
            card = self.cards.answer(q, films) if self.cards and films else None
            if card is not None:
                yield from stream_pieces(card.text)
                yield self._finish(asked, card, films, started)
                return
            # A description ("the one where …") is checked against the nearest reviews.
            identifier = self.identifier if not films and describes_film(q) else None
            depth = max(self._k * 2, 3 * identifier.candidates) if identifier else self._k * 2
            ranked = self.retriever.retrieve(
                q, depth, films=focus.films, exclude_urls=focus.exclude_urls
            )
            passages = ranked if spoilers else [p for p in ranked if not p.spoiler]
            confirmed = False
            if identifier is not None:
                found = identifier.identify(q, ranked)
                if found is not None and found.doc_id is None:
                    declined = self.answerer.decline(passages[: self._k])
                    yield from stream_pieces(declined.text)
                    yield self._finish(asked, declined, films, started)
                    return
                if found is not None:
                    ranked = [p for p in ranked if p.doc_id == found.doc_id]
                    passages = [p for p in passages if p.doc_id == found.doc_id]
                    confirmed = True
            held = 0 if spoilers else held_back(ranked[: self._k])
            for item in self.answerer.stream(q, passages[: self._k], confirmed):
                if isinstance(item, Answer):
                    item.held_back = held
                    if held:
                        item.text += f" ({SPOILER_NOTE})"
                        yield f" ({SPOILER_NOTE})"
                    item = self._finish(asked, item, films, started)
                yield item
        except (QuestionError, ChatUnavailable):
            raise
        except LLMError as exc:
            raise ChatUnavailable(str(exc)) from exc
        except StoreError as exc:  # a full disk, a dead Chroma server: said once, no traceback
            log.warning("answering failed: %s", exc)
            raise ChatUnavailable(UNAVAILABLE) from exc
        except Exception as exc:
            log.exception("answering failed")
            raise ChatUnavailable(UNAVAILABLE) from exc

    def _finish(self, question: str, answer: Answer, films: list[str], started: float) -> Answer:
        """Log the answer (a failing log never costs the fan an answer) and give it its id."""
        ms = round((time.perf_counter() - started) * 1000)
        log.info(
            "answered in %d ms, kind=%s, declined=%s, cited=%s",
            ms,
            answer.kind,
            answer.declined,
            [c.doc_id for c in answer.citations],
        )
        if self.query_log is None:
            return answer
        cited = list(dict.fromkeys(c.doc_id for c in answer.citations))
        entry = Entry(
            question=question,
            declined=answer.declined,
            films=films or self._cited_films(answer),
            cited=cited,
            unsupported=answer.unsupported,
            latency_ms=ms,
            backend=self.backend,
            kind=answer.kind,
        )
        try:
            answer.id = self.query_log.record(entry)
        except Exception:
            log.exception("could not write the query log")
        return answer

    def _cited_films(self, answer: Answer) -> list[str]:
        lead = " ".join(c.title for c in answer.citations[:1])
        return self.retriever.films.named_in(lead) if lead else []
