"""Follow-up questions: when a question leans on the one before, and which terms carry over."""

from __future__ import annotations

import re

from footnote.analysis.question import Question

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


def leans_on_earlier(question: Question) -> bool:
    """Whether a question needs the one before it: short, pointing back, or continuing."""
    if CONTINUING.match(question.text):
        return True
    words = {w.casefold() for w in WORD.findall(question.text)}
    if words & POINTING_WORDS:
        return True
    subjects = len(question.subjects)
    return subjects <= SHORT_QUESTION or (
        subjects <= POSSESSIVE_SHORT and bool(words & POSSESSIVES)
    )


def carried(question: Question, earlier: Question | None) -> dict[str, float]:
    """The earlier question's subject terms a follow-up that leans on it searches too, with
    their weights; none for a question that stands on its own."""
    if earlier is None or not earlier.text or not leans_on_earlier(question):
        return {}
    own = set(question.words)
    taken = [t for t in earlier.subjects if t not in own]
    # The carried terms together weigh at most CARRY_WEIGHT of the follow-up's own, so a
    # follow-up's new subject ("who is its director?") still decides.
    share = CARRY_WEIGHT * max(1, len(question.subjects)) / max(1, len(taken))
    return dict.fromkeys(taken, min(CARRY_WEIGHT, share))


def conversation(question: str, context: str | None, limit: int = 500) -> str:
    """What a next follow-up leans on: this question, after the context it leaned on itself."""
    text = " ".join(f"{context or ''} {question}".split())
    return text[-limit:] if len(text) > limit else text
