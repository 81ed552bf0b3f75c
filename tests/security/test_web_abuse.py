"""Abuse of the public web surface: floods, bad bodies, other sites, path probes."""

from __future__ import annotations

import select
import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest

from tests.web.test_api import fan


def test_rate_limit_is_per_client(server: str) -> None:
    me, other = fan(), fan()
    codes = [
        httpx.post(
            f"{server}/api/ask", json={"question": "   "}, headers=me, timeout=30
        ).status_code
        for _ in range(13)
    ]
    assert codes[:12] == [400] * 12  # counted, even when the question is empty
    assert codes[12] == 429
    r = httpx.post(f"{server}/api/ask", json={"question": "hi"}, headers=me, timeout=30)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert "wait" in r.json()["error"]
    assert r.headers["RateLimit-Limit"] == "12" and r.headers["RateLimit-Remaining"] == "0"
    join = httpx.post(
        f"{server}/embed/gradio_api/queue/join",
        json={"data": [], "fn_index": 0, "session_hash": "x"},
        headers=me,
        timeout=30,
    )
    assert join.status_code == 429, "the chat's queue counts against the same limit"
    ok = httpx.post(
        f"{server}/api/ask", json={"question": "Who directed Her?"}, headers=other, timeout=30
    )
    assert ok.status_code == 200, "another client is unaffected"


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        (b'{"question": "' + b"x" * 70_000 + b'"}', 413, "too large"),
        (b"{not json", 400, "Malformed request"),
        (b'{"question": "\xff\xfe bad utf-8"}', 400, "Malformed request"),
        (b'{"history": []}', 400, "question"),
        (b'{"question": 42}', 400, "Malformed request"),
        (b'{"question": "' + b"why " * 600 + b'"}', 400, "under 2,000 characters"),
        (b'{"question": "\\u0000\\u0001"}', 400, "Ask me something"),
    ],
)
def test_bad_bodies_get_clear_4xx(server: str, content: bytes, status: int, message: str) -> None:
    r = httpx.post(
        f"{server}/api/ask",
        content=content,
        headers={**fan(), "Content-Type": "application/json"},
        timeout=30,
    )
    assert r.status_code == status
    assert message in r.json()["error"]
    assert "Traceback" not in r.text


def test_cors_allows_the_blog_and_refuses_others(server: str, blog, stranger) -> None:
    pre = httpx.options(
        f"{server}/api/ask",
        headers={
            "Origin": blog.url,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == blog.url
    ok = httpx.post(
        f"{server}/api/ask",
        json={"question": "Who directed Her?"},
        headers={**fan(), "Origin": blog.url},
        timeout=30,
    )
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == blog.url
    bad = httpx.post(
        f"{server}/api/ask",
        json={"question": "Who directed Her?"},
        headers={**fan(), "Origin": stranger.url},
        timeout=30,
    )
    assert bad.status_code == 403 and "access-control-allow-origin" not in bad.headers
    pre_bad = httpx.options(
        f"{server}/api/ask",
        headers={"Origin": stranger.url, "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in pre_bad.headers


def test_frame_ancestors(server: str, blog) -> None:
    embed = httpx.get(f"{server}/embed/", timeout=30)
    assert embed.status_code == 200
    assert embed.headers["content-security-policy"] == f"frame-ancestors 'self' {blog.url}"
    assert (
        httpx.get(server, timeout=30).headers["content-security-policy"] == "frame-ancestors 'self'"
    )


@pytest.mark.parametrize(
    "path",
    [
        "/gradio_api/file=/etc/passwd",
        "/file=/etc/passwd",
        "/gradio_api/file=../../../../etc/passwd",
        "/gradio_api/file=%2Fetc%2Fpasswd",
        "/GRADIO_API/FILE=/etc/passwd",
        "/embed/gradio_api/file=/etc/passwd",
        "/gradio_api/file=/proc/self/environ",
        "/static/../../../../etc/passwd",
        "/..%2f..%2f..%2fetc/passwd",
        "/gradio_api/file=http://127.0.0.1:1/x",
        "/embed/gradio_api/file=..%2F..%2Fetc%2Fpasswd",
    ],
)
def test_file_path_probes_are_refused(server: str, path: str) -> None:
    r = httpx.get(server + path, timeout=30)
    assert r.status_code in (400, 403, 404, 405)
    assert "root:" not in r.text and "PATH=" not in r.text


@pytest.mark.parametrize("prefix", ["", "/embed"])
def test_uploads_are_refused(server: str, prefix: str) -> None:
    """The chat has no file component: nobody may store files on the server."""
    files = {"files": ("note.txt", b"filling the disk", "text/plain")}
    r = httpx.post(f"{server}{prefix}/gradio_api/upload", files=files, headers=fan(), timeout=30)
    assert r.status_code in (404, 405), r.text
    r = httpx.get(f"{server}{prefix}/gradio_api/upload_progress?upload_id=1", timeout=30)
    assert r.status_code in (404, 405)


@pytest.mark.parametrize("path", ["/api/ask", "/gradio_api/queue/join"])
def test_chunked_2mb_body_is_refused_before_it_is_read(server: str, path: str) -> None:
    """Sent with Transfer-Encoding: chunked (no Content-Length) in 16 KB pieces: the 413
    comes back while the client is still sending, long before 2 MB."""
    url = urlsplit(server)
    piece = b"x" * 16_384
    sent = 0
    with socket.create_connection((url.hostname, url.port), timeout=30) as conn:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/json\r\n"
            f"X-Forwarded-For: {fan()['X-Forwarded-For']}\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        conn.sendall(head.encode())
        reply = b""
        deadline = time.monotonic() + 30
        while sent < 2_000_000 and time.monotonic() < deadline:
            try:
                conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            except OSError:  # the server answered and closed
                break
            sent += len(piece)
            if select.select([conn], [], [], 0.02)[0]:
                reply = conn.recv(65_536)
                break
        while b"Request body too large." not in reply and time.monotonic() < deadline:
            more = conn.recv(65_536)  # the rest of the answer, if it came in pieces
            if not more:
                break
            reply += more
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert b"Request body too large." in reply
    assert sent < 500_000, f"the server let {sent} bytes in before refusing"
