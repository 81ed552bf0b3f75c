"""``companion eval``: how well retrieval and declining work on a question file, and how
many conversation turns are answered right.

Questions are JSON lines ``{"q": str, "doc_ids": [str]}``; an empty ``doc_ids`` means the
archive cannot answer, and the right behaviour is to decline. Lines with ``"turns"`` are
conversations (``companion.evaluation_conversations``); one file may hold both.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from companion.chat import ChatService
from companion.evaluation_conversations import (
    Conversation,
    EvalError,
    chat_asker,
    format_report,
    http_asker,
    parse_conversation,
    run_conversations,
)


class EvalInputError(EvalError, ValueError):
    """The question file cannot be read; the message names the line."""


@dataclass(frozen=True)
class Question:
    q: str
    doc_ids: list[str]


@dataclass(frozen=True)
class Cases:
    """An evaluation file's lines, told apart: retrieval questions and conversations."""

    questions: list[Question]
    conversations: list[Conversation]


def read_cases(path: Path) -> Cases:
    """Read a JSONL file of questions and/or conversations; bad lines are named."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalInputError(f"{path}: {exc}") from exc
    cases = Cases([], [])
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise EvalInputError(f"{path}:{n}: not a JSON line ({exc})") from exc
        if isinstance(obj, dict) and "turns" in obj:
            try:
                cases.conversations.append(parse_conversation(obj))
            except ValueError as exc:
                raise EvalInputError(f"{path}:{n}: not a conversation line ({exc})") from exc
            continue
        try:
            q, ids = obj["q"], obj.get("doc_ids", [])
            if not isinstance(q, str) or not isinstance(ids, list):
                raise TypeError("'q' must be a string and 'doc_ids' a list")
        except (KeyError, TypeError, AttributeError) as exc:
            raise EvalInputError(f"{path}:{n}: not a question line ({exc})") from exc
        cases.questions.append(Question(q, [str(i) for i in ids]))
    if not cases.questions and not cases.conversations:
        raise EvalInputError(f"{path}: no questions")
    return cases


def read_questions(path: Path) -> list[Question]:
    """The retrieval questions of a file (its conversations, if any, left aside)."""
    return read_cases(path).questions


def run_cases(
    cases: Cases, k: int, chat: Callable[[], ChatService], url: str | None = None
) -> dict[str, Any]:
    """Evaluate a file: retrieval questions in this process (``chat`` is built only when
    needed), conversations in this process or, with ``url``, through that server's API. A
    file of questions only gives today's report unchanged; conversations add
    ``"conversations"`` (alone, their report is the whole result)."""
    if url:
        if cases.questions:
            raise EvalInputError(
                "--url measures conversation lines only; retrieval questions "
                '({"q", "doc_ids"}) are measured in this process (leave out --url)'
            )
        return run_conversations(http_asker(url), cases.conversations)
    service = chat()
    result = evaluate(service, cases.questions, k) if cases.questions else {}
    if cases.conversations:
        report = run_conversations(chat_asker(service), cases.conversations)
        if not result:
            return report
        result["conversations"] = report
    return result


def format_result(result: dict[str, Any]) -> str:
    """The text of ``run_cases``'s result: the retrieval table and/or the conversation one."""
    if "recall_at_k" not in result:
        return format_report(result)
    text = format_table(result)
    if "conversations" in result:
        text += "\n\nconversations\n\n" + format_report(result["conversations"])
    return text


def _percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[idx]


def evaluate(chat: ChatService, questions: list[Question], k: int) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    latencies: list[float] = []
    for question in questions:
        started = time.perf_counter()
        passages = chat.retriever.retrieve(question.q, k * 3)
        latencies.append((time.perf_counter() - started) * 1000)
        posts = list(dict.fromkeys(p.doc_id for p in passages))[:k]
        rank = next((i for i, d in enumerate(posts, start=1) if d in question.doc_ids), None)
        try:
            declined = chat.ask(question.q).declined
        except ValueError:  # an empty or overlong question is "declined" too
            declined = True
        rows.append(
            {
                "q": question.q,
                "doc_ids": question.doc_ids,
                "retrieved_doc_ids": posts,
                "rank": rank,
                "declined": declined,
            }
        )
    answerable = [r for r in rows if r["doc_ids"]]
    absent = [r for r in rows if not r["doc_ids"]]
    return {
        "k": k,
        "recall_at_k": _ratio(sum(r["rank"] is not None for r in answerable), len(answerable)),
        "mrr": _ratio(sum(1 / r["rank"] for r in answerable if r["rank"]), len(answerable)),
        "decline_accuracy": _ratio(sum(r["declined"] for r in absent), len(absent)),
        "false_decline_rate": _ratio(sum(r["declined"] for r in answerable), len(answerable)),
        "retrieval_ms": {
            "p50": round(statistics.median(latencies), 1),
            "p95": round(_percentile(latencies, 95), 1),
        },
        "questions": rows,
    }


def _ratio(num: float, den: int) -> float | None:
    return round(num / den, 4) if den else None


def format_table(result: dict[str, Any]) -> str:
    def pct(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.1%}"

    lines = [
        f"{'#':>3}  {'rank':>4}  {'declined':>8}  question → retrieved posts",
    ]
    for i, r in enumerate(result["questions"], start=1):
        mark = "—" if not r["doc_ids"] else (str(r["rank"]) if r["rank"] else "miss")
        lines.append(
            f"{i:>3}  {mark:>4}  {'yes' if r['declined'] else 'no':>8}  {r['q'][:60]}"
            f" → {', '.join(r['retrieved_doc_ids'][:3])}"
        )
    k = result["k"]
    lines += [
        "",
        f"recall@{k}: {pct(result['recall_at_k'])}   MRR: "
        f"{'n/a' if result['mrr'] is None else format(result['mrr'], '.3f')}   "
        f"declined when unanswerable: {pct(result['decline_accuracy'])}   "
        f"declined when answerable: {pct(result['false_decline_rate'])}",
        f"retrieval latency: p50 {result['retrieval_ms']['p50']} ms, "
        f"p95 {result['retrieval_ms']['p95']} ms",
    ]
    return "\n".join(lines)
