"""The real Gradio app over HTTP: a server process on a free port, called with gradio_client."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(cli_env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env={**cli_env, "COMPANION_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited: {proc.stdout.read() if proc.stdout else ''}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("server did not start within 120 s")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def listening_addresses(port: int) -> set[str]:
    """Local IPv4 addresses listening on ``port``, read from /proc/net/tcp."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        addr, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            found.add(socket.inet_ntoa(bytes.fromhex(addr)[::-1]))
    return found


def test_page_serves_title(server: str) -> None:
    page = httpx.get(server, timeout=10)
    assert page.status_code == 200
    assert "Ask the Astromech" in page.text


def test_binds_to_loopback_only(server: str) -> None:
    port = int(server.rsplit(":", 1)[1])
    assert listening_addresses(port) == {"127.0.0.1"}


def test_chat_answers_with_a_cited_link(server: str) -> None:
    from gradio_client import Client

    client = Client(server, verbose=False)
    reply = client.predict("Who voices Samantha in Her?", api_name="/chat")
    assert "Scarlett Johansson" in reply
    assert 'href="https://astromech-sample.blogspot.com/2023/07/review-of-her-2013.html"' in reply
    assert "[1]" in reply and "<details>" in reply


def test_chat_declines_and_handles_bad_input_without_traceback(server: str) -> None:
    from gradio_client import Client

    client = Client(server, verbose=False)
    declined = client.predict("Who directed Jurassic Park?", api_name="/chat")
    assert "couldn't find" in declined
    empty = client.predict("   ", api_name="/chat")
    assert "Ask me something" in empty
    for reply in (declined, empty):
        assert "Traceback" not in reply
