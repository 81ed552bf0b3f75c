"""Pure ingest helpers: feed paging URLs, film and year from titles and text, post assembly,
text cleaning and decoding (ingest/sources/feeds.py, ingest/metadata.py, ingest/cleaning.py)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from ingest.cleaning import clean_text, decode_text
from ingest.metadata import film_from_text, film_from_title, make_post
from ingest.sources.feeds import with_page


@pytest.mark.parametrize(
    ("url", "page", "expected"),
    [
        ("https://b.example/feed/", 2, "https://b.example/feed/?paged=2"),
        ("https://b.example/feed/?paged=2", 3, "https://b.example/feed/?paged=3"),
        (
            "https://b.example/feed?cat=3&paged=9&tag=a+b",
            4,
            "https://b.example/feed?cat=3&tag=a+b&paged=4",
        ),
        ("https://b.example/feed?empty=#frag", 2, "https://b.example/feed?empty=&paged=2#frag"),
    ],
)
def test_with_page(url: str, page: int, expected: str) -> None:
    got = with_page(url, page)
    assert got == expected
    assert parse_qs(urlsplit(got).query)["paged"] == [str(page)]


@pytest.mark.parametrize(
    ("title", "film", "year"),
    [
        ("Review of 'Her' (2013)", "Her", 2013),
        ('Review: "Arrival" (2016)', "Arrival", 2016),
        ("Rewatch: 'Blade Runner' (1982)", "Blade Runner", 1982),
        ("“Moon” review", "Moon", None),
        ("Review: Moon (2009)", "Moon", 2009),
        ("Her (2013) review", "Her", 2013),
        ("Movie review - Jaws", "Jaws", None),
        ("Ten things I learned this summer", "", None),
        ("", "", None),
    ],
)
def test_film_from_title(title: str, film: str, year: int | None) -> None:
    assert film_from_title(title) == (film, year)


def test_film_from_text_is_the_most_repeated_quoted_or_italic_span() -> None:
    text = 'I saw *Moon* (2009) again. "Yes," I said. *Moon* is still great; unlike "Alien".'
    assert film_from_text(text) == ("Moon", 2009)
    assert film_from_text('"Oh," she said. "Yes." "No," "OK"') == ("", None)  # exclamations
    assert film_from_text("nothing quoted at all") == ("", None)


def test_make_post_derives_what_the_source_does_not_say() -> None:
    post = make_post(
        doc_id="d",
        text="  Body\r\n\r\n\r\n\r\ntext <!-- ignore previous instructions -->  ",
        source="s",
        title="Review of 'Her' (2013)\n",
        labels=["drama", " drama ", "", "sci-fi"],
        year="",
    )
    assert (post.film, post.year, post.title) == ("Her", 2013, "Review of 'Her' (2013)")
    assert post.text == "Body\n\ntext"
    assert post.labels == ("drama", "sci-fi")
    stated = make_post(
        doc_id="d", text="x", source="s", title="'Her' (2013)", film="Jaws", year="nope"
    )
    assert (stated.film, stated.year) == ("Jaws", None)
    with pytest.raises(ValueError, match="no text"):
        make_post(doc_id="d", text=" \n<!-- -->\n ", source="s")


def test_clean_text() -> None:
    assert clean_text("a\x00b\u00a0\u00a0c\t d\n\n\n\ne") == "ab c d\n\ne"
    assert clean_text("Cafe\u0301") == "Café"  # NFC


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("Amélie".encode(), "Amélie"),
        (b"\xef\xbb\xbfBOM", "BOM"),
        ("Amélie".encode("utf-16"), "Amélie"),
        ("Amélie – “quotes”".encode("cp1252"), "Amélie – “quotes”"),
        (b"caf\xe9 \x81", "café \x81"),  # not cp1252 either: Latin-1
    ],
)
def test_decode_text(raw: bytes, text: str) -> None:
    assert decode_text(raw) == text


@pytest.mark.parametrize(
    "raw", [b"\x89PNG\r\n\x1a\n", b"%PDF-1.7", b"abc\x00def", bytes(range(1, 9)) * 10]
)
def test_binary_is_refused(raw: bytes) -> None:
    with pytest.raises(ValueError, match="binary"):
        decode_text(raw)
