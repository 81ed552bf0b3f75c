"""The chat server under load, against its own single-user figures in the same run.

Starts `python app.py` on a free loopback port over a store (the sample archive unless --store
is given), then measures: start-up to the first answer, `companion --help`, time to the first
streamed token over HTTP, single-user latency, and N simulated fans asking different questions
at once for a bounded time (throughput, p50/p95/p99, errors), with the server's RSS sampled
throughout. Loopback only; bounded in time and count.

    .venv/bin/python bench/load.py [--fans 20] [--seconds 60] [--store DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from companion.evaluation import _percentile  # noqa: E402
from tests.web_fixtures import free_port  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def questions() -> list[str]:
    qs = []
    for name in ("sample.jsonl", "polarity-dev.jsonl"):
        qs += [json.loads(line)["q"] for line in (ROOT / "eval" / name).read_text().splitlines()]
    return qs


def ask(client: httpx.Client, url: str, q: str, fan: int) -> float:
    t = time.perf_counter()
    r = client.post(
        f"{url}/api/ask",
        json={"question": q},
        headers={"X-Forwarded-For": f"198.51.100.{fan % 250}"},
    )
    r.raise_for_status()
    return (time.perf_counter() - t) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fans", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument(
        "--think",
        type=float,
        default=2.0,
        help="mean seconds a fan reads before asking again (uniform 0.5x-1.5x); 0 = flood",
    )
    ap.add_argument(
        "--store", help="companion data dir to serve (default: ingest data/ into a temp dir)"
    )
    args = ap.parse_args()
    data_dir = args.store or str(Path(tempfile.mkdtemp()) / "store")
    env = {**os.environ, "COMPANION_DATA_DIR": data_dir}
    if not args.store:
        subprocess.run(
            [sys.executable, "-m", "companion.cli", "ingest", str(ROOT / "data" / "reviews")],
            env=env,
            check=True,
            capture_output=True,
        )
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "companion.cli", "--help"], env=env, check=True, capture_output=True
    )
    help_s = time.perf_counter() - t

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    senv = {
        **env,
        "COMPANION_PORT": str(port),
        "COMPANION_TRUSTED_PROXIES": "127.0.0.1",
        "COMPANION_RATE_LIMIT_PER_MINUTE": "1000000",
        "COMPANION_MAX_QUEUE": "256",
    }
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=senv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    qs = questions()
    try:
        client = httpx.Client(timeout=60)
        while True:
            try:
                ask(client, url, qs[0], 0)
                break
            except httpx.HTTPError:
                if time.perf_counter() - started > 180:
                    raise
                time.sleep(0.2)
        startup_s = time.perf_counter() - started
        rss_start = rss_mb(proc.pid)

        ttft = []
        for q in qs[:20]:
            t = time.perf_counter()
            with client.stream(
                "POST",
                f"{url}/api/ask",
                json={"question": q, "stream": True},
                headers={"X-Forwarded-For": "192.0.2.1"},
            ) as r:
                for line in r.iter_lines():
                    if line.startswith("data:"):
                        ttft.append((time.perf_counter() - t) * 1000)
                        break
        single = [ask(client, url, q, 1) for q in qs[:40]]

        lat: list[float] = []
        errors: list[str] = []
        rss_samples: list[float] = []
        stop = time.perf_counter() + args.seconds
        lock = threading.Lock()

        def fan(i: int) -> None:
            rng = random.Random(i)
            with httpx.Client(timeout=60) as c:
                n = i
                while time.perf_counter() < stop:
                    try:
                        ms = ask(c, url, qs[n % len(qs)], i)
                        with lock:
                            lat.append(ms)
                    except Exception as exc:  # counted and reported, the run goes on
                        with lock:
                            errors.append(f"{type(exc).__name__}: {exc}"[:120])
                    n += args.fans
                    if args.think:
                        time.sleep(args.think * rng.uniform(0.5, 1.5))

        threads = [threading.Thread(target=fan, args=(i,)) for i in range(args.fans)]
        load_started = time.perf_counter()
        for th in threads:
            th.start()
        while any(th.is_alive() for th in threads):
            rss_samples.append(rss_mb(proc.pid))
            time.sleep(1)
        load_s = time.perf_counter() - load_started
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    sp95 = _percentile(single, 95)
    lp95 = _percentile(lat, 95)
    third = max(1, len(rss_samples) // 3)
    print(f"companion --help: {help_s:.2f} s;  serve -> first answer: {startup_s:.1f} s")
    print(
        f"time to first streamed token (HTTP, SSE): p50 {statistics.median(ttft):.0f} ms, p95 {_percentile(ttft, 95):.0f} ms"
    )
    print(
        f"{'':<22}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'errors':>7}"
    )
    print(
        f"{'single user':<22}{len(single):>9}{len(single) / (sum(single) / 1000):>8.1f}"
        f"{statistics.median(single):>8.0f}{sp95:>8.0f}{_percentile(single, 99):>8.0f}{0:>7}"
    )
    print(
        f"{f'{args.fans} fans, think {args.think:g} s':<22}{len(lat):>9}{len(lat) / load_s:>8.1f}"
        f"{statistics.median(lat):>8.0f}{lp95:>8.0f}{_percentile(lat, 99):>8.0f}{len(errors):>7}"
    )
    print(f"p95 under load / single-user p95: {lp95 / sp95:.2f}  ({load_s:.0f} s of load)")
    print(
        f"server RSS: {rss_start:.0f} MB after start-up; during load first third mean "
        f"{statistics.mean(rss_samples[:third]):.0f} MB, last third mean {statistics.mean(rss_samples[-third:]):.0f} MB, "
        f"peak {max(rss_samples):.0f} MB"
    )
    if errors:
        print("errors:", sorted(set(errors))[:5])


if __name__ == "__main__":
    main()
