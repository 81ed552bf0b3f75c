"""Answer by quoting the review sentences that best answer the question, or decline.

Declining is the important half: a fan asking about a film the archive never reviewed must hear
so, not get a quote from a loosely related review. The decision uses the best passage's cosine
similarity and whether the names and content words of the question occur in what was found.
Thresholds were calibrated on questions about present and absent films (see docs/answering.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from companion.answering.streaming import stream_pieces
from companion.archive.base import Embedder
from companion.archive.embedding import cosine
from companion.safety import looks_like_instructions
from companion.text import (
    TitleMatcher,
    contains_phrase,
    expand,
    film_label,
    has_person_name,
    is_year,
    names,
    sentences,
    terms,
    word_sequence,
)
from companion.types import Answer, Citation, Passage


@dataclass(frozen=True)
class Thresholds:
    """From settings (COMPANION_MIN_RELEVANCE, COMPANION_STRONG_RELEVANCE); see docs/answering.md."""

    min_relevance: float
    strong_relevance: float
    min_coverage: float = 0.5
    focus: float = 0.20  # quotes come from passages within this much of the best one


_FOCUS = re.compile(r"\s*\([^()]*\)\s*$")
_SCORE_WORD = re.compile(r"\b(score)\b")


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def post_label(p: Passage) -> str:
    if p.film:
        return film_label(p.film, p.year)
    return f"“{p.title}”" if p.title else "one of our reviews"


class ExtractiveAnswerer:
    def __init__(
        self,
        embedder: Embedder,
        thresholds: Thresholds,
        covered_films: list[str] | None = None,
        max_quotes: int = 2,
    ) -> None:
        self._embedder = embedder
        self._t = thresholds
        self._films = covered_films or []
        self._max_quotes = max_quotes

    def should_decline(self, question: str, passages: list[Passage]) -> bool:
        if not passages:
            return True
        top = max(p.score for p in passages)
        if top < self._t.min_relevance:
            return True
        seqs = [word_sequence(f"{p.film} {p.year or ''} . {p.title} . {p.text}") for p in passages]
        films = {p.film for p in passages if p.film}
        asked = names(question)
        missing = [n for n in asked if not any(contains_phrase(s, n) for s in seqs)]
        film_words = [tuple(word_sequence(f)) for f in films]
        # "Jaws 2", "The Mummy Returns", "the 2012 Avengers": another film than the one found.
        if any(is_year(n) or any(contains_phrase(list(n), f) for f in film_words) for n in missing):
            return True
        # A reviewed film named outright is the strongest evidence there is.
        if any(TitleMatcher(f).search(question) for f in films):
            return False
        if missing and top < self._t.strong_relevance + 0.15:
            return True
        found = set().union(*seqs)
        wanted = terms(question)
        coverage = len(wanted & found) / len(wanted) if wanted else 1.0
        return top < self._t.strong_relevance and coverage < self._t.min_coverage

    def decline(self, passages: list[Passage], title: str = "") -> Answer:
        """Say so plainly, and name the nearest reviews found: a fan who described a film
        ("the one from Down Under about a girl obsessed with ABBA") or misremembered its title
        often meant one of them, and similarity alone cannot tell whether they did."""
        close = [
            post_label(p)
            for p in sorted(passages, key=lambda p: p.score, reverse=True)
            if p.film and p.score >= self._t.min_relevance
        ]
        close = list(dict.fromkeys(close))[:3]
        if close:
            hint = (
                f" The closest reviews I found are of {_listing(close)}: if you meant "
                f"{'that one' if len(close) == 1 else 'one of those'}, ask about it by name."
            )
        elif self._films:
            hint = (
                f" The archive covers films such as {', '.join(self._films[:6])} — try asking "
                "about one of those."
            )
        else:
            hint = ""
        lead = (
            f"I couldn't find a review of “{title}” on the blog."
            if title
            else "I couldn't find that in the blog's reviews, so I'd rather not guess."
        )
        return Answer(text=lead + hint, declined=True)

    def answer(self, question: str, passages: list[Passage], confirmed: bool = False) -> Answer:
        if not passages or (not confirmed and self.should_decline(question, passages)):
            return self.decline(passages)
        top = max(p.score for p in passages)
        focus = [p for p in passages if p.score >= top - self._t.focus]
        candidates: list[tuple[Passage, str]] = [
            (p, s)
            for p in focus
            for s in sentences(p.text)
            if 3 <= len(s.split()) <= 80 and not looks_like_instructions(s)
        ]
        if not candidates:
            return self.decline(passages)
        # "who composed the score? (Moon)": the film in focus, named so the decline rules know
        # what the question is about, would pull the sentence match toward any line on Moon.
        q_vec = self._embedder.embed_query(_FOCUS.sub("", question) or question)
        s_vecs = self._embedder.embed_documents([s for _, s in candidates])
        asked = terms(question)
        who = question.lower().lstrip().startswith(("who ", "who's", "whose "))
        scored: list[tuple[float, Passage, str]] = []
        for (p, s), vec in zip(candidates, s_vecs, strict=True):
            # The film's own name is in half its review's sentences: it says nothing about
            # which sentence answers, so it does not count towards overlap.
            wanted = asked - terms(p.film) or asked
            have = terms(s) | set(_SCORE_WORD.findall(s.lower()))  # "score" is the music here
            hits = sum(1 for w in wanted if expand({w}) & have)
            overlap = hits / len(wanted) if wanted else 0.0
            score = 0.50 * cosine(q_vec, vec) + 0.35 * overlap + 0.15 * (p.score / top)
            if who and has_person_name(s):
                score += 0.08
            if s.rstrip("\"'”’)").endswith("?"):
                score *= 0.5  # a question in the review rarely answers the fan's question
            scored.append((score, p, s))
        scored.sort(key=lambda t: t[0], reverse=True)
        best = scored[0][0]
        chosen: list[tuple[Passage, str]] = []
        for score, p, s in scored:
            if len(chosen) == self._max_quotes or score < best * 0.85:
                break
            if all(s != c for _, c in chosen):
                chosen.append((p, s))
        return self._compose(chosen)

    def stream(
        self, question: str, passages: list[Passage], confirmed: bool = False
    ) -> Iterator[str | Answer]:
        """The same answer, a few words at a time, then the ``Answer`` itself."""
        answer = self.answer(question, passages, confirmed)
        yield from stream_pieces(answer.text)
        yield answer

    def _compose(self, chosen: list[tuple[Passage, str]]) -> Answer:
        citations: list[Citation] = []
        parts: list[str] = []
        for n, (p, quote) in enumerate(chosen, start=1):
            citations.append(Citation.of(n, p, quote))
            same_post = n > 1 and p.doc_id == chosen[0][0].doc_id
            if n == 1:
                lead = f"Our review of {post_label(p)} says:"
            elif same_post:
                lead = "It also notes:"
            else:
                lead = f"Our review of {post_label(p)} adds:"
            parts.append(f"{lead} “{quote}” [{n}]")
        return Answer(text=" ".join(parts), citations=citations)
