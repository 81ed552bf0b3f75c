"""Spoiler marking at ingest: the post's own markers, reveals without markers, and chunks that
never mix spoiler and spoiler-free paragraphs."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.chunking import Chunker
from ingest.metadata import make_post
from ingest.spoilers import spoiler_runs

SAFE = "The photography is gorgeous and the score hums under every scene."
PLOT = "At the end the twins reach the lighthouse, and the elder one dies in the fire."


@pytest.mark.parametrize(
    ("paragraphs", "expected"),
    [
        # "Spoilers ahead: …" marks its own paragraph only.
        ([SAFE, "Spoilers ahead: the captain was the traitor. He hid it well.", SAFE],
         ["Spoilers ahead: the captain was the traitor. He hid it well."]),
        # A marker on its own line marks everything after it, to the next heading…
        ([SAFE, "SPOILER WARNING", "He was dead the whole time.", "## Verdict", SAFE],
         ["He was dead the whole time."]),
        # …or to "end of spoilers".
        (["[spoilers]", "The doctor is the killer.", "End of spoilers.", SAFE],
         ["The doctor is the killer.\n\nEnd of spoilers."]),
        # A paragraph that ends by announcing spoilers is itself safe; what follows is not.
        ([f"{SAFE} From here on, spoilers ahead!", "The ship never left orbit."],
         ["The ship never left orbit."]),
        # "No spoilers" and "spoiler-free" are promises, not markers.
        (["This review is spoiler-free, I promise.", SAFE], []),
        (["No spoilers here: just go and see it.", SAFE], []),
        # Without markers only the revealing sentence is marked, not its whole paragraph.
        ([f"{SAFE} {PLOT} {SAFE}"], [PLOT]),
        (["The stranger who saves her turns out to be her own father. It is a shock."],
         ["The stranger who saves her turns out to be her own father."]),
        (["The old man finally dies in his sleep."], ["The old man finally dies in his sleep."]),
        # Judging the ending is not telling it; "finally" alone tells nothing.
        (["In the end the film is predictable, but the cast wins you over.", SAFE], []),
        (["It turns out to be a different film every time I watch it.", SAFE], []),
        (["They finally escape storage forever, and the toys rejoice."], []),
    ],
)  # fmt: skip
def test_spoiler_runs(paragraphs: list[str], expected: list[str]) -> None:
    runs = spoiler_runs(paragraphs)
    assert [text for text, flag in runs if flag] == expected
    # Nothing is lost or reordered.
    assert " ".join(" ".join(t for t, _ in runs).split()) == " ".join(
        " ".join(p for p in paragraphs).split()
    )


def test_chunks_carry_spoiler_flags_and_never_mix(tmp_path: Path, embedder) -> None:
    tokenizer = embedder.path / "tokenizer.json"
    chunker = Chunker(tokenizer, chunk_tokens=200, overlap_tokens=30)
    reveal = "Spoilers ahead: the lighthouse keeper was the creature all along, and he burns."
    text = "\n\n".join(
        [
            "## Setup",
            "A keeper arrives on the island. " * 12,
            reveal,
            "## Verdict",
            "A tense, beautiful film. Score: 8/10",
        ]
    )
    post = make_post(doc_id="p1", text=text, source="t.md", title="Review: The Keeper (2020)")
    chunks = chunker.chunks(post)
    flagged = [d for d in chunks if d.metadata["spoiler"]]
    assert len(flagged) == 1
    assert "lighthouse keeper was the creature" in flagged[0].page_content
    assert "A keeper arrives" not in flagged[0].page_content
    safe = [d for d in chunks if not d.metadata["spoiler"]]
    assert all("creature" not in d.page_content for d in safe)
    assert any("A tense, beautiful film" in d.page_content for d in safe)
