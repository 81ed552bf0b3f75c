"""Fixtures for the web tests: a real server process (python app.py) on a free port, static
"blog" sites beside it, and Debian's Chromium driven by Playwright (never downloaded)."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT

EDITOR_PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Site:
    url: str
    root: Path


def static_site(root: Path) -> Iterator[Site]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Site(f"http://127.0.0.1:{server.server_address[1]}", root)
    server.shutdown()


@pytest.fixture(scope="session")
def blog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The blog that is allowed to embed the chat."""
    yield from static_site(tmp_path_factory.mktemp("blog"))


@pytest.fixture(scope="session")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Another site, not on the allowlist."""
    yield from static_site(tmp_path_factory.mktemp("stranger"))


def start_server(env: dict[str, str], log: Path | None = None) -> tuple[subprocess.Popen[str], str]:
    """``python app.py`` on a free port; its output goes to ``log`` when given (readable while
    it runs), else to a pipe."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env={**env, "COMPANION_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"},
        stdout=log.open("w") if log else subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else log.read_text() if log else ""
            raise RuntimeError(f"server exited: {out}")
        try:
            if httpx.get(f"{url}/api/health", timeout=2).status_code in (200, 503):
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start within 120 s")


def assert_serving(url: str) -> None:
    """The server is healthy and answers from the sample archive."""
    assert httpx.get(f"{url}/api/health", timeout=30).status_code == 200
    ok = httpx.post(f"{url}/api/ask", json={"question": "Who voices Samantha in Her?"}, timeout=30)
    assert ok.status_code == 200 and "Scarlett Johansson" in ok.json()["answer"]


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def server(cli_env: dict[str, str], blog: Site) -> Iterator[str]:
    """Serves the sample archive. Requests from 127.0.0.1 are treated as coming through a
    trusted proxy, so tests can act as different clients with X-Forwarded-For."""
    env = {
        **cli_env,
        "COMPANION_ALLOWED_ORIGINS": blog.url,
        "COMPANION_TRUSTED_PROXIES": "127.0.0.1/32",
        "COMPANION_RATE_LIMIT_PER_MINUTE": "12",
        "COMPANION_EDITOR_PASSWORD": EDITOR_PASSWORD,
    }
    proc, url = start_server(env)
    yield url
    stop(proc)


CHROMIUM = os.environ.get("COMPANION_TEST_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One Chromium per module: Playwright's sync API keeps an asyncio loop marked running in
    the main thread while it lives, so a session-wide one breaks later tests' asyncio.run."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()
