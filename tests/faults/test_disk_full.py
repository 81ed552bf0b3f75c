"""An ingest that runs out of disk stops with one line naming the folder and the space it
needed; the store it leaves is refused in one line too; once space is freed, the next ingest
completes and nothing is lost. The data folder is a real 1.5 MB tmpfs (needs root, as CI
runs; skipped elsewhere)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SAMPLE, run_cli


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    where = tmp_path / "disk"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1500k", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_full_disk_is_one_line_and_the_next_ingest_loses_nothing(
    small_disk: Path, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPANION_")}
    env["COMPANION_DATA_DIR"] = str(small_disk / "data")
    env["COMPANION_ENV_FILE"] = str(tmp_path / "none.env")

    full = run_cli("ingest", str(SAMPLE), env=env)
    assert full.returncode == 2, full.stdout + full.stderr
    (line,) = [x for x in full.stderr.splitlines() if x.startswith("error:")]
    assert f"the disk holding {small_disk / 'data' / 'chroma'} is full (" in line
    assert "needed about" in line and "free some space" in line
    assert "Traceback" not in full.stderr

    asked = run_cli("ask", "Who voices Samantha in Her?", env=env)
    assert asked.returncode != 0 and "Traceback" not in asked.stderr
    assert "is full" in asked.stderr

    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    again = run_cli("ingest", str(SAMPLE), "--json", env=env)
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    posts = len(list(SAMPLE.glob("*.md")))
    assert report["added"] + report["updated"] + report["skipped"] == posts
    assert report["errors"] == []
    films = json.loads(run_cli("films", "--json", env=env).stdout)["films"]
    assert sum(len(f["reviews"]) for f in films) == posts
