"""Verdict cards, recommendations, spoilers, feedback and the editor's page over real HTTP."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from companion.settings import Settings
from companion.web.editor import build_editor
from companion.web.guard import RateLimiter
from tests.web.test_api import fan
from tests.web_fixtures import EDITOR_PASSWORD


def ask(server: str, **body: object) -> dict:  # type: ignore[type-arg]
    r = httpx.post(f"{server}/api/ask", json=body, headers=fan(), timeout=30)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_verdict_card_and_recommendations_over_the_api(server: str) -> None:
    verdict = ask(server, question="What did the blog think of Blade Runner?")
    assert verdict["kind"] == "verdict"
    assert [c["date"] for c in verdict["cards"]] == ["2021-06-02", "2024-10-03"]
    assert {"film", "year", "reviewer", "date", "url", "verdict", "score"} <= set(
        verdict["cards"][0]
    )
    recs = ask(server, question="Any films like Blade Runner reviewed here?")
    assert recs["kind"] == "recommendations" and recs["cards"]
    assert all(c["film"] != "Blade Runner" for c in recs["cards"])


def test_spoiler_flag(server: str) -> None:
    safe = ask(server, question="How does Her end?")
    assert safe["spoilers_held_back"] >= 1 and "turn on spoilers" in safe["answer"]
    full = ask(server, question="How does Her end?", spoilers=True)
    assert full["spoilers_held_back"] == 0


def editor(server: str, password: str | None = EDITOR_PASSWORD, path: str = "/editor"):  # type: ignore[no-untyped-def]
    auth = ("editor", password) if password is not None else None
    return httpx.get(f"{server}{path}", auth=auth, headers=fan(), timeout=30)


def test_feedback_reaches_the_editors_report(server: str) -> None:
    answer = ask(server, question="Who plays the Major in Ghost in the Shell?")
    unanswered = ask(server, question="What did the blog think of Jurassic Park?")
    assert unanswered["declined"]
    r = httpx.post(
        f"{server}/api/feedback",
        json={"id": answer["id"], "helpful": False},
        headers=fan(),
        timeout=30,
    )
    assert r.status_code == 200 and r.json() == {"ok": True}
    missing = httpx.post(
        f"{server}/api/feedback", json={"id": "nope", "helpful": True}, headers=fan(), timeout=30
    )
    assert missing.status_code == 404
    report = editor(server, path="/editor/report.json").json()
    downs = [r["question"] for r in report["thumbs_down_answers"]]
    assert "Who plays the Major in Ghost in the Shell?" in downs
    topics = {g["topic"] for g in report["unanswered"]}
    assert "Jurassic Park" in topics
    page = editor(server)
    assert page.status_code == 200 and "Jurassic Park" in page.text
    assert page.headers["cache-control"] == "no-store"


def test_editor_page_refuses_without_the_password(server: str) -> None:
    for password in (None, "wrong", ""):
        r = editor(server, password)
        assert r.status_code == 401, password
        assert r.headers["www-authenticate"].startswith("Basic")
        assert "Jurassic" not in r.text
    assert editor(server, path="/editor/report.json", password="wrong").status_code == 401


def test_editor_questions_are_escaped(server: str) -> None:
    ask(server, question="What about <script>alert(1)</script> Reviewed Nowhere?")
    page = editor(server)
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text


def test_editor_page_is_off_without_a_password(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from companion.editor.querylog import QueryLog

    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    app = FastAPI()
    log = QueryLog(tmp_path / "q.sqlite", 90)
    app.include_router(build_editor(settings, log, RateLimiter(10, 60), lambda r: "x"))
    r = TestClient(app).get("/editor", auth=("editor", ""))
    assert r.status_code == 404 and "COMPANION_EDITOR_PASSWORD" in r.json()["error"]
