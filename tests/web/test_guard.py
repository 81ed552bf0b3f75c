"""Abuse-control building blocks: rate windows, client addresses behind proxies, origins."""

from __future__ import annotations

from companion.web.guard import RateLimiter, client_ip, origin_allowed, parse_networks


def test_rate_limiter_window_and_keys() -> None:
    limiter = RateLimiter(limit=3, window=60)
    assert [limiter.check("a", now=t) for t in (0, 1, 2)] == [0, 0, 0]
    assert limiter.check("a", now=3) == 57
    assert limiter.check("b", now=3) == 0, "another client has its own window"
    assert limiter.check("a", now=60.5) == 0, "the oldest hit left the window"


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    trusted = parse_networks("127.0.0.1, 10.0.0.0/8")
    spoof = {"x-forwarded-for": "1.2.3.4"}
    assert client_ip("203.0.113.9", spoof, trusted) == "203.0.113.9", "untrusted peer: ignored"
    assert client_ip("203.0.113.9", spoof, []) == "203.0.113.9"
    chain = {"x-forwarded-for": "6.6.6.6, 198.51.100.7, 10.1.2.3"}
    assert client_ip("127.0.0.1", chain, trusted) == "198.51.100.7", "right-most untrusted hop"
    assert client_ip("127.0.0.1", {}, trusted) == "127.0.0.1"


def test_origins() -> None:
    allowed = ["https://blog.example"]
    assert origin_allowed("https://blog.example", "chat.example:443", allowed)
    assert origin_allowed("http://chat.example:7860", "chat.example:7860", [])
    assert not origin_allowed("https://evil.example", "chat.example", allowed)
    assert not origin_allowed("https://blog.example.evil.example", "chat.example", allowed)
    assert not origin_allowed("https://evil.example", "chat.example", []), "empty is not 'any'"
