"""The HTTP API beside the chat: ``POST /api/ask`` (JSON or server-sent events) and
``GET /api/health``. Shapes match ``companion ask --json``; they are a public contract."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from companion.chat import ChatService, ChatUnavailable, QuestionError, check_question
from companion.settings import Settings
from companion.types import Answer
from companion.web.guard import RateLimiter

log = logging.getLogger(__name__)


class AskRequest(BaseModel):
    question: str = Field(description="The fan's question.")
    history: list[list[str]] = Field(
        default_factory=list,
        description="Earlier turns, oldest first, each [question, answer].",
        max_length=50,
    )
    page_url: str | None = Field(default=None, description="The blog post the fan is reading.")
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
        default="answer", description="answer, verdict (cards) or recommendations (cards)."
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


class Health(BaseModel):
    status: str
    store: bool
    model_loaded: bool
    posts: int | None = None
    chunks: int | None = None
    error: str | None = None
    llm: dict[str, str] | None = None


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def build_api(
    chat_for: Callable[[], ChatService],
    health: Callable[[], Health],
    settings: Settings,
    limiter: RateLimiter,
    client_of: Callable[[Request], str],
) -> APIRouter:
    """``chat_for`` returns the chat service, raising ``ChatUnavailable`` when the store is not
    usable, so the server starts and reports its state even with a broken store."""
    router = APIRouter(prefix="/api")
    # Answers are CPU-bound: run at most `concurrency_limit` at once (more only thrash the
    # cores), let up to `max_queue` wait their turn, and tell the rest at once that we're busy.
    slots = asyncio.Semaphore(settings.concurrency_limit)
    inflight = 0
    producers: set[asyncio.Task[None]] = set()  # answers being streamed (kept from the GC)

    @router.post(
        "/ask",
        response_model=AskResponse,
        responses={
            400: {"description": "Empty, overlong or malformed question"},
            413: {"description": "Request body too large"},
            429: {"description": "Too many questions from this client"},
            503: {"description": "The archive is unavailable"},
        },
    )
    async def ask(body: AskRequest, request: Request) -> Any:
        """Answer a question from the blog's reviews, with citations."""
        nonlocal inflight
        wait = limiter.check(client_of(request))
        if wait:
            seconds = max(1, round(wait))
            return error(
                429,
                f"You're asking faster than I can read — please wait {seconds} s and try again.",
                {"Retry-After": str(seconds)},
            )
        history = [(t[0], t[1]) for t in body.history if len(t) == 2]
        if inflight >= settings.concurrency_limit + settings.max_queue:
            return error(
                503,
                "The chat is busy right now — please try again in a moment.",
                {"Retry-After": "5"},
            )
        wants_stream = body.stream or "text/event-stream" in request.headers.get("accept", "")
        try:
            check_question(body.question, settings.max_question_chars)
            service = chat_for()
        except QuestionError as exc:
            return error(400, str(exc))
        except ChatUnavailable as exc:
            return error(503, str(exc))
        if wants_stream:
            return StreamingResponse(
                _events(service, body.question, history, body.page_url, body.spoilers),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        inflight += 1
        try:
            async with asyncio.timeout(settings.request_timeout), slots:
                answer = await run_in_threadpool(
                    service.ask, body.question, history, body.page_url, body.spoilers
                )
        except QuestionError as exc:
            return error(400, str(exc))
        except ChatUnavailable as exc:
            return error(503, str(exc))
        except TimeoutError:
            return error(503, "That took too long to answer. Please try again.")
        finally:
            inflight -= 1
        return _public(answer)

    async def _events(
        service: ChatService,
        question: str,
        history: list[tuple[str, str]],
        page_url: str | None,
        spoilers: bool,
    ) -> AsyncIterator[str]:
        """Server-sent events: `delta` pieces as they are ready, then the whole `answer`
        (authoritative: a fallback may replace what the deltas said), or one `error`.

        The answer is computed by its own task, which holds the compute slot; this generator
        only relays. A fan who closes the chat mid-answer leaves this generator suspended
        until it is collected, and a slot held here would be lost for that long (seen in
        bench/load.py: two abandoned streams and every later question timed out)."""
        nonlocal inflight
        inflight += 1
        events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

        async def produce() -> None:
            nonlocal inflight
            try:
                async with asyncio.timeout(settings.request_timeout), slots:
                    async for item in iterate_in_threadpool(
                        service.stream(question, history, page_url, spoilers)
                    ):
                        events.put_nowait(("item", item))
            except (QuestionError, ChatUnavailable) as exc:
                events.put_nowait(("error", str(exc)))
            except TimeoutError:
                events.put_nowait(("error", "That took too long to answer. Please try again."))
            finally:
                inflight -= 1
                events.put_nowait(("end", None))

        task = asyncio.create_task(produce())
        producers.add(task)
        task.add_done_callback(producers.discard)
        while True:
            kind, value = await events.get()
            if kind == "end":
                return
            if kind == "error":
                yield _sse("error", {"error": value})
            elif isinstance(value, Answer):
                yield _sse("answer", _public(value))
            else:
                yield _sse("delta", {"text": value})

    @router.post(
        "/feedback",
        responses={404: {"description": "No such answer (or the log is off)"}},
    )
    async def feedback(body: FeedbackRequest, request: Request) -> Any:
        """Thumbs up or down on an answer, for the editor's report."""
        wait = limiter.check(client_of(request))
        if wait:
            return error(429, "Too many requests.", {"Retry-After": str(max(1, round(wait)))})
        try:
            service = chat_for()
        except ChatUnavailable as exc:
            return error(503, str(exc))
        log_ = service.query_log
        if log_ is None or not await run_in_threadpool(log_.feedback, body.id, body.helpful):
            return error(404, "No answer with that id.")
        return {"ok": True}

    @router.get("/health", response_model=Health, responses={503: {"model": Health}})
    async def get_health() -> Any:
        """Whether the store is reachable and the model loaded, with post and chunk counts."""
        state = await run_in_threadpool(health)
        return JSONResponse(state.model_dump(), status_code=200 if state.status == "ok" else 503)

    return router


def _public(answer: Answer) -> dict[str, Any]:
    payload = answer.public()
    for c in payload["citations"]:
        c.pop("passage", None)
    return payload


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
