"""Abuse controls shared by the API and the chat: per-client rate limits, the client's real
address behind trusted proxies, and the origin allowlist. No web framework is imported here."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit


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


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(spec: str) -> list[Network]:
    nets: list[Network] = []
    for part in spec.split(","):
        part = part.strip()
        if part:
            nets.append(ipaddress.ip_network(part, strict=False))
    return nets


def _in(addr: str, nets: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(ip in n for n in nets)


def client_ip(
    peer: str,
    headers: Mapping[str, str],
    trusted: list[Network],
) -> str:
    """The fan's address: the peer, unless the peer is a trusted proxy, in which case the
    right-most address in X-Forwarded-For that is not itself a trusted proxy."""
    if not trusted or not _in(peer, trusted):
        return peer
    chain = [p.strip() for p in headers.get("x-forwarded-for", "").split(",") if p.strip()]
    for addr in reversed(chain):
        if not _in(addr, trusted):
            return addr
    return chain[0] if chain else peer


def client_of(trusted: list[Network]) -> Callable[[Any], str]:
    """The client address of a request, Starlette's or Gradio's (both carry ``.client.host``
    and ``.headers``): the key the rate limits count by."""

    def address(request: Any) -> str:
        peer = getattr(getattr(request, "client", None), "host", None) or "unknown"
        return client_ip(peer, dict(request.headers), trusted)

    return address


def origin_allowed(origin: str, host: str, allowed: list[str]) -> bool:
    """A page of this server (the origin's host is the Host it asked) always; other sites only
    when listed. An empty list never means "any site"."""
    origin = origin.strip().lower().rstrip("/")
    if urlsplit(origin).netloc == host.lower():
        return True
    return origin in {a.lower().rstrip("/") for a in allowed}
