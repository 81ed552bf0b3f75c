"""The HTTP API's request and response bodies; they are a public contract (docs/api.md)
and match ``companion ask --json``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class AskRequest(BaseModel):
    question: str = Field(description="The fan's question.")
    history: list[list[str]] = Field(
        default_factory=list,
        description="Earlier turns, oldest first, each [question, answer].",
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
        description="Sentences the model wrote that the reviews don't support.",
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
