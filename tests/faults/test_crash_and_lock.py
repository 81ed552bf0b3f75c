"""A killed ingest converges on rerun; a second ingest is refused while one runs."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.chunking import Chunker
from ingest.sources import SourceOptions, open_source
from tests.conftest import ROOT, make_settings, make_store

SENTENCES = [
    "The director frames every corridor like a held breath.",
    "Its lead gives a performance of enormous patience and wit.",
    "The score hums under the images without ever telling us what to feel.",
    "Halfway through, the story folds back on itself and the stakes change.",
    "The production design borrows from seventies paperback covers.",
]


def write_posts(folder: Path, n: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        body = "\n\n".join(
            f"## Part {j}\n\n"
            + " ".join(f"Film {i} detail {j}.{k}: {s}" for k, s in enumerate(SENTENCES))
            for j in range(4)
        )
        (folder / f"film-{i:03d}.md").write_text(
            f"---\nid: film-{i:03d}\ntitle: \"Review of 'Film {i}' (2001)\"\nfilm: Film {i}\n"
            f"year: 2001\n---\n\n{body}\n"
        )


def cli(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "companion.cli", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def manifest_rows(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return int(conn.execute("SELECT count(*) FROM companion_posts").fetchone()[0])
    except sqlite3.Error:
        return 0


def held(lock: Path) -> bool:
    """Whether some process holds a flock on ``lock`` (read from /proc/locks, not by trying)."""
    try:
        inode = lock.stat().st_ino
    except OSError:
        return False
    return any(
        line.split()[1] == "FLOCK" and line.split()[5].endswith(f":{inode}")
        for line in Path("/proc/locks").read_text().splitlines()
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    data = tmp_path / "data"
    e = {k: v for k, v in os.environ.items() if not k.startswith("COMPANION_")}
    return {**e, "COMPANION_DATA_DIR": str(data), "COMPANION_ENV_FILE": str(tmp_path / "x.env")}


def test_kill_9_mid_ingest_then_rerun_converges(
    tmp_path: Path, env: dict[str, str], embedder
) -> None:
    posts = tmp_path / "posts"
    write_posts(posts, 80)
    db = Path(env["COMPANION_DATA_DIR"]) / "records.sqlite"

    proc = cli("ingest", str(posts), "--json", env=env)
    deadline = time.monotonic() + 240
    while manifest_rows(db) == 0 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the ingest finished before it could be killed; use more posts"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = manifest_rows(db)
    assert 0 < done_before < 80

    rerun = cli("ingest", str(posts), "--json", env=env)
    out, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err
    report = json.loads(out)
    assert report["errors"] == []
    assert report["skipped"] == done_before
    assert report["added"] == 80 - done_before

    # The store holds exactly the source: every post, each with exactly its own chunks.
    settings = make_settings(Path(env["COMPANION_DATA_DIR"]))
    store = make_store(settings, embedder)
    chunker = Chunker(embedder.path / "tokenizer.json")
    source_posts = [p for p in open_source(str(posts), SourceOptions()).documents()]
    expected = {p.doc_id: sorted(d.page_content for d in chunker.chunks(p)) for p in source_posts}
    got = store._collection.get(include=["documents", "metadatas"])
    by_post: dict[str, list[str]] = {}
    for doc, meta in zip(got["documents"], got["metadatas"], strict=True):
        by_post.setdefault(meta["doc_id"], []).append(doc)
    assert {k: sorted(v) for k, v in by_post.items()} == expected
    with sqlite3.connect(db) as conn:
        keys = {r[0] for r in conn.execute("SELECT key FROM upsertion_record")}
    assert keys == set(got["ids"]), "record manager and store agree: no orphans, no ghosts"


def test_concurrent_ingest_is_refused_with_a_clear_message(
    tmp_path: Path, env: dict[str, str]
) -> None:
    posts = tmp_path / "posts"
    write_posts(posts, 40)
    first = cli("ingest", str(posts), "--json", env=env)
    lock = Path(env["COMPANION_DATA_DIR"]) / "ingest.lock"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and first.poll() is None and not held(lock):
        time.sleep(0.01)
    second = cli("ingest", str(posts), "--json", env=env)
    _, err = second.communicate(timeout=120)
    first_out, first_err = first.communicate(timeout=600)
    assert first.returncode == 0, first_err
    assert second.returncode == 2
    assert "another ingest is running" in err
    assert json.loads(first_out)["added"] == 40
