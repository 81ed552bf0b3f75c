"""Two or more films side by side: a card for every review of each, a sentence that compares
what the blog said (the scores where the reviews state them, else the verdicts), and a quote
from a review that compares them itself, when one does."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from companion.answering.cards import CardMaker, review_text
from companion.answering.judgement import is_evaluative
from companion.archive.base import Store
from companion.archive.entities import Entities
from companion.text import TitleMatcher, sentences
from companion.types import Answer, Citation


def _mean_score(cards: list[dict[str, Any]], ents: Entities) -> float | None:
    values = [
        ents.records[c["doc_id"]].score.fraction  # type: ignore[union-attr]
        for c in cards
        if c["doc_id"] in ents.records and ents.records[c["doc_id"]].score
    ]
    return sum(values) / len(values) if values else None


def _scores(cards: list[dict[str, Any]]) -> str:
    stated = [str(c["score"]) for c in cards if c.get("score")]
    return " and ".join(stated)


class Comparer:
    def __init__(self, store: Store, cards: CardMaker, entities: Any) -> None:
        self._store = store
        self._cards = cards
        self._entities = entities

    def compare(self, films: list[str]) -> Answer | None:
        ents: Entities = self._entities()
        per_film: list[tuple[str, Answer]] = []
        for film in films:
            verdict = self._cards.verdict([film])
            if verdict is not None:
                per_film.append((film, verdict))
        if len(per_film) < 2:
            return None
        ranked = []
        for film, answer in per_film:
            ranked.append((_mean_score(answer.cards, ents), film, answer))
        parts = []
        for _, film, reviewed in ranked:
            stated = _scores(reviewed.cards)
            liked = [c["liked"] for c in reviewed.cards]
            feeling = "liked" if all(liked) else "had doubts about" if any(liked) else "disliked"
            parts.append(
                f"{ents.label(film)} got {stated}"
                if stated
                else f"the blog {feeling} {ents.label(film)}"
            )
        scored = [r for r in ranked if r[0] is not None]
        if len(scored) == len(ranked):
            best = max(r[0] for r in scored)  # type: ignore[type-var]
            top = [f for s, f, _ in scored if s == best]
            summary = (
                f"{ents.label(top[0])} comes out ahead"
                if len(top) == 1
                else "the blog rates them the same"
            )
        else:
            summary = "the reviews don't state scores for every film"
        lines = [f"Side by side: {'; '.join(parts)} — {summary}."]
        cards: list[dict[str, Any]] = []
        citations: list[Citation] = []
        for _, film, reviewed in ranked:
            for card, cite in zip(reviewed.cards, reviewed.citations, strict=True):
                n = len(citations) + 1
                cards.append(card)
                citations.append(replace(cite, n=n))
                who = " by ".join(x for x in (cite.date_text, card.get("reviewer") or "") if x)
                score = f" Score: {card['score']}." if card.get("score") else ""
                lines.append(f"- {ents.label(film)}, {who}: “{card['verdict']}” [{n}]{score}")
        quote = self._comparing_quote(films, ents)
        if quote is not None:
            record, sentence = quote
            n = len(citations) + 1
            citations.append(
                Citation(
                    n,
                    record.doc_id,
                    record.source,
                    record.title,
                    record.url,
                    sentence,
                    record.date,
                    passage=sentence,
                )
            )
            lines.append(f"The {ents.label(record.film)} review compares them: “{sentence}” [{n}]")
        return Answer(text="\n".join(lines), citations=citations, kind="comparison", cards=cards)

    def _comparing_quote(self, films: list[str], ents: Entities) -> tuple[Any, str] | None:
        """A sentence in one film's review that names another of the films, judging ones
        first."""
        doc_ids = [d for f in films for d in ents.films[f].doc_ids if f in ents.films]
        chunks = self._store.post_chunks(doc_ids)
        found: list[tuple[int, Any, str]] = []
        for doc_id in doc_ids:
            record = ents.records.get(doc_id)
            if record is None:
                continue
            others = [TitleMatcher(f) for f in films if f != record.film]
            text, _ = review_text(chunks.get(doc_id, []))
            for s in sentences(text):
                if any(m.search(s) for m in others) and 6 <= len(s.split()) <= 60:
                    found.append((0 if is_evaluative(s) else 1, record, s))
        if not found:
            return None
        found.sort(key=lambda t: t[0])
        return found[0][1], found[0][2]
