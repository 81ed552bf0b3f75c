"""More fans than the queue bound: the extra ones hear "busy" at once; the server stays up."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.web_fixtures import start_server, stop


def test_full_queue_answers_busy_at_once(cli_env: dict[str, str]) -> None:
    env = {
        **cli_env,
        "COMPANION_CONCURRENCY_LIMIT": "1",
        "COMPANION_MAX_QUEUE": "1",
        "COMPANION_RATE_LIMIT_PER_MINUTE": "100000",
    }
    proc, url = start_server(env)
    try:

        def ask(i: int) -> tuple[int, float, str]:
            started = time.monotonic()
            r = httpx.post(
                f"{url}/api/ask", json={"question": f"Who voices Samantha in Her? {i}"}, timeout=60
            )
            return r.status_code, time.monotonic() - started, r.text

        with ThreadPoolExecutor(12) as pool:
            results = list(pool.map(ask, range(12)))
            health = httpx.get(f"{url}/api/health", timeout=10)
        codes = [c for c, _, _ in results]
        busy = [(t, body) for c, t, body in results if c == 503]
        assert 200 in codes and busy, codes
        assert all("busy" in body for _, body in busy)
        assert max(t for t, _ in busy) < 2.0, "busy is said at once, not after waiting"
        assert health.status_code == 200, "the server stays responsive"
    finally:
        stop(proc)
