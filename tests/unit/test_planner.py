"""The rule planner and the archive's entities over a small in-process archive: what a message
is understood as, which films, people and years it resolves, and how follow-ups, the page and
typos change that. No model: the example classifier is left out (it only decides what the
rules leave open)."""

from __future__ import annotations

import datetime as dt

import pytest

from companion.answering.listing import ArchiveLister
from companion.archive.entities import Entities
from companion.archive.records import PostRecord
from companion.archive.scores import Score
from companion.conversation.plan import ArchiveQuery, Context
from companion.conversation.planner import RulePlanner


def record(doc_id, film, year, author, day, labels, score):
    return PostRecord(
        doc_id=doc_id,
        title=f"Review of {film}",
        url=f"https://blog.example/{doc_id}.html",
        published=dt.date.fromisoformat(day),
        author=author,
        film=film,
        year=year,
        labels=tuple(labels),
        score=Score(f"{score}/10", score / 10),
    )


RECORDS = [
    record("moon", "Moon", 2009, "Mara Quell", "2021-11-30", ["review", "Duncan Jones"], 8),
    record("her", "Her", 2013, "Mara Quell", "2023-07-26", ["review", "romance", "Spike Jonze"], 9),
    record("br", "Blade Runner", 1982, "Dev Okafor", "2021-06-02", ["noir", "Ridley Scott"], 9),
    record("br2", "Blade Runner", 1982, "Lina Sørensen", "2024-10-03", ["noir"], 10),
    record("br49", "Blade Runner 2049", 2017, "Mara Quell", "2023-10-05", ["noir"], 9),
    record("gattaca", "Gattaca", 1997, "Dev Okafor", "2022-01-01", ["genetics"], 8),
    record("lucy", "Lucy", 2014, "Dev Okafor", "2021-09-19", ["action", "Luc Besson"], 5),
    record("ex", "Ex Machina", 2014, "Dev Okafor", "2021-03-14", ["thriller"], 8),
]
TEXTS = {
    "Moon": "Moon was directed by Duncan Jones. Sam Rockwell plays Sam Bell. GERTY is voiced by "
    "Kevin Spacey. Clint Mansell's score loops.",
    "Her": "Spike Jonze wrote and directed Her. Samantha is voiced by Scarlett Johansson. "
    "Joaquin Phoenix plays Theodore.",
    "Blade Runner": "Blade Runner was directed by Ridley Scott. Harrison Ford plays Deckard.",
    "Blade Runner 2049": "Blade Runner 2049, directed by Denis Villeneuve. Ryan Gosling plays K.",
    "Gattaca": "Ethan Hawke plays Vincent in a film about genetics.",
    "Lucy": "Scarlett Johansson plays Lucy.",
    "Ex Machina": "Alex Garland directed Ex Machina. Oscar Isaac plays Nathan.",
}


@pytest.fixture(scope="module")
def ents() -> Entities:
    return Entities({r.doc_id: r for r in RECORDS}, TEXTS)


@pytest.fixture(scope="module")
def planner(ents: Entities) -> RulePlanner:
    return RulePlanner(lambda: ents)


@pytest.mark.parametrize(
    ("message", "act"),
    [
        ("hey there", "greeting"),
        ("Hello!", "greeting"),
        ("cheers", "thanks"),
        ("thanks a lot!", "thanks"),
        ("what can you do?", "help"),
        ("who are you?", "identity"),
        ("bye", "bye"),
    ],
)
def test_small_talk_is_recognised_whole(planner: RulePlanner, message: str, act: str) -> None:
    plan = planner.plan(message, Context())
    assert (plan.kind, plan.act) == ("smalltalk", act)


def test_a_greeting_before_a_question_answers_the_question(planner: RulePlanner) -> None:
    plan = planner.plan("hi, who directed Moon?", Context())
    assert (plan.kind, plan.films, plan.aspect) == ("film", ("Moon",), "fact")
    assert plan.text == "who directed Moon?"


@pytest.mark.parametrize(
    ("message", "query"),
    [
        ("how many films have you reviewed?", ArchiveQuery(count=True)),
        ("what's your best-rated film?", ArchiveQuery(sort="score", limit=1)),
        ("worst rated movie?", ArchiveQuery(sort="score", descending=False, limit=1)),
        ("which films got 10/10?", ArchiveQuery(min_score=1.0, max_score=1.0)),
        ("films from 2014", ArchiveQuery(year=2014)),
        ("what did you review in 2023?", ArchiveQuery(reviewed_year=2023)),
        ("what did Mara review?", ArchiveQuery(reviewer="Mara Quell")),
        ("any films from the 90s?", ArchiveQuery(decade=1990)),
        ("what was the most recent review?", ArchiveQuery(limit=1)),
    ],
)
def test_archive_questions_become_exact_queries(
    planner: RulePlanner, message: str, query: ArchiveQuery
) -> None:
    plan = planner.plan(message, Context())
    assert plan.kind == "archive"
    assert plan.query == query


