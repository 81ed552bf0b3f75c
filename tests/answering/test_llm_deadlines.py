"""A model that streams slowly, without end or not at all is cut off at the fan's deadline: the
request is cancelled and its connection closed (counted on the fake server's side), no thread
is left behind, and the answers after it get the model again (issue 24, item 3)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from companion.answering.identify import OpenAIYesNo
from companion.answering.identify import messages as yes_no_messages
from companion.answering.llm import NOTICE, ModelCall, model_loop
from companion.answering.local import LocalModel
from companion.conversation.rewrite import QueryRewriter
from companion.errors import LLMError
from companion.types import Answer
from tests.answering.test_llm import SAMANTHA, llm_chat
from tests.fakes.openai_server import Behaviour, FakeOpenAI, serve

DEADLINE = 1.0
SLACK = 0.6  # scheduling on a busy 2-core machine
LONG = "Samantha is voiced by Scarlett Johansson, and the film goes on and on about it. " * 40


@pytest.fixture()
def fake() -> Iterator[FakeOpenAI]:
    yield from serve()


def chat_model(fake: FakeOpenAI, timeout: float = 30.0) -> Any:
    """ChatOpenAI as the factory builds it, with a read timeout far beyond the deadline: only
    the deadline can end these calls."""
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model="fake-model", base_url=fake.url, api_key="x", timeout=timeout, max_retries=0
    )


def threads() -> int:
    model_loop()  # the one shared loop thread, started before counting
    return threading.active_count()


SLOW = [
    Behaviour(mode="drip", reply=LONG, interval=0.2),
    Behaviour(mode="endless", reply="And so on. ", interval=0.02),
    Behaviour(mode="hang"),
]


@pytest.mark.parametrize("behaviour", SLOW, ids=lambda b: b.mode)
def test_a_call_past_its_deadline_is_cancelled_and_its_connection_closed(
    fake: FakeOpenAI, behaviour: Behaviour
) -> None:
    model = chat_model(fake)
    fake.answer("Warm.")
    assert ModelCall(model, [("human", "hi")], 5).text() == "Warm."
    before = threads()
    fake.then(behaviour)
    started = time.monotonic()
    with pytest.raises(LLMError, match="no answer within 1 s"):
        ModelCall(model, [("human", "hi")], DEADLINE).text()
    assert time.monotonic() - started < DEADLINE + SLACK
    assert fake.wait_idle(SLACK), "the server is still writing to a client that gave up"
    assert fake.abandoned == 1
    assert threads() <= before


def test_more_slow_streams_than_the_old_pool_had_threads_leave_the_model_usable(
    sample_components: Any, fake: FakeOpenAI
) -> None:
    """Twelve fans whose answers never end (the old pool had eight threads, each kept for
    good) all get the fallback at the deadline, and the next fan gets the model's answer."""
    chat = llm_chat(sample_components, fake, llm_timeout=DEADLINE)
    passages = chat.retriever.retrieve(SAMANTHA, 6)
    fake.answer("Samantha is voiced by Scarlett Johansson.")
    assert not chat.answerer.answer(SAMANTHA, passages).text.startswith(NOTICE)
    before = threads()
    fake.act("endless", reply="Scarlett Johansson voices Samantha and so on ", interval=0.05)
    took: list[float] = []
    answers: list[Answer] = []

    def ask() -> None:
        started = time.monotonic()
        answers.append(chat.answerer.answer(SAMANTHA, passages))
        took.append(time.monotonic() - started)

    fans = [threading.Thread(target=ask) for _ in range(12)]
    for t in fans:
        t.start()
    for t in fans:
        t.join(timeout=30)
    assert len(answers) == 12 and fake.peak_active == 12
    assert max(took) < DEADLINE + 2 * SLACK, took
    assert fake.wait_idle(SLACK) and fake.abandoned == 12
    assert threads() <= before
    fake.answer("Samantha is voiced by Scarlett Johansson.")
    after = chat.answerer.answer(SAMANTHA, passages)
    assert after.text.startswith("Samantha is voiced by Scarlett Johansson [1]."), after.text


