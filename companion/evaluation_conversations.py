"""Conversation cases for ``companion eval``: threads of turns asked the way an API client asks
them, each turn checked for what a fan would call a right answer.

A line is ``{"id": str, "turns": [turn, ...]}``; a turn is ``{"q": str}`` plus any checks:
``kind`` (the answer's shape), ``plan`` (what the message was understood as), ``must`` /
``must_not`` (case-insensitive substrings of the answer text; a ``must`` entry may be a list
of alternatives), ``cited`` (doc ids that must be cited, in citations or cards),
``cited_only`` (nothing else may be), ``declined``, ``no_citations`` and ``page_url``. Each turn
sends the thread's history as (question, answer text) pairs and echoes back the previous
answer's ``context``, so the same file measures the in-process service and the HTTP API.
"""

from __future__ import annotations

import json
import statistics
import time
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from companion.chat import ChatUnavailable, QuestionError

if TYPE_CHECKING:
    from companion.chat import ChatService

ANSWER_KINDS = ("answer", "verdict", "recommendations", "list", "comparison", "smalltalk")
PLAN_KINDS = (
    "smalltalk",
    "out_of_scope",
    "archive",
    "film",
    "compare",
    "recommend",
    "describe",
    "passages",
)
TURN_KEYS = frozenset(
    {"q", "page_url", "kind", "plan", "must", "must_not", "cited", "cited_only", "declined"}
    | {"no_citations", "note"}
)
UNCHECKED = "(any)"  # the group of turns that do not say which kind they expect


class EvalError(Exception):
    """An evaluation cannot run; the message is meant for the person running it."""


class ServerUnreachable(EvalError):
    """``--url`` names a server that does not answer at all."""


@dataclass(frozen=True)
class Turn:
    q: str
    page_url: str | None = None
    kind: str | None = None
    plan: str | None = None
    must: tuple[tuple[str, ...], ...] = ()  # each entry: any one of its alternatives
    must_not: tuple[str, ...] = ()
    cited: tuple[str, ...] = ()
    cited_only: bool = False
    declined: bool | None = None
    no_citations: bool = False


@dataclass(frozen=True)
class Conversation:
    id: str
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class Reply:
    """One turn's answer, the same whether it came from ``ChatService`` or ``/api/ask``."""

    text: str
    kind: str = ""
    plan: str = ""
    declined: bool = False
    cited: tuple[str, ...] = ()  # citations' then cards' doc ids, first seen first
    context: dict[str, Any] = field(default_factory=dict)
    error: str = ""  # a refusal: empty or overlong question, archive unavailable, HTTP error


# (question, history, page_url, context) -> Reply
Asker = Callable[[str, list[tuple[str, str]], str | None, dict[str, Any]], Reply]


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{key!r} must be a list of non-empty strings")
    return tuple(value)


def _one_of(value: Any, allowed: tuple[str, ...], key: str) -> str | None:
    if value is None:
        return None
    if value not in allowed:
        raise ValueError(f"{key!r} is {value!r}; expected one of {', '.join(allowed)}")
    return str(value)


def parse_turn(obj: Any) -> Turn:
    """A turn from its JSON, refusing unknown keys (a misspelt check would silently pass)."""
    if not isinstance(obj, dict):
        raise ValueError("a turn must be an object")
    unknown = sorted(set(obj) - TURN_KEYS)
    if unknown:
        raise ValueError(f"unknown turn keys {unknown}")
    q, page_url = obj.get("q"), obj.get("page_url")
    if not isinstance(q, str) or not q.strip():
        raise ValueError("a turn needs a non-empty 'q'")
    if page_url is not None and not isinstance(page_url, str):
        raise ValueError("'page_url' must be a string or null")
    must_raw = obj.get("must", [])
    if not isinstance(must_raw, list):
        raise ValueError("'must' must be a list")
    must = tuple(
        _strings(m, "must") if isinstance(m, list) else _strings([m], "must") for m in must_raw
    )
    if any(not alts for alts in must):
        raise ValueError("a 'must' entry lists no alternatives")
    flags = {k: obj.get(k) for k in ("cited_only", "no_citations", "declined")}
    for key, flag in flags.items():
        if flag is not None and not isinstance(flag, bool):
            raise ValueError(f"{key!r} must be true or false")
    cited = _strings(obj.get("cited", []), "cited")
    if flags["no_citations"] and cited:
        raise ValueError("'no_citations' and 'cited' contradict each other")
    return Turn(
        q=q,
        page_url=page_url,
        kind=_one_of(obj.get("kind"), ANSWER_KINDS, "kind"),
        plan=_one_of(obj.get("plan"), PLAN_KINDS, "plan"),
        must=must,
        must_not=_strings(obj.get("must_not", []), "must_not"),
        cited=cited,
        cited_only=bool(flags["cited_only"]),
        declined=flags["declined"],
        no_citations=bool(flags["no_citations"]),
    )


