"""One FastAPI app: the API, the widget script, the compact chat at /embed and the full chat
at /, with the trusted proxies, the origin allowlist, body limits, Gradio's door and the
security headers in front of all of them."""

from __future__ import annotations

import logging
import socket
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from companion.chat import ChatUnavailable
from companion.settings import Settings
from companion.web import admin, api, editor, pages, sync
from companion.web.deps import Context, error, error_response
from companion.web.engine import Engine
from companion.web.guard import RateLimiter, client_key
from companion.web.middleware import (
    BodyCap,
    GradioDoor,
    OriginCheck,
    RateLimitHeaders,
    SecurityHeaders,
    TrustedProxies,
)

__all__ = ["Engine", "create_app", "launch"]

log = logging.getLogger(__name__)


def create_app(settings: Settings, engine: Engine | None = None, admin_token: str = "") -> FastAPI:
    """``admin_token``: the token ``companion ingest`` must show to hand this server its job
    (empty: the admin route is off)."""
    engine = engine or Engine(settings)
    # getattr: an engine built elsewhere (a test's stand-in) may carry no scheduler at all
    engine.sync = getattr(engine, "sync", None) or sync.Scheduler.configured(settings, engine)
    limiter = RateLimiter(settings.rate_limit_per_minute, 60.0)
    ctx = Context(settings, limiter, client_key, query_log=engine.query_log, engine=engine)
    app = FastAPI(
        title="companion",
        summary="Answers fans' questions from a film blog's own reviews, with citations.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=sync.lifespan(engine.sync),  # the scheduled sync runs while the app serves
    )
    app.state.companion = ctx
    app.state.admin_token = admin_token
    add_error_handlers(app)
    add_routes(app)
    mount_chats(app, ctx)
    add_middleware(app, ctx)
    app.openapi = lambda: openapi(app)  # type: ignore[method-assign]
    return app


def openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema without the 422 ``{"detail"}`` it adds to every route with a body:
    a malformed body is a 400 ``{"error"}`` here, declared on the route with the others."""
    if app.openapi_schema is None:
        schema = FastAPI.openapi(app)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                operation.get("responses", {}).pop("422", None)
        models = schema.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            models.pop(name, None)
        app.openapi_schema = schema
    return app.openapi_schema


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
    for router in (api.router, editor.router, pages.router, admin.router):
        app.include_router(router)


def mount_chats(app: FastAPI, ctx: Context) -> None:
    from companion.web.ui import mount_chat  # imports gradio

    mount_chat(app, ctx)


def add_middleware(app: FastAPI, ctx: Context) -> None:
    """Outermost first: the trusted proxies (everything after sees the fan's address), CORS
    for the allowlisted sites, the origin check, the body cap, the API's rate-limit headers,
    Gradio's door, the security headers (added last to first: each wraps the ones before)."""
    settings = ctx.settings
    origins = settings.origins
    app.add_middleware(SecurityHeaders, origins=origins)
    app.add_middleware(GradioDoor, limiter=ctx.limiter, client_of=ctx.client_of)
    app.add_middleware(RateLimitHeaders, limiter=ctx.limiter, client_of=ctx.client_of)
    app.add_middleware(BodyCap, limit=settings.max_body_bytes)
    app.add_middleware(OriginCheck, origins=origins)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Accept"],
            max_age=600,
            expose_headers=[
                "Retry-After",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
                "RateLimit-Policy",
            ],
        )
    app.add_middleware(TrustedProxies, trusted=settings.trusted_proxies)


def launch(settings: Settings) -> None:
    """Serve until stopped. With the store in the data folder (not a Chroma server), write
    ``server.json`` there so ``companion ingest`` hands its job to this process."""
    import uvicorn

    from companion.web import handoff

    watched = ("companion.web.engine", "companion.web.admin", "companion.web.sync")
    for name in watched:  # what happened to the archive
        if not logging.getLogger(name).isEnabledFor(logging.INFO):
            logging.getLogger(name).setLevel(logging.INFO)
    engine = Engine(settings)
    try:
        engine.chat().warm()
    except ChatUnavailable:
        log.warning("starting without a usable store: %s", engine.last_error)
    token = "" if settings.chroma_url else handoff.new_token()
    config = uvicorn.Config(
        create_app(settings, engine, admin_token=token),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        timeout_keep_alive=5,
        limit_concurrency=200,
        # The app applies uvicorn's ProxyHeadersMiddleware itself, from
        # COMPANION_TRUSTED_PROXIES (middleware.TrustedProxies): the same under any server and
        # in process; doing it here too would only repeat it.
        proxy_headers=False,
    )
    sock = config.bind_socket()  # the real port, before anyone is told about it
    sock.listen(128)  # early callers wait in the backlog until uvicorn accepts
    port = int(sock.getsockname()[1])
    url = local_url(settings.host, port)
    mine = handoff.write_server_file(settings.server_file, url, token) if token else None
    log.info("serving on http://%s:%d", settings.host, port)
    print(f"companion: chat on http://{settings.host}:{port}", flush=True)

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            await super().shutdown(sockets)
            forget()  # now: uvicorn ends by re-raising SIGTERM, which skips any `finally`

    def forget() -> None:
        if mine is not None:
            handoff.remove_server_file(settings.server_file, mine)

    try:
        Server(config).run(sockets=[sock])
    finally:
        forget()


def local_url(host: str, port: int) -> str:
    """How a process on this machine reaches a server bound to ``host``."""
    if host in ("", "0.0.0.0", "localhost"):
        return f"http://127.0.0.1:{port}"
    if host == "::":
        return f"http://[::1]:{port}"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
