"""Abuse controls shared by the API and the chat: per-client rate limits, the key a client is
counted by, and the origin allowlist. No web framework is imported here.

The client's address behind a reverse proxy is uvicorn's work (its ``ProxyHeadersMiddleware``,
set up from ``COMPANION_TRUSTED_PROXIES`` in ``server``): by the time a request reaches the
API or the chats its ``client`` is the fan's, for Gradio as for us."""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Quota:
    """One client's standing after a request, as the ``RateLimit-*`` headers tell it (IETF
    draft-ietf-httpapi-ratelimit-headers): ``limit`` events per ``window`` seconds,
    ``remaining`` of them left, ``reset`` whole seconds until the oldest counted one leaves
    the window (0 when none is counted); ``retry_after`` is 0 unless this request was refused."""

    limit: int
    window: int
    remaining: int
    reset: int
    retry_after: int = 0

    def headers(self) -> dict[str, str]:
        out = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
            "RateLimit-Policy": f"{self.limit};w={self.window}",
        }
        if self.retry_after:
            out["Retry-After"] = str(self.retry_after)
        return out


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds per key (a sliding window)."""

    def __init__(self, limit: int, window: float = 60.0, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._max_keys = max_keys

    def check(self, key: str, now: float | None = None) -> float:
        """Record one event; return 0 when allowed, else seconds until the next is allowed."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(0.001, self.window - (now - hits[0]))
            hits.append(now)
            if len(self._hits) > self._max_keys:  # bounded memory under an address sweep
                stale = [k for k, v in self._hits.items() if not v or now - v[-1] >= self.window]
                for k in stale:
                    del self._hits[k]
            return 0.0

    def retry_after(self, key: str) -> int:
        """Record one event for ``key``; 0 when allowed, else whole seconds to wait (at least 1),
        as told to the client in ``Retry-After`` and in the chat."""
        wait = self.check(key)
        return max(1, round(wait)) if wait else 0

    def hit(self, key: str) -> Quota:
        """Record one event for ``key`` and say where the client stands after it."""
        return self.quota(key, self.retry_after(key))

    def quota(self, key: str, retry_after: int = 0) -> Quota:
        """Where ``key`` stands, without counting anything."""
        now = time.monotonic()
        with self._lock:
            live = [t for t in self._hits.get(key, ()) if now - t < self.window]
        reset = math.ceil(self.window - (now - live[0])) if live else 0
        return Quota(
            self.limit,
            math.ceil(self.window),
            max(0, self.limit - len(live)),
            reset,
            retry_after,
        )


def client_key(request: Any) -> str:
    """The key the rate limits count a request by, Starlette's or Gradio's (both carry
    ``.client.host``): the fan's address, once the proxy headers have been applied."""
    return str(getattr(getattr(request, "client", None), "host", None) or "unknown")


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(spec: str) -> list[Network]:
    """``COMPANION_TRUSTED_PROXIES`` read strictly: uvicorn would take a mistyped entry as a
    host name that never matches, so the server refuses to start on one instead."""
    nets: list[Network] = []
    for part in spec.split(","):
        part = part.strip()
        if part:
            nets.append(ipaddress.ip_network(part, strict=False))
    return nets


def origin_allowed(origin: str, host: str, allowed: list[str]) -> bool:
    """A page of this server (the origin's host is the Host it asked) always; other sites only
    when listed. An empty list never means "any site"."""
    origin = origin.strip().lower().rstrip("/")
    if urlsplit(origin).netloc == host.lower():
        return True
    return origin in {a.lower().rstrip("/") for a in allowed}
