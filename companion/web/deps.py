"""What the routes share, handed to them as FastAPI dependencies: the app's context (settings,
the chat engine, the rate limiter, the query log), the per-client rate limit, and the one JSON
shape of every refusal, ``{"error": message}``."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol, cast

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from companion.chat import ChatService, ChatUnavailable
from companion.editor.querylog import QueryLog
from companion.settings import Settings
from companion.web.gate import BUSY, Busy, ComputeBudget, ComputeGate
from companion.web.guard import Quota, RateLimiter
from companion.web.schemas import Health

UNAVAILABLE = "Sorry — the review archive is unavailable right now. Please try again later."
QUOTA = "companion_quota"  # where a request's counted Quota is kept in its scope's state


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
    budget: ComputeBudget = field(init=False)  # the process's one: the API and both chats
    gate: ComputeGate = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.budget = ComputeBudget(s.concurrency_limit, s.max_queue)
        self.gate = ComputeGate(self.budget, s.request_timeout)

    def chat(self) -> ChatService:
        if self.engine is None:
            raise ChatUnavailable(UNAVAILABLE)
        return self.engine.chat()

    def health(self) -> Health:
        if self.engine is None:
            state = Health(status="error", store=False, model_loaded=False, error=UNAVAILABLE)
        else:
            state = self.engine.health()
        return state.model_copy(update={"compute": self.budget.state()})

    @contextmanager
    def compute_slot(self) -> Iterator[str]:
        """A slot of the process's compute budget for a chat's answer, held until the block
        ends: yields "" once it is ours, else what to tell the fan (the chat is busy, or no
        slot came free within COMPANION_REQUEST_TIMEOUT), and the block must not compute."""
        try:
            self.budget.acquire(self.settings.request_timeout)
        except (Busy, TimeoutError):
            yield BUSY
            return
        try:
            yield ""
        finally:
            self.budget.release()

    def throttle(self, request: Request, message: str) -> None:
        """Count one request of this client; over the limit, refuse it with 429,
        ``Retry-After`` and the ``RateLimit-*`` headers (every other answer gets those from
        ``middleware.RateLimitHeaders``). ``message`` may name the wait as ``{seconds}``."""
        quota = self.limiter.hit(self.client_of(request))
        request.scope.setdefault("state", {})[QUOTA] = quota
        if quota.retry_after:
            text = message.format(seconds=quota.retry_after)
            raise HTTPException(429, text, quota.headers())

    def admit(self, request: Any) -> int:
        """Seconds a chat question must wait (0: go ahead). A question that came in through
        the Gradio queue's door was counted there (``middleware.GradioDoor``, which refuses
        the client over its limit); one that did not (a direct call) is counted now."""
        counted = getattr(getattr(request, "state", None), QUOTA, None)
        if isinstance(counted, Quota):
            return counted.retry_after
        return self.limiter.retry_after(self.client_of(request))


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
