"""Small talk that stays small: a short, friendly reply with a few questions worth asking,
built from the archive itself (its latest review, a film it rated highly). No quotes, no
citations, and an honest "that's not something I can help with" for what is not about films."""

from __future__ import annotations

from companion.archive.entities import Entities
from companion.archive.records import PostRecord
from companion.types import Answer


def examples(ents: Entities) -> list[str]:
    """Two or three questions this archive can answer well."""
    records = sorted(ents.records.values(), key=PostRecord.order, reverse=True)
    if not records:
        return []
    latest = records[0].film or records[0].title
    rated = sorted(
        (r for r in records if r.score and (r.film or r.title) != latest),
        key=lambda r: r.score.fraction if r.score else 0.0,
        reverse=True,
    )
    out = [f"What did the blog think of {latest}?"]
    if rated:
        out.append(f"Anything like {rated[0].film or rated[0].title}?")
    out.append("What's your best-rated film?")
    return out


def _try(ents: Entities) -> str:
    asks = examples(ents)
    return " You could ask: " + " · ".join(f"“{q}”" for q in asks) if asks else ""


def reply(act: str, ents: Entities) -> Answer:
    n = len(ents.films)
    about = f"the {n} films this blog has reviewed" if n else "the films this blog reviews"
    text = {
        "greeting": f"Hi! I can tell you about {about}.{_try(ents)}",
        "thanks": "You're welcome! Ask me about any other film the blog has reviewed.",
        "bye": "Bye — enjoy the films!",
        "help": (
            f"I answer questions about {about}: who's in a film, what the reviewer thought, "
            "scores, comparisons, lists (best rated, by year, by reviewer) and films like one "
            f"you enjoyed — always from the blog's own reviews, with links.{_try(ents)}"
        ),
        "identity": (
            f"I'm this blog's review companion: I've read its reviews ({about}) and answer "
            f"from them, quoting and linking the posts. I don't make things up.{_try(ents)}"
        ),
    }.get(act, f"Hello! Ask me about {about}.")
    return Answer(text=text, kind="smalltalk")


def out_of_scope(ents: Entities) -> Answer:
    n = len(ents.films)
    return Answer(
        text=(
            "That's not something I can help with — I only know this blog's film reviews"
            f"{f' ({n} films)' if n else ''}.{_try(ents)}"
        ),
        declined=True,
        kind="answer",
    )


def did_you_mean(films: list[str], ents: Entities) -> Answer:
    names = [ents.label(f) for f in films[:3]]
    choice = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return Answer(text=f"Did you mean {choice}? Ask again with the title and I'll look it up.")
