"""HTML to review text: hidden text removed first (a known prompt-injection carrier), then
either a whole page's main text (trafilatura) or a post body fragment (headings kept as ``##``
so chunking stays section-aware)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lxml import html as lxml_html

_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?:\.0+)?(?:px|em|rem|pt|%)?\s*(?:;|$|!)"
    r"|opacity\s*:\s*0(?:\.0+)?\s*(?:;|$|!)|(?:^|;)\s*(?:width|height)\s*:\s*0(?:px)?\s*(?:;|$)"
    r"|clip\s*:\s*rect\(\s*0|text-indent\s*:\s*-\d{3,}",
    re.IGNORECASE,
)
_WHITE = re.compile(
    r"(?:^|;)\s*color\s*:\s*(?:#fff(?:fff)?\b|white\b|rgba?\(\s*255\s*,\s*255\s*,\s*255)",
    re.IGNORECASE,
)
_DARK_BG = re.compile(
    r"background(?:-color)?\s*:\s*(?:#[0-7][0-9a-f]{2}(?:[0-9a-f]{3})?\b|black\b|rgb\(\s*\d{1,2}\s*,)",
    re.IGNORECASE,
)
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "form")
_BLOCKS = {"p", "div", "section", "article", "li", "blockquote", "tr", "pre", "figure", "br"}


def _is_hidden(el: lxml_html.HtmlElement) -> bool:
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    style = el.get("style") or ""
    if _HIDDEN_STYLE.search(style):
        return True
    return bool(_WHITE.search(style) and not _DARK_BG.search(style))


def strip_hidden(root: lxml_html.HtmlElement) -> int:
    """Remove comments, scripts, styles and invisible elements in place; return how many."""
    from lxml import etree

    removed = 0
    for node in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        _drop(node)
        removed += 1
    for el in list(root.iter(*_DROP_TAGS)):
        _drop(el)
        removed += 1
    for el in list(root.iter()):
        if isinstance(el.tag, str) and _is_hidden(el):
            _drop(el)
            removed += 1
    return removed


def _drop(node: Any) -> None:
    """Remove a node but keep its tail text, which belongs to the parent."""
    parent = node.getparent()
    if parent is None:
        return
    tail = node.tail
    prev = node.getprevious()
    parent.remove(node)
    if tail:
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail


def parse(markup: str) -> lxml_html.HtmlElement:
    from lxml import html

    return html.fromstring(markup or "<div></div>")


def fragment_to_text(markup: str) -> str:
    """A post body from an export or feed: visible text, headings as Markdown ``##``."""
    from lxml import html

    try:
        root = html.fragment_fromstring(markup or "", create_parent="div")
    except Exception:  # lxml raises ParserError and friends on junk
        return ""
    strip_hidden(root)
    for el in root.iter("h1", "h2", "h3", "h4", "h5", "h6"):
        level = "#" * min(3, max(2, int(el.tag[1])))
        el.text = f"\n\n{level} " + (el.text or "")
        el.tail = "\n\n" + (el.tail or "")
    for el in root.iter(*_BLOCKS):
        el.tail = "\n" + (el.tail or "") if el.tag == "br" else "\n\n" + (el.tail or "")
    return str(root.text_content())


def page_main_text(markup: str, url: str = "") -> tuple[str, dict[str, str]]:
    """A whole saved page: hidden text out, then the main text and the page's own metadata."""
    import trafilatura
    from lxml import html

    root = parse(markup)
    strip_hidden(root)
    cleaned = html.tostring(root, encoding="unicode")
    text = trafilatura.extract(
        cleaned,
        url=url or None,
        output_format="markdown",
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        favor_precision=True,
        deduplicate=False,
    )
    meta = trafilatura.extract_metadata(markup, default_url=url or None)
    info: dict[str, str] = {}
    if meta is not None:
        for key in ("title", "author", "date", "url", "categories", "tags"):
            value = getattr(meta, key, None)
            if value:
                info[key] = ", ".join(value) if isinstance(value, list) else str(value)
    canonical = root.xpath("//link[@rel='canonical']/@href")
    if canonical:
        info["url"] = str(canonical[0])
    return text or "", info
