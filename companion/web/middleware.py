"""What stands in front of every request, the Gradio chats' included (they are mounted apps,
beyond FastAPI's dependencies): the client's address behind trusted proxies, other sites'
pages refused (403), bodies over the cap refused while they stream in (413), Gradio's routes
that no component needs closed and its queue counted against the client's rate limit, the
``RateLimit-*`` headers on the API's answers, and the security headers on every response."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from companion.web.deps import QUOTA, error
from companion.web.guard import Network, RateLimiter, origin_allowed, parse_networks

TOO_FAST = "You're asking faster than I can read — please wait {seconds} s and try again."
TOO_LARGE = "Request body too large."

# Gradio's routes that serve nobody here (no file, upload, media, recording or custom
# component; no direct-call API, run history, monitoring or dev mode), under either chat.
CLOSED = re.compile(
    r"^(?:/embed)?(?:/gradio_api/(?:upload|upload_progress|file=|file/|proxy=|"
    r"process_recording|stream/|component_server|vibe-edit|undo-vibe-edit|vibe-code|"
    r"run-history|runs|run/|api/|mcp|dev/)|/monitoring)",
    re.IGNORECASE,
)
# Gradio's POSTs that start work: joining the queue, and its curl-style API.
WORK = re.compile(r"^(?:/embed)?/gradio_api/(?:queue/join|call/)", re.IGNORECASE)


def _path(scope: Scope) -> str:
    return re.sub(r"/{2,}", "/", str(scope.get("path", "")))


class TrustedProxies:
    """The client's address and scheme from ``X-Forwarded-For`` / ``X-Forwarded-Proto``, only
    when the peer is one of ``COMPANION_TRUSTED_PROXIES`` (uvicorn's ``ProxyHeadersMiddleware``,
    the same as ``--forwarded-allow-ips``: the right-most address that is not a trusted
    proxy). From any other peer the ``X-Forwarded-Host`` and ``X-Forwarded-Proto`` headers are
    dropped, since Gradio builds its public address from them whoever sent them."""

    def __init__(self, app: ASGIApp, trusted: str) -> None:
        self.networks: list[Network] = parse_networks(trusted)  # a typo stops the server
        self.app = app
        self.inner = ProxyHeadersMiddleware(app, [str(n) for n in self.networks])  # type: ignore[arg-type]

    def _trusted(self, scope: Scope) -> bool:
        client = scope.get("client")
        try:
            ip = ipaddress.ip_address(client[0]) if client else None
        except ValueError:
            return False
        return ip is not None and any(ip in n for n in self.networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if self.networks and self._trusted(scope):
            await self.inner(scope, receive, send)  # type: ignore[arg-type]
            return
        drop = {b"x-forwarded-host", b"x-forwarded-proto"}
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k not in drop]
        await self.app(scope, receive, send)


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
    """A body over ``limit`` bytes: 413. Refused unread when ``Content-Length`` says so, and
    otherwise (``Transfer-Encoding: chunked``, or a length that lies) as soon as the bytes
    read pass the cap: the 413 goes out then, the app reading the body is told the client
    left, and nothing more is read."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length and length.isdigit() and int(length) > self.limit:
            await error(413, TOO_LARGE)(scope, receive, send)
            return
        received = 0
        refused = False  # our 413 is sent: the app's own answer is dropped
        started = False

        async def capped_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    if not started:
                        refused = True
                        await error(413, TOO_LARGE)(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, capped_receive, guarded_send)


class GradioDoor:
    """In front of both chats: the routes in ``CLOSED`` answer 404 as an address that does
    not exist does, and every POST that starts work (``WORK``) is counted against the
    client's rate limit, the one the API's questions and feedback count against (over it:
    429 with ``Retry-After``, which Gradio's page shows the fan). The count is kept in the
    request's state, so the chat's handler does not count the question twice
    (``Context.admit``)."""

    def __init__(
        self, app: ASGIApp, limiter: RateLimiter, client_of: Callable[[Request], str]
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.client_of = client_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = _path(scope)
            if CLOSED.match(path):
                await JSONResponse({"detail": "Not Found"}, 404)(scope, receive, send)
                return
            if scope.get("method") == "POST" and WORK.match(path):
                quota = self.limiter.hit(self.client_of(Request(scope)))
                scope.setdefault("state", {})[QUOTA] = quota
                if quota.retry_after:
                    text = TOO_FAST.format(seconds=quota.retry_after)
                    await error(429, text, quota.headers())(scope, receive, send)
                    return
        await self.app(scope, receive, send)


class RateLimitHeaders:
    """``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset`` (and
    ``RateLimit-Policy``) on every answer under ``/api/``: the client's standing after this
    request when it was counted, else as it stands."""

    def __init__(
        self, app: ASGIApp, limiter: RateLimiter, client_of: Callable[[Request], str]
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.client_of = client_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _path(scope).startswith("/api/"):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                quota = scope.get("state", {}).get(QUOTA)
                if quota is None:
                    quota = self.limiter.quota(self.client_of(Request(scope)))
                headers = MutableHeaders(scope=message)
                for name, value in quota.headers().items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


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
