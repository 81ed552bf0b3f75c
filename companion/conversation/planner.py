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
from companion.conversation.classify import ExampleClassifier
from companion.conversation.intent import describes_film, intent_of
from companion.conversation.plan import Act, ArchiveQuery, Context, Plan

_I = re.IGNORECASE
_SMALLTALK: list[tuple[Act, re.Pattern[str]]] = [
    (
        "greeting",
        re.compile(
            r"^(?:hi+|hello+|hey+|hiya|howdy|yo|sup|greetings|good\s+(?:morning|afternoon|evening)|"
            r"what'?s\s+up)(?:\s+(?:there|all|again|friend|everyone|companion|bot))?\W*$",
            _I,
        ),
    ),
    (
        "thanks",
        re.compile(
            r"^(?:(?:ok(?:ay)?|great|cool|nice|awesome|perfect|brilliant|lovely)[\s,!.]*)?"
            r"(?:thanks|thank\s+you|thx|ty|cheers|much\s+appreciated)(?:\s+(?:so\s+much|a\s+lot|"
            r"mate|again|heaps))?\W*$|^(?:ok(?:ay)?|great|cool|nice(?:\s+one)?|awesome|perfect|"
            r"brilliant|got\s+it|lovely)\W*$",
            _I,
        ),
    ),
    ("bye", re.compile(r"^(?:bye|goodbye|see\s+(?:you|ya)|later|good\s*night|cya)\W*$", _I)),
    (
        "help",
        re.compile(
            r"^(?:help|what\s+can\s+(?:you|i)\s+(?:do|ask)|how\s+does\s+this\s+work|"
            r"what\s+do\s+you\s+(?:do|know))\W*$",
            _I,
        ),
    ),
    (
        "identity",
        re.compile(
            r"^(?:who|what)\s+are\s+you\W*$|^are\s+you\s+(?:a\s+)?(?:bot|robot|human|real|an?\s+ai)"
            r"\W*$",
            _I,
        ),
    ),
]
_PREFIX = re.compile(
    r"^(?:hi+|hello+|hey+|hiya|howdy|yo|good\s+(?:morning|afternoon|evening)|thanks|"
    r"thank\s+you|cheers|ok(?:ay)?|great)(?:\s+(?:there|all|again|friend|so\s+much|a\s+lot))?"
    r"\s*[,!.:;-]+\s*(?=\S)|^(?:hi+|hello+|hey+)\s+(?=\w)",
    _I,
)
_COUNT = re.compile(r"\bhow\s+many\b", _I)
_ARCHIVE_NOUN = re.compile(
    r"\b(?:films?|movies?|reviews?|posts?|pictures?|rated|ratings?|scores?|picks?|"
    r"reviewed|one)\b",
    _I,
)
_BEST = re.compile(r"\b(?:best|top|highest|greatest|favou?rite|favou?red)\b", _I)
_WORST = re.compile(r"\b(?:worst|lowest|weakest|least\s+favou?rite|poorest)\b", _I)
_LATEST = re.compile(r"\b(?:latest|newest|most\s+recent(?:ly)?|last|recent)\b", _I)
_OLDEST = re.compile(r"\b(?:oldest|earliest|first)\b", _I)
_PLURAL = re.compile(r"\b(?:films|movies|reviews|ones|picks|all|every|which|list)\b", _I)
_TOP_N = re.compile(r"\btop\s+(\d{1,2}|three|five|ten)\b", _I)
_SCORE = re.compile(r"\b(\d{1,2}(?:\.\d)?)\s*(?:/|out\s+of)\s*(10|5)\b", _I)
_PERFECT = re.compile(r"\b(?:perfect\s+(?:score|scores|marks|ten|10)|full\s+marks)\b", _I)
_AT_LEAST = re.compile(r"\b(?:or\s+(?:higher|above|more|better)|and\s+(?:up|above))\b", _I)
_REVIEWED_IN = re.compile(
    r"\b(?:reviewed|reviews?|posted|written|published)\s+(?:in|during|from)\s+((?:19|20)\d{2})"
    r"|\bin\s+((?:19|20)\d{2})\s*,?\s+(?:did|have)\s+(?:you|the\s+blog)\s+review",
    _I,
)
_DECADE = re.compile(r"\b(?:the\s+)?(?:(19|20)?([0-9])0)'?s\b", _I)
_LISTING = re.compile(
    r"\b(?:list|which|what|any|all|every|show|name|films?|movies?|reviews?|reviewed|"
    r"did\s+\w+\s+review|wrote|write|written|by|more|else|other)\b",
    _I,
)
_COMPARE = re.compile(
    r"\b(?:or|vs\.?|versus|compare[sd]?|comparison|better|prefer(?:red)?|differ\w*|"
    r"against|than|between)\b",
    _I,
)
_WHO_REVIEWED = re.compile(
    r"\bwho\s+(?:reviewed|wrote\s+(?:the|that|this)\s+review|reviews?)\b|"
    r"\bwhen\s+(?:did|was|were)\s+.{0,60}\breview(?:ed)?\b|\bwho\s+wrote\s+about\b",
    _I,
)
_MUSIC = re.compile(
    r"\b(?:compos\w*|music\w*|soundtrack|musical)\b|\bwho\s+(?:did|wrote|made|does)\s+the\s+"
    r"score\b|\bscore\s+(?:by|was\s+by|composed)\b",
    _I,
)
_SEQUEL = re.compile(r"\b(?:the\s+)?(?:sequel|follow[- ]?up|next\s+one|part\s+(?:two|2))\b", _I)
_ORIGINAL = re.compile(r"\b(?:the\s+)?(?:original|first\s+(?:one|film|movie)|prequel)\b", _I)
_OTHER = re.compile(r"\bthe\s+other\s+(?:one|film|movie)\b", _I)
_OTHER_REVIEW = re.compile(
    r"\b(?:other|second|another)\s+(?:review|take|critic|opinion|post)\b", _I
)
_ORDINAL = re.compile(
    r"\b(first|second|third|fourth|fifth|sixth|last|1st|2nd|3rd|4th|5th|6th)\b"
    r"(?:\s+(?:one|film|movie|review))?(?:\s+(?:in|on|of|from)\s+(?:that|the|this)\s+list)?",
    _I,
)
_ORDINALS = {
    "first": 0,
    "1st": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "4th": 3,
    "fifth": 4,
    "5th": 4,
    "sixth": 5,
    "6th": 5,
    "last": -1,
}
_PERSON_REF = re.compile(
    r"\b(?:by\s+(?:him|her|them)|his|their|that\s+(?:director|actor|actress|person|guy)|"
    r"this\s+(?:director|actor|actress)|more\s+from|else\s+(?:did|has)\s+(?:he|she|they))\b",
    _I,
)
_FOLLOW_YEAR = re.compile(
    r"^\W*(?:and|what\s+about|how\s+about|or)?\s*(?:in|from|for)?\s*((?:19|20)\d{2})\W*$", _I
)
_FILM_WORDS = re.compile(
    r"\b(?:films?|movies?|cinema|reviews?|blog|watch\w*|actors?|actress|director|directed|"
    r"plot|scene|ending|cast|character|stars?|starring|plays?|played|screen|sci-?fi|genre|"
    r"seen|sequel|trailer|rated|score|verdict|recommend\w*)\b",
    _I,
)
_THIS = re.compile(r"\bthis\s+(?:film|movie|review|post|one|page|picture)\b|\bafter\s+this\b", _I)
_NAMES = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-zA-Z'’-]{2,}\b")
WORDS = re.compile(r"[\w'’]+")
_SMALL = {"three": 3, "five": 5, "ten": 10}
# A message that is only a title: "Jaws 2?", "What about Alien?"
_BARE_TITLE = re.compile(
    r"(?:(?:[Ww]hat|[Hh]ow)\s+about\s+|[Aa]nd\s+)?([A-Z0-9][\w'’:&-]*(?:\s+[\w'’:&-]+){0,4})"
    r"\s*\??"
)
_QUESTION_WORD = re.compile(
    r"(?:who|what|which|how|where|when|why|is|are|do|does|did|can|could|should|tell|show|"
    r"give|list|any|recommend)\b",
    _I,
)
CLASSIFIER_MIN = 0.55  # a weaker nearest-example vote leaves the message to the passages


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
        act = smalltalk_act(text)
        if act:
            return Plan("smalltalk", text, act=act)
        rest = _PREFIX.sub("", text) or text  # "hi, who directed Moon?" asks about Moon
        ents = self._entities()
        found = ents.find(rest)
        known = [f for f in context.films if f in ents.films]
        context = replace(context, films=tuple(known))

        if found.suggestions and not found.films:
            return Plan("film", rest, suggestions=tuple(found.suggestions), source="typo")
        archive = self._archive(rest, found, context, ents)
        if archive is not None:
            return archive
        films, source = found.films, ("typo" if found.typos else "question")
        if not films:
            films, source = self._referred(rest, context, ents)
        if len(films) >= 2 and _COMPARE.search(rest):
            return Plan("compare", rest, films=tuple(films), source=source)
        if films:
            return self._about_films(rest, films, source, context, found)
        return self._open(rest, context, page_film, found, ents)

    # -- the archive as a whole -----------------------------------------------------------

    def _archive(self, text: str, found: Mentions, context: Context, ents: Entities) -> Plan | None:
        follow = _FOLLOW_YEAR.match(text)
        if follow and context.query is not None:
            query = context.query.with_year(int(follow.group(1)))
            return Plan("archive", text, query=query, source="context")
        person = found.person
        if not person and _PERSON_REF.search(text) and not found.films:
            person = self._person_referred(text, context, ents)
        asked = archive_query(text, found, person)
        if asked is None:
            return None
        query = asked
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
        role = re.search(r"\b(director|actor|actress|composer|writer)\b", text, _I)
        if role and context.films:
            wanted = {"actress": "actor"}.get(role.group(1).lower(), role.group(1).lower())
            for name, person in ents.people.items():
                if wanted in person.roles.get(context.films[0], set()):
                    return name
        return context.person if context.person in ents.people else ""

    # -- films named or referred to ---------------------------------------------------------

    def _referred(self, text: str, context: Context, ents: Entities) -> tuple[list[str], str]:
        """Films the message points at without naming: "the sequel", "the second one in that
        list", "the other one"."""
        last = context.films[0] if context.films else ""
        if last and _SEQUEL.search(text) and ents.sequels(last):
            return ents.sequels(last)[:1], "context"
        if last and _ORIGINAL.search(text) and ents.originals(last):
            return ents.originals(last)[:1], "context"
        if _OTHER.search(text):
            pool = [f for f in (context.listed or context.films) if f != last] or list(
                context.films[1:]
            )
            if pool:
                return pool[:1], "context"
        listed = [f for f in context.listed if f in ents.films]
        ordinal = _ORDINAL.search(text) if listed else None
        if ordinal and (re.search(r"\blist\b|\bone\b", text, _I) or len(text.split()) <= 6):
            index = _ORDINALS[ordinal.group(1).lower()]
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
        if source == "context" and not _content(text):  # "the third one", "the original?"
            return Plan("film", text, films=tuple(films), aspect="verdict", source=source)
        if _WHO_REVIEWED.search(text) and not _MUSIC.search(text):
            return Plan("film", text, films=tuple(films), aspect="reviewer", source=source)
        intent = intent_of(text)
        if intent == "recommend":
            return Plan("recommend", text, films=tuple(films), source=source)
        if intent == "verdict" and not _MUSIC.search(text):
            return Plan(
                "film",
                text,
                films=tuple(films),
                aspect="verdict",
                person=found.reviewer,
                source=source,
            )
        exclude = context.cited_urls if _OTHER_REVIEW.search(text) else ()
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
        entity_like = bool(found.label or found.person or found.reviewer or found.years)
        guess = None
        if self._classifier is not None and not entity_like:
            guess = self._classifier.classify(text)
        on_topic = bool(_FILM_WORDS.search(text)) or entity_like
        if guess is not None and guess.score >= CLASSIFIER_MIN:
            if guess.kind in ("greeting", "thanks", "bye", "help", "identity") and (
                len(text.split()) <= 6 and not on_topic
            ):
                return Plan("smalltalk", text, act=guess.kind)  # type: ignore[arg-type]
            if guess.kind == "out_of_scope" and not on_topic and guess.nearest >= 0.35:
                return Plan("out_of_scope", text)
        recommend = intent_of(text) == "recommend" or (
            guess is not None and guess.kind == "recommend" and guess.score >= CLASSIFIER_MIN
        )
        if describes_film(text) and not _THIS.search(text):
            return Plan("describe", text)
        film, source = self._implied_film(text, context, page_film, ents)
        if recommend:
            if film and not found.label:
                return Plan("recommend", text, films=(film,), source=source)
            return Plan("recommend", text, theme=found.label or text)
        title = _BARE_TITLE.fullmatch(text)
        if title and not entity_like and not _QUESTION_WORD.match(title.group(1)):
            return Plan("passages", text, unknown=title.group(1))
        if film:
            return self._about_films(text, [film], source, context, found)
        if found.label and _LISTING.search(text):
            return Plan("archive", text, query=ArchiveQuery(label=found.label))
        return Plan("passages", text)

    def _implied_film(
        self, text: str, context: Context, page_film: str, ents: Entities
    ) -> tuple[str, str]:
        """The film a question that names none is about: the conversation's latest, unless
        the question names someone that film's reviews never mention ("who voices Samantha?"
        after a question about Moon is a new topic); else the page's film."""
        if page_film and _THIS.search(text) and page_film in ents.films:
            return page_film, "page"
        if context.films:
            film = context.films[0]
            names = [n for n in _NAMES.findall(text) if n.lower() not in ("i",)]
            strangers = [
                n for n in names if not ents.mentions_name(film, n) and _known_word(ents, n)
            ]
            if not strangers:
                return film, "context"
        if page_film and page_film in ents.films:
            return page_film, "page"
        return "", ""


