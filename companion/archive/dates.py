"""Post dates as sources write them, read into one form: a timezone-aware datetime, or a
date where the source gives only a date (never shifted into another day by a time zone)."""

from __future__ import annotations

import datetime as dt
import email.utils
import re

When = dt.datetime | dt.date

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(raw: str) -> When | None:
    """ISO 8601 (Blogger, front matter, WordPress's "2023-09-02 09:00:00"), RFC 822 (RSS),
    or whatever python-dateutil reads; None when nothing is recognisable. A time without a
    zone is taken as UTC, as Blogger and WordPress's ``*_gmt`` fields mean it."""
    raw = (raw or "").strip()
    if not raw or raw.startswith("0000"):
        return None
    if _DATE_ONLY.match(raw):
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            return None
    found: dt.datetime | None = None
    try:
        found = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        try:
            found = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            found = _dateutil(raw)
            if found is not None and ":" not in raw:  # "July 26, 2023" names a day
                return found.date()
    if found is None:
        return None
    return found if found.tzinfo else found.replace(tzinfo=dt.UTC)


def _dateutil(raw: str) -> dt.datetime | None:
    from dateutil import parser

    try:
        found: dt.datetime = parser.parse(raw)
    except (ValueError, OverflowError):
        return None
    return found


def iso(when: When | None) -> str:
    """The JSON form: ``2023-07-26`` for a date, ``2023-09-02T09:00:00+00:00`` otherwise."""
    if when is None:
        return ""
    if isinstance(when, dt.datetime):
        return when.isoformat(timespec="seconds")
    return when.isoformat()


def from_iso(text: str) -> When | None:
    """Back from :func:`iso` (a stored record); None for "" or anything else."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        if _DATE_ONLY.match(text):
            return dt.date.fromisoformat(text)
        found = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=dt.UTC)


def human(when: When | None) -> str:
    """What a fan reads: "26 July 2023", in the day the source meant."""
    if when is None:
        return ""
    return f"{when.day} {when:%B %Y}"


def sort_key(when: When | None) -> tuple[int, float]:
    """Undated first, then true time order across dates and datetimes (a date counts as the
    start of its day in UTC)."""
    if when is None:
        return (0, 0.0)
    if not isinstance(when, dt.datetime):
        when = dt.datetime(when.year, when.month, when.day, tzinfo=dt.UTC)
    return (1, when.timestamp())
