"""The same threads typed into the chat in Chromium and sent to /api/ask give the same
answers: same kind, same cited posts. The follow-ups' films come from the answers, not the
questions ("Who voices Samantha?" then "who directed it?"), so the chat must keep the
conversation's state itself, not read it back out of the answers it rendered."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx

from companion.editor.querylog import QueryLog

THREADS = [
    ["Who voices Samantha?", "who directed it?"],
    ["Which film has GERTY in it?", "who plays the astronaut?"],
    ["films from 2013", "the second one in that list", "hi there"],
]
EXPECTED = {
    "who directed it?": "Spike Jonze",
    "who plays the astronaut?": "Sam Rockwell",
    "the second one in that list": "Under the Skin",
}


def _logged(data_dir: str, questions: list[str]) -> list[tuple[str, list[str]]]:
    """(kind, cited doc ids) of the latest answer to each question, from the server's log."""
    db = Path(data_dir) / "queries.sqlite"
    rows = QueryLog(db, 30).rows()
    out = []
    for q in questions:
        mine = [r for r in rows if r["question"] == q]
        assert mine, f"no answer logged for {q!r}"
        latest = max(mine, key=lambda r: r["at"])
        out.append((latest["kind"], latest["cited"]))
    return out


def _clear(data_dir: str) -> None:
    with sqlite3.connect(Path(data_dir) / "queries.sqlite") as db:
        db.execute("DELETE FROM queries")


def test_threads_answer_alike_in_the_chat_and_the_api(browser, server: str, cli_env) -> None:
    data_dir = cli_env["COMPANION_DATA_DIR"]
    via_api: list[tuple[str, list[str]]] = []
    for n, thread in enumerate(THREADS):
        _clear(data_dir)
        context = None
        history: list[list[str]] = []
        for q in thread:
            reply = httpx.post(
                f"{server}/api/ask",
                json={"question": q, "history": history, "context": context},
                headers={"X-Forwarded-For": f"10.77.0.{n + 1}"},
                timeout=120,
            )
            assert reply.status_code == 200, reply.text
            body = reply.json()
            if q in EXPECTED:
                assert EXPECTED[q] in body["answer"], body["answer"]
            assert body["plan"]["kind"] and isinstance(body["context"], dict)
            context = body["context"]
            history.append([q, body["answer"]])
        via_api += _logged(data_dir, thread)

    for n, surface in enumerate(["/", "/embed/"]):  # the full chat, and the widget's
        via_chat = _typed(browser, server, surface, data_dir, f"10.78.0.{n + 1}")
        assert via_chat == via_api, surface
    kinds = [k for k, _ in via_api]
    assert kinds[-3:] == ["list", "verdict", "smalltalk"], kinds
    assert via_api[1][1] == ["her-2013"] and via_api[3][1] == ["moon-2009"]


def _typed(
    browser, server: str, surface: str, data_dir: str, client: str
) -> list[tuple[str, list[str]]]:
    """Each thread typed into a fresh chat at ``surface``, as a fan types it."""
    via_chat: list[tuple[str, list[str]]] = []
    context = browser.new_context(
        viewport={"width": 1100, "height": 900}, extra_http_headers={"X-Forwarded-For": client}
    )
    for thread in THREADS:
        _clear(data_dir)
        page = context.new_page()
        page.goto(f"{server}{surface}")
        box = page.locator("#companion-question textarea")
        box.wait_for(timeout=60_000)
        chat = page.locator("#companion-chat")
        for q in thread:
            done = len(QueryLog(Path(data_dir) / "queries.sqlite", 30).rows())
            box.fill(q)
            box.press("Enter")
            for _ in range(600):  # the log row is written when the answer is final
                if len(QueryLog(Path(data_dir) / "queries.sqlite", 30).rows()) > done:
                    break
                page.wait_for_timeout(200)
            page.wait_for_timeout(500)
            if q in EXPECTED:
                assert EXPECTED[q] in chat.inner_text()
        via_chat += _logged(data_dir, thread)
        page.close()
    context.close()
    return via_chat
