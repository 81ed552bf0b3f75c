"""A post's record: what the store keeps about a review besides its chunks, typed.

Chroma metadata are flat scalars, so the record is written flat (labels comma-joined, "no
year" as 0, "no score" as -1) and read back here (a retrieved passage copies the few stored
fields it shows, unparsed, on the answer path). ``RECORD_LAYOUT`` names the flat layout; a
store written with an older one is rewritten in place (``upgraded``), since none of it
changes a vector.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any

from companion.archive.dates import When, human, iso, parse_date, sort_key
from companion.archive.scores import Score, score_of
from companion.text import film_label
from companion.types import Post

RECORD_LAYOUT = 2  # 1: dates as the source wrote them, no score or version
NO_SCORE = -1.0


@dataclass(frozen=True)
class PostRecord:
    doc_id: str
    source: str = ""
    title: str = ""
    url: str = ""
    published: When | None = None
    updated: When | None = None
    author: str = ""
    film: str = ""
    year: int | None = None
    labels: tuple[str, ...] = ()
    score: Score | None = None
    version: str = ""  # which text of the post a chunk came from; "" before layout 2
    scope: str = ""  # the source folder or feed it was read from, where known

    @classmethod
    def of(cls, post: Post) -> PostRecord:
        """The record ingest writes for ``post``: dates read, the stated score parsed."""
        payload = json.dumps([post.text, post.title, post.film, post.year], ensure_ascii=False)
        return cls(
            doc_id=post.doc_id,
            source=post.source,
            title=post.title,
            url=post.url,
            published=parse_date(post.date),
            updated=parse_date(post.updated),
            author=post.author,
            film=post.film,
            year=post.year,
            labels=post.labels,
            score=score_of(post.text),
            version=hashlib.sha256(payload.encode()).hexdigest()[:12],
        )

    @classmethod
    def from_metadata(cls, meta: dict[str, Any]) -> PostRecord:
        """Any layout's flat record (an old one's dates are read as the source wrote them)."""
        year = meta.get("year")
        fraction = meta.get("score_fraction")
        score = None
        if isinstance(fraction, int | float) and fraction >= 0 and meta.get("score"):
            score = Score(str(meta["score"]), float(fraction))
        return cls(
            doc_id=str(meta.get("doc_id", "")),
            source=str(meta.get("source", "")),
            title=str(meta.get("title", "")),
            url=str(meta.get("url", "")),
            published=parse_date(str(meta.get("date", ""))),
            updated=parse_date(str(meta.get("updated", ""))),
            author=str(meta.get("author", "")),
            film=str(meta.get("film", "")),
            year=year if isinstance(year, int) and year > 0 else None,
            labels=tuple(x.strip() for x in str(meta.get("labels", "")).split(",") if x.strip()),
            score=score,
            version=str(meta.get("version", "")),
        )

    def metadata(self) -> dict[str, Any]:
        """The flat record each of the post's chunks carries (layout ``RECORD_LAYOUT``)."""
        return {
            "doc_id": self.doc_id,
            "source": self.source,
            "title": self.title,
            "url": self.url,
            "date": iso(self.published),
            "updated": iso(self.updated),
            "author": self.author,
            "film": self.film,
            "year": self.year if self.year is not None else 0,
            "labels": ", ".join(self.labels),
            "score": self.score.text if self.score else "",
            "score_fraction": self.score.fraction if self.score else NO_SCORE,
            "version": self.version,
        }

    @property
    def date(self) -> str:
        """Published, ISO 8601 (the JSON form; "" when undated)."""
        return iso(self.published)

    @property
    def date_text(self) -> str:
        """Published, as a fan reads it: "26 July 2023"."""
        return human(self.published)

    @property
    def label(self) -> str:
        return film_label(self.film or self.title, self.year)

    def order(self) -> tuple[tuple[int, float], str]:
        """Oldest review first, in true time order whatever format each source used."""
        return sort_key(self.published), self.doc_id


POST_KEYS = frozenset(PostRecord("").metadata())


def upgraded(meta: dict[str, Any], post_text: str) -> dict[str, Any]:
    """A chunk's metadata in the current layout: its post fields rewritten from ``meta`` and
    the post's text (for the score), its chunk fields (section, header, …) kept."""
    old = PostRecord.from_metadata(meta)
    return {**meta, **replace(old, score=old.score or score_of(post_text)).metadata()}
