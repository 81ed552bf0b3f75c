"""The planner's rules: what is certain from the words alone (small talk said whole, a count,
a superlative over the archive, a score, a year, a reference back to the conversation), and
the archive query a question asks for."""

from __future__ import annotations

import re

from companion.archive.entities import Mentions
from companion.conversation.intent import describes_film, intent_of
from companion.conversation.plan import Act, ArchiveQuery

_I = re.IGNORECASE
_SMALLTALK: list[tuple[Act, re.Pattern[str]]] = [
    (
        "greeting",
        re.compile(
            r"^(?:h+i+y*a*|h+e+l+o+|h+e+y+a*|hiya|howdy|yo+|sup|greetings|"
            r"good\s+(?:morning|afternoon|evening)|what'?s\s+up|wh?a+s+u+p+)"
            r"(?:\s+(?:there|all|again|friend|everyone|companion|bot|folks|guys))?\W*$",
            _I,
        ),
    ),
    (
        "thanks",
        re.compile(
            r"^(?:(?:ok(?:ay)?|great|cool|nice|awesome|perfect|brilliant|lovely)[\s,!.]*)?"
            r"(?:thanks|thank\s+you|thx|ty|cheers|much\s+appreciated)(?:\s+(?:so\s+much|a\s+lot|"
            r"mate|again|heaps))?\W*$|^(?:ok(?:ay)?|great|cool|nice(?:\s+one)?|awesome|perfect|"
            r"brilliant|got\s+it|lovely)\W*$",
            _I,
        ),
    ),
    (
        "bye",
        re.compile(
            r"^(?:(?:ok(?:ay)?|right|thanks|cheers|gotta\s+go|got\s+to\s+go|i\s+have\s+to\s+go)"
            r"[\s,!.]*)*(?:bye+|goodbye|see\s+(?:you|ya)(?:\s+later)?|later|good\s*night|cya|ttyl)"
            r"\W*$",
            _I,
        ),
    ),
    (
        "help",
        re.compile(
            r"^(?:help|what\s+can\s+(?:you|i)\s+(?:do|ask)|how\s+does\s+this\s+work|"
            r"what\s+do\s+you\s+(?:do|know))\W*$",
            _I,
        ),
    ),
    (
        "identity",
        re.compile(
            r"^(?:who|what)\s+(?:are|r)\s+(?:you|u)\W*$|^(?:are|r)\s+(?:you|u)\s+(?:a\s+)?"
            r"(?:bot|robot|human|real|an?\s+ai|ai|person|chatbot|machine)\b[\w\s]*\W*$",
            _I,
        ),
    ),
]
PREFIX = re.compile(
    r"^(?:hi+|hello+|hey+|hiya|howdy|yo|good\s+(?:morning|afternoon|evening)|thanks|"
    r"thank\s+you|cheers|ok(?:ay)?|great)(?:\s+(?:there|all|again|friend|so\s+much|a\s+lot))?"
    r"\s*[,!.:;-]+\s*(?=\S)|^(?:hi+|hello+|hey+)\s+(?=\w)",
    _I,
)
COUNT = re.compile(r"\bhow\s+many\b", _I)
ARCHIVE_NOUN = re.compile(
    r"\b(?:films?|movies?|reviews?|posts?|pictures?|rated|ratings?|scores?|picks?|"
    r"reviewed|one)\b",
    _I,
)
BEST = re.compile(r"\b(?:best|top|highest|greatest|favou?rite|favou?red)\b", _I)
WORST = re.compile(r"\b(?:worst|lowest|weakest|least\s+favou?rite|poorest)\b", _I)
LATEST = re.compile(r"\b(?:latest|newest|most\s+recent(?:ly)?|last|recent)\b", _I)
OLDEST = re.compile(r"\b(?:oldest|earliest|first)\b", _I)
PLURAL = re.compile(r"\b(?:films|movies|reviews|ones|picks|all|every|list)\b", _I)
TOP_N = re.compile(r"\btop\s+(\d{1,2}|three|five|ten)\b", _I)
SCORE = re.compile(r"\b(\d{1,2}(?:\.\d)?)\s*(?:/|out\s+of)\s*(10|5)\b", _I)
PERFECT = re.compile(r"\b(?:perfect\s+(?:score|scores|marks|ten|10)|full\s+marks)\b", _I)
AT_LEAST = re.compile(r"\b(?:or\s+(?:higher|above|more|better)|and\s+(?:up|above))\b", _I)
REVIEWED_IN = re.compile(
    r"\b(?:reviewed|reviews?|posted|written|published)\s+(?:in|during|from)\s+((?:19|20)\d{2})"
    r"|\bin\s+((?:19|20)\d{2})\s*,?\s+(?:did|have)\s+(?:you|the\s+blog)\s+review",
    _I,
)
DECADE = re.compile(r"\b(?:the\s+)?(?:(19|20)?([0-9])0)'?s\b", _I)
LISTING = re.compile(
    r"\b(?:list|which|what|any|all|every|show|name|films?|movies?|reviews?|reviewed|"
    r"did\s+\w+\s+review|wrote|write|written|by|more|else|other|anything|something|"
    r"stuff)\b",
    _I,
)
COMPARE = re.compile(
    r"\b(?:or|vs\.?|versus|compare[sd]?|comparison|better|prefer(?:red)?|differ\w*|"
    r"against|than|between)\b",
    _I,
)
WHO_REVIEWED = re.compile(
    r"\bwho\s+(?:reviewed|wrote\s+(?:the|that|this)\s+review|reviews?)\b|"
    r"\bwhen\s+(?:did|was|were)\s+.{0,60}\breview(?:ed)?\b|\bwho\s+wrote\s+about\b",
    _I,
)
MUSIC = re.compile(
    r"\b(?:compos\w*|music\w*|soundtrack|musical)\b|\bwho\s+(?:did|wrote|made|does)\s+the\s+"
    r"score\b|\bscore\s+(?:by|was\s+by|composed)\b",
    _I,
)
SEQUEL = re.compile(r"\b(?:the\s+)?(?:sequel|follow[- ]?up|next\s+one|part\s+(?:two|2))\b", _I)
ORIGINAL = re.compile(r"\b(?:the\s+)?(?:original|first\s+(?:one|film|movie)|prequel)\b", _I)
OTHER = re.compile(r"\bthe\s+other\s+(?:one|film|movie)\b", _I)
OTHER_REVIEW = re.compile(r"\b(?:other|second|another)\s+(?:review|take|critic|opinion|post)\b", _I)
ORDINAL = re.compile(
    r"\b(first|second|third|fourth|fifth|sixth|last|1st|2nd|3rd|4th|5th|6th)\b"
    r"(?:\s+(?:one|film|movie|review))?(?:\s+(?:in|on|of|from)\s+(?:that|the|this)\s+list)?",
    _I,
)
ORDINALS = {
    "first": 0,
    "1st": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "4th": 3,
    "fifth": 4,
    "5th": 4,
    "sixth": 5,
    "6th": 5,
    "last": -1,
}
PERSON_REF = re.compile(
    r"\b(?:by\s+(?:him|her|them)|his|their|that\s+(?:director|actor|actress|person|guy)|"
    r"this\s+(?:director|actor|actress)|more\s+from|else\s+(?:did|has|is|was)\s+(?:he|she|they)|"
    r"(?:is|was|are|were)\s+(?:he|she|they)\s+in|(?:he|she|they)\s+(?:is|was|are|were)\s+in|"
    r"(?:did|does|has)\s+(?:he|she|they)\s+(?:review|direct|make|star|act|write))\b",
    _I,
)
FOLLOW_YEAR = re.compile(
    r"^\W*(?:and|what\s+about|how\s+about|or)?\s*(?:in|from|for)?\s*((?:19|20)\d{2})\W*$", _I
)
FILM_WORDS = re.compile(
    r"\b(?:films?|movies?|cinema|reviews?|blog|watch\w*|actors?|actress|director|directed|"
    r"plot|scene|ending|cast|character|stars?|starring|plays?|played|screen|sci-?fi|genre|"
    r"seen|sequel|trailer|rated|score|verdict|recommend\w*)\b",
    _I,
)
THIS = re.compile(r"\bthis\s+(?:film|movie|review|post|one|page|picture)\b|\bafter\s+this\b", _I)
NAMES = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-zA-Z'’-]{2,}\b")
WORDS = re.compile(r"[\w'’]+")
SMALL = {"three": 3, "five": 5, "ten": 10}
# A message that is only a title: "Jaws 2?", "What about Alien?"
BARE_TITLE = re.compile(
    r"(?:(?:[Ww]hat|[Hh]ow)\s+about\s+|[Aa]nd\s+)?([A-Z0-9][\w'’:&-]*(?:\s+[\w'’:&-]+){0,4})"
    r"\s*\??"
)
DID_REVIEW = re.compile(
    r"\b(?:did|has|have)\s+(?:the\s+blog|you|u|anyone|the\s+site)\s+(?:ever\s+)?review(?:ed)?\s+"
    r"(.+?)(?:\s+(?:with|by|from|starring)\b.*)?\s*\??$",
    _I,
)
LIKE_TITLE = re.compile(
    r"\b(?:like|similar\s+to|as\s+good\s+as|liked|loved|enjoyed)\s+((?:[A-Z0-9][\w'’:&-]*\s*)+)"
)
REFERS_BACK = re.compile(
    r"\b(?:other|another|second|same|sequel|original|him|her|them|it|that|this|those)\b", _I
)
VERDICT_FRAME = re.compile(
    r"\b(?:think\s+of|thoughts\s+on|opinion\s+(?:on|of)|(?:did|have)\s+(?:you|u|the\s+blog)\s+"
    r"(?:ever\s+)?(?:review(?:ed)?|see|seen|watch(?:ed)?|cover(?:ed)?))\s+(?:the\s+(?:film|movie)\s+)?"
    r"(?P<title>[\w'’:&. -]{2,60}?)\s*[?.!]*$",
    _I,
)
FACT_FRAME = re.compile(
    r"\bwho\s+(?:plays|played|directed|stars\s+in|is\s+in|was\s+in|wrote)\s+(?P<title>[\w'’:&. -]{2,60}?)"
    r"\s*[?.!]*$",
    _I,
)
# Sums are never about the reviews ("whats 17 times 23"); "/" and "-" are left out: "9/10"
# is a score and "2010-2015" a span of years.
ARITHMETIC = re.compile(
    r"\b\d+(?:\.\d+)?\s*(?:[+*×÷^]|times|plus|minus|divided\s+by|multiplied\s+by)\s*\d", _I
)
REFERENCE = re.compile(
    r"^(?:it|this|that|this\s+one|that\s+one|the\s+(?:film|movie|other\s+one|sequel|original|"
    r"first\s+one|second\s+one|last\s+one|lead|villain|hero|main\s+character|robot)|him|her|"
    r"them)$",
    _I,
)
COMPARE_BACK = re.compile(
    r"\b(?:better|worse|scarier|funnier|sadder|stronger|weaker)\s+than\b|\bcompared?\s+(?:to|with)\b|"
    r"\b(?:vs\.?|versus)\b|\bor\b.{0,40}\?\s*$",
    _I,
)


