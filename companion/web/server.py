"""One FastAPI app: the API, the widget script, the compact chat at /embed and the full chat
at /, with the origin allowlist, security headers and body limits in front of all of them."""

from __future__ import annotations

import html
import logging
import threading
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from companion.chat import ChatService, ChatUnavailable
from companion.embedding import SentenceTransformerEmbedder
from companion.render import safe_url
from companion.settings import Settings
from companion.store import StoreError
from companion.web.api import Health, build_api
from companion.web.editor import build_editor
from companion.web.guard import RateLimiter, client_ip, origin_allowed, parse_networks

log = logging.getLogger(__name__)

UNAVAILABLE = "Sorry — the review archive is unavailable right now. Please try again later."


# Gradio's Markdown opens every link in a new tab; in the widget a citation should open the
# post in the blog's own window instead.
TOP_LINKS = """<script>
new MutationObserver(function () {
  document.querySelectorAll('#companion-chat a[href^="http"]').forEach(function (a) {
    if (a.target !== "_top") { a.target = "_top"; }
  });
}).observe(document.documentElement, {subtree: true, childList: true});
</script>"""


# The widget's panel is small: no page padding, no footer, the question box always in view.
COMPACT_CSS = """
.gradio-container { padding: 6px !important; min-height: 0 !important; }
.gradio-container > .main { gap: 6px !important; }
footer { display: none !important; }
"""


class Engine:
    """Builds the chat lazily and again after a failure, so a server started before the store
    exists (or while it is broken) reports that, and recovers once it is fixed."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._chat: ChatService | None = None
        self._embedder: SentenceTransformerEmbedder | None = None
        self._posts: tuple[int, int] = (-1, 0)  # (chunks, posts) when last counted
        self._lock = threading.Lock()
        self.last_error = ""
        from companion.factory import open_query_log

        self.query_log = open_query_log(settings)

    def _store_gone(self) -> bool:
        """The embedded store's files were deleted under us (a server keeps none locally)."""
        if self.settings.chroma_url:
            return False
        return not (self.settings.chroma_dir / "chroma.sqlite3").exists()

    def chat(self) -> ChatService:
        with self._lock:
            if self._chat is not None and self._store_gone():
                self._reset("the store's files are gone")
            if self._chat is None:
                from companion.factory import build_chat, build_components

                try:
                    if self._store_gone():
                        raise StoreError(f"no store in {self.settings.chroma_dir}")
                    components = build_components(self.settings, create=False)
                    self._chat = build_chat(components, query_log=self.query_log)
                    self._embedder = components.embedder
                    self.last_error = ""
                except Exception as exc:
                    self.last_error = str(exc)
                    log.warning("chat unavailable: %s", exc)
                    raise ChatUnavailable(UNAVAILABLE) from exc
            return self._chat

    def _reset(self, why: str) -> None:
        """Forget the chat and Chroma's per-path client cache, so the next use starts clean."""
        log.warning("resetting the chat: %s", why)
        self._chat = None
        self.last_error = why
        try:
            from chromadb.api.client import SharedSystemClient

            SharedSystemClient.clear_system_cache()
        except Exception:  # an older chromadb without the cache: nothing to clear
            log.debug("no chromadb client cache to clear", exc_info=True)

    def health(self) -> Health:
        try:
            chat = self.chat()
            store = chat.store
            chunks = store.count() if store else 0
            if store and self._posts[0] != chunks:  # a full metadata read: only on change
                self._posts = (chunks, len(store.posts()))  # type: ignore[attr-defined]
            posts = self._posts[1]
            status = getattr(chat.answerer, "status", None)
            return Health(
                status="ok",
                store=True,
                model_loaded=bool(self._embedder and self._embedder.loaded),
                posts=posts,
                chunks=chunks,
                llm=status() if status else {"backend": "extractive", "error": ""},
            )
        except Exception as exc:
            detail = self.last_error or str(exc)
            with self._lock:
                self._reset(detail)  # try again from scratch next time
            return Health(
                status="error",
                store=False,
                model_loaded=False,
                error=f"The store in {self.settings.data_dir} cannot be used ({detail}). "
                "Rebuild it with `companion ingest <your sources>`.",
            )


