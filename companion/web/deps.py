"""What the routes share, handed to them as FastAPI dependencies: the app's context (settings,
the chat engine, the rate limiter, the query log), the per-client rate limit, and the one JSON
shape of every refusal, ``{"error": message}``."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol, cast

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from companion.chat import ChatService, ChatUnavailable
from companion.editor.querylog import QueryLog
from companion.settings import Settings
from companion.web.gate import ComputeGate
from companion.web.guard import RateLimiter
from companion.web.schemas import Health

UNAVAILABLE = "Sorry — the review archive is unavailable right now. Please try again later."


class ChatSource(Protocol):
    """The chat as the server holds it (``companion.web.engine.Engine``): built on first use,
    raising ``ChatUnavailable`` while the store cannot be used."""

    query_log: QueryLog | None

    def chat(self) -> ChatService: ...

    def health(self) -> Health: ...


@dataclass
class Context:
    """Everything the routes and the chat UI need; ``create_app`` keeps one in
    ``app.state.companion``."""

    settings: Settings
    limiter: RateLimiter
    client_of: Callable[[Any], str]  # the rate limits' key for a Starlette or Gradio request
    query_log: QueryLog | None = None
    engine: ChatSource | None = None
    gate: ComputeGate = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.gate = ComputeGate(s.concurrency_limit, s.max_queue, s.request_timeout)

    def chat(self) -> ChatService:
        if self.engine is None:
            raise ChatUnavailable(UNAVAILABLE)
        return self.engine.chat()

    def health(self) -> Health:
        if self.engine is None:
            return Health(status="error", store=False, model_loaded=False, error=UNAVAILABLE)
        return self.engine.health()

    def throttle(self, request: Any, message: str) -> None:
        """Count one request of this client; over the limit, refuse it with 429 and
        ``Retry-After``. ``message`` may name the wait as ``{seconds}``."""
        seconds = self.limiter.retry_after(self.client_of(request))
        if seconds:
            raise HTTPException(429, message.format(seconds=seconds), {"Retry-After": str(seconds)})


def context(request: Request) -> Context:
    """The app's context, or the one a router was built with (``editor.build_editor``)."""
    bound = getattr(request.state, "companion", None)
    return cast(Context, bound or request.app.state.companion)


Ctx = Annotated[Context, Depends(context)]


def error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def error_response(exc: StarletteHTTPException) -> JSONResponse:
    """An HTTP error, ours or Starlette's, in the API's shape."""
    detail = exc.detail if isinstance(exc.detail, str) else "Request failed"
    if "parsing the body" in detail:
        detail = "Malformed request: the body is not valid JSON in UTF-8"
    return error(exc.status_code, detail, exc.headers)


class JSONErrorRoute(APIRoute):
    """A route whose refusals (``HTTPException``s raised by it or its dependencies) are
    ``{"error": …}`` in any app, even one without ``server``'s error handlers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except StarletteHTTPException as exc:
                return error_response(exc)

        return route
