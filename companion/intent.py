"""What kind of answer a question wants: the blog's verdict on a film, films like one it
names, or (by default) an answer from passages. Plain patterns: they are checked only when the
question names a reviewed film (or the conversation is about one)."""

from __future__ import annotations

import re
from typing import Literal

Intent = Literal["verdict", "recommend", "answer"]

_RECOMMEND = re.compile(
    r"\b(?:(?:films?|movies?|anything|something|others?)\s+(?:\w+\s+)?like|similar\s+to|"
    r"more\s+like|what\s+else|recommend\w*|suggest\w*|if\s+i\s+(?:liked|loved|enjoyed)|"
    r"along\s+the\s+lines\s+of|in\s+the\s+vein\s+of|(?:liked|loved|enjoyed)\s+.{1,60}\b"
    r"(?:else|other|others|more|next))\b",
    re.IGNORECASE,
)
_VERDICT = re.compile(
    r"\b(?:what\s+(?:did|does|do)\s+(?:the\s+)?(?:blog|you|reviewers?|critics?|they|we|"
    r"site|\w+)\s+(?:think|make)\s+(?:of|about)|"
    r"(?:did|does|do)\s+(?:the\s+)?(?:blog|you|reviewers?|critics?|they)\s+"
    r"(?:like|love|hate|dislike|enjoy|rate|recommend)|"
    r"(?:is|was)\s+.{1,80}?\s+(?:any\s+good|good|worth\s+(?:it|watching|seeing|a\s+watch))|"
    r"verdict|rating|rated|score|how\s+many\s+stars|thumbs\s+up|"
    r"(?:blog'?s?|your)\s+(?:take|opinion|review)\s+(?:on|of)|how\s+(?:good|bad)\s+is)\b",
    re.IGNORECASE,
)


def intent_of(question: str) -> Intent:
    if _RECOMMEND.search(question):
        return "recommend"
    if _VERDICT.search(question):
        return "verdict"
    return "answer"
