"""The films the archive reviews, each with its reviews (true date order): for `companion
films` and the /films page."""

from __future__ import annotations

from typing import Any

from companion.archive.base import Store
from companion.archive.records import PostRecord


def film_catalog(store: Store) -> list[dict[str, Any]]:
    """The public shape: ``[{"film", "year", "reviews": [{"doc_id", "title", "author",
    "date", "url"}]}]``, dates ISO 8601, films by title."""
    by_film: dict[tuple[str, int], list[PostRecord]] = {}
    for doc_id, record in store.posts().items():
        key = (record.film or record.title or doc_id, record.year or 0)
        by_film.setdefault(key, []).append(record)
    return [
        {
            "film": film,
            "year": year or None,
            "reviews": [
                {
                    "doc_id": r.doc_id,
                    "title": r.title,
                    "author": r.author,
                    "date": r.date,
                    "url": r.url,
                }
                for r in sorted(records, key=PostRecord.order)
            ],
        }
        for (film, year), records in sorted(
            by_film.items(), key=lambda kv: (kv[0][0].lower(), kv[0][1])
        )
    ]
