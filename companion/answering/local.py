"""A local GGUF model through llama-cpp-python (the optional `local-llm` extra).

Small models need the prompt shape they were trained on, so the format is a small table chosen
by model family; the answer then goes through the same citation checker as any other backend.
Measured here: Gemma 3 270M (a base model) answered only with the plain "passages … Question: …
Answer:" shape and a newline stop; chat templates, and the full system prompt, made it ramble.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path

import numpy as np

from companion.errors import ConfigError

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
            from llama_cpp import Llama, llama_get_logits_ith
        except ImportError as exc:
            raise ConfigError(
                "COMPANION_LLM=llamacpp needs the local-llm extra: pip install '.[local-llm]'"
            ) from exc
        if not path.is_file():
            raise ConfigError(f"COMPANION_LLM_MODEL_PATH: no GGUF file at {path}")
        self.format = guess_format(path) if fmt == "auto" else fmt
        self._template, self._stop = FORMATS[self.format]
        try:
            self._llm = Llama(model_path=str(path), n_ctx=4096, n_threads=threads, verbose=False)
        except (ValueError, RuntimeError) as exc:  # not a GGUF file llama.cpp can load
            raise ConfigError(f"COMPANION_LLM_MODEL_PATH: cannot load {path}: {exc}") from exc
        self._logits_ith = llama_get_logits_ith
        self._max_tokens = max_tokens
        self._lock = threading.Lock()  # one llama context: one generation at a time

    def prompt(self, messages: list[tuple[str, str]]) -> str:
        parts = dict(messages)
        return self._template.format(system=parts.get("system", ""), user=parts.get("human", ""))

    def stream(self, messages: list[tuple[str, str]], /) -> Iterator[str]:
        return self.stream_cancellable(messages, threading.Event())

    def stream_cancellable(
        self, messages: list[tuple[str, str]], cancel: threading.Event
    ) -> Iterator[str]:
        """The reply a token at a time until ``cancel`` is set: a call whose fan has stopped
        waiting neither keeps generating nor, still queued for the one context, starts."""
        while not self._lock.acquire(timeout=0.05):
            if cancel.is_set():
                return
        try:
            if cancel.is_set():
                return
            parts = self._llm(
                self.prompt(messages),
                max_tokens=self._max_tokens,
                temperature=0.0,
                stop=self._stop,
                stream=True,
            )
            try:
                for part in parts:
                    if cancel.is_set():
                        return
                    yield part["choices"][0]["text"]
            finally:
                parts.close()
        finally:
            self._lock.release()

    @cached_property
    def _yes_no_ids(self) -> tuple[list[int], list[int]]:
        """The vocabulary's one-token spellings of "yes" and of "no"."""

        def ids(*forms: str) -> list[int]:
            spelt = [self._llm.tokenize(f.encode(), add_bos=False) for f in forms]
            return sorted({t[0] for t in spelt if len(t) == 1})

        return ids("yes", "Yes", " yes", " Yes"), ids("no", "No", " no", " No")

    def yes_no(self, messages: list[tuple[str, str]]) -> float:
        """log P(yes) − log P(no) for the reply's first token, from one forward pass over the
        whole prompt: reusing a shared prefix from the KV cache would save only the short
        instructions (each review differs) and would make the score depend on the call before."""
        yes, no = self._yes_no_ids
        llm = self._llm
        with self._lock:
            llm.reset()
            llm.eval(llm.tokenize(self.prompt(messages).encode(), add_bos=True, special=True))
            logits = np.ctypeslib.as_array(
                self._logits_ith(llm.ctx, -1), shape=(llm.n_vocab(),)
            ).astype(np.float64)
        # The softmax's normaliser cancels in the difference.
        return float(np.logaddexp.reduce(logits[yes]) - np.logaddexp.reduce(logits[no]))
