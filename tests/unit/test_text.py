"""Small text tools shared by retrieval and answering (companion/text.py)."""

from __future__ import annotations

import pytest

from companion.text import (
    contains_phrase,
    content_words,
    expand,
    film_label,
    has_person_name,
    is_year,
    named_phrases,
    names,
    sentences,
    stem,
    terms,
    word_sequence,
)


@pytest.mark.parametrize(
    ("word", "stemmed"),
    [
        ("voices", "voic"),
        ("voiced", "voic"),
        ("voicing", "voic"),
        ("stories", "stor"),
        ("Wars", "war"),
        ("quickly", "quick"),
        ("bus", "bus"),  # too short to lose its "s"
        ("'tis'", "tis"),
    ],
)
def test_stem(word: str, stemmed: str) -> None:
    assert stem(word) == stemmed


def test_terms_drop_stop_and_blog_words() -> None:
    assert terms("What did the blog think of the voices in this film?") == {"voic"}
    assert terms("a I x") == set()
    assert content_words("Who voices the robot in the movie?") == ["voices", "robot"]


@pytest.mark.parametrize(
    ("question", "phrases"),
    [
        ("Who stars in Star Wars?", [("star", "war")]),
        ("Is Lord of the Rings long?", [("lord", "of", "the", "ring")]),
        ("Was Jaws 2 as good as Jaws?", [("jaw", "2"), ("jaw",)]),
        ("Films from 2012 like Looper", [("2012",), ("looper",)]),
        ("Tell me about Rocky, the rooster", [("rocky",)]),
        ("Star Wars. Jaws", [("war",)]),  # a sentence's first word is not a name
        ("what about i", []),
        ("I liked Bride of the", [("bride",)]),  # trailing small words are dropped
    ],
)
def test_names(question: str, phrases: list[tuple[str, ...]]) -> None:
    assert names(question) == phrases


def test_named_phrases_are_as_written() -> None:
    assert named_phrases("Did you like Blade Runner 2049?") == ["Blade Runner", "2049"]


def test_phrases_and_years() -> None:
    seq = word_sequence("I rewatched Star Wars yesterday.")
    assert contains_phrase(seq, ("star", "war"))
    assert not contains_phrase(seq, ("war", "star"))
    assert not contains_phrase(seq, ("star", "war", "yesterday", "again", "now", "x"))
    assert is_year(("1999",)) and not is_year(("1899",)) and not is_year(("1999", "x"))


def test_expand_adds_the_ways_reviews_say_it() -> None:
    assert expand({"star"}) >= {"play", "cast", "role", "star"}
    assert expand({"zebra"}) == {"zebra"}


def test_film_label() -> None:
    assert film_label("Her", 2013) == "Her (2013)"
    assert film_label("Her", 0) == film_label("Her", None) == "Her"
    assert film_label("", 2013) == ""


def test_has_person_name_not_at_the_start() -> None:
    assert has_person_name("The lead is played by Amy Adams.")
    assert not has_person_name("Amy Adams is superb.")  # could be a sentence's opening
    assert has_person_name("A score by Ludwig van Beethoven plays over it.")
    assert not has_person_name("the lead is great")


def test_sentences_keep_abbreviations_and_quotes_together() -> None:
    text = 'Mr. Smith goes to Washington. "It works!" she says. Dr. No is next.\n\nNew para here'
    assert sentences(text) == [
        "Mr. Smith goes to Washington.",
        '"It works!" she says.',
        "Dr. No is next.",
        "New para here",
    ]
    assert sentences("version 2.0 is out. 3 stars.") == ["version 2.0 is out.", "3 stars."]
    assert sentences("  \n\n ") == []
