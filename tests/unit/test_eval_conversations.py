"""Conversation evaluation: the checks, the file reader, the turn-by-turn runner (history and
context carried as an API client carries them) and the HTTP asker, against fakes."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, cast

import pytest

from companion.chat import ChatService, QuestionError
from companion.evaluation import EvalInputError, format_result, read_cases, run_cases
from companion.evaluation_conversations import (
    Conversation,
    Reply,
    ServerUnreachable,
    Turn,
    chat_asker,
    check,
    format_report,
    http_asker,
    parse_conversation,
    parse_turn,
    reply_from_public,
    run_conversations,
)
from companion.types import Answer, Citation

ROOT = Path(__file__).resolve().parents[2]


def turn(**kw: Any) -> Turn:
    return parse_turn({"q": "q?", **kw})


def test_a_reply_meeting_every_check_is_right() -> None:
    t = turn(
        kind="list",
        plan="archive",
        must=["Arrival", ["10/10", "ten out of ten"]],
        must_not=["Lucy"],
        cited=["arrival-2016"],
        cited_only=True,
        declined=False,
    )
    reply = Reply("ARRIVAL (2016) got ten out of ten.", "list", "archive", False, ("arrival-2016",))
    assert check(t, reply) == []


@pytest.mark.parametrize(
    ("reply", "wrong"),
    [
        (Reply("Arrival 10/10", "answer", "archive", cited=("arrival-2016",)), "kind 'answer'"),
        (Reply("Arrival 10/10", "list", "passages", cited=("arrival-2016",)), "plan 'passages'"),
        (Reply("Arrival", "list", "archive", cited=("arrival-2016",)), "missing '10/10'"),
        (Reply("Arrival 10/10, Lucy", "list", "archive", cited=("arrival-2016",)), "contains"),
        (Reply("Arrival 10/10", "list", "archive"), "not cited: arrival-2016"),
        (
            Reply("Arrival 10/10", "list", "archive", cited=("arrival-2016", "lucy-2014")),
            "also cited: lucy-2014",
        ),
        (Reply("Arrival 10/10", "list", "archive", True, ("arrival-2016",)), "declined"),
        (Reply("", error="That question is too long"), "refused: That question is too long"),
    ],
)
def test_each_check_fails_on_its_own(reply: Reply, wrong: str) -> None:
    t = turn(
        kind="list",
        plan="archive",
        must=["Arrival", ["10/10"]],
        must_not=["Lucy"],
        cited=["arrival-2016"],
        cited_only=True,
        declined=False,
    )
    failures = check(t, reply)
    assert len(failures) == 1 and failures[0].startswith(wrong), failures


def test_strings_match_whatever_the_case_apostrophes_and_spacing() -> None:
    t = turn(must=["pan's labyrinth", "Mara  Quell"])
    assert check(t, Reply("PAN\u2019S LABYRINTH, by Mara\nQuell")) == []
    assert check(t, Reply("Pans Labyrinth by Mara Quell")) == ['missing "pan\'s labyrinth"']


def test_small_talk_must_cite_nothing_and_unset_checks_pass() -> None:
    t = turn(no_citations=True)
    assert check(t, Reply("Hi!", "smalltalk", "smalltalk")) == []
    assert check(t, Reply("Hi!", "answer", "passages", cited=("her-2013",))) == [
        "cited her-2013 (expected no citations)"
    ]
    assert check(turn(), Reply("anything", "verdict", "film", True, ("x",))) == []


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"q": "hi", "must_nt": ["x"]}, "unknown turn keys ['must_nt']"),
        ({"q": "hi", "kind": "chit-chat"}, "'kind' is 'chit-chat'"),
        ({"q": "hi", "plan": "archives"}, "'plan' is 'archives'"),
        ({"q": ""}, "non-empty 'q'"),
        ({"q": "hi", "must": "Arrival"}, "'must' must be a list"),
        ({"q": "hi", "must": [[]]}, "no alternatives"),
        ({"q": "hi", "must_not": [["a", "b"]]}, "'must_not' must be a list of non-empty"),
        ({"q": "hi", "declined": "no"}, "'declined' must be true or false"),
        ({"q": "hi", "cited": ["x"], "no_citations": True}, "contradict"),
    ],
)
def test_a_malformed_turn_is_refused_with_the_reason(obj: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_turn(obj)


def test_a_conversation_names_the_bad_turn() -> None:
    with pytest.raises(ValueError, match="turn 2: unknown turn keys"):
        parse_conversation({"id": "t", "turns": [{"q": "a"}, {"q": "b", "x": 1}]})
    with pytest.raises(ValueError, match="non-empty list"):
        parse_conversation({"id": "t", "turns": []})
    with pytest.raises(ValueError, match="unknown conversation keys"):
        parse_conversation({"id": "t", "turns": [{"q": "a"}], "turn": []})


def test_a_file_is_read_as_questions_and_conversations(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        '{"q": "Who voices Samantha?", "doc_ids": ["her-2013"], "kind": "fact"}\n\n'
        '{"id": "hi", "turns": [{"q": "hi", "kind": "smalltalk", "no_citations": true}]}\n'
    )
    cases = read_cases(path)
    assert [q.q for q in cases.questions] == ["Who voices Samantha?"]
    assert cases.conversations[0].turns[0].kind == "smalltalk"
    path.write_text('{"id": "hi", "turns": [{"q": "hi"}]}\n{"id": "x", "turns": [{"z": 1}]}\n')
    with pytest.raises(EvalInputError, match=re.escape(f"{path}:2: not a conversation line")):
        read_cases(path)
    path.write_text("\n")
    with pytest.raises(EvalInputError, match="no questions"):
        read_cases(path)


class FakeChat:
    """Answers from a script keyed by question, and records what each call was given."""

    def __init__(self, script: dict[str, Answer]) -> None:
        self.script = script
        self.calls: list[dict[str, Any]] = []

    def ask(
        self,
        question: str,
        history: list[tuple[str, str]] | None = None,
        page_url: str | None = None,
        spoilers: bool = False,
        context: dict[str, Any] | None = None,
    ) -> Answer:
        self.calls.append(
            {"q": question, "history": list(history or []), "page": page_url, "context": context}
        )
        if question not in self.script:
            raise QuestionError("Ask me about films.")
        return self.script[question]


def cite(doc_id: str) -> Citation:
    return Citation(1, doc_id, "data", doc_id, f"https://blog/{doc_id}", "quote")


SCRIPT = {
    "Who voices Samantha?": Answer(
        "Scarlett Johansson voices Samantha.",
        [cite("her-2013")],
        plan={"kind": "passages"},
        context={"films": ["Her"]},
    ),
    "who directed it?": Answer(
        "Spike Jonze.", [cite("her-2013")], plan={"kind": "film"}, context={"films": ["Her"]}
    ),
    "hi": Answer("Hello! Ask me about films.", kind="smalltalk", plan={"kind": "smalltalk"}),
    "what should I watch after this?": Answer(
        "Try Ex Machina.",
        kind="recommendations",
        cards=[{"doc_id": "ex-machina-2014"}],
        plan={"kind": "recommend"},
    ),
}


def conversations() -> list[Conversation]:
    return [
        parse_conversation(
            {
                "id": "samantha",
                "turns": [
                    {"q": "Who voices Samantha?", "must": ["Johansson"], "plan": "passages"},
                    {"q": "who directed it?", "must": ["Spike Jonze"], "cited": ["her-2013"]},
                ],
            }
        ),
        parse_conversation(
            {
                "id": "page",
                "turns": [
                    {"q": "hi", "kind": "smalltalk", "plan": "smalltalk", "no_citations": True},
                    {
                        "q": "what should I watch after this?",
                        "page_url": "https://blog/her",
                        "kind": "recommendations",
                        "must_not": ["Ex Machina"],
                    },
                    {"q": "overlong", "kind": "answer"},
                ],
            }
        ),
    ]


def test_turns_carry_history_and_the_echoed_context_as_a_client_does() -> None:
    fake = FakeChat(SCRIPT)
    result = run_conversations(chat_asker(cast(ChatService, fake)), conversations())
    first, second, third, fourth, fifth = fake.calls
    assert (first["history"], first["context"]) == ([], None)
    assert second["history"] == [("Who voices Samantha?", "Scarlett Johansson voices Samantha.")]
    assert second["context"] == {"films": ["Her"]}
    assert (third["history"], third["context"]) == ([], None)  # a new thread starts afresh
    assert fourth["page"] == "https://blog/her" and fourth["history"][0][0] == "hi"
    assert fifth["history"][1] == ("what should I watch after this?", "Try Ex Machina.")
    assert (result["turns"], result["right"], result["rate"]) == (5, 3, 0.6)
    assert (result["conversations"], result["conversations_right"]) == (2, 1)
    assert result["by_plan"]["passages"] == {"right": 1, "total": 1, "rate": 1.0}
    assert result["by_plan"]["(any)"] == {"right": 1, "total": 3, "rate": 0.3333}
    assert result["by_kind"]["recommendations"] == {"right": 0, "total": 1, "rate": 0.0}
    failed = {(r["conversation"], r["turn"]): r["failures"] for r in result["failed"]}
    assert failed == {
        ("page", 2): ["contains 'Ex Machina'"],
        ("page", 3): ["refused: Ask me about films."],
    }
    assert result["results"][3]["cited"] == ["ex-machina-2014"]  # cards count as cited


def test_the_text_report_has_both_tables_the_total_and_each_failure() -> None:
    result = run_conversations(chat_asker(cast(ChatService, FakeChat(SCRIPT))), conversations())
    text = format_report(result)
    assert re.search(r"^  recommendations\s+0 / 1\s+0\.0%$", text, re.M)
    assert re.search(r"^  smalltalk\s+1 / 1\s+100\.0%$", text, re.M)
    assert "overall: 3/5 turns right (60.0%); 1/2 conversations right" in text
    assert "page #2: 'what should I watch after this?' [on https://blog/her]" in text
    assert "contains 'Ex Machina'" in text and "samantha #" not in text
    assert format_result(result) == text


def test_a_file_of_questions_keeps_its_report_and_url_refuses_it(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"q": "hi", "doc_ids": []}\n')
    with pytest.raises(EvalInputError, match="--url measures conversation lines only"):
        run_cases(read_cases(path), 5, lambda: cast(ChatService, None), "http://127.0.0.1:1")


def test_public_json_is_read_into_a_reply() -> None:
    data = Answer(
        "Two films.",
        [cite("her-2013")],
        kind="list",
        cards=[{"doc_id": "moon-2009"}, {"doc_id": "her-2013"}],
        plan={"kind": "archive", "films": ["Her"]},
        context={"list": ["Her", "Moon"]},
    ).public()
    reply = reply_from_public(json.loads(json.dumps(data)))
    assert reply == Reply(
        "Two films.", "list", "archive", False, ("her-2013", "moon-2009"), {"list": ["Her", "Moon"]}
    )
    assert reply_from_public({"answer": "x", "plan": None, "context": "junk"}) == Reply("x")


class Handler(BaseHTTPRequestHandler):
    bodies: ClassVar[list[dict[str, Any]]] = []
    limited = 1  # answer this many requests with 429 first

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path != "/api/ask":
            return self._send(404, {"error": "Not Found"})
        if Handler.limited:
            Handler.limited -= 1
            return self._send(429, {"error": "slow down"}, {"Retry-After": "2"})
        Handler.bodies.append(body)
        if body["question"] == "empty":
            return self._send(400, {"error": "Ask me something."})
        answer = Answer(f"re: {body['question']}", [cite("moon-2009")], context={"n": 1})
        return self._send(200, answer.public())

    def _send(self, code: int, data: Any, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(data).encode()
        self.send_response(code)
        for key, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Handler.bodies, Handler.limited = [], 1
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def test_http_asker_posts_what_the_api_takes_and_waits_out_the_rate_limit(server: str) -> None:
    waits: list[float] = []
    ask = http_asker(server, sleep=waits.append)
    convo = parse_conversation(
        {
            "id": "moon",
            "turns": [
                {"q": "Which film has GERTY in it?", "page_url": "https://blog/moon"},
                {"q": "who plays the astronaut?", "cited": ["moon-2009"]},
                {"q": "empty"},
            ],
        }
    )
    result = run_conversations(ask, [convo])
    assert waits == [2.0]
    first, second, _ = Handler.bodies
    assert first == {
        "question": "Which film has GERTY in it?",
        "history": [],
        "page_url": "https://blog/moon",
        "context": None,
    }
    assert second["history"] == [["Which film has GERTY in it?", "re: Which film has GERTY in it?"]]
    assert second["context"] == {"n": 1} and second["page_url"] is None
    assert result["right"] == 2
    assert result["failed"][0]["failures"] == ["refused: HTTP 400: Ask me something."]


def test_http_asker_says_when_the_server_is_not_there(server: str) -> None:
    with pytest.raises(
        ServerUnreachable, match=re.escape("cannot reach http://127.0.0.1:9/api/ask")
    ):
        http_asker("http://127.0.0.1:9")("hi", [], None, {})
    reply = http_asker(server.rstrip("/") + "/nowhere")("hi", [], None, {})
    assert reply.error == "HTTP 404: Not Found"


def test_the_dev_set_is_well_formed_and_names_only_real_posts_and_pages() -> None:
    """eval/conversations-dev.jsonl: every line parses, its doc ids and page URLs are posts in
    data/reviews/, and it is as large as eval/README.md says."""
    posts = {
        p.stem: p.read_text(encoding="utf-8") for p in (ROOT / "data" / "reviews").glob("*.md")
    }
    urls = {
        m.group(1) for text in posts.values() for m in [re.search(r"^url: (\S+)$", text, re.M)] if m
    }
    cases = read_cases(ROOT / "eval" / "conversations-dev.jsonl")
    assert cases.questions == []
    turns = [t for c in cases.conversations for t in c.turns]
    assert len(turns) >= 80
    assert len({c.id for c in cases.conversations}) == len(cases.conversations)
    for t in turns:
        assert set(t.cited) <= set(posts), t.q
        assert t.page_url is None or t.page_url in urls, t.q
    assert {t.plan for t in turns} >= {
        "smalltalk",
        "out_of_scope",
        "archive",
        "film",
        "compare",
        "recommend",
        "describe",
        "passages",
    }
    assert {t.kind for t in turns} >= {
        "answer",
        "verdict",
        "recommendations",
        "list",
        "comparison",
        "smalltalk",
    }
