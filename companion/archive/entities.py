"""The archive's own names: films (with year and title variants), reviewers, people named in
the labels or the text (with the role the text gives them), labels, years.

Read from the posts' records and texts once per store generation (a server builds a new chat,
and so new entities, whenever an ingest changes the archive). Names the archive knows are
found in a fan's message exactly, or despite a typo ("gatacca", "intersteller"): a word the
archive never uses is compared with the titles by edit distance (rapidfuzz), and two close
films make a "did you mean" rather than a guess.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from companion.archive.base import Store
from companion.archive.records import PostRecord
from companion.text import DOMAIN_WORDS, STOPWORDS, TitleMatcher

_TOKEN = re.compile(r"[\w'’]+")
# Capitalised words on one line (a heading above a paragraph is not part of a name).
_NAME = r"[A-Z][\w'’-]+(?:[ ]+(?:(?:de|del|van|von|da|le|la)[ ]+)?[A-Z][\w'’-]+){1,2}"
# Where a review says who did what: "directed by X", "X plays Y", "voiced by X", "Y (X)".
_ROLES: list[tuple[str, re.Pattern[str]]] = [
    ("director", re.compile(rf"\b(?:directed|co-directed)\s+by\s+(?P<name>{_NAME})")),
    (
        "director",
        re.compile(rf"(?P<name>{_NAME})\s+(?:(?:co-)?wrote\s+and\s+)?(?:directed|directs)\b"),
    ),
    ("director", re.compile(rf"\bdirector,?\s+(?P<name>{_NAME})")),
    ("actor", re.compile(rf"(?P<name>{_NAME})\s+(?:plays|played|stars\s+as)\s+[A-Z]")),
    ("actor", re.compile(rf"\b(?:played|portrayed)\s+(?:\w+\s+){{0,3}}?by\s+(?P<name>{_NAME})")),
    ("voice", re.compile(rf"\bvoiced\s+(?:\w+\s+){{0,3}}?by\s+(?P<name>{_NAME})")),
    ("voice", re.compile(rf"(?P<name>{_NAME})\s+voices\b")),
    ("writer", re.compile(rf"\b(?:written|screenplay,?)\s+by\s+(?P<name>{_NAME})")),
    ("composer", re.compile(rf"(?P<name>{_NAME})[’']s\s+(?:\w+\s+){{0,2}}score\b")),
    ("composer", re.compile(rf"\bscore\s+(?:is\s+)?by\s+(?P<name>{_NAME})")),
]
_ANY_NAME = re.compile(_NAME)
_NO_AUTHOR = frozenset({"unknown", "anonymous", "admin", "none", "n/a", "editor"})
_NOT_NAMES = frozenset("The This That When Both Each Her His Their Its And But".split())
_LABEL_ALIASES = {"ai": "artificial intelligence", "sci-fi": "science fiction"}
FUZZY_CUTOFF = 84.0
CLOSE = 4.0  # two films this close to a misspelling: ask which one


def fold(text: str) -> str:
    """Lower case without accents or punctuation: "Pan's Labyrinth" ~ "pans labyrinth",
    "Sørensen" ~ "sorensen"."""
    text = unicodedata.normalize("NFKD", text.replace("ø", "o").replace("Ø", "O"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^\w\s]", "", text.replace("-", " ")).split())


@dataclass(frozen=True)
class Film:
    title: str
    year: int | None
    doc_ids: tuple[str, ...]  # oldest review first


@dataclass
class Person:
    name: str
    roles: dict[str, set[str]] = field(default_factory=dict)  # film -> roles the text states
    labelled: set[str] = field(default_factory=set)  # films whose labels name them
    mentioned: set[str] = field(default_factory=set)  # films whose reviews name them

    @property
    def films(self) -> set[str]:
        return set(self.roles) | self.labelled | self.mentioned


@dataclass
class Mentions:
    """What a message names that the archive knows."""

    films: list[str] = field(default_factory=list)
    typos: dict[str, str] = field(default_factory=dict)  # as typed -> film
    suggestions: list[str] = field(default_factory=list)  # close films when unsure which
    reviewer: str = ""
    person: str = ""
    label: str = ""
    years: list[int] = field(default_factory=list)


class Entities:
    def __init__(self, records: dict[str, PostRecord], texts: dict[str, str]) -> None:
        """``texts``: each film's review text (all its reviews), keyed by film."""
        self.records = records
        by_film: dict[str, list[PostRecord]] = defaultdict(list)
        for record in records.values():
            if record.film or record.title:
                by_film[record.film or record.title].append(record)
        self.films = {
            title: Film(
                title, rs[0].year, tuple(r.doc_id for r in sorted(rs, key=PostRecord.order))
            )
            for title, rs in by_film.items()
        }
        self.reviewers: dict[str, list[str]] = defaultdict(list)
        for record in sorted(records.values(), key=PostRecord.order):
            if record.author and record.author.lower() not in _NO_AUTHOR:
                self.reviewers[record.author].append(record.doc_id)
        self.labels: dict[str, str] = {}  # folded -> as written
        self.people: dict[str, Person] = {}
        for record in records.values():
            for label in record.labels:
                if _is_person(label):
                    self._person(label).labelled.add(record.film or record.title)
                elif label.lower() != "review":
                    self.labels.setdefault(fold(label), label)
        self.vocabulary: set[str] = set()
        self.proper: dict[str, set[str]] = {}  # film -> capitalised words its reviews use
        for film, text in texts.items():
            words = _TOKEN.findall(text)
            self.vocabulary.update(fold(w) for w in words)
            self.proper[film] = {fold(w) for w in words if w[:1].isupper()}
            for role, pattern in _ROLES:
                for m in pattern.finditer(text):
                    name = _clean_name(m.group("name"))
                    if name:
                        self._person(name).roles.setdefault(film, set()).add(role)
        # A known person named anywhere in a review, with or without a role ("Scarlett
        # Johansson" in the Under the Skin review).
        for film, text in texts.items():
            for m in _ANY_NAME.finditer(text):
                person = self.people.get(m.group(0).replace("’", "'"))
                if person is not None:
                    person.mentioned.add(film)
        self.vocabulary.update(fold(w) for f in self.films for w in _TOKEN.findall(f))
        self._matchers = {title: TitleMatcher(title) for title in self.films}
        self._folded = {title: fold(title) for title in self.films}
        self._aliases = _aliases(self._folded)
        self._strict = [t for t in self.films if t.lower() in STOPWORDS or len(t) <= 3]
        # Titles keyed by their longest word, and grouped by length: a message is compared
        # with the few titles that share a word, or (for typos) with one call per length.
        self._by_word: dict[str, list[str]] = defaultdict(list)
        self._by_length: dict[int, dict[str, str]] = defaultdict(dict)
        for title, f in self._folded.items():
            if f:
                self._by_word[max(f.split(), key=len)].append(title)
                if len(f) >= 5:  # "Moon", "Lucy", "Her": too short to tell a typo from a word
                    self._by_length[len(f.split())][title] = f
        firsts_of_reviewers = {n.split()[0] for n in self.reviewers}
        self._surnames = {
            fold(s): n
            for s, n in _unique_surnames([*self.people, *self.reviewers]).items()
            if s not in firsts_of_reviewers
        }
        self._name_index: dict[int, dict[str, list[tuple[str, str]]]] = {}
        firsts = defaultdict(list)
        for name in self.reviewers:
            firsts[name.split()[0]].append(name)
        self._first_names = {f: ns[0] for f, ns in firsts.items() if len(ns) == 1 and len(f) > 1}

    def _person(self, name: str) -> Person:
        return self.people.setdefault(name, Person(name))

    # -- finding names in a message -------------------------------------------------------

    def find(self, text: str) -> Mentions:
        found = Mentions()
        found.films = self._films_in(text)
        if not found.films:
            found.typos, found.suggestions = self._misspelt(text)
            found.films = list(dict.fromkeys(found.typos.values()))
        folded = f" {fold(text)} "
        found.reviewer = self._name_in(text, folded, self.reviewers) or self._first_name(text)
        found.person = self._name_in(text, folded, self.people)
        if found.person == found.reviewer:
            found.person = ""
        found.label = self._label_in(folded)
        found.years = [int(y) for y in re.findall(r"\b(?:19|20)\d{2}\b", text)]
        return found

    def _films_in(self, text: str) -> list[str]:
        folded = f" {fold(text)} "
        words = set(folded.split()) | {w.lower() for w in _TOKEN.findall(text)}
        words |= {re.sub(r"['’]s$", "", w) for w in words}  # "Moon's score"
        candidates = {t for w in words for t in self._by_word.get(w, ())}
        hits = [
            t
            for t in sorted(candidates)
            if self._matchers[t].search(text)
            or (len(t.split()) > 1 and self._folded[t] and _whole(self._folded[t], folded))
        ]
        # "Blade Runner 2049" also contains "Blade Runner": keep the longest match only
        # (but "Blade Runner or 2049?" names both).
        whole = [
            t for t in hits if f" {self._folded[t]} " in folded or self._matchers[t].search(text)
        ]
        hits = [
            t for t in hits if not any(t != o and self._folded[t] in self._folded[o] for o in whole)
        ]
        hits += [t for alias, t in self._aliases.items() if f" {alias} " in folded]
        hits += [t for t in self._strict if t not in hits and _title_slot(t).search(text)]
        # In the order the fan typed them: "the second one" after "Solaris vs Interstellar".
        return sorted(dict.fromkeys(hits), key=lambda t: _position(t, self._folded[t], folded))

    def _misspelt(self, text: str) -> tuple[dict[str, str], list[str]]:
        """Runs of words the archive never uses, read as a misspelt title when one is close."""
        from rapidfuzz import fuzz, process

        words = [fold(w) for w in _TOKEN.findall(text)]
        words = [w for w in words if w]
        unknown = {
            i
            for i, w in enumerate(words)
            if w not in self.vocabulary and len(w) >= 4 and w not in _NEVER_TYPOS
        }
        if not unknown:
            return {}, []
        typos: dict[str, str] = {}
        suggestions: list[str] = []
        for i in sorted(unknown):
            best: list[tuple[float, str, str]] = []
            for n, titles in self._by_length.items():
                for start in range(max(0, i - n + 1), min(i, len(words) - n) + 1):
                    phrase = " ".join(words[start : start + n])
                    for _, score, title in process.extract(
                        phrase, titles, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=3
                    ):
                        best.append((score, title, phrase))
            if not best:
                continue
            best.sort(reverse=True)
            top, title, phrase = best[0]
            rivals = [t for s, t, _ in best if t != title and s >= top - CLOSE]
            if rivals:
                suggestions.extend(dict.fromkeys([title, *rivals]))
            else:
                typos[phrase] = title
        return typos, list(dict.fromkeys(suggestions))

    def _name_in(self, text: str, folded: str, known: dict[str, Any]) -> str:
        """The longest known name in the message, whole (folded) or by a surname that names
        one person only; names are looked up by their last word, not scanned one by one."""
        index = self._name_index.get(id(known))
        if index is None:
            index = defaultdict(list)
            for name in known:
                f = fold(name)
                if f:
                    index[f.split()[-1]].append((f, name))
            self._name_index[id(known)] = index
        words = folded.split()
        hits = [
            (len(f), name) for w in set(words) for f, name in index.get(w, ()) if f" {f} " in folded
        ]
        if hits:
            return max(hits)[1]
        for w in words:
            name = self._surnames.get(w, "")
            if name in known and re.search(rf"\b{re.escape(w)}\b", fold(text)):
                return name
        return ""

    def without_reviewers(self, text: str) -> str:
        """The message with the reviewers' names taken out: they sign the posts, so no
        passage contains them, and a name no passage contains reads as a film the archive
        lacks ("What did Mara say about the ending?" is about the ending)."""
        for name in self.reviewers:
            for form in (name, name.split()[0]):
                text = re.sub(rf"\b{re.escape(form)}(?:['’]s)?\b", "", text)
        return " ".join(text.split())

    def _first_name(self, text: str) -> str:
        """A reviewer by first name, as the blog signs ("what did mara review?", "dev's
        reviews"); a first name that is also a common word counts only capitalised."""
        for first, name in self._first_names.items():
            flags = 0 if first.lower() in STOPWORDS else re.IGNORECASE
            if re.search(rf"\b{re.escape(first)}\b", text, flags):
                return name
        return ""

    def _label_in(self, folded: str) -> str:
        for alias, label in _LABEL_ALIASES.items():
            if f" {alias} " in folded and fold(label) in self.labels:
                return self.labels[fold(label)]
        for key in sorted(self.labels, key=len, reverse=True):
            stem = key[:-1] if key.endswith("s") and len(key) > 4 else key
            if re.search(rf" {re.escape(stem)}s? ", folded):
                return self.labels[key]
        return ""

    # -- relations --------------------------------------------------------------------------

    def label(self, film: str) -> str:
        entry = self.films.get(film)
        return f"{film} ({entry.year})" if entry and entry.year else film

    def sequels(self, film: str) -> list[str]:
        """Films whose title continues this one's ("Blade Runner" -> "Blade Runner 2049")."""
        key = self._folded.get(film, "")
        return [t for t, f in self._folded.items() if t != film and key and f.startswith(key + " ")]

    def originals(self, film: str) -> list[str]:
        key = self._folded.get(film, "")
        return [t for t, f in self._folded.items() if t != film and f and key.startswith(f + " ")]

    def mentions_name(self, film: str, word: str) -> bool:
        return fold(word) in self.proper.get(film, set())


