"""A fan's message and the conversation so far, turned into one ``Plan``.

Names come first: the films, reviewers, people, labels and years the archive knows
(``archive.entities``), typos included. Rules settle what is certain (a count, a superlative
over the archive, two films side by side, a pronoun-free follow-up); the nearest example
utterances (``classify``) decide the rest: small talk, out of scope, or an open question for
the passages. Films come from the question, else the conversation, else the page being read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from companion.archive.entities import Entities, Mentions
from companion.conversation import rules
from companion.conversation.classify import ExampleClassifier
from companion.conversation.intent import describes_film, intent_of
from companion.conversation.plan import ArchiveQuery, Context, Plan
from companion.text import STOPWORDS


class Planner(Protocol):
    def plan(self, message: str, context: Context, page_film: str = "") -> Plan: ...


class RulePlanner:
    def __init__(
        self, entities: Callable[[], Entities], classifier: ExampleClassifier | None = None
    ) -> None:
        self._entities = entities
        self._classifier = classifier

    def plan(self, message: str, context: Context, page_film: str = "") -> Plan:
        text = " ".join(message.split())
        letters = [c for c in text if c.isalpha()]
        if len(letters) >= 8 and sum(c.isupper() for c in letters) >= 0.8 * len(letters):
            text = text.lower()  # SHOUTED: every word would read as a name
        act = rules.smalltalk_act(text)
        if act:
            return Plan("smalltalk", text, act=act)
        rest = rules.PREFIX.sub("", text) or text  # "hi, who directed Moon?" asks about Moon
        ents = self._entities()
        found = ents.find(rest)
        known = [f for f in context.films if f in ents.films]
        context = replace(context, films=tuple(known))

        wrong_year = _other_year(found, ents, rest)
        if wrong_year:  # "Dune (1984)", "Blade Runner 2099": another film than the one reviewed
            return Plan("passages", rest, unknown=wrong_year)
        unknown = self._unknown_title(rest, found, context, page_film, ents)
        if unknown:  # "did you review Inception?", "what did you think of jaws"
            return Plan("passages", rest, unknown=unknown)
        if found.suggestions and not found.films:
            return Plan("film", rest, suggestions=tuple(found.suggestions), source="typo")
        archive = self._archive(rest, found, context, ents)
        if archive is not None:
            return archive
        films, source = found.films, ("typo" if found.typos else "question")
        if not films:
            films, source = self._referred(rest, context, ents)
        last = context.films[0] if context.films else ""
        if len(films) == 1 and last and last != films[0] and rules.COMPARE_BACK.search(rest):
            films = [last, films[0]]  # "is it better than Ex Machina?" while talking about Her
        if len(films) >= 2 and rules.COMPARE.search(rest):
            return Plan("compare", rest, films=tuple(films), source=source)
        if films:
            return self._about_films(rest, films, source, context, found)
        return self._open(rest, context, page_film, found, ents)

    def _unknown_title(
        self, text: str, found: Mentions, context: Context, page_film: str, ents: Entities
    ) -> str:
        """A title the archive does not have, where the question's shape says a title is
        meant: "did you review X?", "what did you think of X", "who plays X"."""
        if found.films or found.suggestions:
            return ""
        named = {found.reviewer, found.label, found.person} - {""}
        if not named and (found.years or rules.archive_query(text, found) is not None):
            return ""  # "what did you review in 2023?", "did you review anything good lately?"
        about = bool(context.films or page_film)
        frames = (
            [rules.DID_REVIEW]
            if named
            else [rules.DID_REVIEW, rules.VERDICT_FRAME, rules.FACT_FRAME]
        )
        for frame in frames:
            m = frame.search(text)
            if not m:
                continue
            title = m.group(1).strip(" .?!")
            if not title or rules.REFERENCE.match(title) or rules.REFERS_BACK.search(title):
                return ""
            if rules.ORDINAL.search(title):
                return ""  # "the second one in that list"
            if named:  # "did you review Lost in Translation with Scarlett Johansson?", not
                # "did you review anything with Scarlett Johansson?"
                own = title[:1].isupper() and not any(n.lower() in title.lower() for n in named)
                return title if own and _unknown_words(ents, title) else ""
            unknown_words = _unknown_words(ents, title)
            if frame is rules.FACT_FRAME:  # "who plays the godfather", not "the astronaut" of Moon
                role_in = re.search(r"\s+in\s+(?P<film>[A-Z0-9].*)$", title)
                title = role_in.group("film") if role_in else title  # "Michael Corleone in …"
                return title if unknown_words and not about else ""
            if about and not (title[:1].isupper() or unknown_words):
                return ""  # "what did you think of the ending?" about the film in focus
            return title
        return ""

    # -- the archive as a whole -----------------------------------------------------------

    def _archive(self, text: str, found: Mentions, context: Context, ents: Entities) -> Plan | None:
        follow = rules.FOLLOW_YEAR.match(text)
        if follow and context.query is not None:
            query = context.query.with_year(int(follow.group(1)))
            return Plan("archive", text, query=query, source="context")
        person = found.person
        if not person and rules.PERSON_REF.search(text) and not found.films:
            person = self._person_referred(text, context, ents)
        if person in ents.reviewers:  # "what else did she review?" after "Mara Quell"
            found = replace(found, reviewer=person)
            person = ""
        asked = rules.archive_query(text, found, person)
        if asked is None:
            return None
        if _strangers(text, ents) and not (asked.count or asked.sort != "date"):
            return None  # "did the blog review Lost in Translation with Scarlett Johansson?"
        query = asked
        if query == ArchiveQuery(reviewer=found.reviewer) and context.films:
            # "what did Mara say about the ending?" while talking about Her: about Her
            rest = [
                w for w in rules.content(ents.without_reviewers(text)) if w not in _LISTING_WORDS
            ]
            if rest:
                return None
        if found.films and (not (query.count or query.reviewer) or intent_of(text) == "verdict"):
            return None  # "is Arrival your best film?", "what did Mara think of Her?"
        if found.films:
            query = replace(query, films=tuple(found.films))
        return Plan(
            "archive",
            text,
            query=query,
            person=query.person,
            source="context" if person and person != found.person else "question",
        )

    def _person_referred(self, text: str, context: Context, ents: Entities) -> str:
        """ "that director" is the director of the film in focus, when the text says who
        directed it; "him", "more from" the conversation's person."""
        role = re.search(r"\b(director|actor|actress|composer|writer)\b", text, re.IGNORECASE)
        if role and context.films:
            wanted = {"actress": "actor"}.get(role.group(1).lower(), role.group(1).lower())
            for name, person in ents.people.items():
                if wanted in person.roles.get(context.films[0], set()):
                    return name
        known = context.person in ents.people or context.person in ents.reviewers
        return context.person if known else ""

    # -- films named or referred to ---------------------------------------------------------

    def _referred(self, text: str, context: Context, ents: Entities) -> tuple[list[str], str]:
        """Films the message points at without naming: "the sequel", "the second one in that
        list", "the other one"."""
        last = context.films[0] if context.films else ""
        if last and rules.SEQUEL.search(text) and ents.sequels(last):
            return ents.sequels(last)[:1], "context"
        if last and rules.ORIGINAL.search(text) and ents.originals(last):
            return ents.originals(last)[:1], "context"
        if rules.OTHER.search(text):
            pool = [f for f in (context.listed or context.films) if f != last] or list(
                context.films[1:]
            )
            if pool:
                return pool[:1], "context"
        listed = [f for f in context.listed if f in ents.films]
        ordinal = rules.ORDINAL.search(text) if listed else None
        if ordinal and (
            re.search(r"\blist\b|\bone\b", text, re.IGNORECASE) or len(text.split()) <= 6
        ):
            index = rules.ORDINALS[ordinal.group(1).lower()]
            if -len(listed) <= index < len(listed):
                return [listed[index]], "context"
        return [], ""

    def _about_films(
        self, text: str, films: list[str], source: str, context: Context, found: Mentions
    ) -> Plan:
        person = found.person
        bare = re.sub(r"[^\w\s]", " ", text).split()
        if source in ("question", "typo") and len(films) == 1 and len(bare) <= 4:
            title_words = set(films[0].lower().split()) | {"the", "and", "what", "about"}
            if all(w.lower() in title_words or w.isdigit() for w in bare):
                return Plan("film", text, films=tuple(films), aspect="verdict", source=source)
        if source == "context" and not rules.content(text):  # "the third one", "the original?"
            if context.asked and context.films and films[0] != context.films[0]:
                # "who directed 2049?" then "what about the original?": the same question
                again = re.sub(re.escape(context.films[0]), films[0], context.asked, flags=re.I)
                return Plan("film", again, films=tuple(films), aspect="fact", source=source)
            return Plan("film", text, films=tuple(films), aspect="verdict", source=source)
        if rules.WHO_REVIEWED.search(text) and not rules.MUSIC.search(text):
            return Plan("film", text, films=tuple(films), aspect="reviewer", source=source)
        intent = "recommend" if rules.wants_recommendation(text) else intent_of(text)
        if intent == "recommend":
            return Plan("recommend", text, films=tuple(films), source=source)
        if intent == "verdict" and not rules.MUSIC.search(text):
            return Plan(
                "film",
                text,
                films=tuple(films),
                aspect="verdict",
                person=found.reviewer,
                source=source,
            )
        exclude = context.cited_urls if rules.OTHER_REVIEW.search(text) else ()
        return Plan(
            "film",
            text,
            films=tuple(films),
            aspect="fact",
            person=person,
            source=source,
            exclude_urls=tuple(exclude),
        )

    # -- no film named ----------------------------------------------------------------------

    def _open(
        self, text: str, context: Context, page_film: str, found: Mentions, ents: Entities
    ) -> Plan:
        if rules.ARITHMETIC.search(text):
            return Plan("out_of_scope", text)
        if describes_film(text) and not rules.THIS.search(text):
            return Plan("describe", text)  # "the one where …": certain without the examples
        entity_like = bool(found.label or found.person or found.reviewer)
        guess = None
        if self._classifier is not None and not entity_like:
            guess = self._classifier.classify(text)
        named = [n for n in rules.NAMES.findall(text) if _known_word(ents, n)]
        on_topic = bool(rules.FILM_WORDS.search(text)) or entity_like or bool(named)
        entity_like = entity_like or bool(found.years)
        # The nearest examples decide small talk and out-of-scope only when the message is
        # close to one of them and says nothing about films ("what is the spice melange?" is
        # nearest to "what can you do?", but not near: it is a question for the reviews).
        clear = guess is not None and (
            guess.score >= rules.CLASSIFIER_MIN or guess.nearest >= rules.CLASSIFIER_NEAR
        )
        if guess is not None and clear and not on_topic and guess.nearest >= 0.45:
            small = guess.kind in ("greeting", "thanks", "bye", "help", "identity")
            if small and len(text.split()) <= 6 and rules.only_smalltalk_words(text):
                return Plan("smalltalk", text, act=guess.kind)  # type: ignore[arg-type]
            if guess.kind == "out_of_scope":
                return Plan("out_of_scope", text)
        recommend = rules.wants_recommendation(text) or (
            guess is not None and clear and guess.kind == "recommend" and on_topic
        )
        film, source = self._implied_film(text, context, page_film, ents)
        if recommend:
            liked = rules.LIKE_TITLE.search(text)
            if liked and not found.label and not _known_word(ents, liked.group(1).split()[0]):
                return Plan(
                    "recommend", text, unknown=liked.group(1).strip()
                )  # "films like Titanic"
            if film and not found.label:
                return Plan("recommend", text, films=(film,), source=source)
            return Plan("recommend", text, theme=found.label or text)
        title = rules.BARE_TITLE.fullmatch(text)
        if (
            title
            and not entity_like
            and not rules.QUESTION_WORD.match(title.group(1))
            and not rules.REFERS_BACK.search(text)
            and _unknown_words(ents, title.group(1))  # not "Extra film 7 lighthouse scene"
        ):
            return Plan("passages", text, unknown=title.group(1))
        if film:
            return self._about_films(text, [film], source, context, found)
        if found.label and rules.LISTING.search(text):
            return Plan("archive", text, query=ArchiveQuery(label=found.label))
        return Plan("passages", text, offtopic=not on_topic and not rules.describes(text))

    def _implied_film(
        self, text: str, context: Context, page_film: str, ents: Entities
    ) -> tuple[str, str]:
        """The film a question that names none is about: the conversation's latest, unless
        the question names someone that film's reviews never mention ("who voices Samantha?"
        after a question about Moon is a new topic); else the page's film."""
        if page_film and rules.THIS.search(text) and page_film in ents.films:
            return page_film, "page"
        if context.films:
            film = context.films[0]
            names = [n for n in rules.NAMES.findall(text) if n.lower() not in ("i",)]
            strangers = [
                n for n in names if not ents.mentions_name(film, n) and _known_word(ents, n)
            ]
            if not strangers:
                return film, "context"
        if page_film and page_film in ents.films:
            return page_film, "page"
        return "", ""


