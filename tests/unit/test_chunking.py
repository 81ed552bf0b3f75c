"""Section-aware chunks with context headers (ingest/chunking.py), sized by a one-token-per-word
tokenizer built here, so no model folder is needed."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from companion.archive.records import PostRecord
from companion.archive.store import passage_from
from companion.types import Post
from ingest.chunking import Chunker, context_header, paragraphs

WORDS = " ".join(f"w{i}." for i in range(50))
TEXT = (
    "# Her\n\nIntro para one two three.\n\n## Plot\n\n"
    f"{WORDS}\n\nSpoilers ahead: the captain was the traitor all along. He hid it well.\n\n"
    "## Verdict\n\nI loved it."
)
POST = Post(
    "d1", TEXT, "blog.xml", title="Review: Her", url="https://b.example/her", film="Her", year=2013
)


@pytest.fixture(scope="module")
def chunker(tmp_path_factory: pytest.TempPathFactory) -> Chunker:
    from tokenizers import Tokenizer, models, pre_tokenizers

    tok = Tokenizer(models.WordLevel({"[UNK]": 0}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    path = tmp_path_factory.mktemp("tok") / "tokenizer.json"
    tok.save(str(path))
    return Chunker(Path(path), chunk_tokens=20, overlap_tokens=5)


def test_chunks_are_numbered_sized_and_headed(chunker: Chunker) -> None:
    docs = chunker.chunks(POST)
    assert [d.metadata["chunk"] for d in docs] == list(range(len(docs)))
    sections = [d.metadata["section"] for d in docs]
    assert sections[0] == "" and sections[-1] == "Verdict" and "Plot" in sections
    for d in docs:
        header = d.metadata["header"]
        assert header == context_header(POST, d.metadata["section"])
        assert d.page_content.startswith(f"{header}\n\n")
        body = d.page_content[len(header) + 2 :]
        assert 0 < len(body.split()) <= 20
        record = PostRecord.of(POST).metadata()
        assert {k: d.metadata[k] for k in record} == record
        assert "#" not in body  # headings become sections, not text


def test_long_sections_overlap(chunker: Chunker) -> None:
    plot = [d.page_content.split("\n\n", 1)[1].split() for d in chunker.chunks(POST)]
    plot = [words for words in plot if words[0].startswith("w")]
    assert len(plot) >= 3
    for first, second in pairwise(plot):
        assert first[-1] in second  # the next chunk repeats the end of the previous one
    assert sorted({w for words in plot for w in words}, key=lambda w: int(w[1:-1])) == WORDS.split()


def test_a_chunk_never_mixes_spoilers_with_safe_text(chunker: Chunker) -> None:
    docs = chunker.chunks(POST)
    spoilers = [d for d in docs if d.metadata["spoiler"]]
    assert [d.page_content.split("\n\n", 1)[1] for d in spoilers] == [
        "Spoilers ahead: the captain was the traitor all along. He hid it well."
    ]
    assert all("traitor" not in d.page_content for d in docs if not d.metadata["spoiler"])


def test_readers_see_the_body_without_its_header(chunker: Chunker) -> None:
    d = chunker.chunks(POST)[-1]
    p = passage_from("id", d.page_content, d.metadata, 0.5)
    assert (p.text, p.section, p.film, p.year, p.url) == (
        "I loved it.",
        "Verdict",
        "Her",
        2013,
        POST.url,
    )


def test_context_header_and_paragraphs() -> None:
    assert context_header(POST, "Plot") == "Her (2013) · Review: Her · Plot"
    assert context_header(Post("x", "t", "s"), "") == ""
    assert paragraphs("one\n\n two \n  \nthree  \nfour\n\n\n") == ["one", "two", "three", "four"]
