"""The web layer's parts in process, over a fake chat: the order of the refusals (origin, body
size, malformed body, rate limit, busy), the editor's dependencies, and the chat UI's handler."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from companion.chat import ChatService, ChatUnavailable, check_question
from companion.editor.querylog import QueryLog
from companion.settings import Settings
from companion.types import Answer, Citation
from companion.web.deps import Context
from companion.web.editor import build_editor
from companion.web.guard import RateLimiter
from companion.web.schemas import Health

BLOG = "https://blog.example"


class FakeChat:
    def __init__(self, log: QueryLog | None) -> None:
        self.query_log = log
        self.store = None

    def stream(self, question: str, *rest: object) -> Iterator[str | Answer]:
        check_question(question, 2000)
        yield "Samantha is "
        yield "Scarlett Johansson."
        cite = Citation(1, "her-2013", "s", "Her", "https://blog.example/her", "q", passage="p")
        yield Answer("Samantha is Scarlett Johansson.", citations=[cite], id="a1")

    def ask(self, question: str, *rest: object) -> Answer:
        *_, final = self.stream(question, *rest)
        assert isinstance(final, Answer)
        return final


class FakeEngine:
    def __init__(self, log: QueryLog | None, broken: bool = False) -> None:
        self.query_log = log
        self.broken = broken

    def chat(self) -> ChatService:
        if self.broken:
            raise ChatUnavailable("The archive is unavailable.")
        return FakeChat(self.query_log)  # type: ignore[return-value]

    def health(self) -> Health:
        return Health(status="ok", store=True, model_loaded=True, posts=1, chunks=2)


def settings(tmp_path: Path, **kw: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path,
        "allowed_origins": BLOG,
        "trusted_proxies": "127.0.0.1/32",
        "rate_limit_per_minute": 3,
        "editor_password": "pw",
        "max_body_bytes": 2048,
    }
    return Settings(_env_file=None, **{**values, **kw})  # type: ignore[call-arg, arg-type]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    from companion.web.server import create_app

    tmp = tmp_path_factory.mktemp("layers")
    log = QueryLog(tmp / "q.sqlite", 90)
    app = create_app(settings(tmp), FakeEngine(log))  # type: ignore[arg-type]
    return TestClient(app, client=("127.0.0.1", 5000))


_n = iter(range(1, 250))


def fan() -> dict[str, str]:
    return {"X-Forwarded-For": f"198.51.100.{next(_n)}"}


def test_malformed_bodies_are_refused_before_they_count(client: TestClient) -> None:
    me = fan()
    for _ in range(5):
        r = client.post("/api/ask", json={"history": []}, headers=me)
        assert r.status_code == 400 and "question" in r.json()["error"]
    empty = client.post("/api/ask", json={"question": "  "}, headers=me)
    assert empty.status_code == 400, "an empty question counts"
    assert client.post("/api/ask", json={"question": "Who?"}, headers=me).status_code == 200
    missing = client.post("/api/feedback", json={"id": "x", "helpful": True}, headers=me)
    assert missing.status_code == 404, "the third request of three is still allowed"
    over = client.post("/api/ask", json={"question": "Who?"}, headers=me)
    assert over.status_code == 429 and over.headers["Retry-After"] == "60"
    assert over.json() == {
        "error": "You're asking faster than I can read — please wait 60 s and try again."
    }
    fb = client.post("/api/feedback", json={"id": "x", "helpful": True}, headers=me)
    assert fb.status_code == 429 and fb.json() == {"error": "Too many requests."}


def test_answer_json_and_events_leave_the_passage_out(client: TestClient) -> None:
    data = client.post("/api/ask", json={"question": "Who?"}, headers=fan()).json()
    assert data["id"] == "a1" and "passage" not in data["citations"][0]
    body = {"question": "Who?", "stream": True}
    r = client.post("/api/ask", json=body, headers=fan())
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["cache-control"] == "no-cache" and r.headers["x-accel-buffering"] == "no"
    events = [e for e in r.text.split("\n\n") if e]
    assert [e.split("\n")[0] for e in events] == ["event: delta"] * 2 + ["event: answer"]
    assert '"passage"' not in events[-1]


def test_refusals_in_front_of_everything(client: TestClient) -> None:
    big = b'{"question": "' + b"x" * 4000 + b'"}'
    evil = {**fan(), "Origin": "https://evil.example", "Content-Type": "application/json"}
    for path in ("/api/ask", "/gradio_api/queue/join", "/embed/gradio_api/queue/join"):
        r = client.post(path, content=big, headers=evil)
        assert r.status_code == 403, path
        assert r.json() == {"error": "This site is not allowed to use the chat."}
    r = client.post("/api/ask", content=big, headers={**fan(), "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json() == {"error": "Request body too large."}
    assert client.get("/embed/").headers["content-security-policy"] == (
        f"frame-ancestors 'self' {BLOG}"
    )
    page = client.get("/widget.js")
    assert page.headers["content-security-policy"] == "frame-ancestors 'self'"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    ok = client.post("/api/ask", json={"question": "Who?"}, headers={**fan(), "Origin": BLOG})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == BLOG


def test_editor_order_off_then_rate_then_password(tmp_path: Path) -> None:
    log = QueryLog(tmp_path / "q.sqlite", 90)
    app = FastAPI()
    app.include_router(build_editor(settings(tmp_path), log, RateLimiter(2, 60), lambda r: "x"))
    http = TestClient(app)
    assert http.get("/editor", auth=("editor", "nope")).status_code == 401
    ok = http.get("/editor/report.json", auth=("editor", "pw"))
    assert ok.status_code == 200 and ok.headers["cache-control"] == "no-store"
    r = http.get("/editor", auth=("editor", "pw"))
    assert r.status_code == 429 and r.headers["retry-after"] == "60"
    assert r.json() == {"error": "Too many requests."}
    off = FastAPI()
    off.include_router(
        build_editor(settings(tmp_path, editor_password=""), log, RateLimiter(1, 60), str)
    )
    assert [TestClient(off).get("/editor/").status_code for _ in range(3)] == [404] * 3


def test_chat_ui_handler_tells_a_flooding_fan_to_wait(tmp_path: Path) -> None:
    from companion.web.ui import ChatUI

    ctx = Context(settings(tmp_path), RateLimiter(1, 60), lambda r: "fan", engine=FakeEngine(None))
    ui = ChatUI(ctx, compact=True)
    request = SimpleNamespace(client=SimpleNamespace(host="127.0.0.1"), headers={})
    *_, (history, box, ids, state) = ui.submit(
        "Who voices Samantha?", [], "", False, {}, {}, request
    )  # type: ignore[arg-type]
    assert (
        "Scarlett Johansson" in history[-1]["content"] and 'target="_top"' in history[-1]["content"]
    )
    assert box == "" and ids == {1: "a1"}
    # The chat's own box empties once and is then left alone while the answer streams.
    boxes = [b for _, b, _, _ in ui.submit_in_chat("Who?", [], "", False, {}, {}, request)]  # type: ignore[arg-type]
    assert boxes[0] == "" and len(boxes) > 1
    assert all(isinstance(b, dict) and b.get("__type__") == "update" for b in boxes[1:])
    *_, (history, _, _, _) = ui.submit("Again?", history, "", False, ids, state, request)  # type: ignore[arg-type]
    assert history[-1]["content"] == "You're asking faster than I can read — please wait 60 s."
    broken = ChatUI(
        Context(settings(tmp_path), RateLimiter(9, 60), str, engine=FakeEngine(None, True))
    )
    *_, (history, _, _, _) = broken.submit("Who?", [], "", False, {}, {}, request)  # type: ignore[arg-type]
    assert history[-1]["content"] == "The archive is unavailable."
