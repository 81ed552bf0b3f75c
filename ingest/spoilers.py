"""Which parts of a review give away the plot, so answers can leave them out.

The post's own markers come first: "Spoilers ahead: …" at the start of a paragraph marks that
paragraph; a marker on a line of its own ("SPOILER WARNING", "[spoilers]"), or closing a
paragraph ("…from here on, spoilers."), marks what follows up to the next heading or an
"end of spoilers". "No spoilers" and "spoiler-free" are not markers. Without markers, a few
patterns that often reveal an ending or twist mark their sentence (measured on polarity-533;
see docs/verdicts-and-spoilers.md).
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
# an identity reveal, an ending told with what happens in it, a death late in the story.
_IDENTITY = re.compile(
    r"\b(?:(?:who|he|she|it|they)\b[^.!?]{0,60}\bturns?\s+out\s+to\s+be|"
    r"(?:is|was|are|were)\s+revealed\s+to\s+be|it\s+is\s+revealed\s+that)\b",
    re.IGNORECASE,
)
_ENDING = re.compile(
    r"\b(?:in\s+the\s+end|by\s+the\s+end|at\s+the\s+end|ends\s+with|"
    r"final\s+(?:scene|shot|moments?))\b",
    re.IGNORECASE,
)
_EVENT = re.compile(
    r"\b(?:dies|die|died|killed|kills|marr(?:y|ies|ied)|survives?|reveal\w*|turns?\s+out|"
    r"wins?|loses?|escapes?|reunit\w*|commits\s+suicide)\b",
    re.IGNORECASE,
)
_LATE = re.compile(r"\b(?:eventually|finally|ultimately)\b", re.IGNORECASE)
_DEATH = re.compile(
    r"\b(?:dies|died|is\s+killed|was\s+killed|kills\s+(?:himself|herself)|commits\s+suicide)\b",
    re.IGNORECASE,
)
_JUDGING = re.compile(
    r"\b(?:film|movie|picture|performance|script|screenplay|director|audience|predictable|"
    r"contrived|satisfying|disappointing|effective)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])(\s+)")  # keeps the whitespace: text is rebuilt as it was


def reveals(sentence: str) -> bool:
    """Whether a sentence gives away an identity, an ending or a late death."""
    if _JUDGING.search(sentence):
        return False  # "the ending is predictable" judges the ending; it does not tell it
    return bool(
        _IDENTITY.search(sentence)
        or (_ENDING.search(sentence) and _EVENT.search(sentence))
        or (_LATE.search(sentence) and _DEATH.search(sentence))
    )


def _is_heading(paragraph: str) -> bool:
    return paragraph.lstrip().startswith("#")


def spoiler_runs(paragraphs: list[str]) -> list[tuple[str, bool]]:
    """The paragraphs as runs of text that share a spoiler flag, decided sentence by
    sentence: a review with no paragraph breaks must not be held back whole for one line."""
    pieces: list[tuple[str, bool, str]] = []  # (sentence, flag, joiner before it)
    region = False  # inside a marked stretch that runs to a heading or "end of spoilers"
    for para in paragraphs:
        if _is_heading(para):
            region = False
        parts = _SENTENCE.split(para)  # sentence, its whitespace, sentence, …
        found, gaps = parts[::2], ["\n\n", *parts[1::2]]
        scoped = False  # "Spoilers ahead: …" opening a paragraph marks that paragraph
        for i, sentence in enumerate(found):
            marker = None if _NOT.search(sentence) else _START.search(sentence)
            if region or scoped:
                flag = True
                region = region and not _END.search(sentence)
            elif marker is not None:
                flag = len(sentence[marker.end() :].split()) >= 3  # it tells something itself
                if i == 0 and len(found) > 1 and marker.start() < 3:
                    scoped = True
                else:
                    region = True
            else:
                flag = reveals(sentence)
            pieces.append((sentence, flag, gaps[i]))  # the text's own line breaks are kept
    runs: list[tuple[str, bool]] = []
    for text, flag, joiner in pieces:
        if runs and runs[-1][1] == flag:
            runs[-1] = (f"{runs[-1][0]}{joiner}{text}", flag)
        else:
            runs.append((text, flag))
    return runs
