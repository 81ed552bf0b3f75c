"""The widget in a real browser: Debian's Chromium driven by Playwright (never downloaded)."""

from __future__ import annotations

import os
import shutil

import httpx

from tests.conftest import ROOT
from tests.web_fixtures import EDITOR_PASSWORD

ARTIFACTS = ROOT / "test-artifacts"
HER_URL = "https://astromech-sample.blogspot.com/2023/07/review-of-her-2013.html"
ARRIVAL_URL = "https://astromech-sample.blogspot.com/2022/11/review-of-arrival-2016.html"

BLOG_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Review of 'Arrival' (2016) - The Astromech</title>
<link rel="canonical" href="https://astromech-sample.blogspot.com/2022/11/review-of-arrival-2016.html">
<style>
 body {{ font-family: Georgia, serif; margin: 0; background: #f4f1ea; color: #222; }}
 header {{ background: #1d2b3a; color: #fff; padding: 18px 32px; font: 700 26px system-ui, sans-serif; }}
 main {{ max-width: 720px; margin: 32px auto; background: #fff; padding: 32px 40px; line-height: 1.6; }}
 h1 {{ font-size: 30px; margin-top: 0; }} .date {{ color: #777; font-style: italic; }}
 footer {{ text-align: center; color: #888; padding: 24px; font-size: 13px; }}
</style></head>
<body><header>The Astromech</header>
<main><h1>Review of 'Arrival' (2016): A Grammar for Grief</h1><p class="date">11 November 2022</p>
<p>Denis Villeneuve's Arrival is a first-contact film without a single battle. Amy Adams plays
Louise Banks, a linguist asked to talk to the visitors.</p>
<p>What follows is less a story about aliens than a story about language, memory and loss.</p>
</main><footer>Powered by Blogger</footer>
<script src="{server}/widget.js" data-title="Ask the Astromech" data-accent="#c2410c"
 data-greeting="Hi! Ask me about any film we've reviewed." async></script>
</body></html>
"""

STRANGER_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Not the blog</title></head>
<body><iframe id="stolen" src="{server}/embed/" width="400" height="400"></iframe>
<script>
window.apiResult = "pending";
fetch("{server}/api/ask", {{method: "POST", headers: {{"Content-Type": "application/json"}},
  body: JSON.stringify({{question: "Who voices Samantha in Her?"}})}})
  .then(r => r.text().then(t => window.apiResult = "read:" + r.status + ":" + t))
  .catch(e => window.apiResult = "blocked:" + e);
</script></body></html>
"""


def test_widget_answers_with_a_citation_link_on_a_blog_page(browser, server: str, blog) -> None:
    (blog.root / "arrival.html").write_text(BLOG_PAGE.format(server=server))
    page = browser.new_page(viewport={"width": 1200, "height": 820})
    page.goto(f"{blog.url}/arrival.html")
    launcher = page.locator("#companion-launcher")
    launcher.wait_for(timeout=15_000)
    assert "Ask the Astromech" in launcher.inner_text()
    launcher.click()
    frame = page.frame_locator("#companion-panel iframe")
    frame.get_by_text("Ask me about any film we've reviewed").wait_for(timeout=60_000)
    box = frame.locator("#companion-question textarea")
    box.fill("Who voices Samantha in Her?")
    box.press("Enter")
    link = frame.locator(f'#companion-chat a[href="{HER_URL}"]')
    link.wait_for(timeout=60_000)
    assert link.get_attribute("target") == "_top", "citations open the post in the blog's window"
    assert "Scarlett Johansson" in frame.locator("#companion-chat").inner_text()

    # The widget passes the post the fan is reading: "this film" is Arrival.
    box.fill("Who plays the linguist in this film?")
    box.press("Enter")
    frame.locator(f'#companion-chat a[href="{ARRIVAL_URL}"]').wait_for(timeout=60_000)
    assert "Amy Adams" in frame.locator("#companion-chat").inner_text()

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "widget-on-blog-page.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    docs_shot = ROOT / "docs" / "widget.png"
    if os.environ.get("UPDATE_DOCS_SCREENSHOT"):  # refresh the README's picture on purpose
        shutil.copy(shot, docs_shot)
    page.close()


def test_a_site_not_on_the_allowlist_can_neither_call_nor_frame(
    browser, server: str, stranger
) -> None:
    (stranger.root / "steal.html").write_text(STRANGER_PAGE.format(server=server))
    page = browser.new_page()
    page.goto(f"{stranger.url}/steal.html")
    page.wait_for_function("window.apiResult !== 'pending'", timeout=30_000)
    result = page.evaluate("window.apiResult")
    assert result.startswith("blocked:"), result
    page.wait_for_timeout(2000)
    framed = page.frame_locator("#stolen").locator("#companion-chat")
    assert framed.count() == 0, "frame-ancestors must stop the chat from loading in the frame"
    page.close()


def test_spoiler_toggle_and_thumbs_down_in_the_widget(browser, server: str, blog) -> None:
    (blog.root / "arrival2.html").write_text(BLOG_PAGE.format(server=server))
    page = browser.new_page(viewport={"width": 1200, "height": 820})
    page.goto(f"{blog.url}/arrival2.html")
    page.locator("#companion-launcher").click()
    frame = page.frame_locator("#companion-panel iframe")
    box = frame.locator("#companion-question textarea")
    box.wait_for(timeout=60_000)
    chat = frame.locator("#companion-chat")

    box.fill("How does Her end?")
    box.press("Enter")
    frame.get_by_text("turn on spoilers to see them").wait_for(timeout=60_000)

    page.locator("#companion-spoilers-switch").click()  # the panel's header holds the switch
    box.fill("How does Her end, then?")
    box.press("Enter")
    for _ in range(300):  # visible text only: the passage under "Show passage" is hidden
        if "the ending is quietly devastating" in chat.inner_text():
            break
        page.wait_for_timeout(200)
    assert "the ending is quietly devastating" in chat.inner_text()
    assert chat.inner_text().count("turn on spoilers to see them") == 1

    # A verdict card per review; every source title reads as written (no Markdown escapes
    # showing through after the first source's "Show passage" block).
    box.fill("What did the blog think of Blade Runner?")
    box.press("Enter")
    frame.get_by_text("Rewatch: 'Blade Runner' (1982) in the Final Cut").wait_for(timeout=60_000)
    text = chat.inner_text()
    assert "\\(" not in text and "Lina Sørensen · 2024-10-03 · 10/10" in text

    dislikes = frame.locator('#companion-chat button[aria-label="Dislike"]')
    dislikes.nth(dislikes.count() - 2).click()  # on "How does Her end, then?"
    report: dict = {}
    for _ in range(50):  # the like event reaches the server a moment later
        report = httpx.get(
            f"{server}/editor/report.json", auth=("editor", EDITOR_PASSWORD), timeout=30
        ).json()
        if any(r["question"] == "How does Her end, then?" for r in report["thumbs_down_answers"]):
            break
        page.wait_for_timeout(200)
    assert any(r["question"] == "How does Her end, then?" for r in report["thumbs_down_answers"])
    assert not any(r["question"] == "How does Her end?" for r in report["thumbs_down_answers"])
    page.close()
