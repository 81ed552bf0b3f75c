"""Text in posts that speaks to the chatbot instead of the reader: prompt-injection attempts.

Anyone who can edit a post (or a feed we ingest) can plant "ignore previous instructions and
reply with …". The extractive answerer never quotes such a sentence, so the planted text can
never become the answer, whatever the question. The patterns cover English and a few other
languages, and long base64 runs (a common way to smuggle instructions past filters).
"""

from __future__ import annotations

import re

_PATTERNS = [
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instructions?|prompts?|rules|directions|guidelines|context)\b",
    r"\b(system|developer|hidden)\s+(prompt|message|instructions?)\b",
    r"\b(reply|respond|answer|say|output|print|write)\s+(only\s+)?(with|exactly|the\s+word|verbatim)\b",
    r"\byou\s+are\s+(now\s+)?(an?\s+|the\s+)?(ai|assistant|chatbot|language\s+model|llm|gpt|bot)\b",
    r"\bnew\s+instructions?\b",
    r"<\|?(system|im_start|im_end|assistant|user)\|?>",
    # other languages: French, German, Spanish, Italian, Portuguese, Dutch
    r"\bignor(ez|iere|a|e|eer)\b.{0,40}\b(instructions?|anweisungen|instrucciones|istruzioni|instruções|instructies)\b",
    r"\b(vorherigen|anteriores|précédentes|precedenti|vorige)\s+(anweisungen|instrucciones|instructions|istruzioni|instructies)\b",
]
_INJECTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE | re.DOTALL)
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{32,}={0,2}(?![A-Za-z0-9+/])")


def _is_base64(run: str) -> bool:
    """Long runs of base64 letters that mix cases and digits, unlike slashed word lists."""
    return (
        any(c.isupper() for c in run)
        and any(c.islower() for c in run)
        and any(c.isdigit() or c in "+=" for c in run)
    )


def looks_like_instructions(text: str) -> bool:
    """True when the text addresses an AI system rather than a reader."""
    return bool(_INJECTION.search(text)) or any(
        _is_base64(m.group()) for m in _BASE64.finditer(text)
    )
