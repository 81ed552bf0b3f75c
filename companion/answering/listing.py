"""Exact answers about the archive itself, from the posts' records, never from passages:
counts, lists, best and worst, latest, a film's reviews, a reviewer's, a year's, a label's, a
person's. Each review is a card with the same fields as a verdict card."""

from __future__ import annotations

from typing import Any

from companion.archive.entities import Entities
from companion.archive.records import PostRecord
from companion.conversation.plan import ArchiveQuery
from companion.types import Answer, Citation

MAX_LISTED = 10
_NUMBERS = "no one two three four five six seven eight nine ten".split()


def number(n: int) -> str:
    return _NUMBERS[n] if 0 <= n < len(_NUMBERS) else str(n)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def list_card(record: PostRecord) -> dict[str, Any]:
    """A verdict card's fields from the record alone (no verdict is judged for a list)."""
    return {
        "doc_id": record.doc_id,
        "film": record.film or record.title,
        "year": record.year,
        "reviewer": record.author,
        "date": record.date,
        "title": record.title,
        "url": record.url,
        "verdict": "",
        "score": record.score.text if record.score else None,
        "liked": None,
    }


def select(records: list[PostRecord], query: ArchiveQuery, ents: Entities) -> list[PostRecord]:
    """The reviews that match, sorted as asked; ties keep date order."""
    person_films = ents.people[query.person].films if query.person in ents.people else set()
    label = query.label.lower()

    def keep(r: PostRecord) -> bool:
        film = r.film or r.title
        if query.films and film not in query.films:
            return False
        if query.year is not None and r.year != query.year:
            return False
        if query.decade is not None and not (r.year and query.decade <= r.year < query.decade + 10):
            return False
        if query.reviewed_year is not None and (
            r.published is None or r.published.year != query.reviewed_year
        ):
            return False
        if query.reviewer and r.author != query.reviewer:
            return False
        if query.person and film not in person_films:
            return False
        if label and label not in {x.lower() for x in r.labels}:
            return False
        fraction = r.score.fraction if r.score else None
        if query.min_score is not None and (fraction is None or fraction < query.min_score - 1e-6):
            return False
        return not (
            query.max_score is not None and (fraction is None or fraction > query.max_score + 1e-6)
        )

    chosen = sorted((r for r in records if keep(r)), key=PostRecord.order, reverse=True)
    if query.sort == "date":
        return chosen if query.descending else chosen[::-1]
    if query.sort == "score":
        scored = [r for r in chosen if r.score]
        scored.sort(key=lambda r: r.score.fraction if r.score else 0.0, reverse=query.descending)
        return scored
    if query.sort == "year":
        return sorted(chosen, key=lambda r: r.year or 0, reverse=query.descending)
    return sorted(chosen, key=lambda r: (r.film or r.title).lower())


def describe(query: ArchiveQuery, ents: Entities) -> str:
    """What was asked for, in words: "films from 2014 reviewed by Mara Quell"."""
    parts = []
    if query.label:
        parts.append(f"labelled “{query.label}”")
    if query.year:
        parts.append(f"from {query.year}")
    if query.decade:
        parts.append(f"from the {query.decade}s")
    if query.person:
        roles = _roles(query.person, ents)
        parts.append(f"{roles} {query.person}")
    if query.reviewer:
        parts.append(f"reviewed by {query.reviewer}")
    if query.reviewed_year:
        parts.append(f"reviewed in {query.reviewed_year}")
    if query.min_score is not None:
        score = _score_text(query.min_score)
        parts.append(
            f"scored {score}" if query.max_score == query.min_score else f"scored {score} or more"
        )
    return " ".join(parts)


def _roles(person: str, ents: Entities) -> str:
    """ "directed by" only where the text says so; "naming" where only the labels do."""
    entry = ents.people.get(person)
    if entry is None:
        return "with"
    roles = {r for rs in entry.roles.values() for r in rs}
    if roles == {"director"}:
        return "directed by"
    if roles and roles <= {"actor", "voice"}:
        return "featuring"
    return "with" if entry.roles else "whose labels name"


def _score_text(fraction: float) -> str:
    return f"{round(fraction * 10, 1):g}/10"


