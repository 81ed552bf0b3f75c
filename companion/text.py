"""Small text tools shared by retrieval and answering: terms, entities and sentences."""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z0-9À-ÿ']+")
_SENTENCE_END = re.compile(
    r"(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bSt\.)(?<!\bJr\.)(?<!\bvs\.)(?<!\bMrs\.)"
    r"(?<=[.!?…])[\"'”’)]*\s+(?=[\"'“‘(]*[A-Z0-9À-Ý])"
)

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing done down during each
    else ever few for from further had has have having he her here hers herself him himself his
    how i if in into is it its itself just like me more most my myself no nor not now of off on
    once only or other our ours ourselves out over own same she should so some such than that
    the their theirs them themselves then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you your
    yours yourself tell told know say said says please thanks thank anything something""".split()
)

# Words that every question to a film blog uses; they carry no evidence about a particular post.
DOMAIN_WORDS = frozenset(
    """film films movie movies review reviews reviewed blog blogs think thought opinion verdict
    watch watched see seen any one ones think rate rated rating score archive post posts good
    bad great worth""".split()
)


def stem(word: str) -> str:
    """A deliberately light suffix stripper: 'voices'/'voiced'/'voicing' -> 'voic'."""
    w = word.lower().strip("'")
    for suffix in ("ations", "ation", "ings", "ing", "edly", "ies", "ied", "es", "ed", "ly", "s"):
        if len(w) - len(suffix) >= 3 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w


def terms(text: str) -> set[str]:
    """Stemmed content words."""
    return {
        stem(w)
        for w in _WORD.findall(text)
        if w.lower() not in STOPWORDS and w.lower() not in DOMAIN_WORDS and len(w) > 1
    }


def film_label(film: str, year: object = None) -> str:
    """ "Her (2013)", or the film alone when its year is unknown."""
    return f"{film} ({year})" if film and year else film


def content_words(text: str) -> list[str]:
    """Lower-cased words that say what a question is about (unstemmed, for people to read)."""
    return [
        w.lower()
        for w in _WORD.findall(text)
        if len(w) > 2 and w.lower() not in STOPWORDS and w.lower() not in DOMAIN_WORDS
    ]


_JOINERS = {"of", "the", "de"}
_WORD_OR_MARK = re.compile(r"[A-Za-z0-9À-ÿ']+|[,;:.!?()\"“”—–-]")
_SEQUEL = re.compile(r"^(?:\d{1,2}|I{2,3}|IV|V|VI{1,3})$")
_YEAR = re.compile(r"^(?:19|20)\d{2}$")


def names(question: str) -> list[tuple[str, ...]]:
    """What a fan names, as stemmed phrases that a passage must contain to be about it:
    runs of capitalised words after the first word ("Star Wars" -> ("star", "war"); small
    words inside a run stay: "Lord of the Rings"), a sequel number stays with its run
    ("Jaws 2" -> ("jaw", "2")), and a year stands alone ("2012")."""
    return [tuple(stem(w) for w in run) for run in _name_runs(question)]


def named_phrases(question: str) -> list[str]:
    """The same names as written ("Jurassic Park"), for people to read."""
    return [" ".join(run) for run in _name_runs(question)]


def _name_runs(question: str) -> list[list[str]]:
    words = _WORD_OR_MARK.findall(question)
    runs: list[list[str]] = []
    run: list[str] = []
    for i, w in enumerate(words):
        if not w[0].isalnum():  # punctuation ends a name: "Rocky, the rooster"
            if run:
                runs.append(run)
            run = []
            continue
        if _YEAR.match(w):
            if run:
                runs.append(run)
            runs.append([w])
            run = []
            continue
        cap = i > 0 and words[i - 1] not in {".", "?", "!"} and w[:1].isupper() and w.lower() != "i"
        if cap or (run and (w.lower() in _JOINERS or _SEQUEL.match(w))):
            run.append(w)
            continue
        if run:
            runs.append(run)
        run = []
    if run:
        runs.append(run)
    out = []
    for r in runs:
        while r and r[-1].lower() in _JOINERS:
            r = r[:-1]
        if r:
            out.append(r)
    return out


def is_year(phrase: tuple[str, ...]) -> bool:
    return len(phrase) == 1 and bool(_YEAR.match(phrase[0]))


def word_sequence(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(text)]


def contains_phrase(seq: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(seq[i : i + n]) == phrase for i in range(len(seq) - n + 1))


# Ways reviews say what a question asks: "who stars in" is answered by "X plays Y".
_SYNONYMS = {
    "star": {"play", "star", "cast", "role"},
    "play": {"play", "star", "cast", "role", "voic"},
    "voic": {"voic", "play"},
    "act": {"play", "star", "cast", "role", "actor", "actress"},
    "direct": {"direct", "director", "directed"},
    "call": {"call", "nam", "known"},
    "nam": {"call", "nam", "known"},
    "set": {"set", "tak", "place", "locat"},
    "tak": {"set", "tak", "place", "locat"},
    "place": {"set", "tak", "place", "locat"},
    "music": {"music", "score", "compos", "soundtrack"},
    "compos": {"music", "score", "compos", "soundtrack"},
    "soundtrack": {"music", "score", "compos", "soundtrack"},
    "film": {"shot", "film", "locat"},
    "shot": {"shot", "film", "locat"},
    "villain": {"villain", "antagonist"},
}


def expand(stems: set[str]) -> set[str]:
    out = set(stems)
    for s in stems:
        out |= _SYNONYMS.get(s, set())
    return out


_NAME = re.compile(r"\b[A-Z][a-zà-ÿ]+(?:\s+(?:de\s+|van\s+|von\s+)?[A-Z][a-zà-ÿ]+)+")


def has_person_name(sentence: str) -> bool:
    """Two or more capitalised words in a row, not at the start: likely a person's name."""
    return any(m.start() > 0 for m in _NAME.finditer(sentence))


