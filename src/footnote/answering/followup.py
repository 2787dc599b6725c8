"""Follow-up questions: when a question leans on the one before, and which terms carry over."""

from __future__ import annotations

import re

from footnote.analysis.analyzer import Analyzer
from footnote.answering.answer import framing_terms

# The weight of a term carried over from the earlier question, against 1 for the follow-up's
# own terms: the earlier subject still counts, but what is asked now decides.
CARRY_WEIGHT = 0.5
# A follow-up with at most this many subject terms cannot stand on its own ("and on
# Wednesday?", "who leads them?").
SHORT_QUESTION = 2
# Words that stand for something said before ("when did it open?").
POINTING_WORDS = frozenset({"he", "him", "she", "they", "them", "it", "there", "then"})
# Words that often point back, but as often at a subject named in the same question ("when
# did the museum open its doors?"): they count only in a question of few subject terms.
POSSESSIVES = frozenset(
    {"his", "her", "hers", "their", "theirs", "its", "this", "that", "these", "those", "same"}
)
POSSESSIVE_SHORT = 3
# Openings that continue a conversation rather than start one.
CONTINUING = re.compile(r"^\s*(and|but|also|so|then|what about|how about|what of)\b", re.I)
WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def subject_terms(analyzer: Analyzer, question: str) -> list[str]:
    """The question's terms without the words that only frame it ("how many", "say")."""
    framing = framing_terms(analyzer)
    return [t for t in dict.fromkeys(analyzer.terms(question)) if t not in framing]


def leans_on_earlier(analyzer: Analyzer, question: str) -> bool:
    """Whether a question needs the one before it: short, pointing back, or continuing."""
    if CONTINUING.match(question):
        return True
    words = {w.casefold() for w in WORD.findall(question)}
    if words & POINTING_WORDS:
        return True
    subjects = len(subject_terms(analyzer, question))
    return subjects <= SHORT_QUESTION or (
        subjects <= POSSESSIVE_SHORT and bool(words & POSSESSIVES)
    )


def carried_terms(analyzer: Analyzer, question: str, earlier: str) -> list[str]:
    """The earlier question's subject terms the follow-up does not already have."""
    own = set(analyzer.terms(question))
    return [t for t in subject_terms(analyzer, earlier) if t not in own]


def conversation(question: str, context: str | None, limit: int = 500) -> str:
    """What a next follow-up leans on: this question, after the context it leaned on itself."""
    text = " ".join(f"{context or ''} {question}".split())
    return text[-limit:] if len(text) > limit else text
