"""Markdown and plain-text reviews: one post per file, YAML front matter optional."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from companion.types import Post
from ingest.cleaning import decode_text
from ingest.metadata import as_text, make_post


def markdown_post(raw: bytes, path: Path) -> Post:
    import frontmatter
    import yaml

    text = decode_text(raw)
    try:
        meta, body = frontmatter.parse(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"malformed front matter: {str(exc).splitlines()[0]}") from exc
    if not isinstance(meta, dict):
        raise ValueError("malformed front matter: not a mapping")
    found: Any = meta.get("labels") or meta.get("tags") or []
    labels = found.split(",") if isinstance(found, str) else list(found)
    url = as_text(meta.get("url"))
    if url.lower() in ("none", "null"):
        url = ""
    title = as_text(meta.get("title")) or _first_heading(body) or path.stem
    return make_post(
        doc_id=as_text(meta.get("id")) or url or path.stem,
        text=body,
        source=str(path),
        title=title,
        url=url,
        date=_unknown_to_empty(as_text(meta.get("date"))),
        updated=as_text(meta.get("updated")),
        author=_unknown_to_empty(as_text(meta.get("author"))),
        labels=[str(lb) for lb in labels],
        film=as_text(meta.get("film")),
        year=meta.get("year") or meta.get("film_year"),
    )


def _unknown_to_empty(value: str) -> str:
    return "" if value.lower() in ("unknown", "none", "null") else value


def _first_heading(body: str) -> str:
    for line in body.splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip()
    return ""