_SEQUEL_NEXT = re.compile(r"^(?:\d{1,2}|ii|iii|iv|part|returns|reloaded|revolutions)\b")
# The chat's own words: a "blog" the reviews never mention is not a misspelt "Blob".
_NEVER_TYPOS = frozenset(DOMAIN_WORDS | STOPWORDS | {"blog", "blogs", "reviewer", "reviewers"})


def _whole(folded_title: str, folded_text: str) -> bool:
    """The title as whole words, and not the start of a sequel's ("Men in Black II")."""
    at = folded_text.find(f" {folded_title} ")
    while at >= 0:
        after = folded_text[at + len(folded_title) + 2 :]
        if not _SEQUEL_NEXT.match(after):
            return True
        at = folded_text.find(f" {folded_title} ", at + 1)
    return False


def _title_slot(title: str) -> re.Pattern[str]:
    """A title that is also a common word ("Her"), typed in lower case where only a title
    fits: "what did u think of her", "is it better than her?"."""
    return re.compile(
        rf"\b(?:think\s+of|thoughts\s+on|review(?:ed)?|watch(?:ed)?|seen|than|vs\.?|versus|"
        rf"like)\s+{re.escape(title)}\s*[?.!]*\s*$",
        re.IGNORECASE,
    )


def _position(title: str, folded_title: str, folded_text: str) -> int:
    at = folded_text.find(f" {folded_title} ")
    if at < 0:
        at = folded_text.find(f" {folded_title.split()[-1]} ")
    return at if at >= 0 else len(folded_text)


