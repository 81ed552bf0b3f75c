"""A local HTTP server speaking the OpenAI chat-completions protocol: a test double at the
network boundary.

Tests tell it what to do next: answer with a given text (plain or streamed), stall, fail with a
status, drop the connection, or send something malformed; ``then`` scripts the next few requests
one by one, and ``decide`` picks a behaviour by what a request says (return None to fall through
to the queue or the default). A reply may carry its first token's log-probabilities, as OpenAI's
``logprobs`` option returns.

Tool calls and JSON mode, as the real API answers them::

    # One structured value, whichever way the client asks for it: a request that offers
    # ``tools`` gets it as the arguments of a call to the function ``tool_choice`` names (or
    # the first tool), with ``finish_reason: "tool_calls"``; a request with ``response_format``
    # (json_object or json_schema) gets it as the message's JSON content.
    fake.then(Behaviour(structured={"kind": "smalltalk", "films": []}))
    ChatOpenAI(...).with_structured_output(Plan, method="function_calling").invoke(...)

    # Calls spelt out (several, or a name the request did not offer), arguments as a dict or
    # as the raw string sent (so malformed JSON is one string away):
    fake.then(Behaviour(tool_calls=[("lookup", {"film": "Moon"}), ("lookup", "{not json")]))

    # A reply worked out from the request:
    fake.decide = lambda body: Behaviour(structured={"n": len(body["messages"])})

Streamed requests get the same replies as deltas (tool-call arguments in pieces), a last chunk
with the ``finish_reason``, and a usage chunk when ``stream_options.include_usage`` asks.

Failure modes for deadlines and cancellation: ``drip`` (the reply a few characters every
``interval`` seconds), ``endless`` (``reply`` repeated forever at that pace), ``hang`` (no reply
at all), ``stall`` (wait ``stall`` seconds, then answer), ``status``, ``drop``, ``empty``,
``malformed``. The server watches the client while it drips or hangs, so ``active`` (responses
being written now), ``abandoned`` (responses the client closed before their end) and
``wait_idle`` tell a test whether the client really let go.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

ToolCall = tuple[str, "dict[str, Any] | str"]


@dataclass
class Behaviour:
    # answer | stall | status | drop | empty | malformed | drip | endless | hang
    mode: str = "answer"
    reply: str = ""
    status: int = 500
    stall: float = 5.0
    top_logprobs: list[tuple[str, float]] | None = None  # sent when the request asks for them
    structured: dict[str, Any] | list[Any] | str | None = None  # see the module docstring
    tool_calls: list[ToolCall] | None = None  # (function name, arguments)
    interval: float = 0.05  # drip and endless: seconds between chunks
    chunk_chars: int = 12  # characters of content per streamed chunk
    obey_max_tokens: bool = False  # stop after max_tokens chunks (a chunk is one "token")


@dataclass
class FakeOpenAI:
    behaviour: Behaviour = field(default_factory=Behaviour)
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    queued: list[Behaviour] = field(default_factory=list)
    decide: Callable[[dict[str, Any]], Behaviour | None] | None = None  # by request content
    active: int = 0  # responses being written right now
    peak_active: int = 0
    abandoned: int = 0  # responses the client went away from before their end
    connections: int = 0  # TCP connections open now (idle pooled ones included)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _closing: threading.Event = field(default_factory=threading.Event)

    def answer(self, text: str) -> None:
        self.behaviour = Behaviour(mode="answer", reply=text)

    def then(self, *steps: Behaviour) -> None:
        """Behaviours for the next requests, one each, before ``behaviour`` applies again."""
        self.queued.extend(steps)

    def act(self, mode: str, **kw: Any) -> None:
        self.behaviour = Behaviour(mode=mode, **kw)

    def wait_idle(self, timeout: float) -> bool:
        """True once no response is being written, within ``timeout`` seconds."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.active == 0:
                return True
            time.sleep(0.01)
        return self.active == 0

    def _count(self, name: str, delta: int) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + delta)
            self.peak_active = max(self.peak_active, self.active)


class ClientGone(Exception):
    """The client closed the connection before the response ended."""


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


def _tool_name(body: dict[str, Any]) -> str:
    """The function ``tool_choice`` names, else the first tool offered."""
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("function", {}).get("name"):
        return str(choice["function"]["name"])
    tools = body.get("tools") or []
    return str(tools[0]["function"]["name"]) if tools else "unnamed"


