"""Public answers carry only what a fan should see. With a chat model that adds a claim the
reviews don't support (as a model obeying a planted instruction would), the citation check
drops it: anonymous callers of /api/ask never see the dropped sentence (``unsupported`` is
always ``[]``, in JSON and in server-sent events), while the editor's report and the
operator's ``companion ask --json`` still have it."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import run_cli
from tests.fakes.openai_server import Behaviour, FakeOpenAI, serve
from tests.web_fixtures import EDITOR_PASSWORD, start_server, stop

QUESTION = "Who voices Samantha in Her?"
DROPPED = "The sequel is due in 2027."


def answer_with_a_claim(body: dict[str, Any]) -> Behaviour | None:
    """A model that answers from the passage that names the voice, and adds a claim citing a
    passage it was never given; requests that are not answers fall through."""
    messages = body.get("messages") or []
    prompt = str(messages[-1].get("content", "")) if messages else ""
    for n, text in re.findall(r'<passage n="(\d+)"[^>]*>(.*?)</passage>', prompt, re.S):
        if "Scarlett Johansson" in text:
            return Behaviour(
                reply=f"Samantha is voiced by Scarlett Johansson [{n}]. {DROPPED[:-1]} [9]."
            )
    return None


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    yield from serve()


@pytest.fixture(scope="module")
def llm_env(
    cli_env: dict[str, str], fake: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """The sample archive (a copy: its own query log) answered by the fake model."""
    data = tmp_path_factory.mktemp("llm-store") / "data"
    shutil.copytree(cli_env["COMPANION_DATA_DIR"], data, ignore=shutil.ignore_patterns("*.json"))
    fake.decide = answer_with_a_claim
    fake.answer("I cannot tell.")
    return {
        **cli_env,
        "COMPANION_DATA_DIR": str(data),
        "COMPANION_LLM": "openai",
        "COMPANION_LLM_BASE_URL": fake.url,
        "COMPANION_LLM_MODEL": "fake-model",
        "COMPANION_LLM_API_KEY": "not-needed",
        "COMPANION_LLM_TIMEOUT": "20",
        "COMPANION_LLM_PLANNER": "false",
        "COMPANION_EDITOR_PASSWORD": EDITOR_PASSWORD,
    }


@pytest.fixture(scope="module")
def llm_server(llm_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, url = start_server(llm_env, tmp_path_factory.mktemp("log") / "server.log")
    yield url
    stop(proc)


def test_api_never_shows_dropped_sentences_but_the_report_does(
    llm_server: str, fake: FakeOpenAI
) -> None:
    r = httpx.post(f"{llm_server}/api/ask", json={"question": QUESTION}, timeout=60)
    assert r.status_code == 200, r.text
    data = r.json()
    assert "Scarlett Johansson" in data["answer"], "the model's supported sentence is kept"
    assert any("<passage" in str(m) for b in fake.requests for m in b.get("messages", []))
    assert data["unsupported"] == [] and "2027" not in r.text

    with httpx.stream(
        "POST", f"{llm_server}/api/ask", json={"question": QUESTION, "stream": True}, timeout=60
    ) as events:
        text = events.read().decode()
    final = json.loads(text.rsplit("event: answer\ndata: ", 1)[1])
    assert final["unsupported"] == [] and "Scarlett Johansson" in final["answer"]
    assert "2027" not in text

    report = httpx.get(
        f"{llm_server}/editor/report.json", auth=("editor", EDITOR_PASSWORD), timeout=30
    ).json()
    failures = report["citation_failures"]
    assert len(failures) == 2 and all(f["unsupported"] == [DROPPED] for f in failures)


def test_the_operator_still_sees_them(llm_env: dict[str, str]) -> None:
    result = run_cli("ask", QUESTION, "--json", env=llm_env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["unsupported"] == [DROPPED]


def test_the_dropped_sentence_is_in_the_log_export(
    llm_env: dict[str, str], llm_server: str
) -> None:
    httpx.post(f"{llm_server}/api/ask", json={"question": QUESTION}, timeout=60)
    result = run_cli("log", "export", env=llm_env)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert any(row["unsupported"] == [DROPPED] for row in rows)
