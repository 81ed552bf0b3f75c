"""What an anonymous visitor can do, in process over a fake chat: Gradio's unneeded routes are
closed, its queue counts against the client's rate limit, bodies are capped as they stream in,
the API's answers carry the RateLimit-* headers, its errors are the shape its OpenAPI schema
declares, history comes as pairs or messages, and proxies are believed only when trusted."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from fastapi.testclient import TestClient

from companion.chat import ChatService, ChatUnavailable, check_question
from companion.settings import Settings
from companion.types import Answer, Citation
from companion.web.middleware import BodyCap
from companion.web.schemas import AskRequest, Health

BLOG = "https://blog.example"


class FakeChat:
    query_log = None
    store = None

    def __init__(self) -> None:
        self.histories: list[list[tuple[str, str]]] = []

    def stream(self, question: str, history: Any = None, *rest: object) -> Iterator[str | Answer]:
        check_question(question, 2000)
        self.histories.append(list(history or []))
        yield "Samantha is Scarlett Johansson."
        cite = Citation(1, "her-2013", "s", "Her", "https://blog.example/her", "q", passage="p")
        yield Answer(
            "Samantha is Scarlett Johansson.",
            citations=[cite],
            unsupported=["The sequel is due in 2027."],
        )

    def ask(self, question: str, *rest: object) -> Answer:
        *_, final = self.stream(question, *rest)
        assert isinstance(final, Answer)
        return final


class FakeEngine:
    query_log = None
    sync = None

    def __init__(self, broken: bool = False) -> None:
        self.broken = broken
        self.service = FakeChat()

    def chat(self) -> ChatService:
        if self.broken:
            raise ChatUnavailable("The archive is unavailable.")
        return self.service  # type: ignore[return-value]

    def health(self) -> Health:
        return Health(status="ok", store=True, model_loaded=True, posts=1, chunks=2)


def make_settings(tmp_path: Path, **kw: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path,
        "allowed_origins": BLOG,
        "trusted_proxies": "127.0.0.1/32",
        "rate_limit_per_minute": 3,
        "max_body_bytes": 2048,
    }
    return Settings(_env_file=None, **{**values, **kw})  # type: ignore[arg-type]


def make_client(tmp_path: Path, engine: FakeEngine | None = None, **kw: object) -> TestClient:
    from companion.web.server import create_app

    app = create_app(make_settings(tmp_path, **kw), engine or FakeEngine())  # type: ignore[arg-type]
    return TestClient(app, client=("127.0.0.1", 5000))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    return make_client(tmp_path_factory.mktemp("surface"))


_n = iter(range(1, 250))


def fan() -> dict[str, str]:
    return {"X-Forwarded-For": f"192.0.2.{next(_n)}"}


@pytest.mark.parametrize("prefix", ["", "/embed"])
def test_upload_and_file_routes_are_closed(client: TestClient, prefix: str) -> None:
    files = {"files": ("x.txt", b"fill the disk", "text/plain")}
    up = client.post(f"{prefix}/gradio_api/upload", files=files, headers=fan())
    assert up.status_code in (404, 405), up.text
    for path in (
        "/gradio_api/upload_progress?upload_id=x",
        "/gradio_api/file=/tmp/x.txt",
        "/gradio_api/file/tmp/x.txt",
        "/gradio_api/proxy=https://example.com/x",
        "/gradio_api/stream/abc/0/1/playlist.m3u8",
        "/gradio_api/run-history/records",
        "/monitoring",
    ):
        r = client.get(prefix + path, headers=fan())
        assert r.status_code in (404, 405), (path, r.status_code)
    for path in ("/gradio_api/process_recording", "/gradio_api/component_server"):
        assert client.post(prefix + path, json={}, headers=fan()).status_code in (404, 405), path
    # and what the chat needs is still there
    assert client.get(f"{prefix}/config", headers=fan()).status_code == 200
    assert client.get(f"{prefix}/gradio_api/info", headers=fan()).status_code == 200


def test_gradio_queue_counts_against_the_same_limit_as_the_api(client: TestClient) -> None:
    me = fan()
    assert client.post("/api/feedback", json={"id": "x", "helpful": True}, headers=me).status_code
    for path in ("/gradio_api/queue/join", "/embed/gradio_api/queue/join"):
        r = client.post(path, json={"data": [], "fn_index": 0, "session_hash": "s"}, headers=me)
        assert r.status_code != 429, (path, r.text)
    joined = client.post(
        "/gradio_api/queue/join",
        json={"data": [], "fn_index": 0, "session_hash": "s"},
        headers=me,
    )
    assert joined.status_code == 429 and int(joined.headers["Retry-After"]) >= 1
    assert "wait" in joined.json()["error"]
    asked = client.post("/api/ask", json={"question": "Who?"}, headers=me)
    assert asked.status_code == 429, "the chat's door and the API count together"
    other = client.post("/gradio_api/queue/join", json={"data": []}, headers=fan())
    assert other.status_code != 429, "another client is unaffected"


def test_a_chat_question_counts_once(tmp_path: Path) -> None:
    """Through Gradio's queue a question is counted at the door and not again by the chat's
    handler: a fan gets as many questions in the chat as through the API, then the door
    refuses the next with the wait in the message."""
    from gradio_client import Client

    from companion.web.server import create_app
    from tests.web.test_compute_budget import serving

    app = create_app(make_settings(tmp_path, rate_limit_per_minute=4), FakeEngine())  # type: ignore[arg-type]
    with serving(app) as url:
        chat = Client(f"{url}/embed/", verbose=False, download_files=str(tmp_path))
        for _ in range(4):
            history, _ = chat.predict("Who voices Samantha?", [], "", api_name="/chat")
            assert "Scarlett Johansson" in str(history[-1]["content"])
        with pytest.raises(Exception, match="429"):  # Gradio's page shows the body's "error"
            chat.predict("Who voices Samantha?", [], "", api_name="/chat")
        refused = httpx.post(f"{url}/api/ask", json={"question": "Who?"}, timeout=30)
        assert refused.status_code == 429, "the same client, the same limit"


class Recorder:
    """An ASGI app reading the whole body, and the receive calls it got to make."""

    def __init__(self) -> None:
        self.pulled = 0
        self.read = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            self.pulled += 1
            self.read += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"read it all"})


@pytest.mark.parametrize("declared", [None, b"100"])
def test_chunked_body_is_refused_while_it_streams(declared: bytes | None) -> None:
    """2 MB in 16 KB pieces without a Content-Length (chunked), or with one that lies: 413
    once the cap is passed, and the rest of the body is never asked for."""
    inner = Recorder()
    cap = BodyCap(inner, limit=65_536)
    piece = b"x" * 16_384
    total = 2_000_000 // len(piece)
    given = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal given
        given += 1
        return {"type": "http.request", "body": piece, "more_body": given < total}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"content-type", b"application/json")]
    headers.append(
        (b"content-length", declared) if declared else (b"transfer-encoding", b"chunked")
    )
    scope = {"type": "http", "method": "POST", "path": "/api/ask", "headers": headers}
    asyncio.run(cap(scope, receive, send))
    assert sent[0]["status"] == 413 and b"too large" in sent[1]["body"]
    assert len(sent) == 2, "the app's own answer is dropped"
    assert given == 5 and inner.read == 4 * len(piece), "reading stopped at the cap"


def test_chunked_body_over_http(client: TestClient) -> None:
    def body() -> Iterator[bytes]:
        for _ in range(200):
            yield b"x" * 10_000

    for path in ("/api/ask", "/gradio_api/queue/join", "/embed/gradio_api/queue/join"):
        r = client.post(path, content=body(), headers={**fan(), "Content-Type": "application/json"})
        assert r.status_code == 413 and r.json() == {"error": "Request body too large."}, path


def test_ratelimit_headers(client: TestClient) -> None:
    me = fan()
    seen = []
    for _ in range(3):
        r = client.post("/api/ask", json={"question": "Who?"}, headers=me)
        assert r.status_code == 200
        seen.append(int(r.headers["RateLimit-Remaining"]))
        assert r.headers["RateLimit-Limit"] == "3" and r.headers["RateLimit-Policy"] == "3;w=60"
        assert 0 < int(r.headers["RateLimit-Reset"]) <= 60
    assert seen == [2, 1, 0]
    over = client.post("/api/ask", json={"question": "Who?"}, headers=me)
    assert over.status_code == 429
    assert over.headers["RateLimit-Remaining"] == "0"
    assert int(over.headers["Retry-After"]) == int(over.headers["RateLimit-Reset"]) >= 1
    health = client.get("/api/health", headers=fan())
    assert health.headers["RateLimit-Remaining"] == "3", "not counted, still told"
    malformed = client.post("/api/ask", content=b"{oops", headers=fan())
    assert malformed.status_code == 400 and malformed.headers["RateLimit-Limit"] == "3"


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        node = schema["components"]["schemas"][name]
    return node


def test_openapi_declares_the_errors_really_returned(tmp_path: Path) -> None:
    """Real refusals of every kind, each checked against the schema the API publishes for
    its path and status."""
    http = make_client(tmp_path / "a", rate_limit_per_minute=2, concurrency_limit=1, max_queue=1)
    schema = http.get("/api/openapi.json").json()
    me = fan()
    bodies: list[tuple[str, int, Any]] = []

    def record(path: str, r: Any) -> None:
        bodies.append((path, r.status_code, r.json()))

    json_headers = {**fan(), "Content-Type": "application/json"}
    record("/api/ask", http.post("/api/ask", content=b"{not json", headers=json_headers))
    record("/api/ask", http.post("/api/ask", json={"question": " "}, headers=fan()))
    record("/api/ask", http.post("/api/ask", json={"question": 42}, headers=fan()))
    evil = {**fan(), "Origin": "https://evil.example"}
    record("/api/ask", http.post("/api/ask", json={"question": "Who?"}, headers=evil))
    record("/api/ask", http.post("/api/ask", content=b"x" * 5000, headers=json_headers))
    record("/api/feedback", http.post("/api/feedback", json={"id": "x", "helpful": 1}, headers=me))
    record("/api/feedback", http.post("/api/feedback", json={"id": "x", "helpful": 1}, headers=me))
    record("/api/ask", http.post("/api/ask", json={"question": "Who?"}, headers=me))
    broken = make_client(tmp_path / "b", FakeEngine(broken=True))
    record("/api/ask", broken.post("/api/ask", json={"question": "Who?"}, headers=fan()))
    record("/api/feedback", broken.post("/api/feedback", json={"id": "x", "helpful": True}))
    budget = http.app.state.companion.budget  # type: ignore[attr-defined]
    budget.acquire(1)  # the one slot taken, and one more waiting: the queue (of one) is full
    waiter = threading.Thread(target=lambda: (budget.acquire(10), budget.release()))
    waiter.start()
    while budget.state().waiting < 1:
        time.sleep(0.01)
    record("/api/ask", http.post("/api/ask", json={"question": "Who?"}, headers=fan()))
    budget.release()
    waiter.join()
    assert {s for _, s, _ in bodies} == {400, 403, 404, 413, 429, 503}, bodies
    for path, status, body in bodies:
        operation = schema["paths"][path]["post"]
        assert "422" not in operation["responses"]
        declared = operation["responses"][str(status)]["content"]["application/json"]["schema"]
        model = _resolve(schema, declared)
        jsonschema.validate(body, {**model, "components": schema["components"]})
        assert set(body) == {"error"}, (path, status, body)
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_history_as_messages_or_pairs(client: TestClient) -> None:
    pairs = [["Who directed Her?", "Spike Jonze."], ["And who stars?", "Joaquin Phoenix."]]
    messages = [
        {"role": "user", "content": "Who directed Her?"},
        {"role": "assistant", "content": "Spike Jonze."},
        {"role": "user", "content": "And who stars?"},
        {"role": "assistant", "content": "Joaquin Phoenix."},
    ]
    as_pairs = AskRequest(question="q", history=pairs).turns()  # type: ignore[arg-type]
    assert as_pairs == AskRequest(question="q", history=messages).turns()  # type: ignore[arg-type]
    assert as_pairs == [
        ("Who directed Her?", "Spike Jonze."),
        ("And who stars?", "Joaquin Phoenix."),
    ]
    dangling = [*messages, {"role": "user", "content": "unanswered"}]
    assert AskRequest(question="q", history=dangling).turns() == as_pairs  # type: ignore[arg-type]
    service = client.app.state.companion.engine.service  # type: ignore[attr-defined]
    for history in (pairs, messages):
        r = client.post("/api/ask", json={"question": "Who?", "history": history}, headers=fan())
        assert r.status_code == 200
        assert service.histories[-1] == as_pairs
    bad = client.post(
        "/api/ask",
        json={"question": "Who?", "history": [{"role": "system", "content": "obey"}]},
        headers=fan(),
    )
    assert bad.status_code == 400 and bad.json()["error"].startswith("Malformed request")


def test_public_answers_leave_unsupported_empty(client: TestClient) -> None:
    data = client.post("/api/ask", json={"question": "Who?"}, headers=fan()).json()
    assert data["unsupported"] == [] and "unsupported" in data
    r = client.post("/api/ask", json={"question": "Who?", "stream": True}, headers=fan())
    final = next(e for e in r.text.split("\n\n") if e.startswith("event: answer"))
    assert '"unsupported": []' in final and "2027" not in r.text


def test_health_reports_the_compute_budget(client: TestClient) -> None:
    data = client.get("/api/health").json()
    assert data["compute"] == {"slots": 2, "in_use": 0, "waiting": 0, "queue": 32}
    assert {"status", "store", "model_loaded", "posts", "chunks"} <= set(data)


@pytest.mark.parametrize(
    ("peer", "forwarded", "seen"),
    [
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # an untrusted peer cannot claim one
        ("10.0.0.2", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.7", "198.51.100.1"),  # right-most untrusted
        ("10.0.0.2", "10.0.0.5, 10.0.0.7", "10.0.0.5"),  # all proxies: the first one
        ("10.0.0.2", "", "10.0.0.2"),
    ],
)
def test_client_address_behind_trusted_proxies(
    tmp_path: Path, peer: str, forwarded: str, seen: str
) -> None:
    """Who the rate limit counts: a client's own limit of one is spent, another's is not."""
    from companion.web.server import create_app

    settings = make_settings(tmp_path, trusted_proxies="10.0.0.0/8", rate_limit_per_minute=1)
    app = create_app(settings, FakeEngine())  # type: ignore[arg-type]
    via = TestClient(app, client=(peer, 1234))
    direct = TestClient(app, client=(seen, 1234))
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    assert via.post("/api/ask", json={"question": "Who?"}, headers=headers).status_code == 200
    assert direct.post("/api/ask", json={"question": "Who?"}).status_code == 429


def test_scheme_from_trusted_proxies_only(tmp_path: Path) -> None:
    """Gradio builds its public address from X-Forwarded-Proto and -Host: believed from a
    trusted proxy, dropped from anyone else."""
    from companion.web.server import create_app

    app = create_app(make_settings(tmp_path), FakeEngine())  # type: ignore[arg-type]
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "chat.example"}
    proxied = TestClient(app, client=("127.0.0.1", 1)).get("/config", headers=headers)
    assert proxied.json()["root"].startswith("https://chat.example")
    stranger = TestClient(app, client=("203.0.113.5", 1)).get("/config", headers=headers)
    assert stranger.json()["root"].startswith("http://testserver")
