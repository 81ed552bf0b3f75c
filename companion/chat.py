"""The chat's one entry point: check the question, retrieve, answer. Every surface calls this."""

from __future__ import annotations

import logging
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from companion.answering import Answerer, smalltalk
from companion.answering.cards import CardMaker
from companion.answering.compare import Comparer
from companion.answering.identify import FilmIdentifier
from companion.answering.listing import ArchiveLister
from companion.answering.phrasing import RecordPhraser
from companion.answering.streaming import stream_pieces
from companion.archive.base import Store
from companion.archive.entities import Entities
from companion.conversation.followup import from_history, resolve
from companion.conversation.intent import describes_film
from companion.conversation.plan import Context, Plan
from companion.conversation.planner import Planner
from companion.conversation.rewrite import QueryRewriter
from companion.conversation.rules import smalltalk_act
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
        planner: Planner | None = None,
        entities: Callable[[], Entities] | None = None,
        lister: ArchiveLister | None = None,
        comparer: Comparer | None = None,
        phraser: RecordPhraser | None = None,
    ) -> None:
        self.retriever = retriever
        self.answerer = answerer
        self.store = store
        self.cards = cards
        self.query_log = query_log
        self.backend = backend
        self.rewriter = rewriter
        self.identifier = identifier
        self.planner = planner
        self.entities = entities
        self.lister = lister
        self.comparer = comparer
        self.phraser = phraser
        self._k = top_k
        self._max_chars = max_chars

    def warm(self) -> None:
        """Load the models and read the store's snapshots before the first fan waits for them
        (servers call this once at start)."""
        self.retriever.retrieve("warm up", 1)
        if self.cards is not None:
            self.cards.warm()
        if self.entities is not None:
            self.entities()
        if self.planner is not None:
            self.planner.plan("warm up", Context())

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
        """Pieces of the answer's text as they are ready, then the final ``Answer``, which
        carries the plan and the conversation's new context."""
        asked = q = check_question(question, self._max_chars)
        started = time.perf_counter()
        try:
            if self.planner is None or self.entities is None:
                yield from self._passages_path(asked, q, history, page_url, spoilers, started)
                return
            state = Context.from_public(context)
            if context is None and history:
                state = from_history(history, self.retriever.films)
            # With a chat model, a follow-up is also made standalone before it is planned.
            rewrite = history and self.rewriter is not None and not smalltalk_act(q)
            if rewrite and self.rewriter and not self.retriever.films.named_in(q):
                q = self.rewriter.rewrite(q, history or [])  # `asked` is what is logged
            page_film = self.store.film_for_url(page_url) if page_url and self.store else ""
            plan = self.planner.plan(q, state, page_film)
            log.info("plan: %s", plan.public())
            final: Answer | None = None
            held: list[str] = []  # an off-topic question's pieces wait for its outcome
            for item in self._execute(plan, history, spoilers):
                if isinstance(item, Answer):
                    final = item
                elif plan.offtopic:
                    held.append(item)
                else:
                    yield item
            assert final is not None, "every plan ends with an answer"
            if plan.offtopic and final.declined:  # "whats 17 times 23": not a gap in the archive
                plan = replace(plan, kind="out_of_scope")
                final = smalltalk.out_of_scope(self.entities())
                held = list(stream_pieces(final.text))
            yield from held
            final.plan = plan.public()
            final.context = next_context(plan, final, state, self.entities()).public()
            yield self._finish(asked, final, list(plan.films), started)
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

    def _execute(
        self, plan: Plan, history: list[tuple[str, str]] | None, spoilers: bool
    ) -> Iterator[str | Answer]:
        """Each plan kind's executor: exact records where they answer, passages otherwise."""
        ents = self.entities() if self.entities else None
        assert ents is not None
        answer: Answer | None = None
        films = list(plan.films)
        if plan.kind == "smalltalk":
            answer = smalltalk.reply(plan.act, ents)
        elif plan.kind == "out_of_scope":
            answer = smalltalk.out_of_scope(ents)
        elif plan.kind == "archive" and plan.query is not None and self.lister:
            answer = self.lister.answer(plan.query)
        elif plan.kind == "film" and plan.suggestions:
            answer = smalltalk.did_you_mean(list(plan.suggestions), ents)
        elif plan.kind == "film" and plan.aspect == "reviewer" and self.lister:
            answer = self.lister.film_reviews(films)
        elif plan.kind == "film" and plan.aspect == "verdict" and self.cards:
            answer = self.cards.verdict(films, reviewer=plan.person)
        elif plan.kind == "compare" and self.comparer:
            answer = self.comparer.compare(films)
        elif plan.unknown and plan.kind == "recommend":
            answer = Answer(
                text=f"The blog hasn't reviewed “{plan.unknown}”, so I can't say what's like it.",
                declined=True,
                kind="recommendations",
            )
        elif plan.kind == "recommend" and self.cards:
            answer = (
                self.cards.recommend(films) if films else self.cards.recommend_theme(plan.theme)
            )
        elif plan.unknown:  # named in the decline, with the nearest reviews found
            nearest = self.retriever.retrieve(plan.text, self._k)
            answer = self.answerer.decline(nearest, plan.unknown)
        if answer is not None and self.phraser is not None:
            answer = self.phraser.phrase(plan.text, answer)
        if answer is not None:
            yield from stream_pieces(answer.text)
            yield answer
            return
        # A film the conversation or the page is about is named for the answerer, as if
        # the fan had: "where is it set?" on the Her page asks about Her.
        text = ents.without_reviewers(plan.text) or plan.text
        if films and plan.source in ("context", "page"):
            text = f"{text} ({', '.join(films)})"
        yield from self._answer_from_passages(
            text, films or None, list(plan.exclude_urls), spoilers, plan.kind == "describe"
        )

    def _passages_path(
        self,
        asked: str,
        q: str,
        history: list[tuple[str, str]] | None,
        page_url: str | None,
        spoilers: bool,
        started: float,
    ) -> Iterator[str | Answer]:
        """Without a planner (an engine built by hand, as some tests do): the card rules,
        then the passages."""
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
        for item in self._answer_from_passages(
            q, focus.films, focus.exclude_urls, spoilers, describes_film(q) and not films
        ):
            yield self._finish(asked, item, films, started) if isinstance(item, Answer) else item

    def _answer_from_passages(
        self,
        q: str,
        films: list[str] | None,
        exclude_urls: list[str],
        spoilers: bool,
        describes: bool,
    ) -> Iterator[str | Answer]:
        # A description ("the one where …") is checked against the nearest reviews.
        identifier = self.identifier if describes else None
        depth = max(self._k * 2, 3 * identifier.candidates) if identifier else self._k * 2
        ranked = self.retriever.retrieve(q, depth, films=films, exclude_urls=exclude_urls)
        passages = ranked if spoilers else [p for p in ranked if not p.spoiler]
        confirmed = False
        if identifier is not None:
            found = identifier.identify(q, ranked)
            if found is not None and found.doc_id is None:
                declined = self.answerer.decline(passages[: self._k])
                yield from stream_pieces(declined.text)
                yield declined
                return
            if found is not None:
                ranked = [p for p in ranked if p.doc_id == found.doc_id]
                passages = [p for p in passages if p.doc_id == found.doc_id]
                confirmed = True
        held = 0 if spoilers else held_back(ranked[: self._k])
        for item in self.answerer.stream(q, passages[: self._k], confirmed):
            if isinstance(item, Answer):
                hidden = [p for p in ranked[: self._k] if p.spoiler]
                if held and item.declined and self.answerer.should_decline(q, hidden):
                    held = 0  # the spoilers would not answer it either: no notice on a decline
                item.held_back = held
                if held:
                    item.text += f" ({SPOILER_NOTE})"
                    yield f" ({SPOILER_NOTE})"
            yield item

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
            kind="out_of_scope" if answer.plan.get("kind") == "out_of_scope" else answer.kind,
        )
        try:
            answer.id = self.query_log.record(entry)
        except Exception:
            log.exception("could not write the query log")
        return answer

    def _cited_films(self, answer: Answer) -> list[str]:
        lead = " ".join(c.title for c in answer.citations[:1])
        return self.retriever.films.named_in(lead) if lead else []


