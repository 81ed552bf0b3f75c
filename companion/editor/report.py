"""The editor's report from the query log: what fans ask about, what the archive could not
answer (the reviews readers want next), and which answers went wrong.

Unanswered questions are grouped by the film or name they mention ("Jurassic Park") and,
when they mention none, by the content word they share most with other unanswered questions.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from statistics import median
from typing import Any

from companion.text import content_words, named_phrases

MAX_EXAMPLES = 5


def build_report(rows: list[dict[str, Any]], since: dt.datetime | None = None) -> dict[str, Any]:
    answered = [r for r in rows if not r["declined"]]
    declined = [r for r in rows if r["declined"]]
    latencies = sorted(r["latency_ms"] for r in rows)
    films = Counter(f for r in rows for f in r["films"])
    return {
        "since": since.isoformat() if since else None,
        "questions": len(rows),
        "answered": len(answered),
        "declined": len(declined),
        "thumbs_up": sum(r["feedback"] == "up" for r in rows),
        "thumbs_down": sum(r["feedback"] == "down" for r in rows),
        "latency_ms": {
            "p50": int(median(latencies)) if latencies else None,
            "p95": latencies[int(0.95 * (len(latencies) - 1))] if latencies else None,
        },
        "most_asked_films": [{"film": f, "questions": n} for f, n in films.most_common(10)],
        # Small talk and requests that are not about films are not gaps in the archive.
        "unanswered": group_unanswered(
            [r for r in declined if r.get("kind") not in ("smalltalk", "out_of_scope")]
        ),
        "thumbs_down_answers": [_brief(r) for r in rows if r["feedback"] == "down"],
        "citation_failures": [
            {**_brief(r), "unsupported": r["unsupported"]} for r in rows if r["unsupported"]
        ],
    }


def _brief(row: dict[str, Any]) -> dict[str, Any]:
    return {"at": row["at"], "question": row["question"], "cited": row["cited"]}


def group_unanswered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Groups of declined questions, largest first, each with its latest few questions."""
    groups: dict[str, list[dict[str, Any]]] = {}
    unnamed: list[dict[str, Any]] = []
    for row in rows:
        named = named_phrases(row["question"])
        if named:
            groups.setdefault(named[0], []).append(row)
        else:
            unnamed.append(row)
    shared = Counter(w for r in unnamed for w in set(content_words(r["question"])))
    for row in unnamed:
        words = content_words(row["question"])
        topic = max(words, key=lambda w: (shared[w], len(w)), default="(no topic)")
        groups.setdefault(topic, []).append(row)
    # Group keys differ only in case when fans type "titanic" and "Titanic".
    merged: dict[str, list[dict[str, Any]]] = {}
    for key, members in groups.items():
        merged.setdefault(key.lower(), []).extend(members)
    out = []
    for key, members in merged.items():
        spelled = Counter(p for m in members for p in named_phrases(m["question"])[:1])
        label = spelled.most_common(1)[0][0] if spelled else key
        latest = sorted(members, key=lambda m: m["at"], reverse=True)[:MAX_EXAMPLES]
        out.append(
            {"topic": label, "questions": len(members), "examples": [m["question"] for m in latest]}
        )
    return sorted(out, key=lambda g: (-g["questions"], g["topic"].lower()))


def report_text(report: dict[str, Any]) -> str:
    """The report for a terminal."""
    lines = [
        f"Questions: {report['questions']} (answered {report['answered']}, declined "
        f"{report['declined']}; thumbs up {report['thumbs_up']}, down {report['thumbs_down']})"
        + (f" since {report['since']}" if report["since"] else ""),
    ]
    lat = report["latency_ms"]
    if lat["p50"] is not None:
        lines.append(f"Answer time: median {lat['p50']} ms, p95 {lat['p95']} ms")
    lines.append("\nMost asked films:")
    lines += [f"  {f['questions']:>4}  {f['film']}" for f in report["most_asked_films"]] or [
        "  (none)"
    ]
    lines.append("\nQuestions the archive could not answer:")
    for g in report["unanswered"] or []:
        lines.append(f"  {g['questions']:>4}  {g['topic']}")
        lines += [f"          “{q}”" for q in g["examples"]]
    if not report["unanswered"]:
        lines.append("  (none)")
    lines.append("\nAnswers with a thumbs-down:")
    lines += [f"  {r['at']}  “{r['question']}”" for r in report["thumbs_down_answers"]] or [
        "  (none)"
    ]
    lines.append("\nSentences dropped by the citation check:")
    for r in report["citation_failures"]:
        lines.append(f"  {r['at']}  “{r['question']}”")
        lines += [f"          - {s}" for s in r["unsupported"]]
    if not report["citation_failures"]:
        lines.append("  (none)")
    return "\n".join(lines)
