"""Answers written out a few words at a time, so every surface streams alike."""

from __future__ import annotations


def stream_pieces(text: str, words: int = 4) -> list[str]:
    """The text in small consecutive pieces (a few words each) for streaming."""
    parts = text.split(" ")
    return [
        " ".join(parts[i : i + words]) + (" " if i + words < len(parts) else "")
        for i in range(0, len(parts), words)
    ]