def films_html(catalog: list[dict[str, Any]]) -> str:
    """The reviewed films as a plain page; every value comes from posts, so all is escaped."""
    rows = []
    for entry in catalog:
        film = html.escape(entry["film"]) + (f" ({entry['year']})" if entry["year"] else "")
        for r in entry["reviews"]:
            url = safe_url(r["url"])
            title = html.escape(r["title"] or entry["film"])
            link = f'<a href="{url}">{title}</a>' if url else title
            rows.append(
                f"<tr><td>{film}</td><td>{link}</td><td>{html.escape(r['author'])}</td>"
                f"<td>{html.escape(r['date'])}</td></tr>"
            )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Reviewed films</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem}td,th{padding:.3rem .8rem;"
        "text-align:left;border-bottom:1px solid #ddd}</style></head><body>"
        f"<h1>Reviewed films</h1><p>{len(catalog)} films. <a href='/'>Ask about them</a></p>"
        "<table><tr><th>Film</th><th>Review</th><th>Reviewer</th><th>Date</th></tr>"
        + "".join(rows)
        + "</table></body></html>"
    )


def widget_js() -> str:
    return resources.files("companion.web").joinpath("static/widget.js").read_text("utf-8")


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    import gradio as gr

    from companion.web.ui import build_ui

    engine = engine or Engine(settings)
    limiter = RateLimiter(settings.rate_limit_per_minute, 60.0)
    proxies = parse_networks(settings.trusted_proxies)
    origins = settings.origins

    def client_of(request: Any) -> str:
        peer = getattr(getattr(request, "client", None), "host", None) or "unknown"
        return client_ip(peer, dict(request.headers), proxies)

    app = FastAPI(
        title="companion",
        summary="Answers fans' questions from a film blog's own reviews, with citations.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        msg = first.get("msg", "invalid request")
        return JSONResponse(
            {"error": f"Malformed request: {where + ': ' if where else ''}{msg}"}, 400
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "Request failed"
        if "parsing the body" in detail:
            detail = "Malformed request: the body is not valid JSON in UTF-8"
        return JSONResponse({"error": detail}, exc.status_code, headers=exc.headers)

    app.include_router(build_api(engine.chat, engine.health, settings, limiter, client_of))
    app.include_router(build_editor(settings, engine.query_log, limiter, client_of))

    js = widget_js()

    @app.get("/widget.js", include_in_schema=False)
    async def widget() -> Response:
        return Response(
            js,
            media_type="application/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

    @app.get("/films", include_in_schema=False)
    async def films_page() -> Response:
        from starlette.concurrency import run_in_threadpool

        from companion.catalog import film_catalog

        try:
            chat = engine.chat()
        except ChatUnavailable as exc:
            return Response(html.escape(str(exc)), status_code=503, media_type="text/plain")
        catalog = await run_in_threadpool(film_catalog, chat.store)
        return Response(films_html(catalog), media_type="text/html; charset=utf-8")

    app = gr.mount_gradio_app(
        app,
        build_ui(engine.chat, settings, limiter, client_of, compact=True),
        path="/embed",
        allowed_paths=[],
        show_error=False,
        footer_links=[],
        head=TOP_LINKS,
        css=COMPACT_CSS,
    )
    app = gr.mount_gradio_app(
        app,
        build_ui(engine.chat, settings, limiter, client_of),
        path="/",
        allowed_paths=[],
        show_error=False,
        footer_links=["api"],
    )

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        origin = request.headers.get("origin")
        if origin and not origin_allowed(origin, request.headers.get("host", ""), origins):
            return JSONResponse({"error": "This site is not allowed to use the chat."}, 403)
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > settings.max_body_bytes:
            return JSONResponse({"error": "Request body too large."}, 413)
        response: Response = await call_next(request)
        ancestors = (
            " ".join(["'self'", *origins]) if request.url.path.startswith("/embed") else "'self'"
        )
        response.headers["Content-Security-Policy"] = f"frame-ancestors {ancestors}"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        return response

    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Accept"],
            max_age=600,
        )
    return app


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
