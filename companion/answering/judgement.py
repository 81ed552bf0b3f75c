"""Did the review like the film, which sentence says so, and what score did it give?

A score the post states ("Score: 9/10", "Rating: 4 out of 5", "★★★★☆", "Grade: B+") decides.
Otherwise each sentence is scored by the VADER sentiment lexicon and by its embedding's
similarity to a few "great film" minus "terrible film" phrases, each centred and scaled
(constants measured once over polarity-533's 17.7k sentences, no labels used); the review's
polarity is the mean. On polarity-533 this agrees with the critics' own pos/neg label for 80 %
of reviews (VADER alone: 68 %); see docs/verdicts.md. The verdict is the most emphatic
evaluative sentence that agrees with the review's polarity, later sentences preferred: critics
conclude with their judgement.

Judged when asked (one review is ~40 sentences, ~0.15 s) and cached: ingest stays as fast as
it was.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from companion.archive.base import Embedder
from companion.archive.scores import LINE_SCORE, stated_score
from companion.safety import looks_like_instructions
from companion.text import sentences

POSITIVE = [
    "a great film, highly recommended",
    "an excellent movie, one of the best of the year",
    "a wonderful, moving and entertaining film",
    "i loved this movie",
    "a brilliant performance and a superb script",
]
NEGATIVE = [
    "a terrible film, a waste of time",
    "an awful movie, one of the worst of the year",
    "a boring, tedious and pointless film",
    "i hated this movie",
    "a weak performance and a lousy script",
]
# Sentence-level means and spreads over polarity-533 (label-free): centre, then scale.
EMBED_MEAN, EMBED_STD = 0.0147, 0.0523
LEXICON_MEAN, LEXICON_STD = 0.081, 0.473
LEXICON_WEIGHT = 0.5

_EVALUATIVE = re.compile(
    r"\b(?:film|movie|picture|i|i'm|i've|i'd|my|me|you|you'll|recommend\w*|worth|best|worst|"
    r"great|good|bad|fun|enjoy\w*|boring|dull|mess|disappoint\w*|masterpiece|waste|"
    r"entertaining|fail\w*|succe\w*|works?|effective|funny|overall|ultimately|performances?|"
    r"script|screenplay|direction|director|excellent|terrible|awful|brilliant|wonderful|"
    r"mediocre|forgettable|satisfying|gem|superb|beautiful|moving|triumph)\b",
    re.IGNORECASE,
)
_CONCLUDING = re.compile(
    r"\b(?:overall|all in all|ultimately|bottom line|in short|in the end|to sum up|"
    r"recommend\w*|worth (?:seeing|watching|it|a look)|see it|skip it|one of the (?:best|worst))\b",
    re.IGNORECASE,
)
_PERSONAL = re.compile(r"\b(?:i|i'm|i've|i'd|my|me|we|us|you|you'll|you're)\b", re.IGNORECASE)
_CRAFT = re.compile(
    r"\b(?:film|movie|picture|script|screenplay|director|performance|audience|viewers?)\b", re.I
)
VERDICT_HEADING = re.compile(
    r"\b(?:verdict|conclusion|final\s+(?:thoughts|word|verdict)|bottom\s+line|overall|"
    r"in\s+short|summary|should\s+you\s+(?:see|watch)\s+it)\b",
    re.IGNORECASE,
)
_THIRD = re.compile(r"\b(?:he|she|his|her|him|they|them|their)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Judgement:
    verdict: str
    score: str  # as the post states it, "" when it states none
    polarity: float  # > 0: the review liked the film

    @property
    def liked(self) -> bool:
        return self.polarity > 0


def _is_plot(sentence: str) -> bool:
    """Mostly story, not judgement: narration about characters, no "I"/"you", no craft word."""
    if _PERSONAL.search(sentence) or _CRAFT.search(sentence):
        return False
    return len(_THIRD.findall(sentence)) >= 2


def is_evaluative(sentence: str) -> bool:
    """A sentence that judges the film (not plot, not a score line, a readable length)."""
    return (
        6 <= len(sentence.split()) <= 45
        and not _is_plot(sentence)
        and bool(_EVALUATIVE.search(sentence))
        and not LINE_SCORE.match(sentence)
        and not looks_like_instructions(sentence)
    )


class Judge:
    def __init__(self, embedder: Embedder, cache_size: int = 2048) -> None:
        self._embedder = embedder
        self._cache: OrderedDict[str, Judgement] = OrderedDict()
        self._size = cache_size
        self._lock = threading.Lock()

    @cached_property
    def _lexicon(self) -> Any:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        return SentimentIntensityAnalyzer()

    @cached_property
    def _direction(self) -> np.ndarray:
        pos = np.asarray(self._embedder.embed_documents(POSITIVE), dtype=np.float32)
        neg = np.asarray(self._embedder.embed_documents(NEGATIVE), dtype=np.float32)
        return np.asarray(pos.mean(axis=0) - neg.mean(axis=0))

    def warm(self) -> None:
        """Load the sentiment lexicon and the answer model now rather than on a fan's question
        (questions are embedded, never cached: this loads the model)."""
        _ = self._lexicon, self._direction
        self._embedder.embed_query("warm up")

    def judge(self, text: str, verdict_section: str = "") -> Judgement:
        """``text`` is the review; ``verdict_section`` the part of it under a heading such as
        "Verdict" or "Final thoughts", where the judgement is most likely to be."""
        key = hashlib.sha1(f"{verdict_section}\0{text}".encode()).hexdigest()
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        result = self._judge(text, set(sentences(verdict_section)))
        with self._lock:
            self._cache[key] = result
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return result

    def sentence_scores(self, found: list[str]) -> np.ndarray:
        vecs = np.asarray(self._embedder.embed_documents(found), dtype=np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9
        embedded = (vecs @ self._direction - EMBED_MEAN) / EMBED_STD
        lexical = np.array(
            [self._lexicon.polarity_scores(s)["compound"] for s in found], dtype=np.float32
        )
        return np.asarray(LEXICON_WEIGHT * (lexical - LEXICON_MEAN) / LEXICON_STD + embedded)

    def _judge(self, text: str, concluding: set[str]) -> Judgement:
        found = [s for s in sentences(text) if not looks_like_instructions(s)]
        if not found:
            return Judgement("", "", 0.0)
        scores = self.sentence_scores(found)
        stated = stated_score(text)
        polarity = (stated[1] - 0.55) if stated else float(scores.mean())
        # A "Verdict" section is the review's own judgement, even when mixed ("flawed …
        # masterpiece"): choose from it when it has a judging sentence.
        pool = [i for i, s in enumerate(found) if s in concluding and is_evaluative(s)]
        if not pool:
            pool = [
                i
                for i, (s, v) in enumerate(zip(found, scores, strict=True))
                if is_evaluative(s) and np.sign(v) == np.sign(polarity)
            ]
        best, best_value = "", -1.0
        for i in pool:
            position = (i + 0.5) / len(found)
            weight = (1 + 1.5 * position**2) * (1.5 if _CONCLUDING.search(found[i]) else 1.0)
            if abs(scores[i]) * weight > best_value:
                best, best_value = found[i], abs(scores[i]) * weight
        return Judgement(best, stated[0] if stated else "", polarity)
