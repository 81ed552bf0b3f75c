"""The editor's report: small talk and requests that are not about films are not topics the
archive failed to answer."""

from __future__ import annotations

from companion.editor.report import build_report


def row(question: str, declined: bool, kind: str) -> dict[str, object]:
    return {
        "question": question,
        "declined": declined,
        "kind": kind,
        "films": [],
        "cited": [],
        "unsupported": [],
        "latency_ms": 5,
        "feedback": None,
        "at": "2026-12-05T09:00:00+00:00",
        "backend": "extractive",
    }


def test_small_talk_and_out_of_scope_are_not_unanswered_topics() -> None:
    report = build_report(
        [
            row("hey there", False, "smalltalk"),
            row("write me a poem about cats", True, "out_of_scope"),
            row("What did the blog think of Titanic?", True, "answer"),
        ]
    )
    assert [g["topic"] for g in report["unanswered"]] == ["Titanic"]
    assert report["questions"] == 3
