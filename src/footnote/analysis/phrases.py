"""Quoted phrases ("Quds Force") and how close together a question's words stand."""

from __future__ import annotations

import re
from collections.abc import Iterable

from footnote.analysis.analyzer import Analyzer

_QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”|«([^»]+)»')


def quoted_phrases(analyzer: Analyzer, question: str) -> list[tuple[str, ...]]:
    """The term sequences of the phrases quoted in a question (two terms or more)."""
    phrases = []
    for match in _QUOTED.finditer(question):
        terms = tuple(analyzer.terms(next(g for g in match.groups() if g)))
        if len(terms) > 1:
            phrases.append(terms)
    return phrases


def term_positions(analyzer: Analyzer, text: str) -> list[str]:
    """The text's terms in order (a word's position is its index here)."""
    return analyzer.terms(text)


def holds_phrase(sequence: list[str], phrase: tuple[str, ...]) -> bool:
    """Whether the phrase's terms stand next to each other, in order, in the sequence."""
    n = len(phrase)
    return any(tuple(sequence[i : i + n]) == phrase for i in range(len(sequence) - n + 1))


def span(sequence: list[str], wanted: Iterable[str]) -> int:
    """The fewest consecutive terms holding every wanted term the sequence has at all."""
    targets = set(wanted) & set(sequence)
    if len(targets) < 2:
        return 1 if targets else len(sequence) + 1
    best, counts, first = len(sequence), {}, 0
    for last, term in enumerate(sequence):
        if term in targets:
            counts[term] = counts.get(term, 0) + 1
        while len(counts) == len(targets):
            best = min(best, last - first + 1)
            head = sequence[first]
            if head in counts:
                counts[head] -= 1
                if not counts[head]:
                    del counts[head]
            first += 1
    return best
