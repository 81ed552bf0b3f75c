"""Answer latency by plan kind over HTTP, on the bundled sample archive (data/), no model:
small talk and archive questions (answered from records) beside today's path (passages
retrieved and quoted), in the same run against the same server.

    .venv/bin/python bench/conversation.py [--rounds 5]

Starts `companion serve` on a temporary copy of the store (ingested from data/reviews), warms
it with one question of each kind, then asks every question `--rounds` times, one at a time.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = {
    "smalltalk": ["hi", "thanks!", "what can you do?", "who are you?", "cheers", "hey there"],
    "archive": [
        "how many films have you reviewed?",
        "what's your best-rated film?",
        "which films got 10/10?",
        "films from 2014",
        "what did Mara review?",
        "what was the most recent review?",
        "any horror films?",
        "films by Denis Villeneuve",
    ],
    "passages (today's path)": [
        "Who voices Samantha?",
        "Which film has GERTY in it?",
        "Who plays Lena in Annihilation?",
        "Where is Interstellar's farm?",
        "Who composed the score for Moon?",
        "What is the Shimmer?",
    ],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp()) / "data"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("COMPANION_")},
        "COMPANION_DATA_DIR": str(data),
        "COMPANION_RATE_LIMIT_PER_MINUTE": "100000",
        "COMPANION_QUERY_LOG": "false",
    }
    cli = [sys.executable, "-m", "companion.cli"]
    subprocess.run(
        [*cli, "ingest", str(ROOT / "data" / "reviews"), "--json"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    port = free_port()
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(timeout=120) as client:
            for _ in range(600):
                try:
                    if client.get(f"{url}/api/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.5)
            for qs in QUESTIONS.values():  # warm: models, snapshots, entities
                client.post(f"{url}/api/ask", json={"question": qs[0]})
            rows = []
            for kind, qs in QUESTIONS.items():
                times = []
                for _ in range(args.rounds):
                    for q in qs:
                        t = time.perf_counter()
                        r = client.post(f"{url}/api/ask", json={"question": q})
                        times.append((time.perf_counter() - t) * 1000)
                        assert r.status_code == 200, r.text
                rows.append((kind, len(times), statistics.median(times), percentile(times, 95)))
    finally:
        server.terminate()
        server.wait(timeout=30)
    base = rows[-1][3]
    print(f"{'kind':<24} {'asked':>6} {'p50 ms':>8} {'p95 ms':>8} {'p95 / passages':>15}")
    for kind, n, p50, p95 in rows:
        print(f"{kind:<24} {n:>6} {p50:>8.1f} {p95:>8.1f} {p95 / base:>15.2f}")
    print("(over HTTP, one question at a time, POST /api/ask JSON; no chat model)")


if __name__ == "__main__":
    main()
