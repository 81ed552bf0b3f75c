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


_MAGIC = [
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"%PDF", "PDF"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"\x1f\x8b", "gzip archive"),
    (b"RIFF", "RIFF media"),
    (b"\x7fELF", "executable"),
]


def decode_text(raw: bytes) -> str:
    """Bytes of a text source as str: UTF-8 (with or without BOM), UTF-16 by BOM, else
    Windows-1252/Latin-1; binary data (NUL bytes) is refused."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    if b"\x00" in raw[:8192]:
        raise ValueError("skipped: binary file (contains NUL bytes)")
    for magic, kind in _MAGIC:
        if raw.startswith(magic):
            raise ValueError(f"skipped: binary file ({kind})")
    head = raw[:8192]
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    if head and controls / len(head) > 0.05:
        raise ValueError("skipped: binary file (control bytes)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
