"""Answer types: a "when" question wants a time in its answer, a "how many" one a number.

The expected type of a factoid question, read from its question words, is the oldest tool
of question answering (TREC QA, 1999 on). Footnote uses the two types it can recognise
reliably with no model: times and quantities.
"""

from __future__ import annotations

import re
from typing import Literal

AnswerType = Literal["time", "quantity"]

_TIME_QUESTION = re.compile(
    r"^\W*(?:when\b|since when\b|until when\b|how long ago\b|"
    r"(?:on |in |at )?what (?:day|date|time|year|month|week|hour|period|decade|century)\b|"
    r"(?:on |in |at )?which (?:day|date|year|month|week|decade|century)\b)"
    r"|\b(?:what|which) (?:day|date|year|time) (?:did|was|were|is|will|does|do)\b",
    re.IGNORECASE,
)
_QUANTITY_QUESTION = re.compile(
    r"\bhow (?:many|much|old|far|long|big|large|high|tall|often)\b|^\W*number of\b"
    r"|\bwhat (?:number|percentage|proportion|share|amount|age)\b",
    re.IGNORECASE,
)

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
    r"|\b(?:1[5-9]|20)\d\d\b|\b\d{1,2}[:.]\d\d\b|\b\d{1,2}(?:am|pm)\b",
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


def expected_type(question: str) -> AnswerType | None:
    """The kind of answer a question asks for, when its question words say so."""
    if _TIME_QUESTION.search(question):
        return "time"
    if _QUANTITY_QUESTION.search(question):
        return "quantity"
    return None


def has_type(text: str, kind: AnswerType) -> bool:
    """Whether a passage holds an answer of the kind: a time expression or a quantity."""
    return bool((_TIME if kind == "time" else _QUANTITY).search(text))
