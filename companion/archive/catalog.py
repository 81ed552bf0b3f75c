"""The films the archive reviews, each with its reviews (date order): for `companion films`
and the /films page."""

from __future__ import annotations

from typing import Any

from companion.archive.base import Store


def film_catalog(store: Store) -> list[dict[str, Any]]:
    by_film: dict[tuple[str, int], list[dict[str, str]]] = {}
    for doc_id, meta in store.posts().items():
        film = str(meta.get("film") or meta.get("title") or doc_id)
        year = int(meta.get("year") or 0)
        by_film.setdefault((film, year), []).append(
            {
                "doc_id": doc_id,
                "title": str(meta.get("title", "")),
                "author": str(meta.get("author", "")),
                "date": str(meta.get("date", "")),
                "url": str(meta.get("url", "")),
            }
        )
    return [
        {"film": film, "year": year or None, "reviews": sorted(reviews, key=lambda r: r["date"])}
        for (film, year), reviews in sorted(
            by_film.items(), key=lambda kv: (kv[0][0].lower(), kv[0][1])
        )
    ]