def next_context(plan: Plan, answer: Answer, before: Context, ents: Entities) -> Context:
    """What the conversation is about after this answer: the films it was about (or cited),
    the person it named, the list it showed, the archive query it ran."""
    if plan.kind in ("smalltalk", "out_of_scope"):
        return before
    cited = [
        ents.records[c.doc_id].film
        for c in answer.citations
        if c.doc_id in ents.records and ents.records[c.doc_id].film
    ]
    listed = before.listed
    if answer.kind in ("list", "comparison", "recommendations") and answer.cards:
        listed = tuple(dict.fromkeys(str(c["film"]) for c in answer.cards if c.get("film")))
    films: tuple[str, ...] = before.films
    if plan.films:
        films = plan.films
    elif answer.kind in ("answer", "verdict") and cited and not answer.declined:
        films = tuple(dict.fromkeys(cited))
    elif answer.kind == "list" and len(listed) == 1:
        films = listed
    person = plan.person or (plan.query.person if plan.query else "") or before.person
    reviewers = {str(c.get("reviewer")) for c in answer.cards if c.get("reviewer")}
    if plan.aspect == "reviewer" and len(reviewers) == 1:
        person = reviewers.pop()  # "who reviewed Moon?" then "what else did she review?"
    elif plan.query is not None and plan.query.reviewer:
        person = plan.query.reviewer
    if answer.kind == "answer" and not answer.declined:
        quoted = " ".join(c.quote for c in answer.citations)
        named = [p for p in ents.people if p in quoted]
        if named:
            person = named[0]
    return Context(
        films=films,
        person=person,
        listed=listed,
        query=plan.query or before.query,
        cited_urls=tuple(dict.fromkeys(c.url for c in answer.citations if c.url)),
        asked=plan.text
        if (plan.kind == "film" and plan.aspect == "fact") or plan.kind == "passages"
        else "",
    )