def describes(text: str) -> bool:
    return describes_film(text)


QUESTION_WORD = re.compile(
    r"(?:who|what|which|how|where|when|why|is|are|was|were|has|have|will|would|do|does|did|can|"
    r"could|should|tell|show|"
    r"give|list|any|recommend)\b",
    _I,
)
CLASSIFIER_MIN = 0.55  # a weaker nearest-example vote leaves the message to the passages
CLASSIFIER_NEAR = 0.75  # ...unless one example is this close (cosine)
# Words small talk is made of; a message with any other content word is a question.
SMALLTALK_WORDS = frozenset(
    """hi hello hey hiya howdy yo sup greetings good morning afternoon evening there all
    again friend everyone thanks thank you thx cheers great cool nice awesome perfect
    brilliant lovely much lot mate ok okay got it bye goodbye see later night help what can
    do how does this work who are you bot robot human real ai made is chat use ask kind
    questions answer know about going doing today well fine r u gotta go person or an real
    yeah yes sure thx ty hiya yo hey hi""".split()
)


REFERENCE_WORDS = frozenset(
    """the a an and what about how one film movie original sequel other first second third
    fourth fifth sixth last 1st 2nd 3rd 4th 5th 6th in on of from that this list then next
    prequel follow up""".split()
)


def content(text: str) -> list[str]:
    """The words of a follow-up that are not just pointing at a film."""
    return [w for w in WORDS.findall(text.lower()) if w not in REFERENCE_WORDS]


