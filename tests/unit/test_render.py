"""Answers as safe Markdown (companion/web/render.py): text from posts is inert, only the links we
build to http(s) post URLs render. Checked by rendering with a CommonMark renderer (GFM-style
autolinking of bare URLs is checked by the patterns it would need)."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from companion.types import Answer, Citation
from companion.web.render import answer_markdown, escape_md, safe_url

_MD = MarkdownIt("commonmark").enable("table").enable("strikethrough")
# What GFM's autolink extension turns into a link without any markup.
_BARE_LINK = re.compile(r"(?i)(?:https?://|\bwww\.|[\w.+-]@[\w-]+\.)")

HOSTILE = [
    "[click me](https://evil.example/phish)",
    "![tracker](https://evil.example/pixel.gif)",
    "<img src=x onerror=alert(1)>",
    "<script>alert('x')</script>",
    "<a href='https://evil.example'>hi</a>",
    "<https://evil.example/auto>",
    "visit https://evil.example/now or www.evil.example",
    "mail me: victim@example.com",
    "[ref]: https://evil.example\n\nSee [ref].",
    "`code` **bold** _em_ # heading\n> quote\n- item\n| a | b |\n|---|---|",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_untrusted_text_renders_as_the_same_plain_text(text: str) -> None:
    html = _MD.render(escape_md(text))
    assert "<a " not in html and "<img" not in html and "<script" not in html
    # Block structure such as "- item" lists may remain (it is no link, image or HTML).
    tags = set(re.findall(r"</?([a-z0-9]+)", html))
    assert tags <= {"p", "br", "ul", "ol", "li"}, html
    assert not _BARE_LINK.search(escape_md(text))
    visible = re.sub(r"<[^>]+>", "", html).replace("\u200b", "")
    shown = re.sub(r"(?m)^- ", "", text)  # a list keeps its items, not its markers
    assert _unescape(visible).split() == shown.split()  # nothing lost, only made inert


def _unescape(html: str) -> str:
    import html as h

    return h.unescape(h.unescape(html))


def test_plain_words_pass_unchanged() -> None:
    assert escape_md("Amy Adams is superb in it.") == "Amy Adams is superb in it."


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://blog.example/her.html", "https://blog.example/her.html"),
        ("  http://blog.example/a?x=1&y=2  ", "http://blog.example/a?x=1&amp;y=2"),
        ('https://blog.example/"onmouseover="x', "https://blog.example/&quot;onmouseover=&quot;x"),
        ("javascript:alert(1)", None),
        ("data:text/html,<b>x</b>", None),
        ("ftp://blog.example/x", None),
        ("//blog.example/x", None),
        ("https://", None),
        ("", None),
    ],
)
def test_safe_url_allows_only_http_links(url: str, safe: str | None) -> None:
    assert safe_url(url) == safe


def citation(n: int, url: str, title: str, passage: str = "") -> Citation:
    return Citation(n, f"doc{n}", "s", title, url, "the quote", "2024-01-02", passage)


def test_answer_markdown_links_only_post_urls_we_build() -> None:
    answer = Answer(
        "It is [great](https://evil.example) <b>really</b>.",
        citations=[
            citation(1, "https://blog.example/her", "Her [review]", "A *moving* film."),
            citation(2, "javascript:alert(1)", "Evil <i>post</i>", ""),
        ],
    )
    md = answer_markdown(answer, link_target="_self")
    html = _MD.render(md)
    links = re.findall(r"<a [^>]*>", html)
    assert links == ['<a href="https://blog.example/her" target="_self" rel="noopener noreferrer">']
    assert "javascript" not in " ".join(links)
    assert "<b>" not in html and "<i>" not in html
    assert "**Sources**" in md
    assert md.index("[1]") < md.index("[2]")
    assert "Show passage" in md
    assert "A \\*moving\\* film." in md  # the passage shown is escaped too
    assert "the quote" in md  # no passage: the quote stands in for it


def test_an_answer_without_citations_is_just_its_escaped_text() -> None:
    assert answer_markdown(Answer("No *sources* here.")) == "No \\*sources\\* here."


def test_cards_escape_what_comes_from_posts() -> None:
    answer = Answer(
        "What the blog thought of [Her](x):\nignored second line",
        kind="verdict",
        cards=[
            {
                "film": "Her",
                "year": 2013,
                "reviewer": "Ada <b>",
                "date": "2014-01-10",
                "score": "9/10",
                "verdict": "A ![moving](https://evil.example/p.gif) film.",
            }
        ],
    )
    md = answer_markdown(answer)
    html = _MD.render(md)
    assert "<img" not in html and "<a " not in html and "<b>" not in html
    assert "ignored second line" not in md
    assert "**Her (2013)**" in md and "**9/10**" in md and "[1]" in md


@pytest.mark.parametrize("kind", ["list", "comparison", "smalltalk"])
def test_lists_comparisons_and_small_talk_render_their_text_inert(kind: str) -> None:
    """Film titles, reviewer names and quotes in these answers come from posts."""
    answer = Answer(
        "2 films reviewed by Ada <b>:\n- <img src=x onerror=alert(1)> (2013) — [x](javascript:a) [1]",
        kind=kind,
        cards=[{"film": "<img src=x onerror=alert(1)>", "verdict": "", "reviewer": "Ada <b>"}],
    )
    html = _MD.render(answer_markdown(answer))
    assert "<img" not in html and "<a " not in html and "<b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
