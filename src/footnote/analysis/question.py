"""A question analysed once: its terms, the kind of answer it wants, its quoted phrases,
named dates and acronyms, in one record every stage of answering reads."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from footnote.analysis.acronyms import acronyms, name_runs
from footnote.analysis.analyzer import Analyzer
from footnote.analysis.answertype import (
    PLACE_FRAMING_WORDS,
    AnswerType,
    expected_type,
    named_dates,
)
from footnote.analysis.phrases import quoted_phrases

# Words that frame a question rather than name its subject ("how *many*", "what *kind* of",
# "what did he *say*"): they are searched for, but a passage need not hold them to answer.
FRAMING_WORDS = (
    "many much number kind sort type name happen happened get got say said tell told think "
    "know mean called call would could also exactly really article story"
)
MAX_QUESTION_CHARS = 4000


@functools.lru_cache(maxsize=16)
def _terms_of(analyzer: Analyzer, words: str) -> frozenset[str]:
    """An analyzer's terms for a fixed list of words (worked out once per analyzer)."""
    return frozenset(analyzer.terms(words))


def framing_terms(analyzer: Analyzer) -> frozenset[str]:
    """The analyzer's terms for the question-framing words."""
    return _terms_of(analyzer, FRAMING_WORDS)


def clean(question: str) -> str:
    """The question on one line, single-spaced, at most MAX_QUESTION_CHARS long."""
    return " ".join(question.split())[:MAX_QUESTION_CHARS] if isinstance(question, str) else ""


@dataclass(frozen=True)
class Question:
    """One question, analysed once."""

    asked: str  # as the person wrote it
    text: str  # single-spaced and capped: what is analysed
    words: tuple[str, ...]  # every term of the text, in order
    terms: tuple[str, ...]  # the terms searched: the words, less a "where" question's framing
    subjects: tuple[str, ...]  # distinct words less the framing words ("how many", "say")
    kind: AnswerType | None  # the kind of answer asked for, when its question words say so
    phrases: tuple[tuple[str, ...], ...]  # the term sequences of its quoted phrases
    dates: frozenset[str]  # the terms of the days, months and years it names
    acronyms: frozenset[str]  # the acronyms written in it
    names: tuple[tuple[str, ...], ...]  # runs of capitalised words that may spell a name
    runs: tuple[tuple[str, ...], ...]  # every run of two words or more (for short acronyms)

    @classmethod
    def read(cls, analyzer: Analyzer, asked: str) -> Question:
        """The question analysed by this analyzer."""
        text = clean(asked)
        words = tuple(analyzer.terms(text))
        kind = expected_type(text)
        terms = words
        if kind == "place":
            framing = _terms_of(analyzer, PLACE_FRAMING_WORDS)
            terms = tuple(t for t in words if t not in framing) or words
        framing_words = framing_terms(analyzer)
        return cls(
            asked=asked if isinstance(asked, str) else "",
            text=text,
            words=words,
            terms=terms,
            subjects=tuple(t for t in dict.fromkeys(words) if t not in framing_words),
            kind=kind,
            phrases=tuple(quoted_phrases(analyzer, text)),
            dates=frozenset(analyzer.terms(" ".join(named_dates(text)))),
            acronyms=frozenset(acronyms(text)),
            names=tuple(map(tuple, name_runs(text, capitalised=True))),
            runs=tuple(map(tuple, name_runs(text, capitalised=False))),
        )