WATCH_NEXT = re.compile(
    r"\bwhat\s+(?:should|shall|can|could|would)\s+i\s+(?:watch|see)\b|\bwhat\s+to\s+watch\b|"
    r"\bwatch\s+(?:next|after)\b|\bgive\s+me\s+(?:a\s+)?(?:recommendation|suggestion)|"
    r"\b(?:anything|something|films?|movies?|more)\s+(?:similar|like\s+(?:this|that|it))\b|"
    r"\bsimilar\s+(?:films?|movies?|ones?|stuff)\b|^\W*similar\W*$",
    _I,
)


def wants_recommendation(text: str) -> bool:
    return intent_of(text) == "recommend" or bool(WATCH_NEXT.search(text))


FILM_AGE = re.compile(
    r"\b(?:newest|latest|most\s+recent|oldest|earliest)\s+(?:film|movie|picture)\b(?!\s+review)|"
    r"\b(?:release|released)\s+(?:year|date)\b",
    _I,
)
_NOUNS = ("films", "movies", "reviews", "posts", "film", "movie", "review")


def _noun_misspelt(text: str) -> bool:
    """ "how many reveiws": a word one or two letters away from the archive's nouns."""
    from rapidfuzz import fuzz

    words = [w for w in WORDS.findall(text.lower()) if len(w) >= 4]
    return any(fuzz.ratio(w, n) >= 80 for w in words for n in _NOUNS)


