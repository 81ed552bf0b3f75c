"""Verdicts and spoilers on polarity-533, whose reviews carry the critic's own pos/neg label.

Measures, in one run: how often the review-level polarity agrees with the label for the
baseline (VADER's lexicon alone, mean over sentences, threshold 0) and for companion's judge
(lexicon + embedding prototypes, centred; stated scores first), how often the quoted verdict
sentence agrees too, the time to judge one review, and how many sentences the spoiler
heuristic marks.

    .venv/bin/python bench/verdicts.py [../shared/corpus/polarity-533]
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path
from statistics import median

import numpy as np
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from companion.answering.judgement import Judge
from companion.factory import sentence_embedder
from companion.settings import Settings
from companion.text import sentences
from ingest.spoilers import spoiler_runs

SENTENCE = re.compile(r"(?<=[.!?])\s+")  # the corpus is lower-case: split on end marks only


def main() -> None:
    corpus = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/corpus/polarity-533")
    rows = [json.loads(line) for line in (corpus / "index.jsonl").read_text().splitlines()]
    judge = Judge(sentence_embedder(Settings(_env_file=None)))  # type: ignore[call-arg]
    lexicon = SentimentIntensityAnalyzer()  # the baseline: the same lexicon, alone
    judge.judge("Warm up. A fine film.")

    base_ok = ours_ok = verdict_ok = 0
    times: list[float] = []
    total_sentences = flagged = flagged_reviews = 0
    for row in rows:
        body = (corpus / "reviews" / f"{row['id']}.md").read_text().split("---", 2)[2].strip()
        label = 1 if row["sentiment_label"].startswith("pos") else -1
        found = sentences(body)
        vader = np.mean([lexicon.polarity_scores(s)["compound"] for s in found])
        base_ok += np.sign(vader) == label
        started = time.perf_counter()
        judged = judge.judge(body)
        times.append(time.perf_counter() - started)
        ours_ok += np.sign(judged.polarity) == label
        if judged.verdict:
            score = judge.sentence_scores([judged.verdict])[0]
            verdict_ok += np.sign(score) == label
        runs = spoiler_runs([p for p in body.split("\n\n") if p.strip()])
        marked = sum(len(SENTENCE.split(text)) for text, flag in runs if flag)
        total_sentences += len(SENTENCE.split(body))
        flagged += marked
        flagged_reviews += marked > 0

    n = len(rows)
    positive = sum(r["sentiment_label"].startswith("pos") for r in rows)
    print(f"polarity-533: {n} reviews ({positive} positive)\n")
    print("| | baseline (VADER mean) | companion judge |")
    print("|---|---:|---:|")
    print(
        f"| review polarity agrees with the critic's label | {base_ok / n:.3f} | {ours_ok / n:.3f} |"
    )
    print(f"| quoted verdict's polarity agrees with the label | – | {verdict_ok / n:.3f} |")
    print(
        f"| time to judge one review, median ms | – | {1000 * median(times):.0f} "
        f"(p95 {1000 * sorted(times)[int(0.95 * (n - 1))]:.0f}) |"
    )
    print(
        f"\nspoiler heuristic: {flagged} of {total_sentences} sentences flagged "
        f"({100 * flagged / total_sentences:.2f} %), in {flagged_reviews} of {n} reviews "
        f"({100 * flagged_reviews / n:.1f} %)"
    )


if __name__ == "__main__":
    main()
