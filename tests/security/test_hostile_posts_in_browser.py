"""A post carrying <script>, onerror= and javascript: links, shown in the real widget: nothing
executes, and no link the post supplied is clickable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SAMPLE, run_cli
from tests.web_fixtures import Site, start_server, stop

HOSTILE = """---
id: hostile
title: "Review of 'Hostile Film' (2021) <img src=x onerror=window.__pwned=1>"
film: Hostile Film
year: 2021
url: "javascript:window.__pwned=2"
---

## Who made it

Hostile Film was directed by Max Evil, who films <script>window.__pwned=3</script> every scene
in one take <img src=x onerror="window.__pwned=4">. See [the trailer](javascript:window.__pwned=5)
or <a href="javascript:window.__pwned=6">this link</a> and ![poster](https://evil.example/p.png).

## Verdict

Hostile Film is loud, brave and very strange. Score: 6/10
"""


@pytest.fixture(scope="module")
def hostile_server(
    tmp_path_factory: pytest.TempPathFactory, cli_env: dict[str, str], blog: Site
) -> Iterator[str]:
    posts = tmp_path_factory.mktemp("hostile-posts")
    (posts / "hostile.md").write_text(HOSTILE)
    env = {
        **cli_env,
        "COMPANION_DATA_DIR": str(tmp_path_factory.mktemp("hostile-store")),
        "COMPANION_ALLOWED_ORIGINS": blog.url,
    }
    for source in (SAMPLE, posts):
        out = run_cli("ingest", str(source), "--json", env=env)
        assert out.returncode == 0, out.stderr
    proc, url = start_server(env)
    yield url
    stop(proc)


def test_nothing_from_a_hostile_post_runs_in_the_widget(
    browser, hostile_server: str, blog: Site
) -> None:
    page_path = Path(blog.root) / "hostile.html"
    page_path.write_text(
        f'<!doctype html><html><head><meta charset="utf-8"><title>Blog</title></head><body>'
        f'<h1>A post</h1><script src="{hostile_server}/widget.js" async></script></body></html>'
    )
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{blog.url}/hostile.html")
    page.locator("#companion-launcher").click()
    frame_el = page.locator("#companion-panel iframe")
    frame_el.wait_for()
    frame = page.frame_locator("#companion-panel iframe")
    box = frame.locator("#companion-question textarea")
    box.wait_for(timeout=60_000)
    box.fill("Who directed Hostile Film?")
    box.press("Enter")
    chat = frame.locator("#companion-chat")
    frame.get_by_text("Max Evil").first.wait_for(timeout=60_000)
    frame.get_by_text("Show passage").last.click()
    page.wait_for_timeout(1500)

    inner = page.frames[-1]
    assert inner.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert dialogs == []
    assert chat.locator("[onerror], script, img[src='x']").count() == 0
    hrefs = chat.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href') || '')")
    assert not any(h.strip().lower().startswith("javascript:") for h in hrefs), hrefs
    assert not any("evil.example" in h for h in hrefs), hrefs
    assert not any("evil.example" in r for r in requests), "no image or link fetched from a post"
    assert "Hostile Film" in chat.inner_text()
    page.close()


def test_films_page_escapes_post_metadata(hostile_server: str) -> None:
    import httpx

    page = httpx.get(f"{hostile_server}/films", timeout=30)
    assert page.status_code == 200
    assert "Hostile Film" in page.text and "Arrival" in page.text
    assert "<img src=x" not in page.text and "&lt;img src=x" in page.text
    assert 'href="javascript:' not in page.text
