"""One film reviewed in a Blogger export, an RSS feed and a Markdown file, each dating its post
its own way: the archive lists them with ISO dates in true order, and a store written with the
previous record layout is upgraded in place, without embedding anything again."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from companion.archive.records import RECORD_LAYOUT
from companion.archive.store import ChromaStore, open_client
from companion.settings import Settings
from ingest.pipeline import run_ingest
from tests.conftest import run_cli

BLOGGER = """<?xml version='1.0' encoding='utf-8'?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:blogger="http://schemas.google.com/blogger/2018">
  <id>tag:blogger.com,1999:blog-9</id>
  <title>Moon Watch</title>
  <entry>
    <id>tag:blogger.com,1999:blog-9.post-1</id>
    <blogger:type>POST</blogger:type>
    <blogger:status>LIVE</blogger:status>
    <author><name>Mira Okafor</name></author>
    <title>Review: Moon (2009), the second look</title>
    <content type="html">&lt;p&gt;Sam Rockwell carries &lt;em&gt;Moon&lt;/em&gt; alone, and on a second look the
    Sarang base feels even lonelier: the miniatures, the scuffed corridors, GERTY's little face.
    Rating: 4.5/5.&lt;/p&gt;</content>
    <published>2023-09-02T09:00:00.000Z</published>
    <updated>2023-09-02T09:10:00.000Z</updated>
    <category term="review"/>
    <blogger:filename>/2023/09/moon-second-look.html</blogger:filename>
  </entry>
</feed>
"""

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Reel Orbit</title>
  <link>https://reelorbit.example</link>
  <description>Science fiction film reviews</description>
  <item>
    <title>Moon (2009) and the clone's contract</title>
    <link>https://reelorbit.example/2023/09/01/moon/</link>
    <dc:creator><![CDATA[Priya Nair]]></dc:creator>
    <pubDate>Fri, 01 Sep 2023 16:20:05 +0000</pubDate>
    <guid isPermaLink="false">https://reelorbit.example/?p=77</guid>
    <content:encoded><![CDATA[<p>Duncan Jones's <em>Moon</em> is about labour: Lunar Industries
    treats Sam Bell as a renewable resource, and Clint Mansell's piano score mourns him.</p>]]>
    </content:encoded>
  </item>
</channel>
</rss>
"""

MARKDOWN = """---
id: moon-first
title: "Review of 'Moon' (2009): Alone on the Far Side"
date: 2023-07-26
author: Lina Sørensen
url: https://astromech.example/2023/07/moon.html
film: Moon
year: 2009
---

Moon is a small film about a man alone on the far side of the Moon with a helpful robot,
and a contract that is nearly over.

Score: 9/10
"""


@pytest.fixture
def sources(tmp_path: Path) -> list[str]:
    files = {"blog.xml": BLOGGER, "feed.xml": RSS, "moon.md": MARKDOWN}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return [str(tmp_path / name) for name in files]


def cli_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPANION_")}
    env["COMPANION_DATA_DIR"] = str(settings.data_dir)
    env["COMPANION_ENV_FILE"] = str(settings.data_dir / "none.env")
    return env


def films_json(settings: Settings) -> list[dict[str, Any]]:
    result = run_cli("films", "--json", env=cli_env(settings))
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout)["films"])


def test_three_sources_three_formats_one_true_order(
    sources: list[str], settings: Settings, store: ChromaStore
) -> None:
    report = run_ingest(
        sources, settings, store, base_url="https://moonwatch.example", sentences=None
    )
    assert (report.added, report.errors) == (3, [])
    (moon,) = films_json(settings)
    assert (moon["film"], moon["year"]) == ("Moon", 2009)
    assert [r["date"] for r in moon["reviews"]] == [
        "2023-07-26",  # front matter gives a day: kept a day
        "2023-09-01T16:20:05+00:00",  # RSS, RFC 822
        "2023-09-02T09:00:00+00:00",  # Blogger, ISO with milliseconds
    ]
    assert [r["author"] for r in moon["reviews"]] == ["Lina Sørensen", "Priya Nair", "Mira Okafor"]
    scores = {r.doc_id: r.score for r in store.posts().values()}
    assert sorted(s.text for s in scores.values() if s) == ["4.5/5", "9/10"]


def to_layout_1(store: ChromaStore, raw_dates: dict[str, str]) -> None:
    """Rewrite the store as main before this change wrote it: dates as the source gave them,
    no score or version, no layout stamp."""
    collection = store._collection
    got = collection.get(include=["metadatas"])
    metas = []
    for meta in got["metadatas"]:
        m: dict[str, Any] = {**meta, "date": raw_dates[meta["title"]], "updated": ""}
        m.update(score=None, score_fraction=None, version=None)  # None removes a key
        metas.append(m)
    collection.update(ids=got["ids"], metadatas=metas)
    stamp = {k: v for k, v in collection.metadata.items() if k != "record_layout"}
    collection.modify(metadata=stamp)


def test_a_store_in_the_previous_layout_is_upgraded_in_place(
    sources: list[str], settings: Settings, store: ChromaStore, embedder: Any
) -> None:
    run_ingest(sources, settings, store, base_url="https://moonwatch.example")
    to_layout_1(
        store,
        {
            "Review: Moon (2009), the second look": "2023-09-02T09:00:00.000Z",
            "Moon (2009) and the clone's contract": "Fri, 01 Sep 2023 16:20:05 +0000",
            "Review of 'Moon' (2009): Alone on the Far Side": "2023-07-26",
        },
    )
    before = store._collection.get(include=["embeddings", "documents"])
    old = store._collection.get(include=["metadatas"])["metadatas"]
    assert not any("score" in m for m in old) and "record_layout" not in store._collection.metadata

    result = run_cli("films", "--json", env=cli_env(settings))  # the upgrade runs here
    assert result.returncode == 0, result.stderr
    assert "3 chunks of 3 posts rewritten to record layout 2" in result.stderr
    (moon,) = json.loads(result.stdout)["films"]
    assert [r["date"] for r in moon["reviews"]] == [
        "2023-07-26",
        "2023-09-01T16:20:05+00:00",
        "2023-09-02T09:00:00+00:00",
    ]
    reopened = ChromaStore(
        open_client(settings.chroma_dir), settings.collection, embedder, store_dimension(store)
    )
    after = reopened._collection.get(include=["embeddings", "documents"])
    assert after["ids"] == before["ids"] and after["documents"] == before["documents"]
    assert np.array_equal(np.asarray(after["embeddings"]), np.asarray(before["embeddings"]))
    assert reopened._collection.metadata["record_layout"] == RECORD_LAYOUT
    assert sorted(s.text for r in reopened.posts().values() if (s := r.score)) == ["4.5/5", "9/10"]

    again = run_ingest(sources, settings, reopened, base_url="https://moonwatch.example")
    assert (again.added, again.updated, again.skipped, again.deleted) == (0, 0, 3, 0)


def store_dimension(store: ChromaStore) -> int:
    return int(store._collection.metadata["embedding_dimension"])
