"""The HTTP API beside the chat: ``POST /api/ask`` (JSON or server-sent events),
``POST /api/feedback`` and ``GET /api/health``. Shapes match ``companion ask --json``; they are
a public contract (``companion.web.schemas``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from companion.chat import ChatUnavailable, QuestionError, check_question
from companion.web.deps import Ctx, JSONErrorRoute, error
from companion.web.gate import TOO_SLOW, Question
from companion.web.schemas import AskRequest, AskResponse, FeedbackRequest, Health

TOO_FAST = "You're asking faster than I can read — please wait {seconds} s and try again."
BUSY = "The chat is busy right now — please try again in a moment."
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

router = APIRouter(prefix="/api", route_class=JSONErrorRoute)


async def admitted_question(body: AskRequest, request: Request, ctx: Ctx) -> AskRequest:
    """The question, counted against its client's rate limit (a malformed body is refused
    before it counts, and even an empty question counts)."""
    ctx.throttle(request, TOO_FAST)
    return body


async def admitted_feedback(body: FeedbackRequest, request: Request, ctx: Ctx) -> FeedbackRequest:
    ctx.throttle(request, "Too many requests.")
    return body


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
async def ask(
    body: Annotated[AskRequest, Depends(admitted_question)], request: Request, ctx: Ctx
) -> Any:
    """Answer a question from the blog's reviews, with citations."""
    if ctx.gate.full:
        return error(503, BUSY, {"Retry-After": "5"})
    try:
        check_question(body.question, ctx.settings.max_question_chars)
        service = ctx.chat()
    except QuestionError as exc:
        return error(400, str(exc))
    except ChatUnavailable as exc:
        return error(503, str(exc))
    history = [(t[0], t[1]) for t in body.history if len(t) == 2]
    question: Question = (body.question, history, body.page_url, body.spoilers, body.context)
    if body.stream or "text/event-stream" in request.headers.get("accept", ""):
        events = ctx.gate.events(service, question)
        return StreamingResponse(events, media_type="text/event-stream", headers=SSE_HEADERS)
    try:
        answer = await ctx.gate.answer(service, question)
    except QuestionError as exc:
        return error(400, str(exc))
    except ChatUnavailable as exc:
        return error(503, str(exc))
    except TimeoutError:
        return error(503, TOO_SLOW)
    return answer.public()


@router.post(
    "/feedback",
    responses={404: {"description": "No such answer (or the log is off)"}},
)
async def feedback(body: Annotated[FeedbackRequest, Depends(admitted_feedback)], ctx: Ctx) -> Any:
    """Thumbs up or down on an answer, for the editor's report."""
    try:
        log = ctx.chat().query_log
    except ChatUnavailable as exc:
        return error(503, str(exc))
    if log is None or not await run_in_threadpool(log.feedback, body.id, body.helpful):
        return error(404, "No answer with that id.")
    return {"ok": True}


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
async def get_health(ctx: Ctx) -> Any:
    """Whether the store is reachable and the model loaded, with post and chunk counts."""
    state = await run_in_threadpool(ctx.health)
    return JSONResponse(state.model_dump(), status_code=200 if state.status == "ok" else 503)
