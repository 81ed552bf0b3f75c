"""Abuse-control building blocks: rate windows and what they tell the client, strict reading
of the trusted proxies, origins. (Who the client is behind a proxy is uvicorn's
ProxyHeadersMiddleware, tested through the app in test_public_surface.py.)"""

from __future__ import annotations

import pytest

from companion.web.guard import RateLimiter, client_key, origin_allowed, parse_networks


def test_rate_limiter_window_and_keys() -> None:
    limiter = RateLimiter(limit=3, window=60)
    assert [limiter.check("a", now=t) for t in (0, 1, 2)] == [0, 0, 0]
    assert limiter.check("a", now=3) == 57
    assert limiter.check("b", now=3) == 0, "another client has its own window"
    assert limiter.check("a", now=60.5) == 0, "the oldest hit left the window"


def test_quota_is_what_the_ratelimit_headers_say() -> None:
    limiter = RateLimiter(limit=2, window=60)
    assert limiter.quota("a").headers() == {
        "RateLimit-Limit": "2",
        "RateLimit-Remaining": "2",
        "RateLimit-Reset": "0",
        "RateLimit-Policy": "2;w=60",
    }
    first = limiter.hit("a")
    assert (first.remaining, first.retry_after) == (1, 0) and 59 <= first.reset <= 60
    assert limiter.hit("a").remaining == 0
    refused = limiter.hit("a")
    assert refused.remaining == 0 and refused.retry_after >= 1
    assert refused.headers()["Retry-After"] == str(refused.retry_after)
    assert "Retry-After" not in first.headers()
    assert limiter.quota("b").remaining == 2, "looking does not count"


def test_trusted_proxies_are_read_strictly() -> None:
    assert [str(n) for n in parse_networks("127.0.0.1, 10.0.0.0/8 ,")] == [
        "127.0.0.1/32",
        "10.0.0.0/8",
    ]
    with pytest.raises(ValueError):
        parse_networks("10.0.0.0/8, proxy.internal")  # uvicorn would silently never match it


def test_client_key() -> None:
    from types import SimpleNamespace

    assert client_key(SimpleNamespace(client=SimpleNamespace(host="198.51.100.7"))) == (
        "198.51.100.7"
    )
    assert client_key(SimpleNamespace(client=None)) == "unknown"


def test_origins() -> None:
    allowed = ["https://blog.example"]
    assert origin_allowed("https://blog.example", "chat.example:443", allowed)
    assert origin_allowed("http://chat.example:7860", "chat.example:7860", [])
    assert not origin_allowed("https://evil.example", "chat.example", allowed)
    assert not origin_allowed("https://blog.example.evil.example", "chat.example", allowed)
    assert not origin_allowed("https://evil.example", "chat.example", []), "empty is not 'any'"
