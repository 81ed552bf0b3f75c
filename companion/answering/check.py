"""Citations checked by code: an LLM's answer keeps only sentences its passages support.

Each sentence's [n] must name a passage that was given, and the sentence must be supported by
one of the passages it cites: most of its content words occur there, or it is close in meaning
to one of the passage's sentences (cosine similarity over the same embedding model). A sentence
that fails is dropped and listed as unsupported. A sentence that cites nothing is cited by code
to the passage whose own words support it, else dropped too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from companion.archive.base import Embedder
from companion.archive.embedding import cosine
from companion.safety import looks_like_instructions
from companion.text import sentences, terms

_CITE = re.compile(r"\s*\[(\d{1,2})\]")
_END = re.compile(r"(.*?)([.!?…]*)$", re.DOTALL)


@dataclass(frozen=True)
class Checked:
    text: str  # the kept sentences, citations renumbered 1..k in order of first use
    used: list[tuple[int, int, str]]  # (new n, passage index, best supporting passage sentence)
    unsupported: list[str]


class CitationChecker:
    def __init__(self, embedder: Embedder, min_overlap: float = 0.6, min_similarity: float = 0.72):
        self._embedder = embedder
        self.min_overlap = min_overlap
        self.min_similarity = min_similarity

    def support(self, claim: str, passage: str) -> tuple[bool, str]:
        """Whether ``passage`` supports ``claim``, and its sentence closest to the claim.
        Sentences of the passage that address an AI system support nothing: a model that obeyed
        a planted "reply with X" must not get X through."""
        if looks_like_instructions(claim):
            return False, ""
        candidates = [s for s in sentences(passage) if not looks_like_instructions(s)]
        if not candidates:
            return False, ""
        passage = " ".join(candidates)
        words = terms(claim)
        overlap = len(words & terms(passage)) / len(words) if words else 1.0
        vectors = self._embedder.embed_documents([claim, *candidates])
        sims = [cosine(vectors[0], v) for v in vectors[1:]]
        best = max(range(len(candidates)), key=lambda i: sims[i])
        return overlap >= self.min_overlap or sims[best] >= self.min_similarity, candidates[best]

    def attribute(self, claim: str, passages: list[str]) -> int | None:
        """The number of the passage that supports an uncited claim best, if any does."""
        words = terms(claim)
        if len(words) < 2:
            return None  # "He is a man." matches any passage about a man: too little to attribute
        best: tuple[float, int] | None = None
        for n, passage in enumerate(passages, start=1):
            overlap = len(words & terms(passage)) / len(words)
            if overlap < self.min_overlap:
                continue  # only what a passage says in its own words is attributed to it
            ok, _ = self.support(claim, passage)
            if ok and (best is None or overlap > best[0]):
                best = (overlap, n)
        return best[1] if best else None

    def check(self, answer: str, passages: list[str]) -> Checked:
        kept: list[str] = []
        unsupported: list[str] = []
        renumber: dict[int, int] = {}
        used: list[tuple[int, int, str]] = []
        seen: set[str] = set()
        for sentence in sentences(answer.replace("\n", " ")):
            cited = [int(n) for n in _CITE.findall(sentence)]
            claim = _CITE.sub("", sentence).strip()
            if not any(ch.isalnum() for ch in claim) or claim in seen:
                continue  # a model stuck in a loop says the same thing once
            seen.add(claim)
            if not cited:
                # Small models often write no [n]: the passage that supports the sentence is
                # cited by code. Courtesy without facts ("Hope that helps!") may stand uncited;
                # an unsupported claim may not.
                source = self.attribute(claim, passages)
                if source is None:
                    (kept if len(terms(claim)) <= 2 else unsupported).append(claim)
                    continue
                cited = [source]
            valid = [n for n in dict.fromkeys(cited) if 1 <= n <= len(passages)]
            supported: list[tuple[int, str]] = []
            for n in valid:
                ok, quote = self.support(claim, passages[n - 1])
                if ok:
                    supported.append((n, quote))
            if not supported or len(valid) < len(set(cited)):
                unsupported.append(claim)
                continue
            marks = []
            for n, quote in supported:
                if n not in renumber:
                    renumber[n] = len(renumber) + 1
                    used.append((renumber[n], n - 1, quote))
                marks.append(f"[{renumber[n]}]")
            ending = _END.match(claim.rstrip())
            body, end = ending.groups() if ending else (claim.rstrip(), "")
            kept.append(f"{body} {' '.join(marks)}{end}")
        return Checked(" ".join(kept).strip(), used, unsupported)
