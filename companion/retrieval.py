"""Find the passages that may answer a question: dense search, film-aware, grouped by post."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from typing import Protocol

from companion.embedding import Embedder
from companion.store import Store
from companion.text import STOPWORDS
from companion.types import Passage

FILM_BOOST = 0.10


class Retriever(Protocol):
    def retrieve(self, question: str, k: int) -> list[Passage]: ...


def film_pattern(title: str) -> re.Pattern[str]:
    """Whole-word title match; a title that is also a common word ("Her") must be capitalised."""
    flags = 0 if title.lower() in STOPWORDS or len(title) <= 3 else re.IGNORECASE
    words = r"\s+".join(re.escape(w) for w in title.split())
    return re.compile(rf"(?<![\w'’]){words}(?![\w'’])", flags)


class FilmIndex:
    """The films the archive reviews, matched against questions; refreshed when the store grows."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._count = -1
        self._patterns: list[tuple[str, re.Pattern[str]]] = []
        self._lock = threading.Lock()

    def named_in(self, question: str) -> list[str]:
        with self._lock:
            count = self._store.count()
            if count != self._count:
                titles = self._store.film_titles()
                self._patterns = [(t, film_pattern(t)) for t in titles]
                self._count = count
            patterns = self._patterns
        hits = [t for t, pat in patterns if pat.search(question)]
        # "Blade Runner 2049" also contains "Blade Runner": keep the longest match only.
        return [t for t in hits if not any(t != o and t in o and o in question for o in hits)]


class DenseRetriever:
    """Top-k by cosine similarity, at most ``per_post`` passages from any one post.

    When the question names a reviewed film, that film's passages are searched too and
    boosted (the boost is part of the returned score), so "Where is Under the Skin set?" is
    not answered from a review that merely mentions Under the Skin.
    """

    def __init__(self, store: Store, embedder: Embedder, per_post: int = 3) -> None:
        self._store = store
        self._embedder = embedder
        self._per_post = per_post
        self.films = FilmIndex(store)

    def retrieve(self, question: str, k: int) -> list[Passage]:
        vector = self._embedder.embed_query(question)
        candidates = {p.id: p for p in self._store.query(vector, k * 3)}
        named = self.films.named_in(question)
        if named:
            for p in self._store.query(vector, k * 2, films=named):
                candidates[p.id] = p
        ranked = sorted(
            (
                replace(p, score=p.score + FILM_BOOST) if p.film in named else p
                for p in candidates.values()
            ),
            key=lambda p: p.score,
            reverse=True,
        )
        # One named film: its review may fill every slot; otherwise keep posts diverse.
        per_post = k if len(named) == 1 else self._per_post
        kept: list[Passage] = []
        per: dict[str, int] = {}
        for p in ranked:
            if per.get(p.doc_id, 0) < per_post:
                kept.append(p)
                per[p.doc_id] = per.get(p.doc_id, 0) + 1
            if len(kept) == k:
                break
        return kept
