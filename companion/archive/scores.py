"""A score a review states in so many words ("Score: 9/10", "Rating: 4 out of 5", "★★★★☆",
"Grade: B+"), read at ingest so it travels on the post's record, and again by the judge."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Score:
    text: str  # as the post writes it
    fraction: float  # of the scale, in [0, 1]


LINE_SCORE = re.compile(
    r"^\W{0,3}(?:my\s+|our\s+|final\s+|overall\s+)?(?:score|rating|grade|verdict|stars)\s*"
    r"[:\-–—]\s*(?P<value>[^\n]{1,40}?)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_FRACTION = re.compile(
    r"(?P<n>\d+(?:\.\d+)?)\s*(?:(?P<half>½|1/2|\.5)\s*)?(?:/|out\s+of)\s*(?P<m>\d+)", re.I
)
_STARS = re.compile(r"^\s*(?P<full>★+)(?P<empty>☆*)\s*$", re.MULTILINE)
_GRADE = re.compile(r"^(?P<g>[A-F])(?P<mod>[+-]?)$")
_GRADES = {"A": 0.95, "B": 0.8, "C": 0.6, "D": 0.4, "E": 0.2, "F": 0.1}


def stated_score(text: str) -> tuple[str, float] | None:
    """(the score as written, its fraction of the scale) when the post states one."""
    for m in _STARS.finditer(text):
        full, empty = len(m.group("full")), len(m.group("empty"))
        return m.group(0).strip(), full / ((full + empty) if empty else 5)
    for m in LINE_SCORE.finditer(text):
        value = m.group("value").strip().rstrip(".")
        if f := _FRACTION.search(value):
            n = float(f.group("n")) + (0.5 if f.group("half") else 0.0)
            top = float(f.group("m"))
            if 0 < top <= 100 and 0 <= n <= top:
                return value, n / top
        if g := _GRADE.match(value.upper()):
            base = _GRADES[g.group("g")]
            return value, base + {"+": 0.05, "-": -0.05}.get(g.group("mod"), 0.0)
        stars = value.count("★") + value.count("*")
        if stars and len(value.replace(" ", "")) <= 6 + value.count("½"):
            return value, min(1.0, (stars + 0.5 * value.count("½")) / 5)
    return None


def score_of(text: str) -> Score | None:
    found = stated_score(text)
    return Score(*found) if found else None
