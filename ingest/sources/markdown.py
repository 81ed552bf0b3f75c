"""Markdown and plain-text reviews, one post per file, front matter optional, folders recursive."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from companion.types import Post
from ingest.cleaning import clean_text
from ingest.metadata import film_from_title
from ingest.sources import LoadError, SourceError

SUFFIXES = {".md", ".markdown", ".txt", ".text"}


class MarkdownSource:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.scope = str(root)
        self._max_bytes = max_bytes

    def files(self) -> list[Path]:
        if self.root.is_file():
            return [self.root]
        found = sorted(
            p
            for p in self.root.rglob("*")
            if p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(self.root).parts)
        )
        if not found:
            raise SourceError(f"{self.root}: the folder holds no files")
        return found

    def documents(self) -> Iterator[Post | LoadError]:
        for path in self.files():
            if path.suffix.lower() not in SUFFIXES and path != self.root:
                yield LoadError(str(path), "skipped: not a Markdown or text file")
                continue
            try:
                yield read_post(path, self._max_bytes)
            except ValueError as exc:
                yield LoadError(str(path), str(exc))


def _decode(raw: bytes) -> str:
    if b"\x00" in raw[:8192]:
        raise ValueError("skipped: binary file (contains NUL bytes)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise ValueError(f"skipped: not UTF-8 or Windows-1252 text ({exc.reason})") from exc
    return text


def _as_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def read_post(path: Path, max_bytes: int) -> Post:
    import frontmatter
    import yaml

    size = path.stat().st_size
    if size > max_bytes:
        raise ValueError(f"skipped: {size} bytes is over the {max_bytes}-byte limit")
    text = _decode(path.read_bytes())
    try:
        meta, body = frontmatter.parse(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"malformed front matter: {str(exc).splitlines()[0]}") from exc
    body = clean_text(body)
    if not body:
        raise ValueError("skipped: no text")
    title = _as_str(meta.get("title")) or _first_heading(body) or path.stem
    film, year = _as_str(meta.get("film")), meta.get("year")
    if not film:
        film, guessed_year = film_from_title(title)
        year = year or guessed_year
    try:
        year_int = int(year) if year not in (None, "") else None
    except (TypeError, ValueError):
        year_int = None
    labels = meta.get("labels") or meta.get("tags") or []
    if isinstance(labels, str):
        labels = [s.strip() for s in labels.split(",")]
    url = _as_str(meta.get("url"))
    return Post(
        doc_id=_as_str(meta.get("id")) or url or path.stem,
        text=body,
        source=str(path),
        title=title,
        url=url,
        date=_as_str(meta.get("date")),
        author=_as_str(meta.get("author")),
        film=film,
        year=year_int,
        labels=tuple(str(label) for label in labels if str(label).strip()),
    )


def _first_heading(body: str) -> str:
    for line in body.splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip()
    return ""
