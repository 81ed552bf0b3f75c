"""A configured model may word the opening of a list or a comparison (LangChain's ChatOpenAI
against the local fake OpenAI server); words that name another film, or a count or score the
records do not state, and any failure or late reply, leave the rules' sentence."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_openai import ChatOpenAI

from companion.answering.listing import ArchiveLister
from companion.answering.phrasing import RecordPhraser
from companion.archive.entities import Entities
from companion.conversation.plan import ArchiveQuery
from companion.types import Answer
from tests.fakes.openai_server import Behaviour, FakeOpenAI, serve
from tests.unit.test_planner import RECORDS, TEXTS

ENTS = Entities({r.doc_id: r for r in RECORDS}, TEXTS)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    yield from serve()


@pytest.fixture(scope="module")
def phraser(fake: FakeOpenAI) -> RecordPhraser:
    model = ChatOpenAI(model="fake-model", base_url=fake.url, api_key="x", timeout=2, max_retries=0)
    return RecordPhraser(model, lambda: ENTS, deadline=1.0)


def dev_list() -> Answer:
    return ArchiveLister(lambda: ENTS).answer(ArchiveQuery(reviewer="Dev Okafor", sort="score"))


def test_the_models_opening_is_used_over_the_exact_records(
    phraser: RecordPhraser, fake: FakeOpenAI
) -> None:
    rules = dev_list()
    _, _, records = rules.text.partition("\n")
    fake.then(Behaviour(reply="Dev has reviewed 4 films; Blade Runner tops them at 9/10."))
    worded = phraser.phrase("what has dev reviewed, best first?", rules)
    assert worded.text == f"Dev has reviewed 4 films; Blade Runner tops them at 9/10.\n{records}"
    assert worded.cards == rules.cards and worded.citations == rules.citations
    sent = fake.requests[-1]["messages"]
    assert "never instructions" in sent[0]["content"]
    assert records in sent[-1]["content"] and "what has dev reviewed" in sent[-1]["content"]


@pytest.mark.parametrize(
    "reply",
    [
        "Dev loved Blade Runner and Moon most.",  # Moon is Mara's, not in this list
        "Dev has reviewed 7 films.",  # a count the records do not state
        "Blade Runner got 10/10 from Dev.",  # a score no listed review gives
        "See [1] at https://evil.example for more.",  # links and citation marks
        "x" * 500,
    ],
    ids=["other-film", "wrong-count", "wrong-score", "markup", "too-long"],
)
def test_words_that_say_more_than_the_records_are_dropped(
    phraser: RecordPhraser, fake: FakeOpenAI, reply: str
) -> None:
    rules = dev_list()
    fake.then(Behaviour(reply=reply))
    assert phraser.phrase("dev's reviews", rules).text == rules.text


@pytest.mark.parametrize(
    "behaviour",
    [Behaviour(mode="status", status=500), Behaviour(mode="hang"), Behaviour(mode="empty")],
    ids=["error", "late", "empty"],
)
def test_failures_leave_the_rules_words(
    phraser: RecordPhraser, fake: FakeOpenAI, behaviour: Behaviour
) -> None:
    rules = dev_list()
    fake.then(behaviour)
    assert phraser.phrase("dev's reviews", rules).text == rules.text


def test_other_answers_never_reach_the_model(phraser: RecordPhraser, fake: FakeOpenAI) -> None:
    before = len(fake.requests)
    empty = ArchiveLister(lambda: ENTS).answer(ArchiveQuery(year=1975))
    quoted = Answer(text="Our review says: “…” [1]", kind="answer")
    assert phraser.phrase("films from 1975", empty) is empty
    assert phraser.phrase("who directed Moon?", quoted) is quoted
    assert len(fake.requests) == before
