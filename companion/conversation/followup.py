"""Follow-up and page-aware questions without an LLM: carry the film in focus.

"Who directed it?" after a question about *Arrival* is retrieved as a question about
*Arrival*; "and the other review?" leaves out the posts the last answer cited; on a blog post's
page (the widget passes its URL) "what did you think of this film?" is about that post's film.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from companion.conversation.plan import Context
from companion.retrieval.hybrid import FilmIndex

_REFERS = re.compile(
    r"\b(it|its|it's|this|that|these|those|the film|the movie|the one|he|she|they|them|his|"
    r"him|hers|their|other|same|sequel|also|too|else)\b",
    re.IGNORECASE,
)
_OTHER = re.compile(r"\b(other|second|another)\s+(review|take|critic|opinion|post)\b", re.I)
_THIS = re.compile(r"\bthis\s+(film|movie|review|post|one|page|picture)\b", re.IGNORECASE)
_LEAD = re.compile(r"Our review of (.+?) \(\d{4}\)")
_HREF = re.compile(r'href="([^"]+)"')


@dataclass
class Focus:
    films: list[str] | None = None
    exclude_urls: list[str] = field(default_factory=list)


def resolve(
    question: str, history: list[tuple[str, str]], films: FilmIndex, page_film: str = ""
) -> Focus:
    """Which films a question is about when it does not say: the page's film for "this film",
    else the latest earlier turn that named one, else the page's film."""
    if films.named_in(question):
        return Focus()
    if not (_REFERS.search(question) or len(question.split()) <= 5):
        return Focus()
    if page_film and _THIS.search(question):
        return Focus(films=[page_film])
    for user, assistant in reversed(history):
        named = films.named_in(user)
        if not named:
            lead = _LEAD.findall(assistant or "")
            named = [f for f in films.named_in(" ".join(lead))] if lead else []
        if named:
            exclude = _HREF.findall(assistant or "") if _OTHER.search(question) else []
            return Focus(films=named, exclude_urls=exclude)
    return Focus(films=[page_film]) if page_film else Focus()


def from_history(history: list[tuple[str, str]], films: FilmIndex) -> Context:
    """For clients that send only ``history`` (no ``context``): the films of the latest turn
    that named one, in its question or in the lead of its answer, and the posts it linked."""
    for user, assistant in reversed(history):
        named = films.named_in(user)
        if not named:
            lead = _LEAD.findall(assistant or "")
            named = films.named_in(" ".join(lead)) if lead else []
        if named:
            return Context(films=tuple(named), cited_urls=tuple(_HREF.findall(assistant or "")))
    return Context()
