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
_OPENING = re.compile(
    rf"^\s*[{_Q}]\s*(?P<film>[^{_QE}\n]{{1,60}}?)\s*,?\s*[{_QE}]"
    r"(?:[^.\n]{0,80}?\b(?P<year>(?:19|20)\d{2})\b)?"
)


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
    """A review that opens with the film's name in quotes: '"Her," directed by ... in 2013'."""
    m = _OPENING.search(text[:400])
    if not m:
        return "", None
    year = m.group("year")
    return m.group("film").strip(" ,"), int(year) if year else None


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
