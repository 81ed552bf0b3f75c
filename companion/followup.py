"""Follow-up questions without an LLM: carry the film in focus from earlier turns.

"Who directed it?" after a question about *Arrival* is retrieved as a question about
*Arrival*; "and the other review?" leaves out the posts the last answer cited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from companion.retrieval import FilmIndex

_REFERS = re.compile(
    r"\b(it|its|it's|this|that|these|those|the film|the movie|the one|he|she|they|them|his|"
    r"him|hers|their|other|same|sequel|also|too|else)\b",
    re.IGNORECASE,
)
_OTHER = re.compile(r"\b(other|second|another)\s+(review|take|critic|opinion|post)\b", re.I)
_LEAD = re.compile(r"Our review of (.+?) \(\d{4}\)")
_HREF = re.compile(r'href="([^"]+)"')


@dataclass
class Focus:
    films: list[str] | None = None
    exclude_urls: list[str] = field(default_factory=list)


def resolve(question: str, history: list[tuple[str, str]], films: FilmIndex) -> Focus:
    """Which films a question is about when it does not say, from the latest turn that did."""
    if not history or films.named_in(question):
        return Focus()
    if not (_REFERS.search(question) or len(question.split()) <= 5):
        return Focus()
    for user, assistant in reversed(history):
        named = films.named_in(user)
        if not named:
            lead = _LEAD.findall(assistant or "")
            named = [f for f in films.named_in(" ".join(lead))] if lead else []
        if named:
            exclude = _HREF.findall(assistant or "") if _OTHER.search(question) else []
            return Focus(films=named, exclude_urls=exclude)
    return Focus()
