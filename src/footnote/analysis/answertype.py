"""Answer types: a "when" question wants a time in its answer, a "how many" one a number,
a "where" one a place, a "which command/option" one something to type.

The expected type of a factoid question, read from its question words, is the oldest tool
of question answering (TREC QA, 1999 on). Footnote uses the types it can recognise with no
model: times (and, in docs, versions: "new in version 2.2"), quantities (digits and number
words: "eighteen pounds"), places (countries and capitals from countryinfo's table, compass
words, and in docs URLs, paths, files, channels, menus and folders), and, for docs, code:
options (`--verbose`), commands (`!mute`, `/ban`), calls and identifiers.
"""

from __future__ import annotations

import functools
import re
from typing import Literal

AnswerType = Literal["time", "quantity", "place", "code"]

_TIME_QUESTION = re.compile(
    r"^\W*(?:when\b|since when\b|until when\b|how long ago\b|"
    r"(?:on |in |at )?what (?:day|date|time|year|month|week|hour|period|decade|century)\b|"
    r"(?:on |in |at )?which (?:day|date|year|month|week|decade|century)\b)"
    r"|\b(?:what|which) (?:day|date|year|time) (?:did|was|were|is|will|does|do)\b",
    re.IGNORECASE,
)
_QUANTITY_QUESTION = re.compile(
    r"\bhow (?:many|much|old|far|long|big|large|high|tall|often)\b|^\W*number of\b"
    r"|\bwhat (?:number|percentage|proportion|share|amount|age)\b"
    r"|\b(?:what|which) (?:\w+ )?versions?\b",
    re.IGNORECASE,
)

_PLACE_QUESTION = re.compile(
    r"^\W*where\b|\b(?:in|to|from|at|near) (?:what|which) "
    r"(?:country|countries|city|cities|town|state|province|region|area|part|place)\b"
    r"|^\W*(?:what|which) (?:country|countries|city|cities|town|province|region)\b",
    re.IGNORECASE,
)
# "Which command...", "what option...": a docs reader asks for something to type.
_CODE_QUESTION = re.compile(
    r"\b(?:what|which) (?:\w+ )?(?:command|option|flag|switch|setting|parameter|argument|"
    r"function|method|class|variable|env(?:ironment)? variable|key|field|property|attribute|"
    r"module|package|endpoint|decorator|keyword|config|configuration value|hook|event)s?\b"
    r"|\b(?:command|option|flag|setting|function|method|variable) (?:do|does|should|can|to)\b",
    re.IGNORECASE,
)
# Something typed: a command line option (--verbose, -v), a chat or shell command (!mute,
# /ban), a call (run(), app.config), a snake_case, CamelCase.attr or UPPER_CASE name.
_CODE = re.compile(
    r"(?<![\w-])--?[a-zA-Z][\w-]*"
    r"|(?<![\w/])[!/][a-z][\w-]*"
    r"|\b\w+\(\)"
    r"|\b[a-z]+_[a-z0-9_]+\b"
    r"|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b"
    r"|\b[A-Za-z_]\w*\.[a-z_]\w*\b(?<!\.com)"
)
# Words that only restate a "where" question ("where is it *based*?"): the answer is the
# subject and a place, and a passage using the word in another sense ("military bases")
# is no nearer to it. They are not searched in a place question.
PLACE_FRAMING_WORDS = "based located situated headquartered"

_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday"
_MONTHS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
_TIME_WORDS = (
    "today tonight yesterday tomorrow morning afternoon evening night midnight noon dawn "
    "dusk weekend week weeks month months year years decade decades century centuries "
    "ago since until later earlier hours days minutes spring summer autumn winter"
)
_TIME = re.compile(
    r"\b(?:" + "|".join((_WEEKDAYS + " " + _MONTHS + " " + _TIME_WORDS).split()) + r")\b"
    r"|\b(?:1[5-9]|20)\d\d\b|\b\d{1,2}[:.]\d\d\b|\b\d{1,2}(?:am|pm)\b"
    r"|\bversion \d+(?:\.\d+)*",  # docs date changes by release: "New in version 2.2"
    re.IGNORECASE,
)
# A day or date named in a question constrains the event it asks about ("on Wednesday").
_NAMED_DATE = re.compile(
    r"\b(?:" + "|".join(_WEEKDAYS.split()) + r")\b"
    r"|\b(?-i:January|February|March|April|June|July|August|September|October|November|"
    r"December|May(?= \d))\b|\b(?:1[5-9]|20)\d\d\b",
    re.IGNORECASE,
)
_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
    "eighty ninety hundred hundreds thousand thousands million millions billion billions "
    "dozen dozens half twice double triple several"
)
_QUANTITY = re.compile(
    r"\d|\b(?:" + "|".join(_NUMBER_WORDS.split()) + r")\b|%|\bper ?cent\b",
    re.IGNORECASE,
)


