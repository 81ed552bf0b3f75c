"""The fake OpenAI server speaks tool calls and JSON mode as the real Chat Completions API
does, so LangChain's ``with_structured_output`` and ``bind_tools`` on ``ChatOpenAI`` work
against it, plain and streamed, and a test can script what the model "decides"."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal

import pytest
from pydantic import BaseModel

from tests.fakes.openai_server import Behaviour, FakeOpenAI, serve


class Plan(BaseModel):
    kind: Literal["smalltalk", "comparison", "archive"]
    films: list[str]


PLAN = {"kind": "comparison", "films": ["Moon", "Her"]}
LOOKUP = {
    "type": "function",
    "function": {
        "name": "lookup",
        "description": "Find a film",
        "parameters": {"type": "object", "properties": {"film": {"type": "string"}}},
    },
}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    yield from serve()


def chat_model(fake: FakeOpenAI) -> Any:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(model="fake-model", base_url=fake.url, api_key="x", max_retries=0, timeout=5)


@pytest.mark.parametrize("method", ["function_calling", "json_schema", "json_mode"])
def test_with_structured_output_reads_the_scripted_plan(fake: FakeOpenAI, method: str) -> None:
    planner = chat_model(fake).with_structured_output(Plan, method=method)
    fake.then(Behaviour(structured=PLAN))
    assert planner.invoke("Moon or Her, which is better?") == Plan(**PLAN)
    request = fake.requests[-1]
    if method == "function_calling":
        assert request["tool_choice"] == {"type": "function", "function": {"name": "Plan"}}
        assert request["tools"][0]["function"]["name"] == "Plan"
    else:
        kind = {"json_schema": "json_schema", "json_mode": "json_object"}[method]
        assert request["response_format"]["type"] == kind
    fake.then(Behaviour(structured={"kind": "smalltalk", "films": []}))
    *_, last = planner.stream("hey there")
    assert last == Plan(kind="smalltalk", films=[])
    assert fake.requests[-1]["stream"] is True


def test_the_reply_can_depend_on_the_request(fake: FakeOpenAI) -> None:
    def decide(body: dict[str, Any]) -> Behaviour:
        asked = body["messages"][-1]["content"]
        return Behaviour(structured={"kind": "archive", "films": [asked.upper()]})

    fake.decide = decide
    try:
        plan = chat_model(fake).with_structured_output(Plan).invoke("gattaca")
    finally:
        fake.decide = None
    assert plan == Plan(kind="archive", films=["GATTACA"])


def test_tool_calls_plain_and_streamed(fake: FakeOpenAI) -> None:
    model = chat_model(fake).bind_tools([LOOKUP])
    fake.then(Behaviour(tool_calls=[("lookup", {"film": "Moon"}), ("lookup", '{"film": "Her"}')]))
    reply = model.invoke("find Moon and Her")
    assert [c["args"] for c in reply.tool_calls] == [{"film": "Moon"}, {"film": "Her"}]
    assert reply.response_metadata["finish_reason"] == "tool_calls"
    fake.then(Behaviour(structured={"film": "Gattaca"}, chunk_chars=4))
    chunks = list(model.stream("find Gattaca"))
    assert len(chunks) > 4, "the arguments arrive in pieces"
    whole = chunks[0]
    for c in chunks[1:]:
        whole = whole + c
    assert whole.tool_calls == [
        {"name": "lookup", "args": {"film": "Gattaca"}, "id": "call_fake0", "type": "tool_call"}
    ]


def test_malformed_or_misshapen_arguments_give_no_plan(fake: FakeOpenAI) -> None:
    planner = chat_model(fake).with_structured_output(
        Plan, method="function_calling", include_raw=True
    )
    fake.then(Behaviour(structured='{"kind": "comparison", "films": ['))
    out = planner.invoke("Moon or Her?")
    assert out["parsed"] is None, "no plan from arguments that are not JSON"
    (bad,) = out["raw"].invalid_tool_calls
    assert bad["name"] == "Plan" and bad["args"] == '{"kind": "comparison", "films": ['
    fake.then(Behaviour(structured={"kind": "a verdict", "films": "Moon"}))  # wrong shape
    out = planner.invoke("Moon?")
    assert out["parsed"] is None and out["parsing_error"] is not None


def test_a_plain_answer_to_a_request_with_tools_has_no_tool_calls(fake: FakeOpenAI) -> None:
    fake.then(Behaviour(reply="Hello!"))
    reply = chat_model(fake).bind_tools([LOOKUP]).invoke("hi")
    assert reply.content == "Hello!" and reply.tool_calls == []
    fake.then(Behaviour(reply="not json at all"))
    with pytest.raises(Exception):  # noqa: B017 - LangChain's parser error, whatever its type
        chat_model(fake).with_structured_output(Plan, method="json_mode").invoke("x")
    assert json.loads(json.dumps(fake.requests[-1]))["response_format"] == {"type": "json_object"}


def test_a_structured_call_within_a_deadline_is_cancelled_at_it(fake: FakeOpenAI) -> None:
    """The way a planner should call the model: ``invoke_within`` returns the plan, or gives
    up at the deadline with the request cancelled (the server sees the client go)."""
    import time

    from companion.answering.llm import invoke_within
    from companion.errors import LLMError

    planner = chat_model(fake).with_structured_output(Plan, method="function_calling")
    fake.then(Behaviour(structured=PLAN))
    assert invoke_within(planner, "Moon or Her?", 5.0) == Plan(**PLAN)
    abandoned = fake.abandoned
    fake.then(Behaviour(mode="hang"))
    started = time.monotonic()
    with pytest.raises(LLMError, match="no answer within 1 s"):
        invoke_within(planner, "Moon or Her?", 1.0)
    assert time.monotonic() - started < 1.6
    assert fake.wait_idle(0.6) and fake.abandoned == abandoned + 1
