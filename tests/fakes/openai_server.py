"""A local HTTP server speaking the OpenAI chat-completions protocol: a test double at the
network boundary. Tests tell it what to do next: answer with a given text (plain or streamed),
stall, fail with a status, drop the connection, or send something malformed; ``then`` scripts
the next few requests one by one, and ``decide`` picks a behaviour by what a request says. A
reply may carry its first token's log-probabilities, as OpenAI's ``logprobs`` option returns."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Behaviour:
    mode: str = "answer"  # answer | stall | status | drop | empty | malformed
    reply: str = ""
    status: int = 500
    stall: float = 5.0
    top_logprobs: list[tuple[str, float]] | None = None  # sent when the request asks for them


@dataclass
class FakeOpenAI:
    behaviour: Behaviour = field(default_factory=Behaviour)
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    queued: list[Behaviour] = field(default_factory=list)
    decide: Callable[[dict[str, Any]], Behaviour | None] | None = None  # by request content

    def answer(self, text: str) -> None:
        self.behaviour = Behaviour(mode="answer", reply=text)

    def then(self, *steps: Behaviour) -> None:
        """Behaviours for the next requests, one each, before ``behaviour`` applies again."""
        self.queued.extend(steps)

    def act(self, mode: str, **kw: Any) -> None:
        self.behaviour = Behaviour(mode=mode, **kw)


def _logprobs(top: list[tuple[str, float]]) -> dict[str, Any]:
    token, logprob = max(top, key=lambda t: t[1])
    alternatives = [{"token": t, "logprob": lp, "bytes": list(t.encode())} for t, lp in top]
    return {
        "content": [
            {
                "token": token,
                "logprob": logprob,
                "bytes": list(token.encode()),
                "top_logprobs": alternatives,
            }
        ]
    }


def _completion(content: str, model: str, top: list[tuple[str, float]] | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "logprobs": _logprobs(top) if top else None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


def _chunks(content: str, model: str) -> Iterator[bytes]:
    for i in range(0, len(content), 12):
        chunk = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {"index": 0, "delta": {"content": content[i : i + 12]}, "finish_reason": None}
            ],
        }
        yield f"data: {json.dumps(chunk)}\n\n".encode()
    yield b"data: [DONE]\n\n"


def serve() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            fake.requests.append(body)
            decided = fake.decide(body) if fake.decide else None
            b = decided or (fake.queued.pop(0) if fake.queued else fake.behaviour)
            model = body.get("model", "fake")
            if b.mode == "stall":
                time.sleep(b.stall)
            if b.mode == "drop":
                self.connection.shutdown(2)
                self.close_connection = True
                return
            if b.mode == "status":
                data = json.dumps(
                    {"error": {"message": f"fake failure {b.status}", "type": "server_error"}}
                ).encode()
                self._send(b.status, data, "application/json")
                return
            if b.mode == "malformed":
                self._send(200, b"{this is not json", "application/json")
                return
            content = "" if b.mode == "empty" else b.reply
            if body.get("stream"):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                for part in _chunks(content, model):
                    self.wfile.write(part)
                self.close_connection = True
                return
            top = b.top_logprobs if body.get("logprobs") else None
            reply = _completion(content, model, top)
            self._send(200, json.dumps(reply).encode(), "application/json")

        def _send(self, status: int, data: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield fake
    server.shutdown()
