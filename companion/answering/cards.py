"""Answers built from whole reviews rather than passages: the blog's verdict on a film (one
card per review, oldest first) and films like it that the blog rated well.

Verdict sentences, stated scores and each review's polarity come from ``judgement.Judge``
over the review's spoiler-free text. Recommendations rank reviewed films by the similarity of
whole-review profiles (the mean of a post's chunk vectors), keep those the blog liked, and only
ever name films the archive has.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from companion.answering.judgement import VERDICT_HEADING, Judge, Judgement, is_evaluative
from companion.archive.base import Embedder, Snapshot, Store
from companion.archive.records import PostRecord
from companion.conversation.intent import intent_of
from companion.text import TitleMatcher, is_year, names, sentences
from companion.types import Answer, Citation, Passage

MAX_RECOMMENDATIONS = 3
MAX_JUDGED = 12  # nearest reviews judged for "did the blog like it" before giving up


def card(record: PostRecord, judged: Judgement) -> dict[str, Any]:
    """The public card shape (``cards`` in ``ask --json`` and the API); the score as the
    review states it (read at ingest when the judged text leaves it out)."""
    stated = judged.score or (record.score.text if record.score else "")
    return {
        "doc_id": record.doc_id,
        "film": record.film,
        "year": record.year,
        "reviewer": record.author,
        "date": record.date,
        "title": record.title,
        "url": record.url,
        "verdict": judged.verdict,
        "score": stated or None,
        "liked": judged.liked,
    }


def review_text(chunks: list[Passage]) -> tuple[str, str]:
    """A review put back together from its chunks (overlaps and spoilers left out), and the
    part of it under a "Verdict"-like heading."""
    seen: dict[str, bool] = {}
    for p in chunks:
        if not p.spoiler:
            for s in sentences(p.text):
                seen.setdefault(s, bool(VERDICT_HEADING.search(p.section)))
    return "\n".join(seen), "\n".join(s for s, concluding in seen.items() if concluding)


def _citation(n: int, record: PostRecord, quote: str) -> Citation:
    return Citation(
        n=n,
        doc_id=record.doc_id,
        source=record.source,
        title=record.title,
        url=record.url,
        quote=quote,
        date=record.date,
        passage=quote,
    )


class CardMaker:
    def __init__(
        self, store: Store, judge: Judge, recheck: float = 5.0, embedder: Embedder | None = None
    ) -> None:
        self._store = store
        self._judge = judge
        self._embedder = embedder  # the search model: themes are compared with review profiles
        empty: tuple[dict[str, PostRecord], dict[str, np.ndarray]] = ({}, {})
        self._profiles = Snapshot(store, store.post_vectors, empty, recheck)

    def warm(self) -> None:
        """Read the review profiles (one pass over the store) and load the judge's models."""
        self._profiles.get()
        self._judge.warm()

    def answer(self, question: str, films: list[str]) -> Answer | None:
        """A verdict or recommendations answer, or None when the question wants neither.
        Both quote only spoiler-free parts of the reviews."""
        kind = intent_of(question)
        if kind == "answer":
            return None
        # "Dune (1984)", "Blade Runner 2099": a year the archive's film does not have means
        # another film; the passage path declines it.
        years = {int(n[0]) for n in names(question) if is_year(n)}
        if years:
            films = [f for f in films if self._store.film_years(f) & years]
            if not films:
                return None
        return self.verdict(films) if kind == "verdict" else self.recommend(films)

    def _texts(self, doc_ids: list[str]) -> dict[str, tuple[str, str]]:
        chunks = self._store.post_chunks(doc_ids)
        return {d: review_text(chunks.get(d, [])) for d in doc_ids}

    def verdict(self, films: list[str], reviewer: str = "") -> Answer | None:
        """The blog's verdict on these films, one card per review (``reviewer``'s only, when
        the fan asked what one reviewer thought and that reviewer reviewed them)."""
        posts = self._store.film_posts(films)
        if reviewer and any(r.author == reviewer for r in posts):
            posts = [r for r in posts if r.author == reviewer]
        texts = self._texts([r.doc_id for r in posts])
        judged = {d: self._judge.judge(*text) for d, text in texts.items()}
        posts = [r for r in posts if judged[r.doc_id].verdict]
        if not posts:
            return None
        cards = [card(r, judged[r.doc_id]) for r in posts]
        many = len({c["film"] for c in cards}) > 1
        if len(posts) == 1:
            lines = [f"The blog reviewed {posts[0].label}:"]
        else:
            what = "these films" if many else posts[0].label
            lines = [f"The blog reviewed {what} {len(posts)} times (oldest first):"]
        citations = []
        for n, (m, c) in enumerate(zip(posts, cards, strict=True), start=1):
            who = " by ".join(x for x in (m.date_text, m.author) if x)
            head = f"{m.label}, " if many else ""
            score = f" Score: {c['score']}." if c["score"] else ""
            lines.append(f"- {head}{who or 'undated'}: “{c['verdict']}” [{n}]{score}")
            citations.append(_citation(n, m, c["verdict"]))
        return Answer(text="\n".join(lines), citations=citations, kind="verdict", cards=cards)

    def recommend_theme(self, theme: str) -> Answer | None:
        """Films the blog liked whose reviews are nearest to a theme ("something about
        grief", "what should I watch?")."""
        if self._embedder is None:
            return None
        target = np.asarray(self._embedder.embed_query(theme), dtype=np.float32)
        return self.recommend([], target=target, lead="The blog rated these well:")

    def recommend(
        self, films: list[str], target: np.ndarray | None = None, lead: str = ""
    ) -> Answer | None:
        metas, vectors = self._profiles.get()
        asked = [d for d, m in metas.items() if m.film in films and d in vectors]
        if target is None:
            if not asked:
                return None
            target = np.mean([vectors[d] for d in asked], axis=0)
        target = target / (float(np.linalg.norm(target)) or 1.0)
        ranked = sorted(
            (
                (float(vectors[d] @ target), d)
                for d, m in metas.items()
                if d in vectors and m.film and m.film not in films
            ),
            reverse=True,
        )
        chosen: list[tuple[str, Judgement, str]] = []
        seen_films: set[str] = set()
        for _, d in ranked[:MAX_JUDGED]:
            film = metas[d].film
            if film in seen_films:
                continue
            text, concluding = self._texts([d])[d]
            judged = self._judge.judge(text, concluding)
            reason = reason_for(text, films, judged.verdict) if judged.liked else ""
            if reason:
                chosen.append((d, judged, reason))
                seen_films.add(film)
            if len(chosen) == MAX_RECOMMENDATIONS:
                break
        liked = ", ".join(dict.fromkeys(metas[d].label for d in asked))
        if not chosen:
            return Answer(
                text=f"The blog hasn't rated anything close to {liked or 'that'} well yet.",
                declined=True,
                kind="recommendations",
            )
        lines = [lead or f"If you liked {liked}, the blog also rated these well:"]
        cards, citations = [], []
        for n, (d, judged, reason) in enumerate(chosen, start=1):
            cards.append({**card(metas[d], judged), "reason": reason})
            citations.append(_citation(n, metas[d], reason))
            lines.append(f"- {metas[d].label}: “{reason}” [{n}]")
        return Answer(
            text="\n".join(lines), citations=citations, kind="recommendations", cards=cards
        )


def reason_for(text: str, liked: list[str], verdict: str) -> str:
    """Why the blog liked it: a judging sentence that names the film the fan liked (the
    review compares them), else the review's verdict."""
    matchers = [TitleMatcher(f) for f in liked]
    for s in sentences(text):
        if is_evaluative(s) and any(m.search(s) for m in matchers):
            return s
    return verdict
