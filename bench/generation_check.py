"""The cost of the store-generation check on the answer path (``companion.web.engine``).

Every request gets its chat from ``Engine.chat()``; since the server follows the store's
generation, that call also asks the generation watcher whether the file moved (a clock read,
and one ``stat`` once a second). Measured on the sample archive, in the same run:

- ``Engine.chat()`` alone, many calls: the baseline is the same engine with the watcher
  switched off (today's path before the check: the lock and the store-files check); beside
  it the check as shipped (at most one ``stat`` per second) and a check on every call.
- Whole extractive answers through ``Engine.chat().ask()``, with and without the check.

    .venv/bin/python bench/generation_check.py [--store DATA_DIR] [--calls 200000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from companion.evaluation import _percentile, read_questions  # noqa: E402
from companion.settings import Settings  # noqa: E402
from companion.web.engine import Engine  # noqa: E402


def engine(settings: Settings, check: str, chat_from: Engine | None = None) -> Engine:
    """An engine sharing ``chat_from``'s chat (so no model loads twice), its check set to
    ``off`` (never looks), ``shipped`` (1 s) or ``every`` (a ``stat`` per call)."""
    e = Engine(settings, check_every=0.0 if check == "every" else 1.0)
    if chat_from is not None:
        e._chat, e._components = chat_from._chat, chat_from._components
    else:
        e.chat().warm()
    if check == "off":
        e._watch.moved = lambda: False  # type: ignore[method-assign]
    return e


def per_call_ns(engines: dict[str, Engine], calls: int, rounds: int = 20) -> dict[str, float]:
    """Each engine's median over ``rounds`` of ``calls / rounds`` calls, the engines taking
    turns, so a machine busy with something else slows them all alike."""
    times: dict[str, list[float]] = {name: [] for name in engines}
    n = max(1, calls // rounds)
    for _ in range(rounds):
        for name, e in engines.items():
            t = time.perf_counter_ns()
            for _ in range(n):
                e.chat()
            times[name].append((time.perf_counter_ns() - t) / n)
    return {name: statistics.median(ts) for name, ts in times.items()}


def answers_ms(
    engines: dict[str, Engine], questions: list[str], runs: int
) -> dict[str, list[float]]:
    """Each question asked of every engine in turn (after one pass to warm the caches)."""
    for q in questions:
        next(iter(engines.values())).chat().ask(q)
    out: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(runs):
        for q in questions:
            for name, e in engines.items():
                t = time.perf_counter()
                e.chat().ask(q)
                out[name].append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", help="a companion data dir holding the sample archive")
    ap.add_argument("--calls", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    data = Path(args.store) if args.store else Path(tempfile.mkdtemp()) / "data"
    if not args.store:
        subprocess.run(
            [sys.executable, "-m", "companion.cli", "ingest", str(ROOT / "data" / "reviews")],
            env={**os.environ, "COMPANION_DATA_DIR": str(data)},
            check=True,
            stdout=subprocess.DEVNULL,
        )
    settings = Settings(_env_file=None, data_dir=data, query_log=False)  # type: ignore[call-arg]
    base = engine(settings, "off")
    engines = {
        "off": base,
        "shipped": engine(settings, "shipped", base),
        "every": engine(settings, "every", base),
    }
    calls = per_call_ns(engines, args.calls)
    questions = [q.q for q in read_questions(ROOT / "eval" / "sample.jsonl")]
    answers = answers_ms({k: engines[k] for k in ("off", "shipped")}, questions, args.runs)

    print(f"Engine.chat(), {args.calls:,} calls each (median of 20 interleaved rounds)")
    print(f"{'check':<28} {'ns per call':>12} {'x base':>7}")
    labels = {
        "off": "none (baseline)",
        "shipped": "shipped: stat at most 1/s",
        "every": "stat on every call",
    }
    for name, ns in calls.items():
        print(f"{labels[name]:<28} {ns:>12.0f} {ns / calls['off']:>7.2f}")
    print(f"\nWhole answers, {len(questions)} questions x {args.runs} runs (ms)")
    print(f"{'check':<28} {'p50':>8} {'p95':>8} {'x base p50':>11}")
    p50_base = statistics.median(answers["off"])
    for name, ms in answers.items():
        p50 = statistics.median(ms)
        print(f"{labels[name]:<28} {p50:>8.1f} {_percentile(ms, 95):>8.1f} {p50 / p50_base:>11.3f}")


if __name__ == "__main__":
    main()