class ArchiveLister:
    def __init__(self, entities: Any) -> None:
        self._entities = entities  # () -> Entities, rebuilt with the store

    def answer(self, query: ArchiveQuery) -> Answer:
        ents: Entities = self._entities()
        records = list(ents.records.values())
        chosen = select(records, query, ents)
        what = describe(query, ents)
        films = list(dict.fromkeys(r.film or r.title for r in chosen))
        if not chosen:
            return Answer(text=_none(query, what, ents), kind="list")
        if query.count:
            head = (
                f"The blog has reviewed {plural(len(films), 'film')}"
                f"{' ' + what if what else ''} in {plural(len(chosen), 'review')}"
            )
            if not what:
                return Answer(text=head + ".", kind="list")
            return self._listed(chosen, head + ":", ents)
        if query.limit == 1 and query.sort == "score":
            top = chosen[0].score.fraction if chosen[0].score else None
            tied = [r for r in chosen if r.score and r.score.fraction == top]
            best = "best" if query.descending else "lowest"
            if len(tied) > 1:
                head = (
                    f"{number(len(tied)).capitalize()} reviews share the {best} score"
                    f"{' among films ' + what if what else ''}, {tied[0].score.text if tied[0].score else ''}:"
                )
                return self._listed(tied, head, ents)
            head = f"The {best}-rated film{' ' + what if what else ''} is:"
            return self._listed(chosen[:1], head, ents)
        if query.limit == 1 and query.sort == "year":
            film = chosen[0].film or chosen[0].title
            age = "newest" if query.descending else "oldest"
            head = f"The {age} film{' ' + what if what else ''} the blog has reviewed is:"
            return self._listed([r for r in chosen if (r.film or r.title) == film], head, ents)
        if query.limit is not None:
            chosen = chosen[: query.limit]
        order = {
            ("score", True): "best score first",
            ("score", False): "lowest score first",
            ("date", True): "newest review first",
            ("date", False): "oldest review first",
        }.get((query.sort, query.descending), "")
        if query.limit == 1:
            head = (
                ("The most recent review" if query.descending else "The first review")
                + (f" {what}" if what else "")
                + " is:"
            )
        else:
            n = len({r.film or r.title for r in chosen})
            reviews = f" in {plural(len(chosen), 'review')}" if len(chosen) > n else ""
            head = f"{plural(n, 'film')}{' ' + what if what else ''}{reviews} ({order}):"
        return self._listed(chosen, head[:1].upper() + head[1:], ents)

    def film_reviews(self, films: list[str]) -> Answer:
        """Who reviewed a film and when."""
        ents: Entities = self._entities()
        chosen = [r for r in ents.records.values() if (r.film or r.title) in films]
        chosen.sort(key=PostRecord.order)
        if not chosen:
            return Answer(text="The blog hasn't reviewed that film.", kind="list", declined=True)
        label = ", ".join(ents.label(f) for f in films)
        times = "once" if len(chosen) == 1 else f"{number(len(chosen))} times"
        return self._listed(chosen, f"The blog reviewed {label} {times}:", ents)

    def _listed(self, chosen: list[PostRecord], head: str, ents: Entities) -> Answer:
        shown = chosen[:MAX_LISTED]
        lines = [head]
        citations = []
        for n, r in enumerate(shown, start=1):
            bits = [x for x in (r.author, r.date_text) if x]
            score = f" — {r.score.text}" if r.score else ""
            lines.append(f"- {ents.label(r.film or r.title)} — {', '.join(bits)}{score} [{n}]")
            citations.append(
                Citation(n, r.doc_id, r.source, r.title, r.url, r.title, r.date, passage="")
            )
        if len(chosen) > len(shown):
            lines.append(f"…and {len(chosen) - len(shown)} more.")
        return Answer(
            text="\n".join(lines),
            citations=citations,
            kind="list",
            cards=[list_card(r) for r in shown],
        )


def _none(query: ArchiveQuery, what: str, ents: Entities) -> str:
    if query.person and query.person not in ents.people and query.person not in ents.reviewers:
        return f"The blog hasn't reviewed any films with {query.person}."
    return f"The blog hasn't reviewed any films {what}." if what else "The blog has no reviews yet."