FILLER = frozenset(
    """review reviews reviewed wrote write written film films movie movies all list what which
    did does has have by other else more any show me tell every anything something stuff got
    blog you your with about labelled tagged genre genres kind sort type like please pls some
    are there were is was the a an of on in for from get see watch seen ones one good best
    worst top rated how many""".split()
)


def label_only(text: str, label: str) -> bool:
    """ "any horror films?", "cyberpunk stuff?": the message is the label and words that ask
    for a list; a description that happens to use a label's word ("an alien woman driving a
    van around Scotland") is not."""
    label_words = set(WORDS.findall(label.lower()))
    label_words |= {w + "s" for w in label_words} | {w.rstrip("s") for w in label_words}
    other = [
        w
        for w in WORDS.findall(text.lower())
        if w not in FILLER and w not in label_words and len(w) > 2
    ]
    return len(other) <= 1


def only_smalltalk_words(text: str) -> bool:
    return all(
        w in SMALLTALK_WORDS or len(w) <= 2 or w in ("what's", "how's", "i'm")
        for w in WORDS.findall(text.lower())
    )


def smalltalk_act(text: str) -> Act:
    for act, pattern in _SMALLTALK:
        if pattern.match(text.strip()):
            return act
    return ""


def archive_query(text: str, found: Mentions, person: str = "") -> ArchiveQuery | None:
    """The filter, order and limit a question over the whole archive asks for, or None when
    it asks for none."""
    noun = bool(ARCHIVE_NOUN.search(text)) or _noun_misspelt(text)
    count = bool(COUNT.search(text)) and (noun or bool(found.reviewer))
    sort, descending, limit = "date", True, None
    superlative = False
    by_release = FILM_AGE.search(text)
    if by_release:  # "the oldest film", "newest movie by release year": the film's year
        sort, superlative = "year", True
        descending = bool(re.match(r"(?:newest|latest|most\s+recent)", by_release.group(0), _I))
    elif WORST.search(text) and noun:
        sort, descending, superlative = "score", False, True
    elif BEST.search(text) and noun:
        sort, descending, superlative = "score", True, True
    elif LATEST.search(text) and re.search(r"\breview|\bpost|\bwatched|\bcovered", text, _I):
        superlative = True
    elif OLDEST.search(text) and re.search(r"\breview|\bpost", text, _I):
        descending, superlative = False, True
    if superlative and not count:
        top = TOP_N.search(text)
        if top:
            limit = int(SMALL.get(top.group(1).lower(), top.group(1)))
        elif not PLURAL.search(text) or sort == "score":
            limit = 1  # "best-rated films": every film that shares the best score
    low = high = None
    if m := SCORE.search(text):
        value = float(m.group(1)) / float(m.group(2))
        low, high = (value, None) if AT_LEAST.search(text) else (value, value)
    elif PERFECT.search(text):
        low, high = 1.0, 1.0
    reviewed = REVIEWED_IN.search(text)
    reviewed_year = int(reviewed.group(1) or reviewed.group(2)) if reviewed else None
    years = [y for y in found.years if y != reviewed_year]
    decade = None
    if not years and (d := DECADE.search(text)):
        century = int(d.group(1) or (20 if int(d.group(2)) < 3 else 19))
        decade = century * 100 + int(d.group(2)) * 10
    listing = bool(LISTING.search(text))
    filtered = bool(
        found.reviewer
        or (person and listing)
        or (
            found.label
            and label_only(text, found.label)
            and (noun or listing)
            and not describes_film(text)
            and not wants_recommendation(text)
        )
        or ((years or decade or reviewed_year) and (listing or count or superlative))
        or low is not None
    )
    if not (count or superlative or filtered):
        return None
    return ArchiveQuery(
        year=years[0] if years else None,
        decade=decade,
        reviewed_year=reviewed_year,
        reviewer=found.reviewer,
        person=person,
        label=found.label if not found.films else "",
        min_score=low,
        max_score=high,
        sort=sort,  # type: ignore[arg-type]
        descending=descending,
        limit=limit,
        count=count,
    )
