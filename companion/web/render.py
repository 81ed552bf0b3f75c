"""Answers as safe Markdown for the chat: quotes come from posts, so they are untrusted text.

Everything from a post is escaped so it cannot become a link, an image or HTML; only links we
build ourselves, to http(s) post URLs, are rendered.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlparse

from companion.types import Answer

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>])")


_AUTOLINK = re.compile(r"(?i)(://|\bwww\.|@)")
_ZWSP = "\u200b"


def escape_md(text: str) -> str:
    """Untrusted text as inert Markdown: no HTML, no link or image syntax, and no bare URL,
    www. address or e-mail that the renderer would turn into a link by itself (a zero-width
    space breaks each)."""
    text = _AUTOLINK.sub(lambda m: m.group(1)[0] + _ZWSP + m.group(1)[1:], text)
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def safe_url(url: str) -> str | None:
    parsed = urlparse(url.strip())
    if parsed.scheme in ("http", "https") and parsed.netloc:
        return html.escape(url.strip(), quote=True)
    return None


def cards_markdown(answer: Answer) -> str:
    """Verdict and recommendation cards: one block per review, its quote set apart."""
    lines = [escape_md(answer.text.split("\n", 1)[0])]
    for n, card in enumerate(answer.cards, start=1):
        film = escape_md(card["film"]) + (f" ({card['year']})" if card.get("year") else "")
        meta = " · ".join(escape_md(str(card[k])) for k in ("reviewer", "date") if card.get(k))
        score = f" · **{escape_md(card['score'])}**" if card.get("score") else ""
        quote = escape_md(card.get("reason") or card["verdict"])
        lines.append(f"\n**{film}**{' — ' + meta if meta else ''}{score}\n> “{quote}” [{n}]")
    return "\n".join(lines)


def answer_markdown(answer: Answer, link_target: str = "_blank") -> str:
    """The reply text with the post-derived parts escaped, then a numbered source list."""
    # Lists and comparisons read well as their text: a bulleted line per review.
    text = (
        cards_markdown(answer)
        if answer.cards and answer.kind in ("verdict", "recommendations")
        else escape_md(answer.text)
    )
    if not answer.citations:
        return text
    lines = [text, "", "**Sources**"]
    for c in answer.citations:
        title = escape_md(c.title or c.doc_id)
        url = safe_url(c.url)
        link = (
            f'<a href="{url}" target="{link_target}" rel="noopener noreferrer">{title}</a>'
            if url
            else title
        )
        date = f" · {escape_md(c.date_text)}" if c.date_text else ""
        passage = escape_md(c.passage or c.quote)
        lines.append(
            # The blank line after </details> ends the HTML block, so the next source line is
            # Markdown again (its escapes are read, not shown).
            f"[{c.n}] {link}{date}\n<details><summary>Show passage</summary>\n\n{passage}\n\n"
            "</details>\n"
        )
    return "\n".join(lines)
