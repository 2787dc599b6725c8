"""Pseudo-relevance feedback: add the words that dominate the best passages to the query.

RM3-style (Lavrenko & Croft 2001; Abdul-Jaleel et al. 2004): the terms of the top passages,
each weighted by its share of its passage times its idf, are pooled; the strongest join the
question's own terms, which keep the rest of the weight.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from footnote.analysis.analyzer import Analyzer


class _FromDocument(Protocol):
    @property
    def doc_id(self) -> str: ...


P = TypeVar("P", bound=_FromDocument)

FEEDBACK_DOCUMENTS = 3
FEEDBACK_CANDIDATES = 20
FEEDBACK_TERMS = 20
FEEDBACK_WEIGHT = 0.5
MIN_FEEDBACK_DOCUMENTS = 2


def feedback_pool(ranked: Sequence[P]) -> list[P]:
    """The best passage of each of the first FEEDBACK_DOCUMENTS documents, or none at all.

    Feedback models the documents a question is about; passages of one document are not
    separate evidence. With fewer than MIN_FEEDBACK_DOCUMENTS documents there is nothing
    to learn from (every passage of a one-article corpus shares the article's words).
    """
    pool: dict[str, P] = {}
    for passage in ranked:
        pool.setdefault(passage.doc_id, passage)
        if len(pool) == FEEDBACK_DOCUMENTS:
            break
    return list(pool.values()) if len(pool) >= MIN_FEEDBACK_DOCUMENTS else []


def expand(
    analyzer: Analyzer,
    terms: Sequence[str],
    texts: Sequence[str],
    doc_freqs: Callable[[Sequence[str]], Sequence[int]],
    n_passages: int,
    weights: Sequence[float] | None = None,
) -> tuple[list[str], list[float]]:
    """The query's terms (each with its weight, default 1) plus feedback terms, weighted.

    ``doc_freqs`` gives how many passages hold each of a list of terms.
    """
    question: dict[str, float] = {}
    for term, weight in zip(terms, weights or [1.0] * len(terms), strict=True):
        question[term] = question.get(term, 0.0) + weight
    if not question or not texts:
        return list(question), list(question.values())
    counted = [Counter(analyzer.terms(text)) for text in texts]
    seen = list(dict.fromkeys(term for counts in counted for term in counts))
    idf = {
        term: math.log1p((n_passages - df + 0.5) / (df + 0.5))
        for term, df in zip(seen, doc_freqs(seen), strict=True)
    }
    pooled: Counter[str] = Counter()
    for counts in counted:
        length = sum(counts.values()) or 1
        for term, n in counts.items():
            pooled[term] += n / length * idf[term]
    chosen = pooled.most_common(FEEDBACK_TERMS)
    total_feedback = sum(v for _, v in chosen) or 1.0
    size = sum(question.values())
    # Weights are scaled so the question's terms keep magnitudes like an unexpanded query.
    expanded = {t: (1 - FEEDBACK_WEIGHT) * w for t, w in question.items()}
    for term, value in chosen:
        expanded[term] = expanded.get(term, 0.0) + FEEDBACK_WEIGHT * size * value / total_feedback
    return list(expanded), list(expanded.values())
