"""The CLI as scripts use it: real subprocesses, JSON shapes that are a public contract."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import SAMPLE, run_cli


def test_help_explains_every_command(cli_env: dict[str, str]) -> None:
    out = run_cli("--help", env=cli_env)
    assert out.returncode == 0
    for command in ("ingest", "search", "ask", "serve"):
        assert command in out.stdout


def test_ingest_json_shape_and_idempotent_rerun(cli_env: dict[str, str]) -> None:
    first = json.loads(cli_env["FIRST_INGEST_JSON"])
    published = {"added", "updated", "skipped", "deleted", "errors", "warnings"}
    assert set(first) == published | {"prune_skipped"}
    assert first["added"] == len(list(SAMPLE.glob("*.md")))
    again = run_cli("ingest", str(SAMPLE), "--json", env=cli_env)
    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout)
    assert second == {
        "added": 0,
        "updated": 0,
        "skipped": first["added"],
        "deleted": 0,
        "errors": [],
        "warnings": [],
        "prune_skipped": [],
    }


def test_search_json_shape(cli_env: dict[str, str]) -> None:
    out = run_cli("search", "Who voices Samantha?", "-k", "3", "--json", env=cli_env)
    assert out.returncode == 0, out.stderr
    results = json.loads(out.stdout)["results"]
    assert len(results) == 3
    assert set(results[0]) == {"id", "doc_id", "source", "title", "film", "score", "text"}
    assert results[0]["doc_id"] == "her-2013"
    assert results[0]["score"] >= results[1]["score"] >= results[2]["score"]


def test_ask_json_shape(cli_env: dict[str, str]) -> None:
    out = run_cli("ask", "Who voices Samantha in Her?", "--json", env=cli_env)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {"answer", "declined", "citations"} <= set(data)
    assert data["declined"] is False and "Scarlett Johansson" in data["answer"]
    cite = data["citations"][0]
    assert {"n", "doc_id", "source", "title", "url", "quote"} <= set(cite)
    assert cite["doc_id"] == "her-2013" and cite["n"] == 1


def test_ask_declines_absent_film(cli_env: dict[str, str]) -> None:
    out = run_cli("ask", "What did the blog think of Titanic?", "--json", env=cli_env)
    data = json.loads(out.stdout)
    assert data["declined"] is True and data["citations"] == []


def test_bad_questions_are_clear_errors_without_traceback(cli_env: dict[str, str]) -> None:
    for question in ("   ", "x" * 2001):
        out = run_cli("ask", question, env=cli_env)
        assert out.returncode == 1
        assert "error:" in out.stderr and "Traceback" not in out.stderr


def test_ingest_missing_path_names_it(cli_env: dict[str, str], tmp_path: Path) -> None:
    missing = tmp_path / "no-such-archive"
    out = run_cli("ingest", str(missing), "--json", env=cli_env)
    assert out.returncode == 1
    errors = json.loads(out.stdout)["errors"]
    assert errors == [{"source": str(missing), "error": f"{missing}: no such file or folder"}]


def test_search_before_any_ingest_says_what_to_do(tmp_path: Path, cli_env: dict[str, str]) -> None:
    env = {**cli_env, "COMPANION_DATA_DIR": str(tmp_path / "empty")}
    out = run_cli("search", "anything", env=env)
    assert out.returncode == 2
    assert "companion ingest" in out.stderr and "Traceback" not in out.stderr


def test_films_lists_each_film_with_its_reviews_in_date_order(cli_env: dict[str, str]) -> None:
    out = run_cli("films", "--json", env=cli_env)
    assert out.returncode == 0, out.stderr
    films = json.loads(out.stdout)["films"]
    assert len(films) == len({p.stem.removesuffix("-rewatch") for p in SAMPLE.glob("*.md")})
    blade = next(f for f in films if f["film"] == "Blade Runner")
    assert blade["year"] == 1982
    assert [r["doc_id"] for r in blade["reviews"]] == [
        "blade-runner-1982",
        "blade-runner-1982-rewatch",
    ]
    assert set(blade["reviews"][0]) == {"doc_id", "title", "author", "date", "url"}
    assert [f["film"].lower() for f in films] == sorted(f["film"].lower() for f in films)


def _bare_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPANION_")}
    env.update(COMPANION_DATA_DIR=str(tmp_path / "data"), COMPANION_ENV_FILE=str(tmp_path / "x"))
    env.update(extra)
    return env


def test_help_imports_no_heavy_library(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "companion.cli", "--help"],
        env=_bare_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines()}
    assert "typer" in imported, "importtime output was read"
    heavy = {"numpy", "chromadb", "torch", "gradio", "sentence_transformers"}
    assert not heavy & {name.split(".")[0] for name in imported}


def test_a_bad_model_setting_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    env = _bare_env(
        tmp_path, COMPANION_LLM="llamacpp", COMPANION_LLM_MODEL_PATH=str(tmp_path / "no.gguf")
    )
    assert run_cli("ingest", str(SAMPLE / "moon-2009.md"), env=env).returncode == 0
    out = run_cli("ask", "Who plays Sam Bell?", env=env)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "COMPANION_LLM" in lines[0], out.stderr
