"""Shared fixtures: every test gets its own data dir; the real model loads once per session."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from companion.archive.embedding import SentenceTransformerEmbedder
from companion.archive.models import SEARCH_MODEL, model_dimension
from companion.archive.sentence_vectors import cached
from companion.archive.store import ChromaStore, open_client
from companion.chat import ChatService
from companion.factory import Components, build_chat
from companion.factory import sentence_embedder as sentence_embedder_for
from companion.settings import Settings
from ingest.pipeline import run_ingest

pytest_plugins = ["tests.web_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "reviews"


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may touch the developer's store or read their .env."""
    for key in list(os.environ):
        if key.startswith("COMPANION_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("COMPANION_DATA_DIR", str(tmp_path / "companion-data"))
    monkeypatch.setenv("COMPANION_ENV_FILE", str(tmp_path / "no.env"))


@pytest.fixture(scope="session")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> SentenceTransformerEmbedder:
    """The search model, as the product builds it (unpacked once into the shared cache)."""
    cache = make_settings(tmp_path_factory.mktemp("unused")).cache_dir
    emb = SentenceTransformerEmbedder(SEARCH_MODEL, cache_dir=cache)
    emb.model()
    return emb


@pytest.fixture(scope="session")
def sentence_embedder(tmp_path_factory: pytest.TempPathFactory) -> SentenceTransformerEmbedder:
    emb = sentence_embedder_for(make_settings(tmp_path_factory.mktemp("unused")))
    emb.model()
    return emb


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, **overrides)  # type: ignore[arg-type]


def make_store(settings: Settings, embedder: SentenceTransformerEmbedder) -> ChromaStore:
    return ChromaStore(
        open_client(settings.chroma_dir),
        settings.collection,
        embedder,
        model_dimension(embedder.path),
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "store")


@pytest.fixture
def store(settings: Settings, embedder: SentenceTransformerEmbedder) -> ChromaStore:
    return make_store(settings, embedder)


@pytest.fixture
def components(
    settings: Settings,
    store: ChromaStore,
    embedder: SentenceTransformerEmbedder,
    sentence_embedder: SentenceTransformerEmbedder,
) -> Components:
    """An empty store of this test's own, with the session's models."""
    return Components(settings, embedder, store, sentence_embedder)


@pytest.fixture(scope="session")
def sample_components(
    tmp_path_factory: pytest.TempPathFactory,
    embedder: SentenceTransformerEmbedder,
    sentence_embedder: SentenceTransformerEmbedder,
) -> Iterator[Components]:
    """The bundled sample archive, ingested once for all read-only tests."""
    settings = make_settings(tmp_path_factory.mktemp("sample"))
    store = make_store(settings, embedder)
    report = run_ingest([str(SAMPLE)], settings, store, sentences=sentence_embedder)
    assert report.errors == []
    assert report.added >= 15
    sentences = cached(sentence_embedder, settings.sentence_vectors_db)  # as the product does
    yield Components(settings, embedder, store, sentences)


@pytest.fixture(scope="session")
def chat(sample_components: Components) -> ChatService:
    return build_chat(sample_components)


def run_cli(
    *args: str, env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "companion.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


@pytest.fixture(scope="session")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment whose store holds the sample archive, ingested through the CLI."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPANION_")}
    env["COMPANION_DATA_DIR"] = str(tmp_path_factory.mktemp("cli-store"))
    env["COMPANION_ENV_FILE"] = str(tmp_path_factory.mktemp("noenv") / "none.env")
    result = run_cli("ingest", str(SAMPLE), "--json", env=env)
    assert result.returncode == 0, result.stderr
    env["FIRST_INGEST_JSON"] = result.stdout
    return env
