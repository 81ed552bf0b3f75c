"""Fetch a URL for ingestion: http(s) only, a timeout, a size cap, and one clear error.

With an ``HttpCache`` the request is conditional (ETag / Last-Modified remembered per URL),
so re-reading an unchanged feed page or sitemap costs a 304 and no download.
"""

from __future__ import annotations

import sqlite3
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

USER_AGENT = "companion-ingest/0.1 (+film blog chat companion)"


class FetchError(OSError):
    """The URL could not be fetched; the message names it and says why."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Fetched:
    url: str
    content: bytes
    content_type: str
    not_modified: bool = False  # the server answered 304: content is the stored copy


class HttpCache:
    """Validators and body of each URL last fetched, in one SQLite file in the data folder.

    Read-only for ``--dry-run``, which must change nothing on disk.
    """

    def __init__(self, db: Path, *, read_only: bool = False) -> None:
        self.read_only = read_only
        self._conn: sqlite3.Connection | None = None
        if db.exists() or not read_only:
            db.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(db, timeout=30, check_same_thread=False)
            with self._conn:
                self._conn.execute(
                    "CREATE TABLE IF NOT EXISTS pages (url TEXT PRIMARY KEY, final_url TEXT,"
                    " etag TEXT, last_modified TEXT, content_type TEXT, body BLOB, seen REAL)"
                )

    def validators(self, url: str) -> dict[str, str]:
        row = self._row(url, "etag, last_modified")
        if row is None:
            return {}
        headers = {}
        if row[0]:
            headers["If-None-Match"] = row[0]
        if row[1]:
            headers["If-Modified-Since"] = row[1]
        return headers

    def stored(self, url: str) -> Fetched | None:
        row = self._row(url, "final_url, content_type, body")
        if row is None:
            return None
        return Fetched(row[0], zlib.decompress(row[2]), row[1], not_modified=True)

    def put(self, url: str, got: Fetched, etag: str, last_modified: str) -> None:
        if self._conn is None or self.read_only:
            return
        with self._conn:
            if not (etag or last_modified):
                self._conn.execute("DELETE FROM pages WHERE url = ?", (url,))
                return
            self._conn.execute(
                "INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    url,
                    got.url,
                    etag,
                    last_modified,
                    got.content_type,
                    zlib.compress(got.content),
                    time.time(),
                ),
            )

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _row(self, url: str, columns: str) -> tuple[Any, ...] | None:
        if self._conn is None:
            return None
        row: tuple[Any, ...] | None = self._conn.execute(
            f"SELECT {columns} FROM pages WHERE url = ?", (url,)
        ).fetchone()
        return row


def is_url(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def fetch(url: str, *, timeout: float, max_bytes: int, cache: HttpCache | None = None) -> Fetched:
    import httpx

    if not is_url(url):
        raise FetchError(f"{url}: only http and https URLs can be fetched")
    headers = {"User-Agent": USER_AGENT}
    if cache is not None:
        headers.update(cache.validators(url))
    try:
        with (
            httpx.Client(
                timeout=timeout, follow_redirects=True, max_redirects=5, headers=headers
            ) as client,
            client.stream("GET", url) as resp,
        ):
            if resp.status_code == 304 and cache is not None:
                stored = cache.stored(url)
                if stored is not None:
                    return stored
            if resp.status_code >= 400:
                raise FetchError(f"{url}: HTTP {resp.status_code}", resp.status_code)
            declared = resp.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"{url}: {declared} bytes is over the {max_bytes}-byte limit")
            body = bytearray()
            for chunk in resp.iter_bytes():
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise FetchError(f"{url}: more than the {max_bytes}-byte limit")
            got = Fetched(str(resp.url), bytes(body), resp.headers.get("content-type", ""))
            if cache is not None:
                etag = resp.headers.get("etag", "")
                cache.put(url, got, etag, resp.headers.get("last-modified", ""))
            return got
    except httpx.TimeoutException as exc:
        raise FetchError(f"{url}: timed out after {timeout:g} s") from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"{url}: {type(exc).__name__}: {exc}") from exc