def test_typos_resolve_to_the_film_and_close_calls_ask(planner: RulePlanner) -> None:
    plan = planner.plan("gatacca?", Context())
    assert (plan.kind, plan.films, plan.source) == ("film", ("Gattaca",), "typo")


def test_two_films_side_by_side_are_a_comparison(planner: RulePlanner) -> None:
    plan = planner.plan("Blade Runner or 2049, which is better?", Context())
    assert plan.kind == "compare"
    assert set(plan.films) == {"Blade Runner", "Blade Runner 2049"}


def test_follow_ups_need_no_pronoun_and_never_cross_to_a_stranger(planner: RulePlanner) -> None:
    about_moon = Context(films=("Moon",))
    assert planner.plan("who plays the lead?", about_moon).films == ("Moon",)
    # Samantha is never mentioned in the Moon review: a new topic, not a follow-up.
    assert planner.plan("Who voices Samantha?", about_moon).films == ()


def test_references_resolve_from_the_context(planner: RulePlanner) -> None:
    assert planner.plan(
        "what about the original?", Context(films=("Blade Runner 2049",))
    ).films == ("Blade Runner",)
    assert planner.plan("and the sequel?", Context(films=("Blade Runner",))).films == (
        "Blade Runner 2049",
    )
    listed = Context(listed=("Lucy", "Ex Machina"))
    assert planner.plan("the second one in that list", listed).films == ("Ex Machina",)
    later = planner.plan("and in 2013?", Context(query=ArchiveQuery(year=2014)))
    assert later.query == ArchiveQuery(year=2013)
    director = planner.plan("more from that director?", Context(films=("Moon",)))
    assert (director.kind, director.person) == ("archive", "Duncan Jones")


def test_the_page_is_the_last_resort(planner: RulePlanner) -> None:
    plan = planner.plan("what score did the review give?", Context(), page_film="Moon")
    assert (plan.films, plan.aspect, plan.source) == (("Moon",), "verdict", "page")
    music = planner.plan("who composed the score?", Context(), page_film="Moon")
    assert music.aspect == "fact"  # the music, not the rating
    assert planner.plan("who directed it?", Context(films=("Her",)), "Moon").films == ("Her",)
    after = planner.plan("what should I watch after this?", Context(), page_film="Her")
    assert (after.kind, after.films) == ("recommend", ("Her",))


def test_an_unknown_title_alone_is_named_in_the_decline(planner: RulePlanner) -> None:
    assert planner.plan("Jaws 2?", Context()).unknown == "Jaws 2"


def test_sums_are_out_of_scope_even_with_a_labels_word(planner: RulePlanner) -> None:
    """A sum is not about films (on the sample archive "times" is also Interstellar's label
    "time"), while a score or a span of years is."""
    assert planner.plan("whats 17 times 23", Context()).kind == "out_of_scope"
    assert planner.plan("what is 3 + 4?", Context()).kind == "out_of_scope"
    assert planner.plan("films rated 9/10", Context()).kind == "archive"
    assert planner.plan("films from 2010-2014", Context()).kind == "archive"


def test_keyword_searches_are_not_titles(planner: RulePlanner) -> None:
    """Words the reviews use are a search, not a title the archive lacks ("Jaws 2")."""
    assert planner.plan("Deckard genetics score", Context()).unknown == ""


def test_a_context_from_a_client_is_untrusted() -> None:
    ctx = Context.from_public(
        {
            "films": ["Moon", 3, "x" * 999],
            "query": {"year": "<b>", "limit": 5, "sort": "evil"},
            "person": ["no"],
            "extra": 1,
        }
    )
    assert ctx.films[0] == "Moon" and len(ctx.films[1]) == 200
    assert ctx.query == ArchiveQuery(limit=5)
    assert ctx.person == ""
    assert Context.from_public("nonsense") == Context()


def test_lists_are_exact_and_say_films_and_reviews(ents: Entities) -> None:
    lister = ArchiveLister(lambda: ents)
    count = lister.answer(ArchiveQuery(count=True))
    assert count.text == "The blog has reviewed 7 films in 8 reviews."
    best = lister.answer(ArchiveQuery(sort="score", limit=1))
    assert [c["doc_id"] for c in best.cards] == ["br2"]
    year = lister.answer(ArchiveQuery(year=2014))
    assert {c["film"] for c in year.cards} == {"Lucy", "Ex Machina"}
    assert year.kind == "list" and all(c["url"] for c in year.cards)
    tied = lister.answer(ArchiveQuery(sort="score", limit=1, year=1982, max_score=0.9))
    assert [c["doc_id"] for c in tied.cards] == ["br"]
    none = lister.answer(ArchiveQuery(year=1975))
    assert none.text == "The blog hasn't reviewed any films from 1975." and not none.cards
    by = lister.answer(ArchiveQuery(person="Duncan Jones"))
    assert "directed by Duncan Jones" in by.text
    labelled = lister.answer(ArchiveQuery(person="Luc Besson"))
    assert "whose labels name Luc Besson" in labelled.text  # no role stated in the text
