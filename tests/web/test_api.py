"""The HTTP API and the web surface over real HTTP: contract, streaming, limits, CORS, probes."""

from __future__ import annotations

import itertools
import json
import math
import time

import httpx

HER_URL = "https://astromech-sample.blogspot.com/2023/07/review-of-her-2013.html"
ARRIVAL_URL = "https://astromech-sample.blogspot.com/2022/11/review-of-arrival-2016.html"
_clients = itertools.count(1)


def fan() -> dict[str, str]:
    """Headers of a fresh client address (the test server trusts 127.0.0.1 as a proxy)."""
    return {"X-Forwarded-For": f"203.0.113.{next(_clients)}"}


def test_ask_json_contract(server: str) -> None:
    r = httpx.post(
        f"{server}/api/ask",
        json={"question": "Who voices Samantha in Her?"},
        headers=fan(),
        timeout=30,
    )
    assert r.status_code == 200
    data = r.json()
    assert set(data) == {
        "answer", "declined", "citations", "unsupported", "kind", "cards", "spoilers_held_back",
        "id", "plan", "context",
    }  # fmt: skip
    assert data["plan"]["kind"] == "film" and data["context"]["films"] == ["Her"]
    assert data["unsupported"] == [] and data["kind"] == "answer" and data["cards"] == []
    assert data["spoilers_held_back"] == 0 and isinstance(data["id"], str)
    assert "Scarlett Johansson" in data["answer"] and data["declined"] is False
    cite = data["citations"][0]
    assert {"n", "doc_id", "source", "title", "url", "quote"} <= set(cite)
    assert cite["url"] == HER_URL and cite["n"] == 1


def test_page_aware_question(server: str) -> None:
    body = {"question": "Who is in it?", "history": [], "page_url": ARRIVAL_URL + "?m=1"}
    data = httpx.post(f"{server}/api/ask", json=body, headers=fan(), timeout=30).json()
    assert not data["declined"]
    assert {c["doc_id"] for c in data["citations"]} == {"arrival-2016"}
    body = {"question": "What did you think of this film?", "page_url": HER_URL}
    data = httpx.post(f"{server}/api/ask", json=body, headers=fan(), timeout=30).json()
    assert {c["doc_id"] for c in data["citations"]} == {"her-2013"}


def test_history_follow_up(server: str) -> None:
    first = httpx.post(
        f"{server}/api/ask", json={"question": "Who directed Gattaca?"}, headers=fan(), timeout=30
    ).json()
    body = {"question": "Who stars in it?", "history": [["Who directed Gattaca?", first["answer"]]]}
    data = httpx.post(f"{server}/api/ask", json=body, headers=fan(), timeout=30).json()
    assert {c["doc_id"] for c in data["citations"]} == {"gattaca-1997"}


def test_history_as_messages_gives_the_same_answer_as_pairs(server: str) -> None:
    first = httpx.post(
        f"{server}/api/ask", json={"question": "Who directed Gattaca?"}, headers=fan(), timeout=30
    ).json()
    pairs = [["Who directed Gattaca?", first["answer"]]]
    messages = [
        {"role": "user", "content": "Who directed Gattaca?"},
        {"role": "assistant", "content": first["answer"]},
    ]
    answers = [
        httpx.post(
            f"{server}/api/ask",
            json={"question": "Who stars in it?", "history": history},
            headers=fan(),
            timeout=30,
        ).json()
        for history in (pairs, messages)
    ]
    by_pairs, by_messages = ({k: v for k, v in a.items() if k != "id"} for a in answers)
    assert by_pairs == by_messages
    assert {c["doc_id"] for c in by_messages["citations"]} == {"gattaca-1997"}


def test_ratelimit_headers_on_api_answers(server: str) -> None:
    """Remaining counts down per request; Reset counts down from the client's oldest request
    in the window (not the window again with every request): asked 2 s apart, the second
    answer's Reset is at least 2 s less than the first's."""
    me = fan()
    remaining, resets, marks = [], [], []
    for i in range(2):
        if i:
            time.sleep(2.2)
        marks.append(time.monotonic())
        r = httpx.post(
            f"{server}/api/ask", json={"question": "Who directed Her?"}, headers=me, timeout=30
        )
        marks.append(time.monotonic())
        assert r.status_code == 200 and r.headers["RateLimit-Limit"] == "12"
        assert r.headers["RateLimit-Policy"] == "12;w=60"
        resets.append(int(r.headers["RateLimit-Reset"]))
        remaining.append(int(r.headers["RateLimit-Remaining"]))
    assert remaining == [11, 10]
    assert resets[0] == 60, "the first request has just started the window"
    # The server's two counts lie between the end of the first answer and the start of the
    # second (at least this far apart) and the whole exchange (at most this far apart).
    apart_least, apart_most = marks[2] - marks[1], marks[3] - marks[0]
    assert math.ceil(60 - apart_most) <= resets[1] <= math.ceil(60 - apart_least) <= 58


def test_server_sent_events(server: str) -> None:
    body = {"question": "Who voices Samantha in Her?", "stream": True}
    with httpx.stream("POST", f"{server}/api/ask", json=body, headers=fan(), timeout=30) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = [block for block in r.read().decode().split("\n\n") if block.strip()]
    deltas = [
        json.loads(e.split("data: ", 1)[1])["text"] for e in events if e.startswith("event: delta")
    ]
    final = json.loads(events[-1].split("data: ", 1)[1])
    assert events[-1].startswith("event: answer")
    assert len(deltas) > 3 and "".join(deltas) == final["answer"]
    assert final["citations"][0]["url"] == HER_URL


def test_health_and_openapi(server: str) -> None:
    health = httpx.get(f"{server}/api/health", timeout=30)
    assert health.status_code == 200
    data = health.json()
    assert data["status"] == "ok" and data["store"] and data["model_loaded"]
    assert data["posts"] >= 15 and data["chunks"] > data["posts"]
    assert data["compute"] == {"slots": 2, "in_use": 0, "waiting": 0, "queue": 32}
    schema = httpx.get(f"{server}/api/openapi.json", timeout=30).json()
    assert "/api/ask" in schema["paths"] and "/api/health" in schema["paths"]
    refusals = schema["paths"]["/api/ask"]["post"]["responses"]
    assert {"400", "403", "413", "429", "503"} <= set(refusals) and "422" not in refusals


def test_widget_script_is_served(server: str) -> None:
    r = httpx.get(f"{server}/widget.js", timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/javascript")
    assert "companion-launcher" in r.text


def text_of(content: object) -> str:
    """Gradio 6 returns message content as a string or a list of {"type", "text"} parts."""
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") for p in content if isinstance(p, dict))  # type: ignore[union-attr]


def test_gradio_chat_over_http(server: str) -> None:
    from gradio_client import Client

    client = Client(server, verbose=False, headers=fan())
    history, box = client.predict("Who voices Samantha in Her?", [], "", api_name="/chat")
    reply = text_of(history[-1]["content"])
    assert box == ""
    assert "Scarlett Johansson" in reply
    assert f'href="{HER_URL}"' in reply and "<details>" in reply
    history, _ = client.predict("   ", [], "", api_name="/chat")
    assert "Ask me something" in text_of(history[-1]["content"])


def test_binds_to_loopback_only(server: str) -> None:
    import socket
    from pathlib import Path

    port = int(server.rsplit(":", 1)[1])
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        addr, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            found.add(socket.inet_ntoa(bytes.fromhex(addr)[::-1]))
    assert found == {"127.0.0.1"}
