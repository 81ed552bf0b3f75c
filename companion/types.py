"""Plain data that crosses module boundaries: posts, passages, citations and answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from companion.archive.dates import from_iso, human


@dataclass(frozen=True)
class Post:
    """One review as a source yields it, before chunking: dates as the source wrote them
    (``archive.records.PostRecord`` is what the store keeps)."""

    doc_id: str
    text: str
    source: str
    title: str = ""
    url: str = ""
    date: str = ""
    updated: str = ""
    author: str = ""
    film: str = ""
    year: int | None = None
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its post's metadata and a similarity in [-1, 1]."""

    id: str
    doc_id: str
    text: str
    score: float
    source: str = ""
    title: str = ""
    url: str = ""
    date: str = ""  # published, ISO 8601 ("" when undated)
    author: str = ""
    film: str = ""
    year: int | None = None
    section: str = ""
    spoiler: bool = False
    version: str = ""  # which text of the post (an edit mid-ingest briefly leaves two)

    def as_result(self) -> dict[str, Any]:
        """The public ``companion search --json`` shape."""
        return {
            "id": self.id,
            "doc_id": self.doc_id,
            "source": self.source,
            "title": self.title,
            "film": self.film,
            "score": round(self.score, 4),
            "text": self.text,
        }


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    source: str
    title: str
    url: str
    quote: str
    date: str = ""
    passage: str = ""  # the whole passage quoted from, shown in the chat; not in the JSON

    @classmethod
    def of(cls, n: int, passage: Passage, quote: str, *, whole: str | None = None) -> Citation:
        """Citation ``n`` of ``passage``, quoting ``quote``; ``whole`` is what the chat shows
        behind "Show passage" (default: the passage's text)."""
        return cls(
            n=n,
            doc_id=passage.doc_id,
            source=passage.source,
            title=passage.title,
            url=passage.url,
            quote=quote,
            date=passage.date,
            passage=passage.text if whole is None else whole,
        )

    @property
    def date_text(self) -> str:
        """The post's date as a fan reads it ("26 July 2023")."""
        return human(from_iso(self.date))

    def public(self) -> dict[str, Any]:
        """The public JSON citation: ``{"n", "doc_id", "source", "title", "url", "quote",
        "date"}`` (the passage behind the quote stays in the chat)."""
        out = asdict(self)
        del out["passage"]
        return out


@dataclass
class Answer:
    text: str
    citations: list[Citation] = field(default_factory=list)
    declined: bool = False
    unsupported: list[str] = field(default_factory=list)
    # "answer", or "verdict" / "recommendations" when ``cards`` carries one card per review.
    kind: str = "answer"
    cards: list[dict[str, Any]] = field(default_factory=list)
    held_back: int = 0  # spoiler passages left out of this answer
    id: str = ""  # the query log's handle for thumbs up/down; empty when not logged
    # What the message was understood as (``conversation.plan.Plan.public()``), and the
    # conversation's state after it, which clients echo back with the next message.
    plan: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        return {
            "answer": self.text,
            "declined": self.declined,
            "citations": [c.public() for c in self.citations],
            "unsupported": list(self.unsupported),
            "kind": self.kind,
            "cards": list(self.cards),
            "spoilers_held_back": self.held_back,
            "id": self.id or None,
            "plan": dict(self.plan),
            "context": dict(self.context),
        }
