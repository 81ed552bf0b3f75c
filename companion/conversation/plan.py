"""What a message is understood as, before anything is searched: one typed ``Plan`` per
message, and the conversation's ``Context`` that the next message is read against.

Both travel as JSON (``public()``): the plan so every answer can be explained, the context
because clients keep it and send it back. A context comes back from the public, so reading
it (``Context.from_public``) trusts nothing: unknown keys are dropped, sizes capped, and the
films and people it names are checked against the archive by the planner.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

PlanKind = Literal[
    "smalltalk", "out_of_scope", "archive", "film", "compare", "recommend", "describe", "passages"
]
Act = Literal["greeting", "thanks", "help", "identity", "bye", ""]
Aspect = Literal["fact", "verdict", "reviewer", ""]
Sort = Literal["date", "score", "year", "title"]

MAX_CONTEXT_ITEMS = 50
MAX_CONTEXT_TEXT = 200


@dataclass(frozen=True)
class ArchiveQuery:
    """A filter, sort and limit over the posts' records: "best-rated films from 2014",
    "what did Mara review?", "how many films have you reviewed?"."""

    year: int | None = None  # the film's year
    decade: int | None = None  # 1990 for "the 90s"
    reviewed_year: int | None = None  # the review's year ("reviewed in 2023")
    reviewer: str = ""
    person: str = ""  # named in the labels or the text
    label: str = ""
    films: tuple[str, ...] = ()
    min_score: float | None = None  # a fraction of the scale
    max_score: float | None = None
    sort: Sort = "date"
    descending: bool = True
    limit: int | None = None
    count: bool = False

    def with_year(self, year: int) -> ArchiveQuery:
        """The same question about another year ("and in 2014?"): the kind of year it asked
        about stays the same."""
        if self.reviewed_year is not None:
            return replace(self, reviewed_year=year)
        return replace(self, year=year, decade=None)


@dataclass(frozen=True)
class Plan:
    kind: PlanKind
    text: str  # the message as it is searched and answered (a greeting before it removed)
    films: tuple[str, ...] = ()
    person: str = ""
    act: Act = ""
    aspect: Aspect = ""
    query: ArchiveQuery | None = None
    theme: str = ""  # what a recommendation without a film is about
    source: str = ""  # where the films came from: question, typo, context, page
    exclude_urls: tuple[str, ...] = ()  # "the other review": leave out what was cited
    suggestions: tuple[str, ...] = ()  # "did you mean": films close to a misspelt title
    unknown: str = ""  # a title the archive does not have ("Jaws 2?")
    offtopic: bool = False  # nothing in it about films: declined as out of scope, not "not found"
    planner: str = "rules"

    def public(self) -> dict[str, Any]:
        """The ``plan`` field of ``companion ask --json`` and the API: the kind and only what
        it resolved."""
        out: dict[str, Any] = {"kind": self.kind}
        for key in (
            "films",
            "person",
            "act",
            "aspect",
            "theme",
            "source",
            "suggestions",
            "unknown",
        ):
            value = getattr(self, key)
            if value:
                out[key] = list(value) if isinstance(value, tuple) else value
        if self.query is not None:
            default = ArchiveQuery()
            out["query"] = {
                k: list(v) if isinstance(v, tuple) else v
                for k, v in asdict(self.query).items()
                if v != getattr(default, k) or k in ("sort", "descending")
            }
        out["planner"] = self.planner
        return out


@dataclass(frozen=True)
class Context:
    """What the conversation is about after an answer: its films (latest first), the person
    it was about, the films of the last list in the order shown, the last archive query, and
    the posts the last answer cited."""

    films: tuple[str, ...] = ()
    person: str = ""
    listed: tuple[str, ...] = ()
    query: ArchiveQuery | None = None
    cited_urls: tuple[str, ...] = ()
    asked: str = ""  # the last question about a film's content ("what about the original?")

    def public(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "asked": self.asked,
            "films": list(self.films),
            "person": self.person,
            "listed": list(self.listed),
            "cited_urls": list(self.cited_urls),
        }
        if self.query is not None:
            out["query"] = {
                k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self.query).items()
            }
        return out

    @classmethod
    def from_public(cls, data: object) -> Context:
        """A context as a client sent it back: anything malformed is left out, never an
        error (a client that keeps no state sends nothing, and loses only the follow-ups)."""
        if not isinstance(data, dict):
            return cls()
        return cls(
            films=_strings(data.get("films")),
            person=_string(data.get("person")),
            listed=_strings(data.get("listed")),
            query=_query(data.get("query")),
            cited_urls=_strings(data.get("cited_urls")),
            asked=_string(data.get("asked")),
        )


def _string(value: object) -> str:
    return value.strip()[:MAX_CONTEXT_TEXT] if isinstance(value, str) else ""


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(s for s in (_string(v) for v in value[:MAX_CONTEXT_ITEMS]) if s)


def _query(value: object) -> ArchiveQuery | None:
    if not isinstance(value, dict):
        return None
    fields = ArchiveQuery.__dataclass_fields__
    kept: dict[str, Any] = {}
    for key, raw in value.items():
        if key not in fields:
            continue
        default = getattr(ArchiveQuery(), key)
        if key == "films":
            kept[key] = _strings(raw)
        elif key == "sort":
            if raw in ("date", "score", "year", "title"):
                kept[key] = raw
        elif isinstance(default, bool):
            if isinstance(raw, bool):
                kept[key] = raw
        elif isinstance(default, str):
            kept[key] = _string(raw)
        elif key in ("min_score", "max_score"):
            if isinstance(raw, int | float) and not isinstance(raw, bool) and 0 <= raw <= 1:
                kept[key] = float(raw)
        elif isinstance(raw, int) and not isinstance(raw, bool) and 0 < raw < 10_000:
            kept[key] = raw
    return ArchiveQuery(**kept)
