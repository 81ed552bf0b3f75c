"""A running server sees every ingest, and ``companion ingest`` hands its job to it: one real
``python app.py`` on a copy of the sample store, the CLI as subprocesses, HTTP."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from filelock import FileLock

from tests.conftest import run_cli
from tests.web_fixtures import free_port, start_server, stop


@dataclass
class Served:
    env: dict[str, str]
    url: str
    data: Path
    posts: Path
    log: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, cli_env: dict[str, str]) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("served")
    data = tmp / "data"
    shutil.copytree(cli_env["COMPANION_DATA_DIR"], data)
    env = {**cli_env, "COMPANION_DATA_DIR": str(data), "COMPANION_RATE_LIMIT_PER_MINUTE": "100000"}
    posts = tmp / "posts"
    posts.mkdir()
    log = tmp / "server.log"
    proc, url = start_server(env, log)
    try:
        yield Served(env, url, data, posts, log)
    finally:
        stop(proc)
    assert not (data / "server.json").exists(), "a server that stops removes its file"


def write_post(folder: Path, doc_id: str, film: str, body: str) -> None:
    (folder / f"{doc_id}.md").write_text(
        f"---\nid: {doc_id}\ntitle: \"Review of '{film}' (2021)\"\nfilm: {film}\nyear: 2021\n"
        f"author: Test Writer\n---\n\n{body}\n"
    )


def ask(url: str, question: str) -> dict[str, Any]:
    r = httpx.post(f"{url}/api/ask", json={"question": question}, timeout=60)
    assert r.status_code == 200, r.text
    return dict(r.json())


def within(seconds: float, check: Callable[[], bool]) -> float:
    """How long ``check`` took to hold, polled; fails after ``seconds``."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, f"not within {seconds} s"
        time.sleep(0.25)
    return time.monotonic() - started


def cited(answer: dict[str, Any]) -> set[str]:
    return {c["doc_id"] for c in answer["citations"]}


QUESTION = "Who was the cinematographer of Zorblax?"


def test_server_file_points_at_this_server_and_is_private(served: Served) -> None:
    path = served.data / "server.json"
    assert path.stat().st_mode & 0o777 == 0o600
    info = json.loads(path.read_text())
    assert info["url"] == served.url and len(info["token"]) >= 32


def test_a_new_post_is_answered_within_10_s(served: Served) -> None:
    write_post(
        served.posts,
        "zorblax-2021",
        "Zorblax",
        "The cinematographer of Zorblax is Odile Fennimore, who lights every scene with "
        "sodium lamps. Zorblax is a patient film about a lighthouse keeper.",
    )
    out = run_cli("-v", "ingest", str(served.posts), "--json", env=served.env)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert set(report) == {
        "added",
        "updated",
        "skipped",
        "deleted",
        "errors",
        "warnings",
        "prune_skipped",
    }
    assert report["added"] == 1 and report["errors"] == []
    within(10, lambda: "Fennimore" in ask(served.url, QUESTION)["answer"])
    assert "zorblax-2021" in cited(ask(served.url, QUESTION))
    within(5, lambda: "ingest from CLI: 1 added" in served.log.read_text())