_REFERENCE_WORDS = frozenset(
    """the a an and what about how one film movie original sequel other first second third
    fourth fifth sixth last 1st 2nd 3rd 4th 5th 6th in on of from that this list then next
    prequel follow up""".split()
)


def _content(text: str) -> list[str]:
    """The words of a follow-up that are not just pointing at a film."""
    return [w for w in WORDS.findall(text.lower()) if w not in _REFERENCE_WORDS]


def _known_word(ents: Entities, word: str) -> bool:
    from companion.archive.entities import fold

    return fold(word) in ents.vocabulary


def smalltalk_act(text: str) -> Act:
    for act, pattern in _SMALLTALK:
        if pattern.match(text.strip()):
            return act
    return ""


def archive_query(text: str, found: Mentions, person: str = "") -> ArchiveQuery | None:
    """The filter, order and limit a question over the whole archive asks for, or None when
    it asks for none."""
    count = bool(_COUNT.search(text)) and bool(_ARCHIVE_NOUN.search(text) or found.reviewer)
    noun = bool(_ARCHIVE_NOUN.search(text))
    sort, descending, limit = "date", True, None
    superlative = False
    if _WORST.search(text) and noun:
        sort, descending, superlative = "score", False, True
    elif _BEST.search(text) and noun:
        sort, descending, superlative = "score", True, True
    elif _LATEST.search(text) and re.search(r"\breview|\bpost|\bwatched|\bcovered", text, _I):
        superlative = True
    elif _OLDEST.search(text) and re.search(r"\breview|\bpost", text, _I):
        descending, superlative = False, True
    if superlative and not count:
        top = _TOP_N.search(text)
        if top:
            limit = int(_SMALL.get(top.group(1).lower(), top.group(1)))
        elif not _PLURAL.search(text):
            limit = 1
    low = high = None
    if m := _SCORE.search(text):
        value = float(m.group(1)) / float(m.group(2))
        low, high = (value, None) if _AT_LEAST.search(text) else (value, value)
    elif _PERFECT.search(text):
        low, high = 1.0, 1.0
    reviewed = _REVIEWED_IN.search(text)
    reviewed_year = int(reviewed.group(1) or reviewed.group(2)) if reviewed else None
    years = [y for y in found.years if y != reviewed_year]
    decade = None
    if not years and (d := _DECADE.search(text)):
        century = int(d.group(1) or (20 if int(d.group(2)) < 3 else 19))
        decade = century * 100 + int(d.group(2)) * 10
    listing = bool(_LISTING.search(text))
    filtered = bool(
        found.reviewer
        or (person and listing)
        or (found.label and (listing or count or superlative) and noun)
        or ((years or decade or reviewed_year) and (listing or count or superlative))
        or low is not None
    )
    if not (count or superlative or filtered):
        return None
    return ArchiveQuery(
        year=years[0] if years else None,
        decade=decade,
        reviewed_year=reviewed_year,
        reviewer=found.reviewer,
        person=person,
        label=found.label if not found.films else "",
        min_score=low,
        max_score=high,
        sort=sort,  # type: ignore[arg-type]
        descending=descending,
        limit=limit,
        count=count,
    )