def _aliases(folded: dict[str, str]) -> dict[str, str]:
    """Short names fans use: a long title's first words ("eternal sunshine"), a sequel's
    number ("2049"), when they name one film only."""
    found: dict[str, list[str]] = defaultdict(list)
    for title, f in folded.items():
        words = f.split()
        if len(words) >= 4 and words[1] not in STOPWORDS:
            found[" ".join(words[:2])].append(title)
        number = words[-1] if len(words) >= 2 else ""
        if number.isdigit() and len(number) == 4 and not 1880 <= int(number) <= 2035:
            found[number].append(title)  # "2049", but never a year ("Godzilla 2000")
    return {alias: ts[0] for alias, ts in found.items() if len(ts) == 1}


def _is_person(label: str) -> bool:
    """Labels naming people are capitalised ("Denis Villeneuve", "the Wachowskis"); genres
    and themes are not ("artificial intelligence", "first contact")."""
    words = label.split()
    return any(w[:1].isupper() for w in words) and label.lower() != "review"


def _clean_name(name: str) -> str:
    words = name.replace("’", "'").split()
    while words and (words[0] in _NOT_NAMES or words[0].endswith("'s")):
        words = words[1:]
    if words and words[-1].endswith("'s"):
        words[-1] = words[-1][:-2]
    return " ".join(words) if len(words) >= 2 else ""


def _unique_surnames(names: list[str]) -> dict[str, str]:
    """Surnames (and the first names of reviewers, who sign as "Mara") that name one person
    only: "Villeneuve", "Garland"."""
    seen: dict[str, list[str]] = defaultdict(list)
    for name in dict.fromkeys(names):
        parts = name.split()
        if len(parts) >= 2 and len(parts[-1]) >= 4 and parts[-1].lower() not in STOPWORDS:
            seen[parts[-1]].append(name)
    return {s: ns[0] for s, ns in seen.items() if len(ns) == 1}


def entities_of(store: Store) -> Entities:
    """The store's entities: one read of the records and of every chunk's text."""
    records = store.posts()
    ids, texts = store.all_chunks()
    text_of = dict(zip(ids, texts, strict=True))
    by_film = {
        film: "\n".join(text_of.get(cid, "") for cid in cids)
        for film, cids in store.chunk_ids_by_film().items()
    }
    return Entities(records, by_film)
