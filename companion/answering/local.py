"""A local GGUF model through llama-cpp-python (the optional `local-llm` extra).

Small models need the prompt shape they were trained on, so the format is a small table chosen
by model family; the answer then goes through the same citation checker as any other backend.
Measured here: Gemma 3 270M (a base model) answered only with the plain "passages … Question: …
Answer:" shape and a newline stop; chat templates, and the full system prompt, made it ramble.
"""

from __future__ import annotations

import threading
from pathlib import Path

# family -> (template, stop sequences). {system}, {user} come from companion.answering.prompt.
FORMATS: dict[str, tuple[str, list[str]]] = {
    # A base model cannot follow rules, only continue text: a one-line task, the passages and
    # the question, stopped at the end of its first line. The checker enforces the rules.
    "plain": ("Answer the question using only these passages.\n\n{user}", ["\n", "Question:"]),
    "chatml": (
        "<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n"
        "<|im_start|>assistant\n",
        ["<|im_end|>"],
    ),
    "gemma-it": (
        "<start_of_turn>user\n{system}\n\n{user}<end_of_turn>\n<start_of_turn>model\n",
        ["<end_of_turn>"],
    ),
}


def guess_format(path: Path) -> str:
    """By file name: instruction-tuned Gemma, ChatML families, else the plain shape."""
    name = path.name.lower()
    if "gemma" in name and ("-it" in name or "instruct" in name):
        return "gemma-it"
    if any(f in name for f in ("qwen", "smollm", "chatml", "hermes")):
        return "chatml"
    return "plain"


class LocalModel:
    """Just enough of a LangChain chat model (``stream(messages)``) for ``LLMAnswerer``."""

    def __init__(self, path: Path, fmt: str = "auto", max_tokens: int = 160, threads: int = 2):
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise RuntimeError(
                "COMPANION_LLM=llamacpp needs the local-llm extra: pip install '.[local-llm]'"
            ) from exc
        if not path.is_file():
            raise RuntimeError(f"COMPANION_LLM_MODEL_PATH: no GGUF file at {path}")
        self.format = guess_format(path) if fmt == "auto" else fmt
        self._template, self._stop = FORMATS[self.format]
        self._llm = Llama(model_path=str(path), n_ctx=4096, n_threads=threads, verbose=False)
        self._max_tokens = max_tokens
        self._lock = threading.Lock()  # one llama context: one generation at a time

    def prompt(self, messages: list[tuple[str, str]]) -> str:
        parts = dict(messages)
        return self._template.format(system=parts.get("system", ""), user=parts.get("human", ""))

    def stream(self, messages: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
        with self._lock:
            for part in self._llm(
                self.prompt(messages),
                max_tokens=self._max_tokens,
                temperature=0.0,
                stop=self._stop,
                stream=True,
            ):
                yield part["choices"][0]["text"]

    def yes_no(self, messages: list[tuple[str, str]]) -> float:
        """log P(yes) − log P(no) for the reply's first token, from one forward pass over the
        prompt (the part shared with the previous prompt is reused from the KV cache)."""
        import llama_cpp
        import numpy as np

        llm = self._llm
        with self._lock:
            tokens = llm.tokenize(self.prompt(messages).encode(), add_bos=True, special=True)
            done = llm.input_ids[: llm.n_tokens].tolist()
            same = 0
            while same < min(len(done), len(tokens) - 1) and done[same] == tokens[same]:
                same += 1
            llm.n_tokens = same
            llm.eval(tokens[same:])
            logits = np.ctypeslib.as_array(
                llama_cpp.llama_get_logits_ith(llm.ctx, -1), shape=(llm.n_vocab(),)
            ).astype(np.float64)

        def word(*forms: str) -> float:  # the softmax's normaliser cancels in the difference
            ids = {t[0] for f in forms if len(t := llm.tokenize(f.encode(), add_bos=False)) == 1}
            return float(np.logaddexp.reduce([logits[i] for i in ids]))

        return word("yes", "Yes", " yes", " Yes") - word("no", "No", " no", " No")