def _as_json(value: dict[str, Any] | list[Any] | str) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def planned(b: Behaviour, body: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
    """The reply's content and tool calls, as the request and the behaviour make them."""
    calls = list(b.tool_calls or [])
    if b.structured is not None and body.get("tools") and not calls:
        calls = [(_tool_name(body), b.structured)]
    if calls:
        return None, [
            {
                "id": f"call_fake{i}",
                "type": "function",
                "function": {"name": name, "arguments": _as_json(args)},
            }
            for i, (name, args) in enumerate(calls)
        ]
    if b.mode == "empty":
        return "", []
    return (_as_json(b.structured) if b.structured is not None else b.reply), []


def _completion(
    content: str | None,
    calls: list[dict[str, Any]],
    model: str,
    top: list[tuple[str, float]] | None,
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
    if calls:
        message["tool_calls"] = calls
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": _logprobs(top) if top else None,
                "finish_reason": "tool_calls" if calls else "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> bytes:
    chunk = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(chunk)}\n\n".encode()


def _deltas(
    b: Behaviour, content: str | None, calls: list[dict[str, Any]], limit: int | None
) -> Iterator[dict[str, Any] | str]:
    """Deltas as the real API streams them, then the finish reason (a str)."""
    n = max(1, b.chunk_chars)
    if calls:
        for i, call in enumerate(calls):
            args = call["function"]["arguments"]
            head = {
                "index": i,
                "id": call["id"],
                "type": "function",
                "function": {"name": call["function"]["name"], "arguments": ""},
            }
            yield {"role": "assistant", "content": None, "tool_calls": [head]}
            for k in range(0, len(args), n):
                part = {"index": i, "function": {"arguments": args[k : k + n]}}
                yield {"tool_calls": [part]}
        yield "tool_calls"
        return
    text = content or ("and so on. " if b.mode == "endless" else "")
    yield {"role": "assistant", "content": ""}
    sent = 0
    while True:
        for k in range(0, len(text), n):
            if limit is not None and sent >= limit:
                yield "length"
                return
            yield {"content": text[k : k + n]}
            sent += 1
        if b.mode != "endless" or not text:
            break
    yield "stop"


def _client_gone(conn: socket.socket, wait: float) -> bool:
    """Waits up to ``wait`` seconds; True as soon as the client has closed its end."""
    try:
        readable, _, _ = select.select([conn], [], [], max(0.0, wait))
        if not readable:
            return False
        return conn.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def serve() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def setup(self) -> None:
            super().setup()
            fake._count("connections", 1)

        def finish(self) -> None:
            fake._count("connections", -1)
            with contextlib.suppress(OSError):
                super().finish()

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            fake.requests.append(body)
            decided = fake.decide(body) if fake.decide else None
            b = decided or (fake.queued.pop(0) if fake.queued else fake.behaviour)
            fake._count("active", 1)
            try:
                self._respond(b, body)
            except (ClientGone, BrokenPipeError, ConnectionResetError):
                fake._count("abandoned", 1)
                self.close_connection = True
            finally:
                fake._count("active", -1)

        def _respond(self, b: Behaviour, body: dict[str, Any]) -> None:
            model = body.get("model", "fake")
            if b.mode == "stall":
                time.sleep(b.stall)
            if b.mode == "hang":
                while not fake._closing.is_set():
                    if _client_gone(self.connection, 0.05):
                        raise ClientGone
                return
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
            content, calls = planned(b, body)
            if body.get("stream"):
                self._stream(b, body, model, content, calls)
                return
            top = b.top_logprobs if body.get("logprobs") else None
            reply = json.dumps(_completion(content, calls, model, top)).encode()
            if b.mode in ("drip", "endless"):
                self._drip(b, reply)
                return
            self._send(200, reply, "application/json")

        def _drip(self, b: Behaviour, data: bytes) -> None:
            """A plain (not streamed) reply a few bytes at a time; ``endless`` sends blanks
            (JSON allows leading whitespace) and never the body."""
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            n = max(1, b.chunk_chars)
            k = 0
            while not fake._closing.is_set() and (b.mode == "endless" or k < len(data)):
                self.wfile.write(b" " if b.mode == "endless" else data[k : k + n])
                k += n
                if _client_gone(self.connection, b.interval):
                    raise ClientGone

        def _stream(
            self,
            b: Behaviour,
            body: dict[str, Any],
            model: str,
            content: str | None,
            calls: list[dict[str, Any]],
        ) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            slow = b.mode in ("drip", "endless")
            most = body.get("max_completion_tokens") or body.get("max_tokens")
            limit = int(most) if b.obey_max_tokens and most else None
            for delta in _deltas(b, content, calls, limit):
                if fake._closing.is_set():
                    return
                if isinstance(delta, str):
                    self.wfile.write(_chunk(model, {}, delta))
                    break
                self.wfile.write(_chunk(model, delta))
                self.wfile.flush()
                if slow and _client_gone(self.connection, b.interval):
                    raise ClientGone
            if (body.get("stream_options") or {}).get("include_usage"):
                usage = {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}
                chunk = {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [],
                    "usage": usage,
                }
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")

        def _send(self, status: int, data: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    class Server(http.server.ThreadingHTTPServer):
        request_queue_size = 128  # socketserver's 5 drops a burst of fans' connections

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield fake
    fake._closing.set()
    server.shutdown()
