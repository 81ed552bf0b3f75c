"""The editor's query log and report: what is recorded (and nothing more), feedback,
retention, export and delete, and the grouping of questions the archive could not answer."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from pathlib import Path

from companion.editor.querylog import FIELDS, Entry, QueryLog
from companion.editor.report import build_report, report_text
from companion.factory import Components, build_chat
from tests.conftest import run_cli


def entry(question: str, declined: bool = False, **kw: object) -> Entry:
    base: dict[str, object] = dict(
        question=question,
        declined=declined,
        films=[],
        cited=[],
        unsupported=[],
        latency_ms=40,
        backend="extractive",
    )
    return Entry(**{**base, **kw})  # type: ignore[arg-type]


def test_chat_records_what_it_should_and_nothing_more(
    sample_components: Components, tmp_path: Path
) -> None:
    log = QueryLog(tmp_path / "q.sqlite", retention_days=90)
    chat = build_chat(sample_components, query_log=log)
    answered = chat.ask("Who voices Samantha in Her?")
    declined = chat.ask("What did the blog think of Titanic?")
    card = chat.ask("What did the blog think of Arrival?")
    assert answered.id and declined.id and card.id and len({answered.id, declined.id, card.id}) == 3
    rows = {r["id"]: r for r in log.rows()}
    first = rows[answered.id]
    assert first["question"] == "Who voices Samantha in Her?"
    assert first["declined"] is False and first["kind"] == "answer"
    assert first["cited"] == ["her-2013"] and first["films"] == ["Her"]
    assert first["backend"] == "extractive" and first["latency_ms"] >= 0
    assert first["feedback"] is None and first["unsupported"] == []
    assert rows[declined.id]["declined"] is True and rows[declined.id]["cited"] == []
    assert rows[card.id]["kind"] == "verdict" and rows[card.id]["films"] == ["Arrival"]
    # Nothing about the fan: the table has exactly these columns.
    with sqlite3.connect(log.path) as db:
        columns = [r[1] for r in db.execute("PRAGMA table_info(queries)")]
    assert tuple(columns) == FIELDS
    assert log.feedback(answered.id, helpful=False) is True
    assert log.feedback("no-such-id", helpful=True) is False
    assert rows[answered.id]["at"] <= log.rows()[-1]["at"]
    assert {r["id"]: r for r in log.rows()}[answered.id]["feedback"] == "down"


def test_chat_without_a_log_gives_no_id(chat) -> None:  # type: ignore[no-untyped-def]
    assert chat.ask("Who directed Moon?").id == ""


def test_retention_export_and_delete(tmp_path: Path) -> None:
    log = QueryLog(tmp_path / "q.sqlite", retention_days=30)
    now = dt.datetime.now(dt.UTC)
    log.record(entry("old question"), at=now - dt.timedelta(days=40))
    log.record(entry("recent question"), at=now - dt.timedelta(days=10))
    log.record(entry("new question"), at=now)  # recording prunes what is past retention
    assert [r["question"] for r in log.rows()] == ["recent question", "new question"]
    assert [r["question"] for r in log.rows(since=now - dt.timedelta(days=1))] == ["new question"]
    assert log.delete(before=now - dt.timedelta(days=1)) == 1
    assert log.delete() == 1 and log.rows() == []
    assert b"recent question" not in (tmp_path / "q.sqlite").read_bytes()


def test_report_groups_unanswered_questions(tmp_path: Path) -> None:
    log = QueryLog(tmp_path / "q.sqlite", retention_days=90)
    for q in [
        "What did the blog think of Jurassic Park?",
        "Any review of Jurassic Park?",
        "Is jurassic park worth it? Did you review Jurassic Park",
        "Did the blog review Titanic?",
        "what about zombie films?",
        "any good zombie movies reviewed?",
    ]:
        log.record(entry(q, declined=True))
    log.record(entry("Who voices Samantha?", films=["Her"], cited=["her-2013"]))
    bad = log.record(entry("Who directed Moon?", films=["Moon"], cited=["moon-2009"]))
    log.feedback(bad, helpful=False)
    log.record(entry("Plot of Her?", films=["Her"], unsupported=["Samantha is a robot."]))
    report = build_report(log.rows())
    assert report["questions"] == 9 and report["declined"] == 6 and report["thumbs_down"] == 1
    groups = {g["topic"]: g["questions"] for g in report["unanswered"]}
    assert groups == {"Jurassic Park": 3, "zombie": 2, "Titanic": 1}
    assert report["unanswered"][0]["topic"] == "Jurassic Park"
    assert report["most_asked_films"][0] == {"film": "Her", "questions": 2}
    assert [r["question"] for r in report["thumbs_down_answers"]] == ["Who directed Moon?"]
    assert report["citation_failures"][0]["unsupported"] == ["Samantha is a robot."]
    text = report_text(report)
    assert "Jurassic Park" in text and "Samantha is a robot." in text


def test_cli_report_export_and_delete(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPANION_")}
    env |= {"COMPANION_DATA_DIR": str(tmp_path), "COMPANION_ENV_FILE": str(tmp_path / "none")}
    missing = run_cli("report", env=env)
    assert missing.returncode == 2 and "no query log" in missing.stderr
    log = QueryLog(tmp_path / "queries.sqlite", retention_days=90)
    log.record(entry("What did the blog think of Jurassic Park?", declined=True))
    log.record(entry("Who voices Samantha?", films=["Her"], cited=["her-2013"]))
    out = run_cli("report", "--json", env=env)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["unanswered"][0]["topic"] == "Jurassic Park"
    future = run_cli("report", "--since", "2999-01-01", "--json", env=env)
    assert json.loads(future.stdout)["questions"] == 0
    bad = run_cli("report", "--since", "last week", env=env)
    assert bad.returncode != 0 and "not a date" in bad.stderr
    exported = run_cli("log", "export", env=env)
    lines = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [r["question"] for r in lines][-1] == "Who voices Samantha?"
    refused = run_cli("log", "delete", env=env)
    assert refused.returncode != 0 and "--before DATE or --all" in refused.stderr
    deleted = run_cli("log", "delete", "--all", env=env)
    assert deleted.returncode == 0 and "deleted 2 entries" in deleted.stdout
    assert log.rows() == []
