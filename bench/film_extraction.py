"""How often ingest derives the right film name, on polarity-533 (its headers name the film).

Two measurements, since a post may say its film in the title or only in the text:
- from the post title ("Review: <film>"), as a Blogger post title usually carries it;
- from the body alone (title hidden): the most repeated quoted or italic span, the harder case.

    .venv/bin/python bench/film_extraction.py [../shared/corpus/polarity-533]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from ingest.metadata import film_from_text, film_from_title


def norm(s: str) -> str:
    s = s.lower()
    s = re.sub(r"^(the|a|an) ", "", s)
    s = re.sub(r", (the|a|an)$", "", s)
    return re.sub(r"[^a-z0-9]+", " ", s).strip()


def main() -> None:
    corpus = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/corpus/polarity-533")
    rows = [json.loads(line) for line in (corpus / "index.jsonl").read_text().splitlines()]
    by_title = by_text = found_text = 0
    misses: list[tuple[str, str, str]] = []
    for row in rows:
        raw = (corpus / "reviews" / f"{row['id']}.md").read_text()
        body = raw.split("---", 2)[2].strip()
        want = norm(row["film"])
        got_title, _ = film_from_title(row["title"])
        by_title += norm(got_title) == want
        got_text, _ = film_from_text(body)
        found_text += bool(got_text)
        if norm(got_text) == want:
            by_text += 1
        elif len(misses) < 8:
            misses.append((row["id"], row["film"], got_text))
    n = len(rows)
    print(f"{'method':<28} {'right':>6} {'of':>5} {'accuracy':>9}")
    print(f"{'from the post title':<28} {by_title:>6} {n:>5} {by_title / n:>9.1%}")
    print(f"{'from the body text only':<28} {by_text:>6} {n:>5} {by_text / n:>9.1%}")
    print(
        f"  (a film was proposed from the body for {found_text} reviews; "
        f"precision {by_text / max(found_text, 1):.1%})"
    )
    print("examples of body misses:", misses)


if __name__ == "__main__":
    main()
