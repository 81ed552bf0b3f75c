"""Ingest speed: companion's first ingest vs the naive LangChain pipeline, re-ingests vs the
first, and embedding throughput vs a plain matrix-multiply ceiling — all in one run.

    .venv/bin/python bench/ingest_speed.py [--corpus ../shared/corpus/polarity-533]

Needs the bench extra (`pip install -e .[bench]`) for the naive baseline's embeddings wrapper.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# all-mpnet-base-v2, the search model: 12 layers, width 768, feed-forward 3072. Multiply-adds
# per token per layer: Q, K, V and output projections 4·768², feed-forward 2·768·3072; attention
# scores and mixing 2·L·768 for a sequence of L tokens. FLOPs = 2 × multiply-adds.
LAYERS, WIDTH, FFN = 12, 768, 3072


def search_model_path() -> Path:
    from companion.archive.models import SEARCH_MODEL, packaged_model_path
    from companion.settings import Settings

    return packaged_model_path(SEARCH_MODEL, Settings(_env_file=None).cache_dir)  # type: ignore[call-arg]


def flops_per_token(seq_len: float) -> float:
    return 2 * LAYERS * (4 * WIDTH * WIDTH + 2 * WIDTH * FFN + 2 * seq_len * WIDTH)


def run(args: list[str], env: dict[str, str]) -> tuple[float, dict]:
    started = time.perf_counter()
    out = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, json.loads(out.stdout)


def matmul_ceiling(seconds: float = 3.0) -> float:
    """FLOP/s of a large fp32 matrix multiply on this machine, torch's CPU threads as in ingest."""
    import torch

    a = torch.randn(2048, WIDTH)
    b = torch.randn(WIDTH, FFN)
    for _ in range(3):
        a @ b
    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        a @ b
        n += 1
    return n * 2 * 2048 * WIDTH * FFN / (time.perf_counter() - started)


def token_stats(texts: list[str], cap: int = 384) -> tuple[int, float]:
    """Tokens the model actually reads (truncated at its window) and the mean sequence length."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(search_model_path() / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    lengths = [min(cap, len(tok.encode(t).ids)) for t in texts]
    return sum(lengths), sum(lengths) / max(1, len(lengths))


def naive(corpus: Path, persist: Path) -> tuple[float, list[str]]:
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    started = time.perf_counter()
    docs = [
        Document(page_content=p.read_text().split("---", 2)[2].strip(), metadata={"source": p.name})
        for p in sorted(corpus.glob("*.md"))
    ]
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(
        docs
    )
    client = chromadb.PersistentClient(
        str(persist), settings=ChromaSettings(anonymized_telemetry=False)
    )
    Chroma.from_documents(
        chunks, HuggingFaceEmbeddings(model_name=str(search_model_path())), client=client
    )
    return time.perf_counter() - started, [c.page_content for c in chunks]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus" / "polarity-533"))
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp())
    corpus = work / "reviews"
    shutil.copytree(Path(args.corpus) / "reviews", corpus)
    env = {**os.environ, "COMPANION_DATA_DIR": str(work / "store")}
    cli = [sys.executable, "-m", "companion.cli", "ingest", str(corpus), "--json"]

    first_s, first = run(cli, env)
    noop_s, noop = run(cli, env)
    victim = sorted(corpus.glob("*.md"))[0]
    victim.write_text(victim.read_text() + "\nan added closing line for the benchmark .\n")
    edit_s, edit = run(cli, env)
    assert first["added"] and noop["skipped"] == first["added"] and edit["updated"] == 1

    from companion.factory import build_components
    from companion.settings import Settings

    store = build_components(Settings(_env_file=None, data_dir=work / "store"), create=False).store
    _, ours_texts = store.all_chunks()
    ours_tokens, ours_len = token_stats(ours_texts)

    naive_s, naive_texts = naive(corpus, work / "naive")
    naive_tokens, naive_len = token_stats(naive_texts)
    ceiling = matmul_ceiling()

    def eff(tokens: int, seconds: float, seq: float) -> float:
        return tokens * flops_per_token(seq) / seconds / ceiling

    print(f"{'':<34}{'naive':>12}{'companion':>12}")
    print(f"{'first ingest (s)':<34}{naive_s:>12.1f}{first_s:>12.1f}")
    print(f"{'chunks':<34}{len(naive_texts):>12}{len(ours_texts):>12}")
    print(f"{'tokens embedded (model window)':<34}{naive_tokens:>12}{ours_tokens:>12}")
    print(f"{'tokens per second':<34}{naive_tokens / naive_s:>12.0f}{ours_tokens / first_s:>12.0f}")
    print(
        f"{'share of matmul ceiling':<34}{eff(naive_tokens, naive_s, naive_len):>12.1%}"
        f"{eff(ours_tokens, first_s, ours_len):>12.1%}"
    )
    print(f"matmul ceiling: {ceiling / 1e9:.1f} GFLOP/s (fp32, {WIDTH}x{FFN} matrices)")
    print(f"companion first ingest / naive: {first_s / naive_s:.2f}")
    print(f"no-op re-ingest: {noop_s:.2f} s ({first_s / noop_s:.0f}x faster than first)")
    print(f"one edited post: {edit_s:.2f} s ({first_s / edit_s:.0f}x faster than first)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
