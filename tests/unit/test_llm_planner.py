"""The model reads the message into a plan (tool calling through LangChain's ChatOpenAI
against the local fake OpenAI server); whatever the archive does not have, a failure or a late
reply leaves the rules' plan."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_openai import ChatOpenAI

from companion.archive.entities import Entities
from companion.conversation.llm_planner import LLMPlanner
from companion.conversation.plan import ArchiveQuery, Context
from companion.conversation.planner import RulePlanner
from tests.fakes.openai_server import Behaviour, FakeOpenAI, serve
from tests.unit.test_planner import RECORDS, TEXTS


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    yield from serve()


@pytest.fixture(scope="module")
def planner(fake: FakeOpenAI) -> LLMPlanner:
    ents = Entities({r.doc_id: r for r in RECORDS}, TEXTS)
    model = ChatOpenAI(model="fake-model", base_url=fake.url, api_key="x", timeout=2, max_retries=0)
    return LLMPlanner(model, RulePlanner(lambda: ents), lambda: ents, deadline=1.0)


def test_the_models_plan_is_used_when_every_name_is_the_archives(
    planner: LLMPlanner, fake: FakeOpenAI
) -> None:
    fake.then(
        Behaviour(
            structured={
                "kind": "archive",
                "query": {"reviewer": "mara quell", "sort": "score", "descending": True},
            }
        )
    )
    plan = planner.plan("which of Mara's write-ups scored highest, in order?", Context())
    assert plan.planner == "model" and plan.kind == "archive"
    assert plan.query == ArchiveQuery(reviewer="Mara Quell", sort="score")
    request = fake.requests[-1]
    assert request["tools"][0]["function"]["name"] == "PlanOut"
    assert "Blade Runner 2049" in request["messages"][-1]["content"]  # the archive's own names


def test_a_film_the_archive_lacks_falls_back_to_the_rules(
    planner: LLMPlanner, fake: FakeOpenAI
) -> None:
    fake.then(Behaviour(structured={"kind": "film", "films": ["Titanic"], "aspect": "fact"}))
    plan = planner.plan("who directed Moon?", Context())
    assert plan.planner == "rules" and plan.films == ("Moon",)


@pytest.mark.parametrize(
    "behaviour",
    [
        Behaviour(mode="status", status=500),
        Behaviour(mode="hang"),
        Behaviour(tool_calls=[("PlanOut", "{not json")]),
        Behaviour(structured={"kind": "no such kind"}),
    ],
    ids=["error", "late", "malformed", "invalid"],
)
def test_failures_leave_the_rules_plan(
    planner: LLMPlanner, fake: FakeOpenAI, behaviour: Behaviour
) -> None:
    fake.then(behaviour)
    plan = planner.plan("films from 2014", Context())
    assert plan.planner == "rules" and plan.query == ArchiveQuery(year=2014)


def test_small_talk_said_whole_never_waits_for_the_model(
    planner: LLMPlanner, fake: FakeOpenAI
) -> None:
    before = len(fake.requests)
    assert planner.plan("thanks!", Context()).act == "thanks"
    assert len(fake.requests) == before