def test_a_reader_that_stops_early_ends_the_request(
    sample_components: Any, fake: FakeOpenAI
) -> None:
    """A fan who closes the chat mid-answer: the stream's reader stops, the request ends."""
    chat = llm_chat(sample_components, fake, llm_timeout=30.0)
    passages = chat.retriever.retrieve(SAMANTHA, 6)
    fake.act("drip", reply=LONG, interval=0.05)
    pieces = chat.answerer.stream(SAMANTHA, passages)
    first = next(pieces)
    assert isinstance(first, str) and "Scarlett Johansson" in first
    assert fake.active == 1
    pieces.close()  # type: ignore[attr-defined]
    assert fake.wait_idle(SLACK) and fake.abandoned == 1


def test_max_tokens_is_sent_from_the_settings(sample_components: Any, fake: FakeOpenAI) -> None:
    chat = llm_chat(sample_components, fake, llm_max_tokens=40)
    passages = chat.retriever.retrieve(SAMANTHA, 6)
    fake.act(
        "endless",
        reply="Samantha is voiced by Scarlett Johansson. ",
        interval=0.01,
        obey_max_tokens=True,
    )
    answer = chat.answerer.answer(SAMANTHA, passages)
    request = fake.requests[-1]
    assert request["max_completion_tokens"] == 40
    assert request["max_tokens"] == 40, "for endpoints that read only the older name"
    assert answer.text.startswith("Samantha is voiced by Scarlett Johansson [1].")
    assert not answer.text.startswith(NOTICE), "a capped stream ends by itself"


def test_the_follow_up_rewrite_gives_up_at_its_deadline(fake: FakeOpenAI) -> None:
    rewriter = QueryRewriter(chat_model(fake), DEADLINE, 2000)
    history = [("Which film has GERTY in it?", "Moon, the one with Sam Rockwell.")]
    for behaviour in SLOW:
        fake.then(behaviour)
        started = time.monotonic()
        assert rewriter.rewrite("who plays the astronaut?", history) == "who plays the astronaut?"
        assert time.monotonic() - started < DEADLINE + SLACK
        assert fake.wait_idle(SLACK)
    assert fake.abandoned == 3


def test_a_description_check_ends_even_when_the_endpoint_trickles(fake: FakeOpenAI) -> None:
    """A plain (not streamed) reply trickled a blank at a time resets an HTTP read timeout
    forever; the check still ends within the model's request timeout."""
    judge = OpenAIYesNo(chat_model(fake, timeout=DEADLINE))
    prompt = yes_no_messages("the one with the clone on the moon", "Moon (2009) ...")
    fake.then(Behaviour(reply="Yes", top_logprobs=[("Yes", -0.1), ("No", -2.5)]))
    assert judge.yes_no(prompt) == pytest.approx(2.4)
    assert fake.requests[-1]["max_completion_tokens"] == 2
    for behaviour in (Behaviour(mode="endless", interval=0.05), Behaviour(mode="hang")):
        fake.then(behaviour)
        started = time.monotonic()
        with pytest.raises(LLMError):
            judge.yes_no(prompt)
        assert time.monotonic() - started < DEADLINE + SLACK
        assert fake.wait_idle(SLACK)
    assert fake.abandoned == 2


class EndlessLlama:
    """Stands in for llama_cpp.Llama: a token every 20 ms, for ever."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, prompt: str, **kw: Any) -> Iterator[dict[str, Any]]:
        self.calls += 1
        while True:
            time.sleep(0.02)
            yield {"choices": [{"text": "tok "}]}


def local_model(llama: EndlessLlama) -> LocalModel:
    model = LocalModel.__new__(LocalModel)  # no GGUF file, no llama_cpp: only the loop is tested
    model._llm = llama  # type: ignore[assignment]
    model._template, model._stop = "{system}{user}", []
    model._max_tokens = 10_000
    model._lock = threading.Lock()
    return model


def test_a_local_model_stops_between_tokens_and_a_queued_call_never_starts() -> None:
    llama = EndlessLlama()
    model = local_model(llama)
    before = threading.active_count()
    first = ModelCall(model, [("human", "hi")], DEADLINE)
    time.sleep(0.2)  # the first call holds the one llama context
    queued = ModelCall(model, [("human", "hi")], 0.3)
    with pytest.raises(LLMError):
        queued.text()
    with pytest.raises(LLMError):
        first.text()
    end = time.monotonic() + SLACK
    while threading.active_count() > before and time.monotonic() < end:
        time.sleep(0.01)
    assert threading.active_count() == before, "a generation thread outlived its deadline"
    assert llama.calls == 1, "the call whose fan stopped waiting never started generating"
    assert not model._lock.locked()
