"""The HTTP API beside the chat: ``POST /api/ask`` (JSON or server-sent events),
``POST /api/feedback`` and ``GET /api/health``. Shapes match ``companion ask --json`` (save
``unsupported``, always empty here: ``gate.public``); they are a public contract
(``companion.web.schemas``), and every refusal is the one ``Error`` shape, as the OpenAPI
schema says."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from companion.chat import ChatUnavailable, QuestionError, check_question
from companion.web.deps import Ctx, JSONErrorRoute, error
from companion.web.gate import BUSY, TOO_SLOW, Busy, Question, public
from companion.web.middleware import TOO_FAST
from companion.web.schemas import AskRequest, AskResponse, Error, FeedbackRequest, Health

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
_QUOTA_HEADERS = {
    "RateLimit-Limit": {
        "description": "Requests allowed per window.",
        "schema": {"type": "integer"},
    },
    "RateLimit-Remaining": {
        "description": "Requests left in the window.",
        "schema": {"type": "integer"},
    },
    "RateLimit-Reset": {
        "description": "Seconds until the oldest counted request leaves the window.",
        "schema": {"type": "integer"},
    },
}
_REFUSED = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}


def refusals(*extra: int) -> dict[int | str, dict[str, Any]]:
    """The error responses every counted route may give, each ``{"error": str}``."""
    said = {
        400: "Malformed request, or an empty or overlong question",
        403: "Called from a site not in COMPANION_ALLOWED_ORIGINS",
        404: "No such answer (or the log is off)",
        413: "Request body too large (COMPANION_MAX_BODY_BYTES)",
        429: "Too many requests from this client",
        503: "The archive is unavailable, the chat is busy, or no answer in time",
    }
    out: dict[int | str, dict[str, Any]] = {}
    for status in (400, 403, 413, 429, 503, *extra):
        out[status] = {"model": Error, "description": said[status]}
    out[429]["headers"] = {**_REFUSED, **_QUOTA_HEADERS}
    out[503]["headers"] = _REFUSED
    return out


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
        200: {
            "headers": _QUOTA_HEADERS,
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        **refusals(),
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
    question: Question = (body.question, body.turns(), body.page_url, body.spoilers, body.context)
    if body.stream or "text/event-stream" in request.headers.get("accept", ""):
        events = ctx.gate.events(service, question)
        return StreamingResponse(events, media_type="text/event-stream", headers=SSE_HEADERS)
    try:
        answer = await ctx.gate.answer(service, question)
    except QuestionError as exc:
        return error(400, str(exc))
    except ChatUnavailable as exc:
        return error(503, str(exc))
    except Busy:
        return error(503, BUSY, {"Retry-After": "5"})
    except TimeoutError:
        return error(503, TOO_SLOW)
    return public(answer)


@router.post("/feedback", responses={200: {"headers": _QUOTA_HEADERS}, **refusals(404)})
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