def parse_conversation(obj: dict[str, Any]) -> Conversation:
    """A conversation line; raises ``ValueError`` saying what is wrong with it."""
    unknown = sorted(set(obj) - {"id", "turns", "note"})
    if unknown:
        raise ValueError(f"unknown conversation keys {unknown}")
    cid, turns = obj.get("id"), obj.get("turns")
    if not isinstance(cid, str) or not cid:
        raise ValueError("a conversation needs a non-empty 'id'")
    if not isinstance(turns, list) or not turns:
        raise ValueError("'turns' must be a non-empty list")
    parsed = []
    for n, turn in enumerate(turns, start=1):
        try:
            parsed.append(parse_turn(turn))
        except ValueError as exc:
            raise ValueError(f"turn {n}: {exc}") from exc
    return Conversation(cid, tuple(parsed))


def _fold(text: str) -> str:
    """Compare as a reader would: case, Unicode form, curly apostrophes and spacing aside."""
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(text.casefold().split())


def check(turn: Turn, reply: Reply) -> list[str]:
    """What is wrong with ``reply`` as an answer to ``turn``; empty when it is right."""
    if reply.error:
        return [f"refused: {reply.error}"]
    wrong: list[str] = []
    if turn.kind is not None and reply.kind != turn.kind:
        wrong.append(f"kind {reply.kind!r}, expected {turn.kind!r}")
    if turn.plan is not None and reply.plan != turn.plan:
        wrong.append(f"plan {reply.plan!r}, expected {turn.plan!r}")
    if turn.declined is not None and reply.declined != turn.declined:
        wrong.append("declined" if reply.declined else "not declined")
    text = _fold(reply.text)
    for alts in turn.must:
        if not any(_fold(a) in text for a in alts):
            wrong.append("missing " + " or ".join(repr(a) for a in alts))
    wrong += [f"contains {s!r}" for s in turn.must_not if _fold(s) in text]
    missing = [d for d in turn.cited if d not in reply.cited]
    if missing:
        wrong.append(f"not cited: {', '.join(missing)}")
    extra = [d for d in reply.cited if d not in turn.cited]
    if turn.cited_only and extra:
        wrong.append(f"also cited: {', '.join(extra)}")
    if turn.no_citations and reply.cited:
        wrong.append(f"cited {', '.join(reply.cited)} (expected no citations)")
    return wrong


def reply_from_public(data: dict[str, Any]) -> Reply:
    """A reply from the public answer JSON (``Answer.public()``, ``/api/ask``)."""
    ids = [c.get("doc_id") for c in data.get("citations") or [] if isinstance(c, dict)]
    ids += [c.get("doc_id") for c in data.get("cards") or [] if isinstance(c, dict)]
    plan = data.get("plan")
    context = data.get("context")
    return Reply(
        text=str(data.get("answer") or ""),
        kind=str(data.get("kind") or ""),
        plan=str(plan.get("kind") or "") if isinstance(plan, dict) else "",
        declined=bool(data.get("declined")),
        cited=tuple(dict.fromkeys(str(d) for d in ids if d)),
        context=context if isinstance(context, dict) else {},
    )


def chat_asker(chat: ChatService) -> Asker:
    """Ask ``chat`` in this process, as ``companion ask`` does."""

    def ask(
        q: str, history: list[tuple[str, str]], page_url: str | None, context: dict[str, Any]
    ) -> Reply:
        try:
            answer = chat.ask(q, history, page_url, context=context or None)
        except (QuestionError, ChatUnavailable) as exc:
            return Reply("", error=str(exc))
        return reply_from_public(answer.public())

    return ask


