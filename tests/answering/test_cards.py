"""Verdict cards, recommendations and spoiler hold-back on the bundled sample archive."""

from __future__ import annotations

import re

import pytest

from companion.archive.catalog import film_catalog
from companion.archive.scores import stated_score
from companion.chat import ChatService
from companion.conversation.intent import intent_of
from companion.types import Answer
from companion.web.render import answer_markdown
from tests.conftest import SAMPLE


def post_text(doc_id: str) -> str:
    return " ".join((SAMPLE / f"{doc_id}.md").read_text("utf-8").split())


def test_verdict_card_for_one_review(chat: ChatService) -> None:
    answer = chat.ask("What did the blog think of Her?")
    assert answer.kind == "verdict" and not answer.declined
    [card] = answer.cards
    assert card["film"] == "Her" and card["year"] == 2013
    assert card["doc_id"] == "her-2013"
    assert card["reviewer"] == "Mara Quell" and card["date"] == "2023-07-26"
    assert card["url"].endswith("/2023/07/review-of-her-2013.html")
    assert card["score"] == "9/10" and card["liked"] is True
    # The blog's own words: the sentence under the post's "Verdict" heading, verbatim.
    assert card["verdict"].startswith("Her is a tender, funny and unexpectedly wise film")
    assert card["verdict"] in post_text("her-2013")
    assert answer.citations[0].quote == card["verdict"]
    assert f"“{card['verdict']}” [1]" in answer.text


def test_several_reviews_of_one_film_in_date_order(chat: ChatService) -> None:
    answer = chat.ask("Did the blog like Blade Runner?")
    assert answer.kind == "verdict"
    assert [c["doc_id"] for c in answer.cards] == ["blade-runner-1982", "blade-runner-1982-rewatch"]
    assert [c["date"] for c in answer.cards] == sorted(c["date"] for c in answer.cards)
    assert {c["reviewer"] for c in answer.cards} == {"Dev Okafor", "Lina Sørensen"}
    assert [c["score"] for c in answer.cards] == ["9/10", "10/10"]
    for card in answer.cards:
        assert card["verdict"] in post_text(card["doc_id"])
    assert "2 times" in answer.text


def test_a_disliked_film_says_so(chat: ChatService) -> None:
    [card] = chat.ask("Was Lucy any good?").cards
    assert card["score"] == "5/10" and card["liked"] is False
    assert card["verdict"] in post_text("lucy-2014")


@pytest.mark.parametrize(
    "question", ["What did the blog think of Dune (1984)?", "Is Blade Runner 2099 any good?"]
)
def test_verdict_for_another_film_of_the_same_name_declines(
    chat: ChatService, question: str
) -> None:
    answer = chat.ask(question)
    assert answer.declined and answer.cards == []


def test_recommendations_are_reviewed_liked_films_other_than_the_one_asked(
    chat: ChatService, sample_components
) -> None:
    answer = chat.ask("I loved Her — what else did the blog like?")
    assert answer.kind == "recommendations" and not answer.declined
    reviewed = {e["film"] for e in film_catalog(sample_components.store)}
    films = [c["film"] for c in answer.cards]
    assert set(films) <= reviewed and "Her" not in films

    # Expected, worked out apart from the recommender: other reviews by closeness of their
    # whole-review vectors to Her's, keeping those whose post scores above 5/10, first three.
    metas, vectors = sample_components.store.post_vectors()
    her = vectors["her-2013"]
    nearest = sorted((d for d in metas if metas[d].film != "Her"), key=lambda d: -vectors[d] @ her)
    score = {d: int(re.search(r"Score: (\d+)/10", post_text(d)).group(1)) for d in nearest}  # type: ignore[union-attr]
    assert score[nearest[0]] <= 5, "the closest review is one the blog disliked (Lucy)"
    assert films == list(dict.fromkeys(metas[d].film for d in nearest if score[d] > 5))[:3]
    assert all(c["liked"] for c in answer.cards)
    for card, cite in zip(answer.cards, answer.citations, strict=True):
        assert card["reason"] in post_text(card["doc_id"])  # quoted, never invented
        assert cite.doc_id == card["doc_id"] and cite.quote == card["reason"]
    # Ex Machina's review compares itself to Her: that comparison is its reason.
    ex = [c for c in answer.cards if c["film"] == "Ex Machina"]
    assert ex and "Her" in ex[0]["reason"]


def test_recommendations_for_a_film_never_reviewed_decline(chat: ChatService) -> None:
    answer = chat.ask("Any films like Titanic reviewed here?")
    assert answer.declined and answer.cards == []


def test_spoilers_are_held_back_unless_asked_for(chat: ChatService) -> None:
    safe = chat.ask("How does Her end?")
    assert safe.held_back >= 1
    assert "turn on spoilers" in safe.text
    assert all("641" not in c.passage for c in safe.citations)
    full = chat.ask("How does Her end?", spoilers=True)
    assert full.held_back == 0 and "turn on spoilers" not in full.text
    assert any("641" in c.passage or "Spoilers ahead" in c.passage for c in full.citations)


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("What did the blog think of Her?", "verdict"),
        ("Did you like Moon?", "verdict"),
        ("Is Arrival worth watching?", "verdict"),
        ("Any films like Blade Runner reviewed here?", "recommend"),
        ("I loved Her — what else did the blog like?", "recommend"),
        ("Who voices Samantha in Her?", "answer"),
        ("What did the blog say about the ending of Her?", "answer"),
    ],
)
def test_intent(question: str, intent: str) -> None:
    assert intent_of(question) == intent


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("Great.\n\nScore: 9/10", ("9/10", 0.9)),
        ("Rating: 3.5 out of 5", ("3.5 out of 5", 0.7)),
        ("Grade: B+", ("B+", 0.85)),
        ("★★★★☆", ("★★★★☆", 0.8)),
        ("I'd give Scream (8/10) a look, but not this.", None),  # another film's rating
    ],
)
def test_stated_score(text: str, score: tuple[str, float] | None) -> None:
    found = stated_score(text)
    if score is None:
        assert found is None
    else:
        assert found is not None and found[0] == score[0]
        assert found[1] == pytest.approx(score[1])


def test_cards_render_as_escaped_markdown(chat: ChatService) -> None:
    md = answer_markdown(chat.ask("What did the blog think of Blade Runner?"))
    assert "**Blade Runner (1982)** — Dev Okafor · 2021-06-02 · **9/10**" in md
    assert re.search(r"^> “Blade Runner is a flawed, moody .*” \[1\]$", md, re.M)

    hostile = Answer(
        text="The blog reviewed X:",
        kind="verdict",
        cards=[
            {
                "film": "<img src=x onerror=alert(1)>",
                "year": 2020,
                "reviewer": "[me](https://evil.example)",
                "date": "2020-01-01",
                "score": "**10/10**",
                "verdict": "Great <script>alert(1)</script> www.evil.example",
            }
        ],
    )
    md = answer_markdown(hostile)
    assert "<img" not in md and "<script>" not in md and "](https://evil" not in md
    assert "www.evil" not in md  # not auto-linked either