# Compass words place something within a country or city ("in western Iraq", "north of").
_COMPASS = re.compile(
    r"\b(?:north|south|east|west|northern|southern|eastern|western|"
    r"north-?east(?:ern)?|north-?west(?:ern)?|south-?east(?:ern)?|south-?west(?:ern)?)\b",
    re.IGNORECASE,
)
# Where things are in software and its docs: a URL, a file path or file name, a chat channel,
# a menu path ("Settings > Privacy"), or "in the ... folder/bucket/tab/..." .
_LOCATION = re.compile(
    r"https?://\S+|\bwww\.\S+"
    r"|(?:~|\.{1,2})?/[\w.-]+(?:/[\w.-]+)+"
    r"|\b[\w-]+\.(?:json|ya?ml|toml|ini|cfg|conf|env|py|js|ts|md|txt|log|xml|html|css|sh)\b"
    r"|(?<![\w&])#[a-z][\w-]+"
    r"|\b[A-Z]\w*(?: [A-Z]\w*)* (?:>|→|->) [A-Z]\w*"
    r"|\b(?:in|into|under|from|to) (?:the |your |a |an )?(?:[\w-]+ ){0,3}"
    r"(?:folder|directory|file|bucket|channel|page|tab|menu|section|panel|repository|repo|"
    r"table|database|dashboard|console|settings)s?\b"
)
# A run of capitalised words (a name), as places are written in running text.
_NAME = re.compile(r"\b[A-Z][\w'’.-]*(?: (?:of |and |de |al-)?[A-Z][\w'’.-]*)*")
_POSSESSIVE = re.compile(r"['’]s?$")


@functools.cache
def place_names() -> frozenset[str]:
    """Every country's names and capital, from countryinfo's table (shipped offline)."""
    import countryinfo

    names: set[str] = set()
    for country in countryinfo.all_countries():
        for name in (country.name(), country.capital(), *(country.alt_spellings() or [])):
            if isinstance(name, str) and len(name) > 2 and not name.isupper():
                names.add(name)
    return frozenset(names)


def _holds_place(text: str) -> bool:
    """Whether a text names a country or capital ("Iraq's", "Saudi Arabia"), a compass
    direction, or a place in software (a URL, path, file, channel, menu or folder)."""
    if _COMPASS.search(text) or _LOCATION.search(text):
        return True
    names = place_names()
    for match in _NAME.finditer(text):
        words = [_POSSESSIVE.sub("", w.rstrip(".")) for w in match.group().split()]
        for i in range(len(words)):
            for j in range(i + 1, min(len(words), i + 4) + 1):
                if " ".join(words[i:j]) in names:
                    return True
    return False


def expected_type(question: str) -> AnswerType | None:
    """The kind of answer a question asks for, when its question words say so."""
    if _TIME_QUESTION.search(question):
        return "time"
    if _CODE_QUESTION.search(question):  # "which setting sets how long...": the setting
        return "code"
    if _QUANTITY_QUESTION.search(question):
        return "quantity"
    if _PLACE_QUESTION.search(question):
        return "place"
    return None


def named_dates(text: str) -> list[str]:
    """The days, months and years a text names ("Wednesday", "March", "2009")."""
    return [m.group() for m in _NAMED_DATE.finditer(text)]


def has_type(text: str, kind: AnswerType) -> bool:
    """Whether a passage holds an answer of the kind: a time, a quantity or a place."""
    if kind == "place":
        return _holds_place(text)
    if kind == "code":
        return bool(_CODE.search(text))
    return bool((_TIME if kind == "time" else _QUANTITY).search(text))
