"""``companion eval``: how well retrieval and declining work on a question file.

Questions are JSON lines ``{"q": str, "doc_ids": [str]}``; an empty ``doc_ids`` means the
archive cannot answer, and the right behaviour is to decline.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from companion.chat import ChatService


class EvalInputError(ValueError):
    """The question file cannot be read; the message names the line."""


@dataclass(frozen=True)
class Question:
    q: str
    doc_ids: list[str]


def read_questions(path: Path) -> list[Question]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalInputError(f"{path}: {exc}") from exc
    out: list[Question] = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            q, ids = obj["q"], obj.get("doc_ids", [])
            if not isinstance(q, str) or not isinstance(ids, list):
                raise TypeError("'q' must be a string and 'doc_ids' a list")
        except (ValueError, KeyError, TypeError) as exc:
            raise EvalInputError(f"{path}:{n}: not a question line ({exc})") from exc
        out.append(Question(q, [str(i) for i in ids]))
    if not out:
        raise EvalInputError(f"{path}: no questions")
    return out


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