def http_asker(
    base_url: str, *, timeout: float = 120.0, sleep: Callable[[float], None] = time.sleep
) -> Asker:
    """Ask a running server's ``POST /api/ask``; a 429 or busy 503 with ``Retry-After`` is
    waited out (a few times) so the server's rate limit does not fail the run."""
    endpoint = base_url.rstrip("/") + "/api/ask"

    def ask(
        q: str, history: list[tuple[str, str]], page_url: str | None, context: dict[str, Any]
    ) -> Reply:
        body = {"question": q, "history": [list(t) for t in history], "page_url": page_url}
        payload = json.dumps({**body, "context": context or None}).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        for attempt in range(6):
            request = urllib.request.Request(endpoint, payload, headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    return reply_from_public(json.loads(response.read().decode("utf-8")))
            except urllib.error.HTTPError as exc:
                wait = exc.headers.get("Retry-After") if exc.headers else None
                if exc.code in (429, 503) and wait and wait.isdigit() and attempt < 5:
                    sleep(min(float(wait), 60.0))
                    continue
                return Reply("", error=f"HTTP {exc.code}: {_error_text(exc)}")
            except (urllib.error.URLError, OSError) as exc:
                raise ServerUnreachable(f"cannot reach {endpoint}: {exc}") from exc
            except ValueError as exc:
                return Reply("", error=f"not a JSON answer: {exc}")
        raise AssertionError("unreachable")  # the last attempt always returns

    return ask


def _error_text(exc: urllib.error.HTTPError) -> str:
    try:
        data = json.loads(exc.read().decode("utf-8"))
        return str(data.get("error") or data) if isinstance(data, dict) else str(data)
    except (ValueError, OSError):
        return str(exc.reason)


def run_conversations(asker: Asker, conversations: Iterable[Conversation]) -> dict[str, Any]:
    """Ask every thread turn by turn and check each answer; the report ``--json`` prints."""
    rows: list[dict[str, Any]] = []
    threads = 0
    threads_right = 0
    for conversation in conversations:
        threads += 1
        history: list[tuple[str, str]] = []
        context: dict[str, Any] = {}
        all_right = True
        for n, turn in enumerate(conversation.turns, start=1):
            started = time.perf_counter()
            reply = asker(turn.q, list(history), turn.page_url, dict(context))
            ms = (time.perf_counter() - started) * 1000
            wrong = check(turn, reply)
            all_right = all_right and not wrong
            rows.append(_row(conversation.id, n, turn, reply, wrong, ms))
            history.append((turn.q, reply.text or reply.error))
            if not reply.error:
                context = reply.context
        threads_right += all_right
    return summarise(rows, threads, threads_right)


def _row(cid: str, n: int, turn: Turn, reply: Reply, wrong: list[str], ms: float) -> dict[str, Any]:
    return {
        "conversation": cid,
        "turn": n,
        "q": turn.q,
        "page_url": turn.page_url,
        "expected_kind": turn.kind,
        "expected_plan": turn.plan,
        "kind": reply.kind,
        "plan": reply.plan,
        "declined": reply.declined,
        "cited": list(reply.cited),
        "answer": reply.text or reply.error,
        "right": not wrong,
        "failures": wrong,
        "ms": round(ms, 1),
    }


def _tally(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[bool]] = {}
    for row in rows:
        groups.setdefault(row[key] or UNCHECKED, []).append(row["right"])
    return {
        name: {"right": sum(marks), "total": len(marks), "rate": round(sum(marks) / len(marks), 4)}
        for name, marks in sorted(groups.items())
    }


def summarise(rows: list[dict[str, Any]], threads: int, threads_right: int) -> dict[str, Any]:
    right = sum(r["right"] for r in rows)
    ms = [r["ms"] for r in rows]
    ordered = sorted(ms)
    return {
        "turns": len(rows),
        "right": right,
        "rate": round(right / len(rows), 4) if rows else None,
        "conversations": threads,
        "conversations_right": threads_right,
        "by_plan": _tally(rows, "expected_plan"),
        "by_kind": _tally(rows, "expected_kind"),
        "latency_ms": {
            "p50": round(statistics.median(ms), 1) if ms else 0.0,
            "p95": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] if ms else 0.0,
        },
        "failed": [r for r in rows if not r["right"]],
        "results": rows,
    }


def format_report(result: dict[str, Any]) -> str:
    """The text ``companion eval`` prints for conversation cases."""

    def table(title: str, groups: dict[str, dict[str, Any]]) -> list[str]:
        out = [f"{title:<16} {'right':>5} / {'total':<5} {'%':>6}"]
        for name, g in groups.items():
            out.append(f"  {name:<14} {g['right']:>5} / {g['total']:<5} {g['rate']:>6.1%}")
        return out

    lines = [*table("by plan", result["by_plan"]), "", *table("by kind", result["by_kind"])]
    rate = "n/a" if result["rate"] is None else f"{result['rate']:.1%}"
    lines += [
        "",
        f"overall: {result['right']}/{result['turns']} turns right ({rate}); "
        f"{result['conversations_right']}/{result['conversations']} conversations right "
        "in every turn",
        f"answer latency: p50 {result['latency_ms']['p50']} ms, "
        f"p95 {result['latency_ms']['p95']} ms",
    ]
    if result["failed"]:
        lines += ["", "failed turns:"]
    for row in result["failed"]:
        page = f" [on {row['page_url']}]" if row["page_url"] else ""
        lines.append(f"  {row['conversation']} #{row['turn']}: {row['q']!r}{page}")
        lines.append(f"      {'; '.join(row['failures'])}")
        answer = " ".join(str(row["answer"]).split())
        lines.append(f"      got {row['kind'] or '?'}/{row['plan'] or '?'}: {answer[:160]}")
    return "\n".join(lines)
