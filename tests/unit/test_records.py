"""Post records: every source's date format read into one form and ordered truly; the
stated score parsed at ingest; an old layout's record upgraded."""

from __future__ import annotations

import datetime as dt

import pytest

from companion.archive.dates import from_iso, human, iso, parse_date, sort_key
from companion.archive.records import RECORD_LAYOUT, PostRecord, upgraded
from companion.archive.scores import Score
from companion.types import Post

UTC = dt.UTC


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023-09-02T09:00:00.000Z", dt.datetime(2023, 9, 2, 9, tzinfo=UTC)),  # Blogger
        ("Sat, 06 Jan 2024 16:20:05 +0000", dt.datetime(2024, 1, 6, 16, 20, 5, tzinfo=UTC)),
        ("2023-07-26", dt.date(2023, 7, 26)),  # front matter: a day, not a time
        ("2023-09-02 09:00:00", dt.datetime(2023, 9, 2, 9, tzinfo=UTC)),  # WordPress *_gmt
        ("July 26, 2023", dt.date(2023, 7, 26)),
        (
            "2024-01-06T16:20:05-08:00",
            dt.datetime(2024, 1, 6, 16, 20, 5, tzinfo=dt.timezone(dt.timedelta(hours=-8))),
        ),
        ("", None),
        ("0000-00-00 00:00:00", None),  # WordPress's "never"
        ("not a date at all", None),
        ("2023-02-30", None),
    ],
)
def test_every_source_format_is_read(raw: str, expected: dt.date | None) -> None:
    got = parse_date(raw)
    assert got == expected
    assert type(got) is type(expected)
    assert from_iso(iso(got)) == expected  # what the store keeps reads back the same


def test_a_date_only_post_is_never_shifted_by_a_time_zone() -> None:
    assert iso(parse_date("2023-07-26")) == "2023-07-26"
    assert human(parse_date("2023-07-26")) == "26 July 2023"
    late = parse_date("2024-01-06T23:30:00-08:00")  # already 7 January in UTC
    assert human(late) == "6 January 2024"
    assert iso(late) == "2024-01-06T23:30:00-08:00"


def test_mixed_formats_sort_in_true_time_order() -> None:
    raws = [
        "2023-09-02T09:00:00.000Z",
        "Fri, 01 Sep 2023 16:20:05 +0000",
        "2023-07-26",
        "",
        "2023-09-01T20:00:00-05:00",  # 2 September, 01:00 UTC
    ]
    assert sorted(raws) != [raws[i] for i in (3, 2, 1, 4, 0)]  # strings sort this wrongly
    got = sorted(raws, key=lambda r: sort_key(parse_date(r)))
    assert got == [raws[i] for i in (3, 2, 1, 4, 0)]


POST = Post(
    doc_id="moon",
    text="Duncan Jones made Moon.\n\nRating: 4.5/5",
    source="blog.xml",
    title="Review: Moon (2009)",
    url="https://blog.example/moon",
    date="Sat, 06 Jan 2024 16:20:05 +0000",
    updated="2024-01-07T10:00:00Z",
    author="Mira",
    film="Moon",
    year=2009,
    labels=("review", "sci-fi"),
)


def test_the_record_reads_dates_and_the_stated_score_at_ingest() -> None:
    record = PostRecord.of(POST)
    assert record.published == dt.datetime(2024, 1, 6, 16, 20, 5, tzinfo=UTC)
    assert record.date == "2024-01-06T16:20:05+00:00"
    assert record.date_text == "6 January 2024"
    assert record.score == Score("4.5/5", 0.9)
    assert record.label == "Moon (2009)"
    flat = record.metadata()
    assert all(isinstance(v, str | int | float) for v in flat.values())  # Chroma's rule
    assert flat["year"] == 2009 and flat["labels"] == "review, sci-fi"
    assert PostRecord.from_metadata(flat) == record


def test_no_year_no_date_no_score_read_back_as_none() -> None:
    bare = Post(doc_id="x", text="No verdict here.", source="s")
    record = PostRecord.from_metadata(PostRecord.of(bare).metadata())
    assert (record.year, record.published, record.score) == (None, None, None)
    assert PostRecord.of(bare).metadata()["year"] == 0  # Chroma has no null


def test_an_edit_changes_the_version_and_a_label_change_does_not() -> None:
    edited = Post(**{**POST.__dict__, "text": POST.text + " Still great."})
    relabelled = Post(**{**POST.__dict__, "labels": ("review",)})
    assert PostRecord.of(edited).version != PostRecord.of(POST).version
    assert PostRecord.of(relabelled).version == PostRecord.of(POST).version


def test_an_old_layout_chunk_is_upgraded_and_keeps_its_chunk_fields() -> None:
    old = {  # what a store written before layout 2 holds
        "doc_id": "moon",
        "source": "blog.xml",
        "title": "Review: Moon (2009)",
        "url": "https://blog.example/moon",
        "date": "Sat, 06 Jan 2024 16:20:05 +0000",
        "updated": "",
        "author": "Mira",
        "film": "Moon",
        "year": 2009,
        "labels": "review, sci-fi",
        "section": "Verdict",
        "header": "Moon (2009) · Review: Moon (2009) · Verdict",
        "chunk": 3,
        "spoiler": False,
    }
    new = upgraded(old, POST.text)
    assert new["date"] == "2024-01-06T16:20:05+00:00"
    assert (new["score"], new["score_fraction"]) == ("4.5/5", 0.9)
    assert {k: new[k] for k in ("section", "header", "chunk", "spoiler")} == {
        k: old[k] for k in ("section", "header", "chunk", "spoiler")
    }
    assert upgraded(new, POST.text) == new  # a second pass changes nothing
    assert RECORD_LAYOUT == 2
