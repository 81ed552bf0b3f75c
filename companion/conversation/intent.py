"""What kind of answer a question wants: the blog's verdict on a film, films like one it
names, or (by default) an answer from passages; and whether it describes one film without
naming it. Plain patterns: intents are checked only when the question names a reviewed film (or
the conversation is about one), descriptions only when it names none."""

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
    r"(?:blog'?s?|your)\s+(?:take|opinion|review)\s+(?:on|of)|how\s+(?:good|bad)\s+is|"
    r"thoughts?\s+(?:on|about)|opinion\s+(?:on|of|about)|how\s+was\s+(?!it\s+(?:made|shot|filmed)))\b",
    re.IGNORECASE,
)


def intent_of(question: str) -> Intent:
    if _RECOMMEND.search(question):
        return "recommend"
    if _VERDICT.search(question):
        return "verdict"
    return "answer"


_KIND = (
    r"one|film|movie|picture|flick|comedy|drama|thriller|documentary|musical|cartoon|western|"
    r"adventure|romance|satire|fantasy|horror|mystery|story|tale|animation|feature|epic|"
    r"sequel|remake|classic|biopic"
)
# "the one where …", "that 70s thriller about …", "which movie has …", "a film in which …"
_DESCRIBE = re.compile(
    rf"(?:\b(?:the|that|a|an)\s+(?:[\w'-]+\s+){{0,3}}?(?:{_KIND})\s+"
    r"(?:where|about|in\s+which|from|that|who|whose|when|set|starring|featuring)\b|"
    rf"\b(?:which|what)\s+(?:{_KIND})\s+(?:is|was|has|had|where|about|features?|shows?)\b|"
    rf"\b(?:there'?s|one)\s+(?:one\s+)?(?:where|in\s+which|about\s+a)\b|"
    rf"\b(?:film|movie)\s+(?:with|about)\s+(?:a|an|some)\s+\w+\s+(?:\w+\s+)?(?:who|that|which|"
    r"driving|living|trying|looking|falling|going|learning|picking)\b)",
    re.IGNORECASE,
)


def describes_film(question: str) -> bool:
    """Whether the question picks out one film by its story ("the one where a kid is left
    behind when his family goes abroad"), to be checked against the reviews found."""
    return bool(_DESCRIBE.search(question))
