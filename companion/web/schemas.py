"""The HTTP API's request and response bodies; they are a public contract (docs/api.md)
and match ``companion ask --json``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Message(BaseModel):
    """One turn of a conversation as chat APIs (OpenAI, Gradio 6) write it."""

    role: Literal["user", "assistant"]
    content: str


class AskRequest(BaseModel):
    question: str = Field(description="The fan's question.")
    history: list[list[str] | Message] = Field(
        default_factory=list,
        description="Earlier turns, oldest first: [question, answer] pairs, or messages "
        '{"role": "user" | "assistant", "content": str} (each question followed by its answer).',
        max_length=50,
    )
    page_url: str | None = Field(default=None, description="The blog post the fan is reading.")
    context: dict[str, Any] | None = Field(
        default=None,
        description="The `context` of the previous answer, echoed back: what the conversation "
        "is about (film, person, list), so follow-ups need no pronoun.",
    )
    stream: bool = Field(default=False, description="Answer as server-sent events.")
    spoilers: bool = Field(
        default=False, description="Include passages that reveal endings and twists."
    )

    def turns(self) -> list[tuple[str, str]]:
        """``history`` as (question, answer) pairs, whichever way it was written: a message
        from the fan opens a turn, the next message from the chat closes it; a pair that is
        not two strings, or a question never answered, is left out."""
        pairs: list[tuple[str, str]] = []
        asked: str | None = None
        for item in self.history:
            if isinstance(item, Message):
                if item.role == "user":
                    asked = item.content
                elif asked is not None:
                    pairs.append((asked, item.content))
                    asked = None
            elif len(item) == 2:
                pairs.append((item[0], item[1]))
                asked = None
        return pairs


class FeedbackRequest(BaseModel):
    id: str = Field(description="The `id` of an answer from /api/ask.", max_length=64)
    helpful: bool = Field(description="true for thumbs up, false for thumbs down.")


class CitationOut(BaseModel):
    n: int
    doc_id: str
    source: str
    title: str
    url: str
    quote: str
    date: str = ""


class AskResponse(BaseModel):
    answer: str
    declined: bool
    citations: list[CitationOut]
    unsupported: list[str] = Field(
        default_factory=list,
        description="Always empty here (kept for the published shape): the sentences a chat "
        "model wrote that the reviews don't support go to the editor's report and to "
        "`companion ask --json`, not to anonymous callers.",
    )
    kind: str = Field(
        default="answer",
        description="The answer's shape: answer, verdict, recommendations, list or comparison "
        "(these four carry cards), or smalltalk.",
    )
    cards: list[dict[str, Any]] = Field(
        default_factory=list, description="One card per review for verdicts/recommendations."
    )
    spoilers_held_back: int = Field(
        default=0, description="Passages left out because they reveal plot turns."
    )
    id: str | None = Field(
        default=None, description="Handle for /api/feedback; null when the log is off."
    )
    plan: dict[str, Any] = Field(
        default_factory=dict,
        description="What the message was understood as: its kind and what it resolved.",
    )
    context: dict[str, Any] = Field(
        default_factory=dict,
        description="The conversation's state after this answer; send it back with the next "
        "question.",
    )


class Error(BaseModel):
    """Every refusal of the API, whatever its status."""

    error: str = Field(description="What went wrong, in words a fan can read.")


class Compute(BaseModel):
    """The process's one compute budget (the API and both chats together)."""

    slots: int = Field(description="Answers computed at once at most.")
    in_use: int = Field(description="Answers being computed now.")
    waiting: int = Field(description="Questions waiting for a slot.")
    queue: int = Field(description="Questions that may wait before the rest hear 'busy'.")


class SyncHealth(BaseModel):
    """The last scheduled sync, as the public may see it: when, and whether it went well
    (what it read and what failed is on the editor's page)."""

    at: str | None = Field(default=None, description="When it ended (ISO 8601); null before.")
    ok: bool | None = Field(default=None, description="false: a source failed; see /editor.")


class Health(BaseModel):
    status: str
    store: bool
    model_loaded: bool
    posts: int | None = None
    chunks: int | None = None
    error: str | None = None
    llm: dict[str, str] | None = None
    sync: SyncHealth | None = Field(default=None, description="null: no scheduled sync.")
    compute: Compute | None = None
