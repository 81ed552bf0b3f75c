"""Retrieval and answer latency as the archive grows: 1k, 10k and 100k chunks.

Synthetic archives are made from a real one: polarity-533 is ingested once (2,997 chunks), then
each size is filled with copies of those chunks whose vectors are nudged by Gaussian noise
(σ = 0.05 per dimension, renormalised) and whose films are renamed per copy, so no two chunks
are identical and film routing still has one film per copy. The query is embedded by the real
model every time (included in the figures). The baseline in the same run is the 1k archive.

    .venv/bin/python bench/latency.py [--corpus ../shared/corpus/polarity-533] [--sizes 1000,10000,100000]
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from companion.archive import lexical  # noqa: E402
from companion.evaluation import _percentile, read_questions  # noqa: E402
from companion.factory import build_chat, build_components  # noqa: E402
from companion.settings import Settings  # noqa: E402


def synthetic(source, source_settings: Settings, size: int, data_dir: Path) -> Settings:  # type: ignore[no-untyped-def]
    settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    # The copies hold the real archive's sentences, so its sentence vectors are theirs (copied
    # before anything opens the file).
    settings.sentence_vectors_db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source_settings.sentence_vectors_db, settings.sentence_vectors_db)
    comps = build_components(settings)
    got = source._collection.get(include=["documents", "metadatas", "embeddings"])
    base = np.asarray(got["embeddings"], dtype=np.float32)
    rng = np.random.default_rng(size)
    col = comps.store._collection
    ids, texts = [], []
    batch = 4000
    for start in range(0, size, batch):
        n = min(batch, size - start)
        pick = (np.arange(start, start + n)) % len(base)
        copy = (np.arange(start, start + n)) // len(base)
        vec = base[pick] + rng.normal(0, 0.05, (n, base.shape[1])).astype(np.float32)
        vec /= np.linalg.norm(vec, axis=1, keepdims=True)
        metas, docs, new_ids = [], [], []
        for i, c in zip(pick, copy, strict=True):
            meta = dict(got["metadatas"][i])
            if c:
                meta["film"] = f"{meta.get('film', '')} copy {c}"
                meta["doc_id"] = f"{meta['doc_id']}-{c}"
            metas.append(meta)
            docs.append(got["documents"][i])
            new_ids.append(f"{got['ids'][i]}-{c}")
        col.add(ids=new_ids, embeddings=vec.tolist(), documents=docs, metadatas=metas)
        ids += new_ids
        texts += docs
    lexical.build(ids, texts, settings.bm25_dir)
    return settings


def measure(
    settings: Settings, questions: list, runs: int = 2
) -> tuple[list[float], list[float], list[float]]:
    """Retrieval, the whole answer as shipped (planned first), and the whole answer on the
    path before plans (no planner: card rules, then passages), question by question."""
    components = build_components(settings, create=False)
    chat = build_chat(components)
    chat.warm()  # as the server does at start: the archive's entities are built here
    forget = getattr(components.sentences, "clear", lambda: None)  # no vector carried over
    unplanned = copy.copy(chat)
    unplanned.planner = None
    retrieval, answer, before = [], [], []
    for _ in range(runs):
        for q in questions:
            t = time.perf_counter()
            chat.retriever.retrieve(q.q, 5)
            retrieval.append((time.perf_counter() - t) * 1000)
            forget()
            t = time.perf_counter()
            unplanned.ask(q.q)
            before.append((time.perf_counter() - t) * 1000)
            forget()
            t = time.perf_counter()
            chat.ask(q.q)
            answer.append((time.perf_counter() - t) * 1000)
    return retrieval, answer, before


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus" / "polarity-533"))
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--store", help="an existing companion data dir holding the corpus")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp())
    real = Path(args.store) if args.store else work / "real"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "companion.cli",
            "ingest",
            str(Path(args.corpus) / "reviews"),
            "--json",
        ],
        env={**os.environ, "COMPANION_DATA_DIR": str(real)},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    real_settings = Settings(_env_file=None, data_dir=real)  # type: ignore[call-arg]
    source = build_components(real_settings, create=False).store
    questions = read_questions(ROOT / "eval" / "polarity-dev.jsonl")
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        t = time.perf_counter()
        settings = synthetic(source, real_settings, size, work / f"size-{size}")
        build_s = time.perf_counter() - t
        retrieval, answer, before = measure(settings, questions)
        rows.append((size, build_s, retrieval, answer, before))
    base_p95 = _percentile(rows[0][2], 95)
    print(
        f"{'chunks':>8} {'build s':>8} {'retr p50':>9} {'retr p95':>9} {'x base':>7} "
        f"{'answer p50':>11} {'answer p95':>11} {'unplanned p95':>14} {'x unplanned':>12}"
    )
    for size, build_s, retrieval, answer, before in rows:
        p95 = _percentile(retrieval, 95)
        a95, b95 = _percentile(answer, 95), _percentile(before, 95)
        print(
            f"{size:>8} {build_s:>8.1f} {statistics.median(retrieval):>9.1f} {p95:>9.1f} "
            f"{p95 / base_p95:>7.2f} {statistics.median(answer):>11.1f} {a95:>11.1f} "
            f"{b95:>14.1f} {a95 / b95:>12.2f}"
        )
    print(
        "(milliseconds; retrieval includes embedding the question; answer = the whole extractive "
        "ask as shipped, planned first; unplanned = the same chat without its planner, the path "
        "before plans)"
    )


if __name__ == "__main__":
    main()
