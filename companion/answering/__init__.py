"""Answerers turn a question and retrieved passages into an ``Answer`` with citations.

The extractive answerer is the default: offline, no key, and it can only quote. LLM answerers
plug in behind the same protocol.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from companion.types import Answer, Passage


class ChatModel(Protocol):
    """A chat model's one call we make: (role, text) messages in, chunks of the reply out
    (LangChain message chunks with ``.content``, or plain strings). LangChain's chat models
    and ``answering.local.LocalModel`` both fit."""

    def stream(self, messages: list[tuple[str, str]], /) -> Iterator[Any]: ...


@dataclass(frozen=True)
class ChatBackend:
    """The configured chat model and the label the query log and ``/api/health`` show."""

    model: ChatModel
    label: str


class Answerer(Protocol):
    def answer(self, question: str, passages: list[Passage], confirmed: bool = False) -> Answer: ...

    def stream(
        self, question: str, passages: list[Passage], confirmed: bool = False
    ) -> Iterator[str | Answer]:
        """Pieces of the answer's text as they are ready, then the final ``Answer``;
        ``confirmed``: the passages are known to be about the film asked about (a chat model
        identified a described film), so the decline rules are skipped."""
        ...

    def decline(self, passages: list[Passage], title: str = "") -> Answer:
        """The archive has no answer; ``passages`` are the nearest found; ``title``, a film
        the fan named that the archive lacks, is named in the reply."""
        ...

    def should_decline(self, question: str, passages: list[Passage]) -> bool:
        """These passages do not answer the question (cheap: no model is asked)."""
        ...
