"""One FastAPI app: the API, the widget script, the compact chat at /embed and the full chat
at /, with the origin allowlist, security headers and body limits in front of all of them."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from companion.chat import ChatUnavailable
from companion.settings import Settings
from companion.web import api, editor, pages
from companion.web.deps import Context, error, error_response
from companion.web.engine import Engine
from companion.web.guard import RateLimiter, client_of, parse_networks
from companion.web.middleware import BodyCap, OriginCheck, SecurityHeaders

__all__ = ["Engine", "create_app", "launch"]

log = logging.getLogger(__name__)


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    engine = engine or Engine(settings)
    limiter = RateLimiter(settings.rate_limit_per_minute, 60.0)
    clients = client_of(parse_networks(settings.trusted_proxies))
    ctx = Context(settings, limiter, clients, query_log=engine.query_log, engine=engine)
    app = FastAPI(
        title="companion",
        summary="Answers fans' questions from a film blog's own reviews, with citations.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.companion = ctx
    add_error_handlers(app)
    add_routes(app)
    mount_chats(app, ctx)
    add_middleware(app, settings)
    return app


def add_error_handlers(app: FastAPI) -> None:
    """Every refusal is ``{"error": message}``, a malformed body's included."""

    async def bad_request(request: Request, exc: Exception) -> JSONResponse:
        errors = exc.errors() if isinstance(exc, RequestValidationError) else []
        first = errors[0] if errors else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        msg = first.get("msg", "invalid request")
        return error(400, f"Malformed request: {where + ': ' if where else ''}{msg}")

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return error_response(exc)

    app.add_exception_handler(RequestValidationError, bad_request)
    app.add_exception_handler(StarletteHTTPException, http_error)


def add_routes(app: FastAPI) -> None:
    pages.widget_js()  # read once now: a broken install fails at start, not on a blog page
    for router in (api.router, editor.router, pages.router):
        app.include_router(router)


def mount_chats(app: FastAPI, ctx: Context) -> None:
    from companion.web.ui import mount_chat  # imports gradio

    mount_chat(app, ctx)


def add_middleware(app: FastAPI, settings: Settings) -> None:
    """Outermost first: CORS for the allowlisted sites, the origin check, the body cap, the
    security headers (added last to first: each wraps the ones before)."""
    origins = settings.origins
    app.add_middleware(SecurityHeaders, origins=origins)
    app.add_middleware(BodyCap, limit=settings.max_body_bytes)
    app.add_middleware(OriginCheck, origins=origins)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Accept"],
            max_age=600,
        )


def launch(settings: Settings) -> None:
    import uvicorn

    engine = Engine(settings)
    try:
        engine.chat().warm()
    except ChatUnavailable:
        log.warning("starting without a usable store: %s", engine.last_error)
    app = create_app(settings, engine)
    log.info("serving on http://%s:%d", settings.host, settings.port)
    print(f"companion: chat on http://{settings.host}:{settings.port}", flush=True)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        timeout_keep_alive=5,
        limit_concurrency=200,
        proxy_headers=False,  # X-Forwarded-For is handled by guard.client_ip, trusted proxies only
    )