_LISTING_WORDS = frozenset(
    """review reviews reviewed wrote write written writes film films movie movies all list
    what which did does has have by other else more any show me tell every he she they him
    her them it his their its""".split()
)


def _other_year(found: Mentions, ents: Entities, text: str) -> str:
    """ "Dune (1984)" when the archive's Dune is from 2021: the film named is another one."""
    if not found.films or not found.years:
        return ""
    title_years = {int(w) for f in found.films for w in f.split() if w.isdigit()}
    years = [y for y in found.years if y not in title_years]
    if not years or any(ents.films[f].year in years for f in found.films if f in ents.films):
        return ""
    return f"{found.films[0]} ({years[0]})"


def _strangers(text: str, ents: Entities) -> list[str]:
    """Capitalised names in the message that the archive knows nothing of (a title it never
    reviewed)."""
    from companion.archive.entities import fold
    from companion.text import named_phrases

    known = {fold(n) for n in [*ents.films, *ents.people, *ents.reviewers, *ents.labels]}
    out = []
    for phrase in named_phrases(text):
        f = fold(phrase)
        if len(f.split()) >= 2 and not any(f in k or k in f for k in known if k):
            out.append(phrase)
    return out


def _unknown_words(ents: Entities, title: str) -> list[str]:
    """The words of a supposed title that no review uses: a title, not a keyword search."""
    return [
        w
        for w in rules.WORDS.findall(title.lower())
        if len(w) > 3 and w not in STOPWORDS and not _known_word(ents, w)
    ]


def _known_word(ents: Entities, word: str) -> bool:
    from companion.archive.entities import fold

    return fold(word) in ents.vocabulary
