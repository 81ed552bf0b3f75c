"""Follow-ups without an LLM: ``resolve`` (companion/conversation/followup.py) carries the film
in focus from earlier turns or from the page the widget sits on."""

from __future__ import annotations

import pytest

from companion.conversation.followup import Focus, resolve
from companion.retrieval.hybrid import FilmIndex
from companion.types import Post
from tests.fakes.archive import chunks_of, put
from tests.fakes.embedder import FakeEmbedder
from tests.fakes.store import FakeStore


@pytest.fixture(scope="module")
def films() -> FilmIndex:
    store = FakeStore(FakeEmbedder(32))
    for n, (film, year) in enumerate([("Arrival", 2016), ("Jaws", 1975), ("Her", 2013)]):
        post = Post(doc_id=f"p{n}", text="", source="s", film=film, year=year)
        put(store, chunks_of(post, [f"About {film}."]))
    return FilmIndex(store)


ANSWER = (
    'Our review of Jaws (1975) loves the shark. <a href="https://b.example/jaws">Jaws</a> '
    'and <a href="https://b.example/jaws-again">Jaws, again</a>'
)


def test_a_question_that_names_a_film_needs_no_focus(films: FilmIndex) -> None:
    assert resolve("Who directed Arrival?", [("Tell me about Jaws", ANSWER)], films) == Focus()


def test_a_pronoun_takes_the_latest_film_named(films: FilmIndex) -> None:
    history = [("Tell me about Jaws", "…"), ("And what about Arrival?", "…")]
    assert resolve("Who directed it?", history, films) == Focus(films=["Arrival"])


def test_a_short_question_without_a_pronoun_is_a_follow_up_too(films: FilmIndex) -> None:
    assert resolve("Who directed?", [("Tell me about Jaws", "…")], films).films == ["Jaws"]


def test_a_long_standalone_question_is_left_alone(films: FilmIndex) -> None:
    question = "Which films from the seventies does the blog recommend for a rainy evening?"
    assert resolve(question, [("Tell me about Jaws", "…")], films) == Focus()


def test_the_film_comes_from_an_answer_that_named_it(films: FilmIndex) -> None:
    history = [("the one with the big shark", ANSWER)]
    assert resolve("Who is in it?", history, films).films == ["Jaws"]


def test_the_other_review_leaves_out_the_posts_already_cited(films: FilmIndex) -> None:
    focus = resolve("and the other review?", [("Tell me about Jaws", ANSWER)], films)
    assert focus == Focus(
        films=["Jaws"], exclude_urls=["https://b.example/jaws", "https://b.example/jaws-again"]
    )
    # Without "other review" the cited posts stay in play.
    assert resolve("Who is in it?", [("Tell me about Jaws", ANSWER)], films).exclude_urls == []


def test_this_film_on_a_post_page_is_the_page_film(films: FilmIndex) -> None:
    history = [("Tell me about Jaws", "…")]
    assert resolve("What did you think of this film?", history, films, "Her").films == ["Her"]
    # "it" is the conversation's film, not the page's…
    assert resolve("Who directed it?", history, films, "Her").films == ["Jaws"]
    # …unless the conversation has none.
    assert resolve("Who directed it?", [], films, "Her").films == ["Her"]


def test_nothing_to_go_on_gives_no_focus(films: FilmIndex) -> None:
    assert resolve("Who directed it?", [], films) == Focus()
    assert resolve("Who directed it?", [("hello", "Hi! Ask me about a film.")], films) == Focus()
