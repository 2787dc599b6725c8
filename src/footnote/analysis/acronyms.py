"""Acronyms met by the words they abbreviate: "PM" and "Prime Minister", "IRGC" and
"Islamic Revolution Guard Corps".

An acronym and its expansion share no term, so BM25 cannot see that a passage naming the
"Prime Minister" answers a question about the "PM". Writers spell a name out once and
abbreviate it after; readers ask with whichever they remember. The match is made from the
text itself (initials of consecutive capitalised words), with no list of acronyms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from footnote.analysis.analyzer import Analyzer

if TYPE_CHECKING:
    from footnote.analysis.question import Question

# An acronym as written: two to six capital letters, optionally with "'s" ("PM's").
_ACRONYM = re.compile(r"\b([A-Z]{2,6})(?:['’]s)?\b")
# Two capitals in a row, which every acronym has: a scan far cheaper than the pattern
# above, which tries at every capital (each sentence's first letter), and most passages
# hold no acronym at all.
_TWO_CAPITALS = re.compile(r"[A-Z]{2}")
_WORD = re.compile(r"[\w'’]+(?:-[\w'’]+)*")
# Short words a spelt-out name may hold that its acronym leaves out ("Secretary of State").
_JOINERS = frozenset({"of", "and", "for", "the", "de", "&"})
# Two or more capitalised words with only spaces (and joiners) between them: punctuation
# ends a name. One regex over the text, as every passage of a question is looked at.
_CAPITALISED = r"[A-ZÀ-ÖØ-Þ][\w'’]*(?:-[\w'’]+)*"
_NAME_RUN = re.compile(
    rf"{_CAPITALISED}(?:[ \t]+(?:(?:{'|'.join(sorted(_JOINERS))})[ \t]+)*{_CAPITALISED})+"
)


def acronyms(text: str) -> set[str]:
    """The acronyms written in a text (none in a text written all in capitals)."""
    if text.isupper() or not _TWO_CAPITALS.search(text):
        return set()  # a shouted question's capitals say nothing; most texts have none
    return {m.group(1) for m in _ACRONYM.finditer(text)}


def name_runs(text: str, capitalised: bool) -> list[list[str]]:
    """Runs of words that may spell a name: capitalised words (joiners allowed inside), or,
    when ``capitalised`` is false, every run of words; punctuation ends a run."""
    if capitalised:
        return [match.group().split() for match in _NAME_RUN.finditer(text)]
    runs: list[list[str]] = [[]]
    for match in _WORD.finditer(text):
        runs[-1].append(match.group())
        if text[match.end() : match.end() + 1] in ',.;:!?()"':
            runs.append([])
    return [run for run in runs if len(run) >= 2]


def _spelt_out(acronym: str, runs: Iterable[Sequence[str]]) -> list[str] | None:
    """The consecutive words of a run whose initials spell the acronym, or None; joiners
    between them are skipped ("Secretary of State" spells SS)."""
    n = len(acronym)
    for run in runs:
        content = [w for w in run if w.casefold() not in _JOINERS]
        for start in range(len(content) - n + 1):
            words = content[start : start + n]
            if "".join(w[0] for w in words).upper() == acronym:
                return words
    return None


def matched_by_acronym(analyzer: Analyzer, question: Question, text: str) -> set[str]:
    """The question's terms a text holds only through an acronym, either way round.

    An acronym of the question ("PM") is held by a text that spells it out in capitalised
    words ("Prime Minister"); the words of the question that spell out an acronym of the
    text are held by it. Acronyms of three letters or more also match words in lower case.
    """
    found: set[str] = set()
    spelt: list[str] = []  # acronyms of the question a name of the text spells out
    asked = question.acronyms
    if asked:
        text_runs = name_runs(text, capitalised=True)
        spelt = [a for a in asked if _spelt_out(a, text_runs)]
    # Words of the question that spell out an acronym of the text.
    words = [
        w
        for acronym in acronyms(text)
        for w in _spelt_out(acronym, question.names if len(acronym) < 3 else question.runs) or ()
    ]
    if not spelt and not words:
        return found  # most passages of most questions: nothing to match
    held = set(analyzer.terms(text))
    for acronym in spelt:
        found.update(analyzer.terms(acronym))
    found.update(analyzer.terms(" ".join(words)))
    return found - held