def sentences(text: str) -> list[str]:
    out: list[str] = []
    for para in text.split("\n"):
        para = para.strip()
        if para:
            out.extend(s.strip() for s in _SENTENCE_END.split(para) if s.strip())
    return out


_DETERMINERS = frozenset(
    "a an the this that these those his her its their my our your some every each no".split()
)


class TitleMatcher:
    """Where a film's title occurs in a question, as a word and not as part of another
    phrase: whole words; a title that is also a stop word ("Her") or very short must be
    capitalised; a sequel marker after it means another film ("Jaws 2" is not "Jaws"); and a
    one-word title in lower case that ends a noun phrase ("a tiny coastal hamlet", "a man on
    the moon") is that noun, not the film ("think of hamlet" still is)."""

    def __init__(self, title: str) -> None:
        words = r"\s+".join(re.escape(w) for w in title.split())
        sequel = r"(?!\s+(?:\d{1,2}\b|I{2,3}\b|IV\b|Part\b|Returns\b|Reloaded\b|Revolutions\b))"
        # A possessive is still the film ("Moon's score"); any other apostrophe is a word.
        body = rf"(?<![\w'’]){words}(?:(?=['’]s\b)|(?![\w'’])){sequel}"
        strict = title.lower() in STOPWORDS or len(title) <= 3
        self._cased = re.compile(body)
        self._any = None if strict else re.compile(body, re.IGNORECASE)
        self._one_word = len(title.split()) == 1

    def search(self, text: str) -> re.Match[str] | None:
        found = self._cased.search(text)
        if found or self._any is None:
            return found
        for match in self._any.finditer(text):
            if not (self._one_word and _ends_noun_phrase(text[: match.start()])):
                return match
        return None


def _ends_noun_phrase(before: str) -> bool:
    """Whether the next word would close a noun phrase: a determiner, then at most two words
    that are neither function words nor the blog's own vocabulary ("the blog like …" is not)."""
    tail = [w.lower() for w in _WORD.findall(before)[-3:]]
    for i in range(len(tail) - 1, -1, -1):
        if tail[i] in _DETERMINERS:
            return all(w not in STOPWORDS and w not in DOMAIN_WORDS for w in tail[i + 1 :])
    return False