def test_an_edit_that_keeps_the_chunk_count_replaces_the_old_text(served: Served) -> None:
    chunks = httpx.get(f"{served.url}/api/health", timeout=30).json()["chunks"]
    write_post(
        served.posts,
        "zorblax-2021",
        "Zorblax",
        "The cinematographer of Zorblax is Bertrand Okonkwo, who lights every scene with "
        "sodium lamps. Zorblax is a patient film about a lighthouse keeper.",
    )
    out = run_cli("ingest", str(served.posts), "--json", env=served.env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["updated"] == 1
    within(10, lambda: "Okonkwo" in ask(served.url, QUESTION)["answer"])
    answer = ask(served.url, QUESTION)
    assert "Fennimore" not in answer["answer"]
    assert all("Fennimore" not in c["quote"] for c in answer["citations"])
    assert httpx.get(f"{served.url}/api/health", timeout=30).json()["chunks"] == chunks


def test_a_relative_path_and_the_text_summary(served: Served) -> None:
    write_post(
        served.posts,
        "quillon-2021",
        "Quillon",
        "Quillon was scored by the composer Perpetua Vane on a detuned harpsichord.",
    )
    out = subprocess.run(
        [sys.executable, "-m", "companion.cli", "ingest", served.posts.name],
        env=served.env,
        cwd=served.posts.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "Posts added: 1, updated: 0, skipped (unchanged): 1, deleted: 0, errors: 0" in out.stdout
    assert f"chunks in {served.data / 'chroma'}" in out.stdout
    assert "Traceback" not in out.stderr


def test_a_pruned_post_stops_being_cited(served: Served) -> None:
    (served.posts / "zorblax-2021.md").unlink()
    out = run_cli("ingest", str(served.posts), "--prune", "--json", env=served.env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["deleted"] == 1
    within(10, lambda: "zorblax-2021" not in cited(ask(served.url, QUESTION)))
    assert "Okonkwo" not in ask(served.url, QUESTION)["answer"]


def test_dry_run_changes_nothing_and_matches(served: Served) -> None:
    write_post(served.posts, "zorblax-2021", "Zorblax", "Back again, briefly.")
    out = run_cli("ingest", str(served.posts), "--dry-run", "--json", env=served.env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["added"] == 1
    (served.posts / "zorblax-2021.md").unlink()


def test_a_concurrent_ingest_is_refused_as_documented(served: Served) -> None:
    with FileLock(str(served.data / "ingest.lock")).acquire(timeout=5):
        out = run_cli("ingest", str(served.posts), "--json", env=served.env)
    assert out.returncode == 2
    assert "another ingest is running" in out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""


def test_a_server_that_stops_mid_job_is_one_line(tmp_path: Path, cli_env: dict[str, str]) -> None:
    """A "server" that sends one progress event and hangs up."""
    import http.server
    import threading

    class HangsUp(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.end_headers()
            self.wfile.write(b'{"event": "progress", "done": 0, "total": 5}\n')
            self.wfile.flush()
            self.close_connection = True

        def log_message(self, *args: object) -> None:
            pass

    fake = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HangsUp)
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    data = tmp_path / "data"
    data.mkdir()
    url = f"http://127.0.0.1:{fake.server_address[1]}"
    (data / "server.json").write_text(json.dumps({"url": url, "token": "t", "pid": os.getpid()}))
    try:
        out = run_cli("ingest", str(tmp_path), env={**cli_env, "COMPANION_DATA_DIR": str(data)})
    finally:
        fake.shutdown()
    assert out.returncode == 2
    assert "stopped before it finished" in out.stderr and "run the ingest again" in out.stderr
    assert "Traceback" not in out.stderr
    assert len([line for line in out.stderr.splitlines() if line.strip()]) == 1


def test_a_stale_server_file_is_ignored(tmp_path: Path, cli_env: dict[str, str]) -> None:
    from companion.web.handoff import find_server

    data = tmp_path / "data"
    data.mkdir()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], text=True, capture_output=True
    )
    stale = data / "server.json"
    stale.write_text(
        json.dumps({"url": "http://127.0.0.1:9", "token": "t", "pid": int(dead.stdout)})
    )
    assert find_server(stale) is None and not stale.exists(), "a dead server's file is removed"

    # A live pid but nothing listening: the CLI ingests itself, as with no server.
    refused = f"http://127.0.0.1:{free_port()}"
    stale.write_text(json.dumps({"url": refused, "token": "t", "pid": os.getpid()}))
    out = run_cli(
        "ingest", str(tmp_path / "nope"), env={**cli_env, "COMPANION_DATA_DIR": str(data)}
    )
    assert out.returncode == 1, out.stderr
    assert "nope" in out.stderr and "Traceback" not in out.stderr
    assert "Posts added: 0" in out.stdout
