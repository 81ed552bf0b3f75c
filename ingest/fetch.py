"""Fetch a URL for ingestion: http(s) only, a timeout, a size cap, and one clear error."""

from __future__ import annotations

from dataclasses import dataclass

USER_AGENT = "companion-ingest/0.1 (+film blog chat companion)"


class FetchError(OSError):
    """The URL could not be fetched; the message names it and says why."""


@dataclass(frozen=True)
class Fetched:
    url: str
    content: bytes
    content_type: str


def is_url(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def fetch(url: str, *, timeout: float, max_bytes: int) -> Fetched:
    import httpx

    if not is_url(url):
        raise FetchError(f"{url}: only http and https URLs can be fetched")
    try:
        with (
            httpx.Client(
                timeout=timeout,
                follow_redirects=True,
                max_redirects=5,
                headers={"User-Agent": USER_AGENT},
            ) as client,
            client.stream("GET", url) as resp,
        ):
            if resp.status_code >= 400:
                raise FetchError(f"{url}: HTTP {resp.status_code}")
            declared = resp.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"{url}: {declared} bytes is over the {max_bytes}-byte limit")
            body = bytearray()
            for chunk in resp.iter_bytes():
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise FetchError(f"{url}: more than the {max_bytes}-byte limit")
            return Fetched(str(resp.url), bytes(body), resp.headers.get("content-type", ""))
    except httpx.TimeoutException as exc:
        raise FetchError(f"{url}: timed out after {timeout:g} s") from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"{url}: {type(exc).__name__}: {exc}") from exc
