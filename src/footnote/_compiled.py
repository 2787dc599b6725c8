"""numba-compiled functions of the query kernel (imported only by footnote.kernel)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _better(s: float, d: int, s2: float, d2: int) -> bool:
    return s > s2 or (s == s2 and d < d2)


@njit(cache=True, nogil=True)
def _keep(best_scores, best_docs, count, s, d):  # type: ignore[no-untyped-def]
    # Insert (s, d) into the sorted best-k arrays if it belongs there; the new count.
    k = best_scores.shape[0]
    if count < k:
        pos = count
        count += 1
    elif _better(s, d, best_scores[k - 1], best_docs[k - 1]):
        pos = k - 1
    else:
        return count
    while pos > 0 and _better(s, d, best_scores[pos - 1], best_docs[pos - 1]):
        best_scores[pos] = best_scores[pos - 1]
        best_docs[pos] = best_docs[pos - 1]
        pos -= 1
    best_scores[pos] = s
    best_docs[pos] = d
    return count


@njit(cache=True, nogil=True)
def top_k(indptr, docs, weights, terms, scale, k, buffer, marks, touched):  # type: ignore[no-untyped-def]
    """The k best documents (score descending, then document ascending) and their scores."""
    # Add each query term's weights (times its query weight), in query order, exactly as
    # get_scores adds them, remembering which documents were touched.
    n = 0
    for i in range(terms.shape[0]):
        t = terms[i]
        w = scale[i]
        for p in range(indptr[t], indptr[t + 1]):
            d = docs[p]
            if marks[d] == 0:
                marks[d] = 1
                touched[n] = d
                n += 1
            buffer[d] += weights[p] if w == 1.0 else weights[p] * w
    # Keep the best k, clearing the buffer as we go.
    best_docs = np.empty(k, dtype=np.int64)
    best_scores = np.empty(k, dtype=np.float64)
    count = 0
    for j in range(n):
        d = touched[j]
        s = buffer[d]
        buffer[d] = 0.0
        marks[d] = 0
        count = _keep(best_scores, best_docs, count, s, d)
    return best_docs[:count], best_scores[:count]


@njit(cache=True, nogil=True)
def top_k_positive(indptr, docs, weights, terms, scale, k, buffer):  # type: ignore[no-untyped-def]
    """top_k for postings and query weights that are all above zero: no marks, no list.

    A document is touched exactly when its sum is above zero, so the sums alone say which
    documents to rank: a second pass over the same postings picks them up (clearing each
    one as it goes, so a document in several lists counts once). Measured 1.5 times as
    fast as top_k at a million passages, where the marks cost as much as the sums.
    """
    for i in range(terms.shape[0]):
        t = terms[i]
        w = scale[i]
        if w == 1.0:
            for p in range(indptr[t], indptr[t + 1]):
                buffer[docs[p]] += weights[p]
        else:
            for p in range(indptr[t], indptr[t + 1]):
                buffer[docs[p]] += weights[p] * w
    best_docs = np.empty(k, dtype=np.int64)
    best_scores = np.empty(k, dtype=np.float64)
    count = 0
    for i in range(terms.shape[0]):
        t = terms[i]
        for p in range(indptr[t], indptr[t + 1]):
            d = docs[p]
            s = buffer[d]
            if s != 0.0:
                buffer[d] = 0.0
                count = _keep(best_scores, best_docs, count, s, d)
    return best_docs[:count], best_scores[:count]
