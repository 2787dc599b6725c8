"""Pseudo-relevance feedback: add the words that dominate the best passages to the query.

RM3-style (Lavrenko & Croft 2001; Abdul-Jaleel et al. 2004): the terms of the top passages,
each weighted by its share of its passage times its idf, are pooled; the strongest join the
question's own terms, which keep the rest of the weight.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence

from footnote.analysis import Analyzer

FEEDBACK_PASSAGES = 5
FEEDBACK_TERMS = 20
FEEDBACK_WEIGHT = 0.5


def expand(
    analyzer: Analyzer,
    terms: Sequence[str],
    texts: Sequence[str],
    doc_freq: Callable[[str], int],
    n_passages: int,
) -> tuple[list[str], list[float]]:
    """The question's terms plus feedback terms, with their query weights."""
    question = Counter(terms)
    if not question or not texts:
        return list(terms), [1.0] * len(terms)
    pooled: Counter[str] = Counter()
    for text in texts:
        counts = Counter(analyzer.terms(text))
        length = sum(counts.values()) or 1
        for term, n in counts.items():
            df = doc_freq(term)
            pooled[term] += n / length * math.log1p((n_passages - df + 0.5) / (df + 0.5))
    chosen = pooled.most_common(FEEDBACK_TERMS)
    total_feedback = sum(v for _, v in chosen) or 1.0
    size = sum(question.values())
    # Weights are scaled so the question's terms keep magnitudes like an unexpanded query.
    weights = {t: (1 - FEEDBACK_WEIGHT) * n for t, n in question.items()}
    for term, value in chosen:
        weights[term] = weights.get(term, 0.0) + FEEDBACK_WEIGHT * size * value / total_feedback
    return list(weights), list(weights.values())
