"""Which paragraphs of a review give away the plot, so answers can leave them out.

The post's own markers come first: "Spoilers ahead: …" at the start of a paragraph marks that
paragraph; a marker on a line of its own ("SPOILER WARNING", "[spoilers]"), or closing a
paragraph ("…from here on, spoilers."), marks what follows up to the next heading or an
"end of spoilers". "No spoilers" and "spoiler-free" are not markers. Without markers, a few
phrases that in reviews almost always reveal an ending or twist mark their paragraph
(measured on polarity-533; see docs/spoilers.md).
"""

from __future__ import annotations

import re

_START = re.compile(
    r"(?:\bspoilers?\s*(?:ahead|follow|below|alert|warning|begin|from\s+here)|"
    r"\bspoiler\s+warning|\[\s*spoilers?\s*\]|\bwarning\s*[:!-]?\s*spoilers?\b|"
    r"\b(?:major|minor|mild|heavy)\s+spoilers?\b|^\W*spoilers?\b\W*$|^\W*spoilers?\s*[:!\-–—])",
    re.IGNORECASE | re.MULTILINE,
)
_NOT = re.compile(
    r"(?:\bno\s+(?:major\s+)?spoilers?|\bspoiler[-\s]?free|\bnon[-\s]?spoiler|"
    r"\bwithout\s+(?:any\s+)?spoil|\bwon'?t\s+spoil|\bwill\s+not\s+spoil|\bnot\s+to\s+spoil|"
    r"\bavoid(?:ing)?\s+spoilers?)",
    re.IGNORECASE,
)
_END = re.compile(
    r"\b(?:end\s+(?:of\s+)?spoilers?|spoilers?\s+(?:end|over|done)|\[\s*/\s*spoilers?\s*\])",
    re.IGNORECASE,
)
# Reveals without a marker, judged sentence by sentence on polarity-533 (about half of the
# matches give something away; single keywords such as "twist" or "finally" were 15-35 %):
# an identity reveal, an ending plus what happens in it, a death late in the story.
_IDENTITY = re.compile(
    r"\b(?:(?:who|he|she|it|they)\b[^.!?]{0,60}\bturns?\s+out\s+to\s+be|"
    r"(?:is|was|are|were)\s+revealed\s+to\s+be|it\s+is\s+revealed\s+that)\b",
    re.IGNORECASE,
)
_ENDING = re.compile(
    r"\b(?:in\s+the\s+end|by\s+the\s+end|at\s+the\s+end|ends\s+with|"
    r"final\s+(?:scene|shot|moments?)|eventually|finally|ultimately)\b",
    re.IGNORECASE,
)
_EVENT = re.compile(
    r"\b(?:dies|die|died|killed|kills|marr(?:y|ies|ied)|survives?|reveal\w*|turns?\s+out|"
    r"wins?|loses?|escapes?|reunit\w*|commits\s+suicide)\b",
    re.IGNORECASE,
)
_JUDGING = re.compile(
    r"\b(?:film|movie|picture|performance|script|screenplay|director|audience|predictable|"
    r"contrived|satisfying|disappointing|effective)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def reveals(paragraph: str) -> bool:
    """A sentence that gives away an identity or an ending, by the rules above."""
    for sentence in _SENTENCE.split(paragraph):
        if _JUDGING.search(sentence):
            continue  # "the ending is predictable" judges the ending; it does not tell it
        if _IDENTITY.search(sentence) or (_ENDING.search(sentence) and _EVENT.search(sentence)):
            return True
    return False


_STANDALONE_WORDS = 8


def _is_heading(paragraph: str) -> bool:
    return paragraph.lstrip().startswith("#")


def spoiler_flags(paragraphs: list[str]) -> list[bool]:
    """One flag per paragraph: True where it reveals plot turns."""
    flags: list[bool] = []
    region = False
    for para in paragraphs:
        if _is_heading(para):
            region = False
            flags.append(False)
            continue
        start = None if _NOT.search(para) else _START.search(para)
        if region:
            flags.append(True)
            region = not _END.search(para)
            continue
        if start is None:
            flags.append(reveals(para))
            continue
        standalone = len(para.split()) <= _STANDALONE_WORDS
        at_end = start.start() >= 0.7 * len(para)
        if standalone or at_end:  # the marker opens a region; the paragraph itself is safe
            flags.append(False)
            region = True
        else:
            flags.append(True)  # "Spoilers ahead: …" marks its own paragraph
    return flags
