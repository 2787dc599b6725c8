"""The compiled query kernel: one pass over the query's postings, a bounded top-k selection.

numpy needs a dozen array passes and calls per query, which costs more than the arithmetic
on a large index; this kernel, compiled by numba once and cached on disk, does the same sum
in one loop. It is loaded only for large indexes (importing numba takes half a second) and
only when numba is installed; otherwise the numpy path answers, with identical results.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import numpy as np

log = logging.getLogger(__name__)

TopK = Callable[..., tuple[np.ndarray, np.ndarray]]
Kernels = tuple[TopK, TopK]

_lock = threading.Lock()
_loaded = False
_kernel: Kernels | None = None


def load() -> Kernels | None:
    """The compiled (term-at-a-time, MaxScore) top-k functions, or None without numba."""
    global _loaded, _kernel
    with _lock:
        if not _loaded:
            _loaded = True
            try:
                _kernel = _compile()
            except Exception as exc:  # ImportError, or a numba that cannot compile here
                log.info("numba kernel unavailable, using numpy: %s", exc)
                _kernel = None
    return _kernel


def _compile() -> Kernels:
    from numba import njit

    @njit(cache=True, nogil=True)
    def better(s: float, d: int, s2: float, d2: int) -> bool:
        return s > s2 or (s == s2 and d < d2)

    @njit(cache=True, nogil=True)
    def keep(best_scores, best_docs, count, s, d):  # type: ignore[no-untyped-def]
        # Insert (s, d) into the sorted best-k arrays if it belongs there; the new count.
        k = best_scores.shape[0]
        if count < k:
            pos = count
            count += 1
        elif better(s, d, best_scores[k - 1], best_docs[k - 1]):
            pos = k - 1
        else:
            return count
        while pos > 0 and better(s, d, best_scores[pos - 1], best_docs[pos - 1]):
            best_scores[pos] = best_scores[pos - 1]
            best_docs[pos] = best_docs[pos - 1]
            pos -= 1
        best_scores[pos] = s
        best_docs[pos] = d
        return count

    @njit(cache=True, nogil=True)
    def top_k(indptr, docs, weights, terms, scale, k, buffer, marks, touched):  # type: ignore[no-untyped-def]
        # Add each query term's weights (times its query weight), in query order.
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
        # Keep the best k (score descending, then document ascending), clearing as we go.
        best_docs = np.empty(k, dtype=np.int64)
        best_scores = np.empty(k, dtype=np.float64)
        count = 0
        for j in range(n):
            d = touched[j]
            s = buffer[d]
            buffer[d] = 0.0
            marks[d] = 0
            count = keep(best_scores, best_docs, count, s, d)
        return best_docs[:count], best_scores[:count]

    @njit(cache=True, nogil=True)
    def max_score(indptr, docs, weights, terms, times, reach, k):  # type: ignore[no-untyped-def]
        # Document at a time over postings sorted by document (MaxScore, Turtle & Flood
        # 1995). Terms come sorted by reach (largest weight x times asked), ascending; a
        # prefix of terms whose reaches add up to no more than the k-th best score so far
        # cannot lift a document into the top k alone, so only the other ("essential")
        # terms propose candidates, and the prefix is only looked up for them.
        m = terms.shape[0]
        bound = np.empty(m, dtype=np.float64)
        total = 0.0
        for i in range(m):
            total += reach[i]
            bound[i] = total
        cursor = np.empty(m, dtype=np.int64)
        end = np.empty(m, dtype=np.int64)
        for i in range(m):
            cursor[i] = indptr[terms[i]]
            end[i] = indptr[terms[i] + 1]
        best_docs = np.empty(k, dtype=np.int64)
        best_scores = np.empty(k, dtype=np.float64)
        count = 0
        theta = -np.inf
        essential = 0
        none = np.iinfo(np.int64).max
        while essential < m:
            d = none
            for i in range(essential, m):
                if cursor[i] < end[i] and docs[cursor[i]] < d:
                    d = docs[cursor[i]]
            if d == none:
                break
            s = 0.0
            for i in range(essential, m):
                if cursor[i] < end[i] and docs[cursor[i]] == d:
                    s += weights[cursor[i]] * times[i]
                    cursor[i] += 1
            margin = 1e-9 * max(1.0, abs(theta))
            for i in range(essential - 1, -1, -1):
                if count == k and s + bound[i] < theta - margin:
                    break
                lo = cursor[i]
                hi = end[i]
                while lo < hi:
                    mid = (lo + hi) // 2
                    if docs[mid] < d:
                        lo = mid + 1
                    else:
                        hi = mid
                cursor[i] = lo
                if lo < end[i] and docs[lo] == d:
                    s += weights[lo] * times[i]
            count = keep(best_scores, best_docs, count, s, d)
            if count == k:
                theta = best_scores[k - 1]
                margin = 1e-9 * max(1.0, abs(theta))
                while essential < m and bound[essential] < theta - margin:
                    essential += 1
        return best_docs[:count], best_scores[:count]

    return top_k, max_score
