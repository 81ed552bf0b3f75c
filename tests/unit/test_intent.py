"""What kind of answer a question wants (companion/conversation/intent.py)."""

from __future__ import annotations

import pytest

from companion.conversation.intent import describes_film, intent_of


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("Films like Arrival?", "recommend"),
        ("Anything similar to Jaws", "recommend"),
        ("If I liked Her, what should I watch?", "recommend"),
        ("What else is in the vein of Alien?", "recommend"),
        ("I loved Moon, anything else?", "recommend"),
        ("Can you recommend something like Heat?", "recommend"),  # recommend beats verdict
        ("What did you think of Arrival?", "verdict"),
        ("What does the blog make of Jaws?", "verdict"),
        ("Did the reviewers like Her?", "verdict"),
        ("Is Moon worth watching?", "verdict"),
        ("Was Jaws any good?", "verdict"),
        ("How many stars did Alien get?", "verdict"),
        ("What's the blog's take on Heat?", "verdict"),
        ("How good is Arrival", "verdict"),
        ("Who directed Arrival?", "answer"),
        ("Where is Jaws set?", "answer"),
        ("Who plays the linguist?", "answer"),
    ],
)
def test_intent_of(question: str, intent: str) -> None:
    assert intent_of(question) == intent


@pytest.mark.parametrize(
    ("question", "describes"),
    [
        ("the one where a kid is left behind when his family goes abroad", True),
        ("that 70s thriller about a shark", True),
        ("Which movie has a talking car?", True),
        ("a film in which the hero forgets every day", True),
        ("the black and white comedy starring two musicians", True),
        ("Who directed Jaws?", False),
        ("What did you think of the film?", False),
        ("Is the movie good?", False),
    ],
)
def test_describes_film(question: str, describes: bool) -> None:
    assert describes_film(question) is describes
