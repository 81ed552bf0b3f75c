"""Normalise post text before chunking: one place decides what whitespace and markup survive."""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BLANKS = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\u00a0]+")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def clean_text(text: str) -> str:
    """NFC, no control characters or HTML comments (a prompt-injection carrier), tidy spacing."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _HTML_COMMENT.sub("", text)
    text = _CONTROL.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()
