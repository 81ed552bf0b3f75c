"""The server when its store disappears, and while an ingest writes to it."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.conftest import ROOT, SAMPLE, run_cli
from tests.web_fixtures import assert_serving, start_server, stop


def own_store(tmp_path: Path, cli_env: dict[str, str]) -> dict[str, str]:
    env = {**cli_env, "COMPANION_DATA_DIR": str(tmp_path / "store")}
    shutil.copytree(cli_env["COMPANION_DATA_DIR"], env["COMPANION_DATA_DIR"])
    return env


def test_deleted_store_turns_health_red_and_recovers(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    env = own_store(tmp_path, cli_env)
    proc, url = start_server(env)
    try:
        assert httpx.get(f"{url}/api/health", timeout=30).status_code == 200
        shutil.rmtree(env["COMPANION_DATA_DIR"])

        health = httpx.get(f"{url}/api/health", timeout=30)
        assert health.status_code == 503
        assert "companion ingest" in health.json()["error"]
        ask = httpx.post(f"{url}/api/ask", json={"question": "Who directed Her?"}, timeout=30)
        assert ask.status_code == 503 and "unavailable" in ask.json()["error"]
        assert proc.poll() is None, "the server keeps running"

        rebuilt = run_cli("ingest", str(SAMPLE), "--json", env=env)
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert_serving(url)
    finally:
        stop(proc)


def test_ingest_while_serving_keeps_answers_coming(tmp_path: Path, cli_env: dict[str, str]) -> None:
    """A fan asks every half second throughout an ingest of 52 posts into the served folder
    (which the server does itself, handed the job by the CLI): every answer comes, and the
    running server answers from the new posts once it ends, without a restart."""
    env = {**own_store(tmp_path, cli_env), "COMPANION_RATE_LIMIT_PER_MINUTE": "100000"}
    extra = tmp_path / "extra"
    extra.mkdir()
    n = 52
    for i in range(n):
        (extra / f"extra-{i}.md").write_text(
            f"---\nid: extra-{i}\ntitle: \"Review of 'Extra {i}' (2010)\"\nfilm: Extra {i}\nyear: 2010\n---\n\n"
            + " ".join(
                f"Extra film {i} has a quiet scene number {j} in a lighthouse." for j in range(25)
            )
        )
    proc, url = start_server(env)
    answers: list[tuple[int, str]] = []
    done = threading.Event()

    def fan() -> None:
        with httpx.Client(timeout=60) as c:
            while not done.is_set():
                r = c.post(f"{url}/api/ask", json={"question": "Who voices Samantha in Her?"})
                answers.append((r.status_code, r.text))
                done.wait(0.5)

    thread = threading.Thread(target=fan)
    try:
        thread.start()
        ingest = subprocess.run(
            [sys.executable, "-m", "companion.cli", "ingest", str(extra), "--json"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
        )
        finished = time.monotonic()
        assert ingest.returncode == 0, ingest.stderr
        assert json.loads(ingest.stdout)["added"] == n
        while time.monotonic() - finished < 10:  # the running server has the new posts
            health = httpx.get(f"{url}/api/health", timeout=30).json()
            if health["posts"] == len(list(SAMPLE.glob("*.md"))) + n:
                break
            time.sleep(0.5)
        else:
            raise AssertionError(f"the server still counts {health['posts']} posts")
        found = httpx.post(
            f"{url}/api/ask", json={"question": "Extra film 7 lighthouse scene"}, timeout=60
        ).json()
        assert "extra-7" in {c["doc_id"] for c in found["citations"]}
        done.set()
        thread.join(timeout=60)
        assert len(answers) >= 10, "the fan asked throughout the ingest"
        failed = [(code, text[:200]) for code, text in answers if code != 200]
        assert not failed, failed
        assert all("Scarlett Johansson" in json.loads(text)["answer"] for _, text in answers)
    finally:
        done.set()
        stop(proc)

    # The store is whole: the record manager and Chroma agree, and a fresh server answers
    # from the new posts.
    db = Path(env["COMPANION_DATA_DIR"]) / "records.sqlite"
    with sqlite3.connect(db) as conn:
        keys = {r[0] for r in conn.execute("SELECT key FROM upsertion_record")}
    search = run_cli("search", "Extra film 7 lighthouse scene", "-k", "50", "--json", env=env)
    assert search.returncode == 0, search.stderr
    assert {r["id"] for r in json.loads(search.stdout)["results"]} <= keys
    proc, url = start_server(env)
    try:
        health = httpx.get(f"{url}/api/health", timeout=30).json()
        assert health["posts"] == len(list(SAMPLE.glob("*.md"))) + n
        assert health["chunks"] == len(keys)
    finally:
        stop(proc)
