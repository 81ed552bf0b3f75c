"""Abuse controls (companion/web/guard.py): sliding-window rate limits, the client's address
behind trusted proxies, and the origin allowlist."""

from __future__ import annotations

import pytest

from companion.web.guard import RateLimiter, origin_allowed, parse_networks


def test_rate_limit_is_a_sliding_window_per_key() -> None:
    limit = RateLimiter(2, window=10.0)
    assert limit.check("a", now=0.0) == 0.0
    assert limit.check("a", now=1.0) == 0.0
    assert limit.check("a", now=2.0) == pytest.approx(8.0)  # the first hit leaves at t=10
    assert limit.check("b", now=2.0) == 0.0  # other clients are unaffected
    assert limit.check("a", now=10.0) == 0.0
    assert limit.check("a", now=10.5) == pytest.approx(0.5)


def test_a_refused_event_does_not_count() -> None:
    limit = RateLimiter(1, window=10.0)
    assert limit.check("a", now=0.0) == 0.0
    for t in (1.0, 5.0, 9.0):
        assert limit.check("a", now=t) > 0
    assert limit.check("a", now=10.0) == 0.0


def test_retry_after_is_whole_seconds_at_least_one() -> None:
    limit = RateLimiter(1, window=0.2)
    assert limit.retry_after("a") == 0
    assert limit.retry_after("a") == 1


def test_memory_stays_bounded_under_an_address_sweep() -> None:
    limit = RateLimiter(5, window=1.0, max_keys=10)
    for n in range(50):
        limit.check(f"10.0.0.{n}", now=float(n * 2))  # each key is stale by the next one
    assert len(limit._hits) <= 11


TRUSTED = parse_networks("10.0.0.0/8, ::1 ,")


def test_parse_networks() -> None:
    assert [str(n) for n in TRUSTED] == ["10.0.0.0/8", "::1/128"]
    assert parse_networks("") == []
    with pytest.raises(ValueError):
        parse_networks("not-a-network")


@pytest.mark.parametrize(
    ("origin", "host", "allowed", "ok"),
    [
        ("http://localhost:7860", "localhost:7860", [], True),  # our own page
        ("https://Blog.Example/", "chat.example", ["https://blog.example"], True),
        ("https://blog.example.evil.com", "chat.example", ["https://blog.example"], False),
        ("https://evil.example", "chat.example", [], False),  # an empty list is not "any"
        ("null", "chat.example", ["https://blog.example"], False),
    ],
)
def test_origin_allowed(origin: str, host: str, allowed: list[str], ok: bool) -> None:
    assert origin_allowed(origin, host, allowed) is ok
