"""Film title and year from what a post says about itself, for posts without front matter."""

from __future__ import annotations

import re

_TITLE_PATTERNS = [
    # Review of 'Her' (2013) / Review: "Arrival" (2016) / Rewatch: 'Blade Runner' (1982)
    re.compile(
        r"""^(?:[\w ]{0,30}?(?:review|rewatch|revisited)\s*(?:of|:)?\s*)?["'“‘](?P<film>[^"'”’]+)["'”’]\s*\((?P<year>\d{4})\)""",
        re.IGNORECASE,
    ),
    # Her (2013) review
    re.compile(r"^(?P<film>[^()]{1,80}?)\s*\((?P<year>\d{4})\)"),
    # Review: Jaws
    re.compile(r"^(?:review|rewatch)\s*:\s*(?P<film>.{1,80})$", re.IGNORECASE),
]


def film_from_title(title: str) -> tuple[str, int | None]:
    """Best guess of (film, year) from a post title; ("", None) when the title names none."""
    title = title.strip()
    for pattern in _TITLE_PATTERNS:
        m = pattern.search(title)
        if m:
            film = m.group("film").strip(" -–—:")
            year = m.groupdict().get("year")
            return film, int(year) if year else None
    return "", None
