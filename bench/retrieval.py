"""Retrieval quality and latency: companion vs the naive LangChain pipeline, in one run.

Naive baseline (built here, same model): RecursiveCharacterTextSplitter(1000/200) +
HuggingFaceEmbeddings + Chroma.from_documents, top-5 similarity search; it never declines.
Companion: its own store, built by `companion ingest` into a temp dir (or --store DIR to reuse
one), queried through the same code as the chat. Also measures Chroma's HNSW recall against
exact (brute-force) search on the companion store.

    .venv/bin/python bench/retrieval.py [--corpus ../shared/corpus/polarity-533]
        [--questions eval/polarity-dev.jsonl] [--store DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from companion.archive.models import SEARCH_MODEL, SENTENCE_MODEL, packaged_model_path  # noqa: E402
from companion.evaluation import _percentile, evaluate, read_questions  # noqa: E402
from companion.factory import build_chat, build_components  # noqa: E402
from companion.settings import Settings  # noqa: E402


def naive(corpus: Path, questions: list, model: Path, k: int = 5) -> dict:
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    docs = []
    for path in sorted((corpus / "reviews").glob("*.md")):
        body = path.read_text().split("---", 2)[2].strip()
        docs.append(Document(page_content=body, metadata={"doc_id": path.stem}))
    started = time.perf_counter()
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(
        docs
    )
    emb = HuggingFaceEmbeddings(model_name=str(model))
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    store = Chroma.from_documents(chunks, emb, client=client, collection_name=f"naive-{model.name}")
    build_s = time.perf_counter() - started
    rows, lat = [], []
    for q in questions:
        t = time.perf_counter()
        hits = store.similarity_search(q.q, k=k)
        lat.append((time.perf_counter() - t) * 1000)
        posts = list(dict.fromkeys(h.metadata["doc_id"] for h in hits))
        rank = next((i for i, d in enumerate(posts, 1) if d in q.doc_ids), None)
        rows.append((q, rank))
    answerable = [r for q, r in rows if q.doc_ids]
    return {
        "recall": sum(r is not None for r in answerable) / len(answerable),
        "mrr": sum(1 / r for r in answerable if r) / len(answerable),
        "decline": 0.0,  # it answers everything
        "p50": statistics.median(lat),
        "p95": _percentile(lat, 95),
        "chunks": len(chunks),
        "build_s": build_s,
        "misses": sum(r is None for r in answerable),
    }


def hnsw_recall(settings: Settings, questions: list, k: int = 10) -> float:
    """Share of exact top-k chunks that Chroma's HNSW search also returns."""
    comps = build_components(settings, create=False)
    col = comps.store._collection
    got = col.get(include=["embeddings"])
    ids = got["ids"]
    matrix = np.asarray(got["embeddings"], dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    found = total = 0
    for q in questions:
        v = np.asarray(comps.embedder.embed_query(q.q), dtype=np.float32)
        exact = {ids[i] for i in np.argsort(-(matrix @ v))[:k]}
        approx = set(col.query(query_embeddings=[v.tolist()], n_results=k)["ids"][0])
        found += len(exact & approx)
        total += k
    return found / total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus" / "polarity-533"))
    ap.add_argument("--questions", default=str(ROOT / "eval" / "polarity-dev.jsonl"))
    ap.add_argument("--store", help="an existing companion data dir holding the corpus")
    args = ap.parse_args()
    corpus = Path(args.corpus)
    questions = read_questions(Path(args.questions))

    data_dir = Path(args.store) if args.store else Path(tempfile.mkdtemp()) / "store"
    env = {**os.environ, "COMPANION_DATA_DIR": str(data_dir)}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "companion.cli", "ingest", str(corpus / "reviews"), "--json"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    ingest_s = time.perf_counter() - started
    settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    chat = build_chat(build_components(settings, create=False))
    ours = evaluate(chat, questions, 5)
    answerable = [r for r in ours["questions"] if r["doc_ids"]]
    ours_misses = sum(r["rank"] is None for r in answerable)
    # The baseline uses the same model as companion; the MiniLM one is the old default.
    base = naive(corpus, questions, packaged_model_path(SEARCH_MODEL, settings.cache_dir))
    mini = naive(corpus, questions, packaged_model_path(SENTENCE_MODEL, settings.cache_dir))
    recall_hnsw = hnsw_recall(settings, questions)

    n_ans = len(answerable)
    n_abs = len(ours["questions"]) - n_ans
    print(
        f"Questions: {len(questions)} ({n_ans} answerable, {n_abs} unanswerable) from {args.questions}"
    )
    cols = [("naive MiniLM", mini), ("naive mpnet", base)]
    print(f"{'metric':<36}" + "".join(f"{name:>14}" for name, _ in cols) + f"{'companion':>14}")

    def row(label: str, values: list, ours_value: object, fmt: str) -> None:
        print(f"{label:<36}" + "".join(f"{v:>14{fmt}}" for v in [*values, ours_value]))

    row("recall@5 (answerable)", [b["recall"] for _, b in cols], ours["recall_at_k"], ".3f")
    row("misses (answerable, not in top 5)", [b["misses"] for _, b in cols], ours_misses, "")
    row("MRR", [b["mrr"] for _, b in cols], ours["mrr"], ".3f")
    row("unanswerable declined", [b["decline"] for _, b in cols], ours["decline_accuracy"], ".1%")
    row("answerable declined", [0.0 for _ in cols], ours["false_decline_rate"], ".1%")
    row(
        "retrieval p50 ms (query embed incl.)",
        [b["p50"] for _, b in cols],
        ours["retrieval_ms"]["p50"],
        ".1f",
    )
    row("retrieval p95 ms", [b["p95"] for _, b in cols], ours["retrieval_ms"]["p95"], ".1f")
    row("chunks", [b["chunks"] for _, b in cols], chat.retriever._store.count(), "")
    row("build (s)", [b["build_s"] for _, b in cols], ingest_s, ".1f")
    print(f"HNSW recall@10 vs exact search on the companion store: {recall_hnsw:.4f}")
    print(
        json.dumps(
            {
                "naive_minilm": mini,
                "naive_mpnet": base,
                "companion": {k: v for k, v in ours.items() if k != "questions"},
            }
        )
    )


if __name__ == "__main__":
    main()
