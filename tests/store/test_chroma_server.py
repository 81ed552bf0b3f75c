"""Client/server mode: a real `chroma run` server, restarted mid-suite, loses nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import run_cli
from tests.web_fixtures import free_port

CHROMA = Path(sys.executable).parent / "chroma"


class ChromaServer:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                str(CHROMA),
                "run",
                "--path",
                str(self.path),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("chroma server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


@pytest.fixture
def chroma(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path / "chroma-server")
    server.start()
    yield server
    server.stop()


def write(folder: Path, doc_id: str, film: str, body: str) -> None:
    (folder / f"{doc_id}.md").write_text(
        f"---\nid: {doc_id}\ntitle: \"Review of '{film}' (2001)\"\nfilm: {film}\nyear: 2001\n---\n\n{body}\n"
    )


def test_ingest_search_prune_survive_server_restarts(
    chroma: ChromaServer, tmp_path: Path, cli_env
) -> None:
    env = {
        **cli_env,
        "COMPANION_DATA_DIR": str(tmp_path / "records"),
        "COMPANION_CHROMA_URL": chroma.url,
    }
    posts = tmp_path / "posts"
    posts.mkdir()
    write(
        posts,
        "lighthouse",
        "The Lighthouse Keeper",
        "A keeper befriends a talking whale named Orla.",
    )
    write(posts, "toaster", "Red Toaster", "Two astronauts argue about a broken toaster on Mars.")
    write(posts, "clockwork", "Clockwork Thief", "A detective in Oslo hunts a clockwork thief.")

    first = run_cli("ingest", str(posts), "--json", env=env)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["added"] == 3
    assert not (tmp_path / "records" / "chroma").exists(), "nothing stored locally but records"

    # Few adds (far under Chroma's 1000-item flush threshold), then a restart.
    chroma.stop()
    chroma.start()
    found = json.loads(run_cli("search", "talking whale", "-k", "1", "--json", env=env).stdout)
    assert found["results"][0]["doc_id"] == "lighthouse"
    again = json.loads(run_cli("ingest", str(posts), "--json", env=env).stdout)
    assert again["skipped"] == 3 and again["added"] == 0

    write(posts, "toaster", "Red Toaster", "Two astronauts repair a singing refrigerator on Venus.")
    (posts / "clockwork.md").unlink()
    changed = json.loads(run_cli("ingest", str(posts), "--prune", "--json", env=env).stdout)
    assert (changed["updated"], changed["deleted"], changed["skipped"]) == (1, 1, 1)

    chroma.stop()
    chroma.start()
    hits = json.loads(
        run_cli("search", "singing refrigerator", "-k", "3", "--json", env=env).stdout
    )
    doc_ids = [r["doc_id"] for r in hits["results"]]
    assert doc_ids[0] == "toaster" and "clockwork" not in doc_ids
    assert not any("broken toaster" in r["text"] for r in hits["results"])
    answer = json.loads(run_cli("ask", "What does the keeper befriend?", "--json", env=env).stdout)
    assert answer["citations"][0]["doc_id"] == "lighthouse"


def test_server_down_is_a_clear_error(tmp_path: Path, cli_env) -> None:
    env = {
        **cli_env,
        "COMPANION_DATA_DIR": str(tmp_path / "records"),
        "COMPANION_CHROMA_URL": f"http://127.0.0.1:{free_port()}",
    }
    for args in (("search", "anything"), ("ask", "anything at all?")):
        out = run_cli(*args, env=env)
        assert out.returncode == 2
        assert "Chroma server" in out.stderr and "Traceback" not in out.stderr
    posts = tmp_path / "p"
    posts.mkdir()
    write(posts, "a", "A Film", "Some text about a film.")
    out = run_cli("ingest", str(posts), env=env)
    assert out.returncode == 2 and "Chroma server" in out.stderr and "Traceback" not in out.stderr
