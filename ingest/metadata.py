"""Post metadata that sources do not state: film title and year from the post title or its
opening, and the assembly of a ``Post`` from whatever a source found."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from companion.types import Post
from ingest.cleaning import clean_text

_Q = "\"'“‘«"
_QE = "\"'”’»"
_TITLE_PATTERNS = [
    # Review of 'Her' (2013) / Review: "Arrival" (2016) / Rewatch: 'Blade Runner' (1982)
    re.compile(
        rf"^(?:[\w ]{{0,30}}?(?:review|rewatch|revisited)\s*(?:of|:)?\s*)?[{_Q}](?P<film>[^{_QE}]+)[{_QE}]\s*\((?P<year>\d{{4}})\)",
        re.IGNORECASE,
    ),
    # 'Her' review / "Her" (2013) anywhere near the start
    re.compile(rf"[{_Q}](?P<film>[^{_QE}]{{1,80}})[{_QE}]\s*(?:\((?P<year>\d{{4}})\))?"),
    # Review: Moon (2009) / Her (2013) review
    re.compile(
        r"^(?:(?:movie |film )?(?:review|rewatch)\s*(?:of\b)?\s*[:\-–—]?\s*)?"
        r"(?P<film>[^()]{1,80}?)\s*\((?P<year>\d{4})\)",
        re.IGNORECASE,
    ),
    # Review: Jaws / Movie review - Jaws
    re.compile(
        r"^(?:movie |film )?(?:review|rewatch)\s*[:\-–—]\s*(?P<film>.{1,80})$", re.IGNORECASE
    ),
]
_SPAN = re.compile(
    r"(?:[\"“]\s*(?P<q>[^\"“”\n]{1,80}?)\s*,?\s*[\"”]|(?<![\w*])\*(?P<i>[^*\n]{1,80})\*(?![\w*]))"
    r"(?:\s*\(\s*(?P<y>(?:19|20)\d{2})\s*\))?"
)
# Quoted words that are rarely film titles: exclamations and scare quotes.
_NOT_TITLES = {"yes", "no", "oh", "ok", "okay", "what", "why", "the end", "i", "you", "it"}


def film_from_title(title: str) -> tuple[str, int | None]:
    """Best guess of (film, year) from a post title; ("", None) when the title names none."""
    title = title.strip()
    for pattern in _TITLE_PATTERNS:
        m = pattern.search(title)
        if m:
            film = m.group("film").strip(" -–—:,")
            year = m.groupdict().get("year")
            if film:
                return film, int(year) if year else None
    return "", None


def film_from_text(text: str) -> tuple[str, int | None]:
    """The film a review keeps naming: the most repeated short quoted or italic span (first
    seen wins a tie), with a year if one follows it in brackets."""
    counts: dict[str, int] = {}
    first: dict[str, int] = {}
    originals: dict[str, str] = {}
    years: dict[str, int] = {}
    for m in _SPAN.finditer(text[:20000]):
        span = (m.group("q") or m.group("i") or "").strip(" ,.;:")
        words = span.split()
        if not 1 <= len(words) <= 7 or span.lower() in _NOT_TITLES:
            continue
        key = span.lower()
        counts[key] = counts.get(key, 0) + 1
        first.setdefault(key, m.start())
        originals.setdefault(key, span)
        if m.group("y"):
            years.setdefault(key, int(m.group("y")))
    if not counts:
        return "", None
    best = max(counts, key=lambda k: (counts[k], -first[k]))
    return originals[best], years.get(best)


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def make_post(
    *,
    doc_id: str,
    text: str,
    source: str,
    title: str = "",
    url: str = "",
    date: str = "",
    updated: str = "",
    author: str = "",
    labels: Iterable[str] = (),
    film: str = "",
    year: Any = None,
) -> Post:
    """Assemble a post; film and year are derived when the source does not state them."""
    body = clean_text(text)
    if not body:
        raise ValueError("skipped: no text")
    title = clean_text(title).replace("\n", " ")
    if not film:
        film, guessed = film_from_title(title)
        if not film:
            film, guessed = film_from_text(body)
        year = year or guessed
    try:
        year_int = int(year) if year not in (None, "") else None
    except (TypeError, ValueError):
        year_int = None
    return Post(
        doc_id=doc_id,
        text=body,
        source=source,
        title=title,
        url=url,
        date=date,
        updated=updated,
        author=author,
        film=film,
        year=year_int,
        labels=tuple(dict.fromkeys(lb.strip() for lb in labels if lb and lb.strip())),
    )
