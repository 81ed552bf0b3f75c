"""What stands in front of every request, the Gradio chats' included (they are mounted apps,
beyond FastAPI's dependencies): other sites' pages refused (403), oversized bodies refused
(413), and the security headers on every response."""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from companion.web.deps import error
from companion.web.guard import origin_allowed


class OriginCheck:
    """Requests from pages of sites not in the allowlist (this server's own always are): 403,
    before anything reads them."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.origins = origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = Headers(scope=scope)
            origin = headers.get("origin")
            if origin and not origin_allowed(origin, headers.get("host", ""), self.origins):
                refusal = error(403, "This site is not allowed to use the chat.")
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BodyCap:
    """A request whose ``Content-Length`` is over ``limit`` bytes: 413, unread."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = Headers(scope=scope).get("content-length")
            if length and length.isdigit() and int(length) > self.limit:
                await error(413, "Request body too large.")(scope, receive, send)
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """Only the allowlisted sites may frame the compact chat (/embed), no page may frame the
    rest; no content sniffing; no full URLs in Referer to other sites."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.embed_ancestors = " ".join(["'self'", *origins])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        embed = str(scope.get("path", "")).startswith("/embed")
        ancestors = self.embed_ancestors if embed else "'self'"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = f"frame-ancestors {ancestors}"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
            await send(message)

        await self.app(scope, receive, send_with_headers)
