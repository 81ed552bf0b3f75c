"""The widget as a fan meets it on a phone (390x844) and a desktop (1280x800), in Debian's
Chromium: the panel fits the screen, its header holds close, the spoiler switch and "new
conversation", focus goes in and comes back, Escape closes it from the page and from inside
the chat, the blog's own words replace the English ones, and neither a data- attribute nor a
message from another origin can do anything it should not."""

from __future__ import annotations

import itertools
import os
import shutil
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.web.test_widget_browser import ARTIFACTS, BLOG_PAGE

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SIZES = [pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")]
# Every chat page load counts against the client's rate limit; each test page is its own fan
# (the test server trusts X-Forwarded-For from 127.0.0.1), so these tests never starve others.
FANS = (f"10.24.7.{n}" for n in itertools.count(1))

# The deepest focused element of the blog page, through the widget's shadow root.
DEEP_FOCUS = """() => {
  let a = document.activeElement;
  while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
  return a ? (a.id || a.tagName) : null;
}"""

FRENCH = """<!doctype html><html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Critique</title></head>
<body><h1>Critique d'Arrival</h1>
<script src="{server}/widget.js" data-title="Demandez à l'Astromech" data-button="Une question ?"
 data-greeting="Bonjour ! Posez-moi une question sur un film." data-placeholder="Votre question…"
 data-close="Fermer" data-new="Nouvelle conversation" data-spoilers="Montrer les spoilers"
 data-accent="#0b7285" async></script></body></html>
"""

HOSTILE = '<img src=x onerror="window.__pwned=1">"><script>window.__pwned=2</script>'
HOSTILE_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>t</title></head><body>
<script src="{server}/widget.js" data-title='{h}' data-button='{h}' data-greeting='{h}'
 data-placeholder='{h}' data-close='{h}' data-new='{h}' data-spoilers='{h}'
 data-accent='red;background:url(javascript:window.__pwned=3)' data-position='{h}' async></script>
</body></html>
"""


def blog_page(browser: Any, blog: Any, server: str, name: str, html: str, size: dict[str, int]):
    (blog.root / name).write_text(html)
    page = fan_page(browser, size)
    page.goto(f"{blog.url}/{name}")
    page.locator("#companion-launcher").wait_for(timeout=15_000)
    return page


def fan_page(browser: Any, size: dict[str, int]) -> Any:
    return browser.new_page(viewport=size, extra_http_headers={"X-Forwarded-For": next(FANS)})


def embed_frame(page: Any) -> Any:
    for _ in range(100):
        frames = [f for f in page.frames if "/embed/" in f.url]
        if frames:
            return frames[-1]
        page.wait_for_timeout(100)
    raise AssertionError("the widget's iframe never loaded")


def open_panel(page: Any) -> Any:
    page.locator("#companion-launcher").click()
    frame = page.frame_locator("#companion-panel iframe")
    frame.locator("#companion-question textarea").wait_for(timeout=60_000)
    return frame


def assert_inside(page: Any, box: dict[str, float] | None, what: str) -> None:
    size = page.viewport_size
    assert box is not None, f"{what} is not shown"
    assert box["width"] > 0 and box["height"] > 0, what
    assert box["x"] >= -0.5 and box["y"] >= -0.5, f"{what} starts off screen: {box}"
    assert box["x"] + box["width"] <= size["width"] + 0.5, f"{what} is cut off right: {box}"
    assert box["y"] + box["height"] <= size["height"] + 0.5, f"{what} is cut off below: {box}"


def assert_focus(page: Any, element_id: str) -> None:
    for _ in range(50):
        if page.evaluate(DEEP_FOCUS) == element_id:
            return
        page.wait_for_timeout(100)
    assert page.evaluate(DEEP_FOCUS) == element_id


def assert_closed(page: Any) -> None:
    page.locator("#companion-panel").wait_for(state="hidden", timeout=5_000)
    assert page.locator("#companion-launcher").get_attribute("aria-expanded") == "false"
    assert_focus(page, "companion-launcher")


@pytest.mark.parametrize("size", SIZES)
def test_the_panel_fits_the_screen_and_closes_every_way(
    browser, server: str, blog, size: dict[str, int]
) -> None:
    page = blog_page(
        browser, blog, server, f"fit-{size['width']}.html", BLOG_PAGE.format(server=server), size
    )
    assert_inside(page, page.locator("#companion-launcher").bounding_box(), "launcher")
    frame = open_panel(page)
    inner = embed_frame(page)
    panel = page.locator("#companion-panel").bounding_box()
    assert panel is not None
    if size is PHONE:  # the whole screen, not a floating box
        assert (panel["x"], panel["y"], panel["width"], panel["height"]) == (0, 0, 390, 844)
        assert page.locator("#companion-launcher").is_hidden()
        assert_focus(page, "companion-title")  # no keyboard popping up over the chat
        assert page.evaluate("document.documentElement.style.overflow") == "hidden"
        # Modal on a phone: Shift+Tab from the header's first control wraps round into the
        # chat instead of leaving for the page hidden behind.
        page.locator("#companion-close").focus()
        page.keyboard.press("Shift+Tab")
        assert_focus(page, "IFRAME")
    else:
        assert panel["width"] <= 420 and panel["height"] <= 660
        assert_focus(page, "IFRAME")  # the question box, ready to type in
        inner.wait_for_function("document.activeElement.tagName === 'TEXTAREA'", timeout=10_000)

    # Every control, the header's and the chat's, lies inside the screen; nothing is cut off.
    for sel in ("#companion-close", "#companion-spoilers-switch", "#companion-new"):
        assert_inside(page, page.locator(sel).bounding_box(), sel)
    assert_inside(page, page.locator("#companion-panel iframe").bounding_box(), "chat frame")
    controls = frame.locator("button:visible, textarea:visible, input:visible")
    assert controls.count() >= 3  # at least the question box, send, the greeting's buttons
    for i in range(controls.count()):
        c = controls.nth(i)
        assert_inside(page, c.bounding_box(), f"chat control {c.get_attribute('aria-label')}")
    assert inner.evaluate("document.documentElement.scrollHeight <= window.innerHeight + 1")
    # The header holds the spoiler switch: the chat's own checkbox is hidden, not cut off.
    assert frame.locator("#companion-spoilers").is_hidden()

    # Close by the header's button.
    page.locator("#companion-close").click()
    assert_closed(page)

    # Escape on the page (focus in the panel's header, outside the chat).
    open_panel(page)
    page.locator("#companion-title").focus()
    page.keyboard.press("Escape")
    assert_closed(page)

    # Escape inside the chat, with the cursor in its question box: the chat tells the widget.
    open_panel(page)
    frame.locator("#companion-question textarea").focus()
    page.keyboard.press("Escape")
    assert_closed(page)

    # The page scrolls again (it was held still behind the phone's full-screen panel).
    assert page.evaluate("document.documentElement.style.overflow") == ""
    # The launcher opens it again with the keyboard too.
    page.keyboard.press("Enter")
    page.locator("#companion-panel").wait_for(state="visible", timeout=5_000)
    page.close()


def test_the_blogs_own_words_replace_the_english_ones(browser, server: str, blog) -> None:
    page = blog_page(browser, blog, server, "fr.html", FRENCH.format(server=server), PHONE)
    launcher = page.locator("#companion-launcher")
    assert launcher.inner_text() == "Une question ?"
    frame = open_panel(page)
    assert page.locator("#companion-title").inner_text() == "Demandez à l'Astromech"
    assert page.locator("#companion-close").get_attribute("aria-label") == "Fermer"
    assert page.locator("#companion-new").inner_text() == "Nouvelle conversation"
    assert page.locator("#companion-spoilers-switch").inner_text() == "Montrer les spoilers"
    assert page.locator("#companion-panel iframe").get_attribute("title") == (
        "Demandez à l'Astromech"
    )
    frame.get_by_text("Bonjour ! Posez-moi une question sur un film.").wait_for(timeout=30_000)
    box = frame.locator("#companion-question textarea")
    for _ in range(50):
        if box.get_attribute("placeholder") == "Votre question…":
            break
        page.wait_for_timeout(100)
    assert box.get_attribute("placeholder") == "Votre question…"
    for sel in ("#companion-close", "#companion-spoilers-switch", "#companion-new"):
        assert_inside(page, page.locator(sel).bounding_box(), sel)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-french-phone.png"))
    page.close()


def test_spoiler_switch_and_new_conversation(browser, server: str, blog) -> None:
    page = blog_page(browser, blog, server, "fresh.html", BLOG_PAGE.format(server=server), DESKTOP)
    frame = open_panel(page)
    switch = page.locator("#companion-spoilers-switch")
    switch.click()
    assert switch.get_attribute("aria-checked") == "true"
    checkbox = frame.locator("#companion-spoilers input[type=checkbox]")
    for _ in range(50):  # the header tells the chat by postMessage
        if checkbox.is_checked():
            break
        page.wait_for_timeout(100)
    assert checkbox.is_checked()

    box = frame.locator("#companion-question textarea")
    box.fill("Who voices Samantha in Her?")
    box.press("Enter")
    frame.get_by_text("Scarlett Johansson").first.wait_for(timeout=120_000)

    page.locator("#companion-new").click()
    frame = page.frame_locator("#companion-panel iframe")
    frame.get_by_text("Ask me about any film we've reviewed").wait_for(timeout=60_000)
    chat = frame.locator("#companion-chat").inner_text()
    assert "Samantha" not in chat and "Scarlett" not in chat, chat
    assert page.locator("#companion-panel iframe").count() == 1
    # The fan's spoiler choice carries over into the new conversation.
    checkbox = frame.locator("#companion-spoilers input[type=checkbox]")
    for _ in range(50):
        if checkbox.is_checked():
            break
        page.wait_for_timeout(100)
    assert checkbox.is_checked()
    embed_frame(page).wait_for_function(
        "document.activeElement.tagName === 'TEXTAREA'", timeout=10_000
    )
    page.close()


def test_messages_from_other_origins_are_ignored(browser, server: str, blog) -> None:
    page = blog_page(
        browser, blog, server, "origins.html", BLOG_PAGE.format(server=server), DESKTOP
    )
    frame = open_panel(page)
    inner = embed_frame(page)
    checkbox = frame.locator("#companion-spoilers input[type=checkbox]")
    forged = """([origin, fromParent]) => window.dispatchEvent(new MessageEvent("message", {
        data: {companion: "spoilers", value: true}, origin,
        source: fromParent ? window.parent : window}))"""
    inner.evaluate(forged, ["http://evil.example", True])  # wrong origin
    inner.evaluate(forged, [blog.url, False])  # right origin, not the parent window
    page.wait_for_timeout(500)
    assert not checkbox.is_checked()
    inner.evaluate(forged, [blog.url, True])  # the widget itself: accepted
    for _ in range(50):
        if checkbox.is_checked():
            break
        page.wait_for_timeout(100)
    assert checkbox.is_checked(), "the check must not refuse the real parent"

    # The widget closes only for its own chat's Escape.
    escape = """([origin, fromChat]) => {
      const frame = document.querySelector("#companion-widget").shadowRoot.querySelector("iframe");
      window.dispatchEvent(new MessageEvent("message", {data: {companion: "escape"}, origin,
        source: fromChat ? frame.contentWindow : window}));
    }"""
    page.evaluate(escape, [blog.url, True])  # the blog's origin, not the chat host's
    page.evaluate(escape, [server, False])  # the chat host's origin, not its frame
    page.wait_for_timeout(300)
    assert page.locator("#companion-panel").is_visible()
    page.evaluate(escape, [server, True])
    assert_closed(page)

    # A chat told a parent origin that is not its real parent does not link up at all.
    page.evaluate(
        """(src) => { const f = document.createElement("iframe"); f.id = "liar";
        f.src = src; document.body.appendChild(f); }""",
        f"{server}/embed/?parent_origin=http%3A%2F%2Fevil.example",
    )
    liar = page.frame_locator("#liar")
    liar.locator("#companion-question textarea").wait_for(timeout=60_000)
    assert liar.locator("#companion-spoilers").is_visible(), "its own spoiler box stays"
    assert "companion-in-widget" not in (liar.locator("html").get_attribute("class") or "")
    page.close()


def test_hostile_data_attributes_stay_text(browser, server: str, blog) -> None:
    page = fan_page(browser, PHONE)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    (blog.root / "hostile-attrs.html").write_text(HOSTILE_PAGE.format(server=server, h=HOSTILE))
    page.goto(f"{blog.url}/hostile-attrs.html")
    launcher = page.locator("#companion-launcher")
    launcher.wait_for(timeout=15_000)
    assert launcher.inner_text() == HOSTILE[:60]  # shown as text, capped
    frame = open_panel(page)
    box = frame.locator("#companion-question textarea")
    for _ in range(50):
        if box.get_attribute("placeholder"):
            break
        page.wait_for_timeout(100)
    assert box.get_attribute("placeholder") == HOSTILE[:120]
    chat = frame.locator("#companion-chat")
    for _ in range(100):
        if "onerror" in chat.inner_text():
            break
        page.wait_for_timeout(100)
    assert "onerror" in chat.inner_text(), "the greeting shows as text"
    assert frame.locator("#companion-chat img").count() == 0
    assert page.locator("#companion-panel img, #companion-panel script").count() == 0
    page.wait_for_timeout(1000)
    for f in page.frames:
        assert f.evaluate("window.__pwned === undefined"), f.url
    assert not dialogs
    # A bad accent falls back to the default colour; a bad position to the right.
    style = page.locator("#companion-launcher").evaluate(
        "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).right]"
    )
    assert style == ["rgb(59, 91, 219)", "20px"]
    page.close()


def test_phone_screenshot_for_the_docs(browser, server: str, blog) -> None:
    page = blog_page(
        browser, blog, server, "phone-shot.html", BLOG_PAGE.format(server=server), PHONE
    )
    frame = open_panel(page)
    box = frame.locator("#companion-question textarea")
    box.fill("Who plays the linguist in this film?")
    box.press("Enter")
    frame.get_by_text("Amy Adams").first.wait_for(timeout=120_000)
    page.wait_for_timeout(500)
    for sel in ("#companion-close", "#companion-spoilers-switch", "#companion-new"):
        assert_inside(page, page.locator(sel).bounding_box(), sel)
    assert_inside(page, box.bounding_box(), "question box")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "widget-phone.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("UPDATE_DOCS_SCREENSHOT"):  # refresh the README's picture on purpose
        shutil.copy(shot, ROOT / "docs" / "widget-phone.png")
    page.close()


def test_left_side_and_open_on_load(browser, server: str, blog) -> None:
    html = BLOG_PAGE.format(server=server).replace(
        'data-accent="#c2410c"', 'data-accent="#c2410c" data-position="left" data-open="true"'
    )
    page = blog_page(browser, blog, server, "left-open.html", html, DESKTOP)
    page.locator("#companion-panel").wait_for(state="visible", timeout=5_000)
    page.frame_locator("#companion-panel iframe").locator("#companion-question textarea").wait_for(
        timeout=60_000
    )
    panel = page.locator("#companion-panel").bounding_box()
    launcher = page.locator("#companion-launcher").bounding_box()
    assert panel is not None and launcher is not None
    assert panel["x"] == 20 and launcher["x"] == 20, (panel, launcher)
    assert page.evaluate(DEEP_FOCUS) == "BODY", "opening on load leaves the page's focus alone"
    page.locator("#companion-launcher").click()
    assert_closed(page)
    page.close()
