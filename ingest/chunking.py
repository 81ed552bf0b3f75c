"""Section-aware chunks sized in the embedding model's own tokens, each with a context header.

The header (film, year, post title, section) is embedded with the chunk so a passage that only
says "the film" still matches a question that names it; readers see the body alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from langchain_core.documents import Document

from companion.archive.records import PostRecord
from companion.text import film_label
from companion.types import Post
from ingest.spoilers import spoiler_runs

# Bump when chunk text or metadata changes shape, so every post is re-chunked once.
CHUNKER_VERSION = "3"


@dataclass
class Chunker:
    tokenizer_path: Path
    chunk_tokens: int = 200
    overlap_tokens: int = 30

    @cached_property
    def _splitters(self) -> tuple[Any, Any]:
        from langchain_text_splitters import (
            MarkdownHeaderTextSplitter,
            RecursiveCharacterTextSplitter,
        )
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(self.tokenizer_path))
        tok.no_padding()  # the shipped tokenizer pads to 128 and truncates: both hide length
        tok.no_truncation()

        def length(text: str) -> int:
            return len(tok.encode(text, add_special_tokens=False).ids)

        headers = MarkdownHeaderTextSplitter(
            headers_to_split_on=[("#", "h1"), ("##", "h2"), ("###", "h3")],
            strip_headers=True,
        )
        body = RecursiveCharacterTextSplitter(
            chunk_size=self.chunk_tokens,
            chunk_overlap=self.overlap_tokens,
            length_function=length,
            separators=["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""],
            keep_separator="end",
        )
        return headers, body

    def chunks(self, post: Post) -> list[Document]:
        """The post's chunks; a chunk never mixes spoiler and spoiler-free paragraphs, so
        answers can leave out exactly the paragraphs that give the plot away."""
        headers, body = self._splitters
        base = PostRecord.of(post).metadata()
        out: list[Document] = []
        for section in headers.split_text(post.text):
            heading = section.metadata.get("h3") or section.metadata.get("h2") or ""
            header = context_header(post, heading)
            for text, spoiler in spoiler_runs(paragraphs(section.page_content)):
                for piece in body.split_text(text):
                    piece = piece.strip()
                    if not piece:
                        continue
                    meta = {
                        **base,
                        "section": heading,
                        "header": header,
                        "chunk": len(out),
                        "spoiler": spoiler,
                    }
                    out.append(Document(page_content=f"{header}\n\n{piece}", metadata=meta))
        return out


def paragraphs(text: str) -> list[str]:
    """LangChain's header splitter turns a blank line between paragraphs into "  \\n"."""
    return [p.strip() for p in re.split(r"\n\s*\n| {2}\n", text) if p.strip()]


def context_header(post: Post, section: str) -> str:
    film = film_label(post.film, post.year)
    parts = [p for p in (film, post.title, section) if p]
    return " · ".join(parts)
