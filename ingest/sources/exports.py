"""Blog platform exports: Blogger (the 2018 format and the classic one) and WordPress WXR.

Only live, published posts are ingested: never comments, pages, settings, templates, drafts
or trashed posts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from companion.types import Post
from ingest.html import fragment_to_text
from ingest.metadata import make_post
from ingest.sources.base import LoadError, SourceOptions
from ingest.sources.xml import parse_xml, text_of

ATOM = "http://www.w3.org/2005/Atom"
NS = {
    "a": ATOM,
    "b": "http://schemas.google.com/blogger/2018",
    "app": "http://purl.org/atom/app#",
    "app07": "http://www.w3.org/2007/app",
    "wp": "http://wordpress.org/export/1.2/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
}
KIND = "http://schemas.google.com/g/2005#kind"


def _atom_post(
    entry: Any, name: str, url: str, labels: list[str], updated_tag: str = "a:updated"
) -> Post:
    author = text_of(entry, "a:author/a:name", NS)
    return make_post(
        doc_id=text_of(entry, "a:id", NS) or url,
        text=fragment_to_text(text_of(entry, "a:content", NS)),
        source=name,
        title=text_of(entry, "a:title", NS),
        url=url,
        date=text_of(entry, "a:published", NS),
        updated=text_of(entry, updated_tag, NS),
        author="" if author.lower() == "unknown" else author,
        labels=labels,
    )


def blogger_posts(
    raw: bytes, name: str, options: SourceOptions, warnings: list[str]
) -> Iterator[Post | LoadError]:
    root = parse_xml(raw, name)
    base = options.base_url.rstrip("/")
    no_url = 0
    for entry in root.iterfind("a:entry", NS):
        if text_of(entry, "b:type", NS).upper() != "POST":
            continue
        if text_of(entry, "b:status", NS).upper() != "LIVE" or text_of(entry, "b:trashed", NS):
            continue
        path = text_of(entry, "b:filename", NS)
        alternate = entry.find("a:link[@rel='alternate']", NS)
        if alternate is not None and alternate.get("href"):
            url = alternate.get("href", "")
        elif path and base:
            url = base + "/" + path.lstrip("/")
        else:
            url = ""
            no_url += 1
        labels = [
            c.get("term", "") for c in entry.iterfind("a:category", NS) if not c.get("scheme")
        ]
        try:
            yield _atom_post(entry, name, url, labels)
        except ValueError as exc:
            yield LoadError(f"{name}: {text_of(entry, 'a:title', NS) or path}", str(exc))
    if no_url:
        warnings.append(
            f"{name}: {no_url} post(s) have no public URL (the export carries only their "
            "paths): pass --base-url https://your.blog to make citations link to them"
        )


def blogger_classic_posts(raw: bytes, name: str, warnings: list[str]) -> Iterator[Post | LoadError]:
    """The classic export (and Blogger's own feeds): kinds are ``category`` terms."""
    root = parse_xml(raw, name)
    no_url = 0
    for entry in root.iterfind("a:entry", NS):
        kinds = [c.get("term", "") for c in entry.iterfind(f"a:category[@scheme='{KIND}']", NS)]
        if not any(k.endswith("kind#post") for k in kinds):
            continue
        draft = text_of(entry, "app:control/app:draft", NS) or text_of(
            entry, "app07:control/app07:draft", NS
        )
        if draft.lower() == "yes":
            continue
        alternate = entry.find("a:link[@rel='alternate']", NS)
        url = alternate.get("href", "") if alternate is not None else ""
        no_url += not url
        labels = [
            c.get("term", "") for c in entry.iterfind("a:category", NS) if c.get("scheme") != KIND
        ]
        try:
            yield _atom_post(entry, name, url, labels)
        except ValueError as exc:
            yield LoadError(f"{name}: {text_of(entry, 'a:title', NS) or url}", str(exc))
    if no_url:
        warnings.append(f"{name}: {no_url} post(s) have no public URL")


def wordpress_posts(raw: bytes, name: str) -> Iterator[Post | LoadError]:
    root = parse_xml(raw, name)
    channel = root.find("channel")
    if channel is None:
        raise ValueError("not a WordPress export: no <channel>")
    for item in channel.iterfind("item"):
        if (
            text_of(item, "wp:post_type", NS) != "post"
            or text_of(item, "wp:status", NS) != "publish"
        ):
            continue
        link = text_of(item, "link", NS)
        guid = text_of(item, "guid", NS)
        labels = [
            (c.text or "").strip()
            for c in item.iterfind("category")
            if c.get("domain") in ("category", "post_tag")
        ]
        try:
            yield make_post(
                doc_id=guid or link or f"{name}#post-{text_of(item, 'wp:post_id', NS)}",
                text=fragment_to_text(text_of(item, "content:encoded", NS)),
                source=name,
                title=text_of(item, "title", NS),
                url=link,
                date=text_of(item, "wp:post_date_gmt", NS) or text_of(item, "wp:post_date", NS),
                updated=text_of(item, "wp:post_modified_gmt", NS),
                author=text_of(item, "dc:creator", NS),
                labels=labels,
            )
        except ValueError as exc:
            yield LoadError(f"{name}: {text_of(item, 'title', NS) or link}", str(exc))
