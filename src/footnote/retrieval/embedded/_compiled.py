"""numba-compiled functions of the query kernel (imported only by kernel.py beside it)."""

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
def _open_lists(indptr, docs, terms):  # type: ignore[no-untyped-def]
    # Each query term's list: where it starts and ends, its first document (the largest
    # int64 once a list is read), and the first document of all.
    m = terms.shape[0]
    done = np.iinfo(np.int64).max
    cursor = np.empty(m, np.int64)
    end = np.empty(m, np.int64)
    head = np.empty(m, np.int64)
    first = done
    for i in range(m):
        cursor[i] = indptr[terms[i]]
        end[i] = indptr[terms[i] + 1]
        head[i] = docs[cursor[i]] if cursor[i] < end[i] else done
        first = min(first, head[i])
    return cursor, end, head, first


@njit(cache=True, nogil=True, inline="always")
def _first_at_least(docs, lo, hi, d):  # type: ignore[no-untyped-def]
    # The first position in docs[lo:hi] holding a document >= d (hi if none): a galloping
    # search, since the cursor moves forward a little at a time.
    step = 1
    while lo + step < hi and docs[lo + step] < d:
        lo += step
        step *= 2
    a = lo
    b = min(lo + step, hi)
    while a < b:
        mid = (a + b) >> 1
        if docs[mid] < d:
            a = mid + 1
        else:
            b = mid
    return a


@njit(cache=True, nogil=True)
def top_k_merged(indptr, docs, weights, terms, scale, k):  # type: ignore[no-untyped-def]
    """top_k by merging the query's lists in document order (for short queries whose weights
    may be zero or below, where no bound holds to prune by).

    Each document's weights are added in query order (as get_scores adds them, so the scores
    are the same to the last bit) and the best k kept as they come: nothing is scattered
    into a buffer, so the only memory read is the lists, once and in order. Its cost per
    document grows with the number of lists.
    """
    m = terms.shape[0]
    done = np.iinfo(np.int64).max
    cursor, end, head, d = _open_lists(indptr, docs, terms)
    best_docs = np.empty(k, dtype=np.int64)
    best_scores = np.empty(k, dtype=np.float64)
    count = 0
    while d != done:
        s = 0.0
        following = done
        for i in range(m):
            if head[i] == d:
                p = cursor[i]
                s += weights[p] * scale[i]
                p += 1
                cursor[i] = p
                head[i] = docs[p] if p < end[i] else done
            following = min(following, head[i])
        count = _keep(best_scores, best_docs, count, s, d)
        d = following
    return best_docs[:count], best_scores[:count]


# MaxScore scores documents a window of this many ids at a time.
WINDOW = 4096
# The lowest set bit of a word, times this de Bruijn constant, has a distinct top six bits
# for each bit position: with _LOWEST_BIT they give the position without a loop (numba has
# no count-trailing-zeros of its own).
_DE_BRUIJN = np.uint64(0x03F79D71B4CB0A89)
_LOWEST_BIT = np.zeros(64, np.int64)
for _bit in range(64):
    _LOWEST_BIT[((1 << _bit) * int(_DE_BRUIJN) & (2**64 - 1)) >> 58] = _bit


@njit(cache=True, nogil=True, inline="always")
def _add(docs, weights, factor, start, stop, lo, hi, buffer, marks):  # type: ignore[no-untyped-def]
    # Add a list's weights from start (up to stop, or the window's end) into the window's
    # buffer, marking each document's bit; where it stopped.
    one = np.uint64(1)
    c = start
    while c < stop and docs[c] < hi:
        r = docs[c] - lo
        buffer[r] += weights[c] * factor
        marks[r >> 6] |= one << np.uint64(r & 63)
        c += 1
    return c


@njit(cache=True, nogil=True)
def top_k_maxscore(indptr, docs, weights, terms, scale, maxima, floors, k):  # type: ignore[no-untyped-def]
    """top_k by MaxScore (Turtle & Flood 1995), a window of documents at a time, as
    Lucene's MaxScoreBulkScorer does; for weights all above zero.

    Query term i adds at most its list's largest weight (``maxima``) times its query weight
    to any document: its bound. Taking the lists by bound, smallest first, those whose bounds
    together stay under the k-th best score so far are "non-essential": a document found in
    none of the others cannot enter the best k. In each window the essential lists are added
    term at a time into a small buffer (a tight loop, where walking them side by side costs a
    comparison per list per document), and so is each non-essential list, largest bound
    first, while it holds fewer postings in the window than the lists added there: reading
    it in order then costs less than searching it for each document found. Each document in
    the buffer is then looked up in the lists left, largest bound first, while it could
    still reach the k-th score, and only one that does is scored exactly: its weights added
    in query order, as get_scores adds them, so the scores are the same to the last bit.
    The k best documents for one term alone score at least its k-th largest weight
    (``floors``, by term; empty when not stored for this k), so the k-th score starts from
    the best of those instead of from zero. Measured at a million passages against MaxScore
    walking the lists side by side, both in one process taking turns: the product's
    questions (with the title field and feedback terms) 2.1 times as fast on average and 3
    times at p99; the benchmark's short queries 1.6 times as fast at p99 but a quarter
    slower at p50, where there is little to skip and the windows cost more than they save.
    """
    m = terms.shape[0]
    done = np.iinfo(np.int64).max
    bounds = np.empty(m)
    floor = 0.0
    for i in range(m):
        bounds[i] = maxima[terms[i]] * scale[i]
        if floors.shape[0]:
            floor = max(floor, floors[terms[i]] * scale[i])
    order = np.argsort(bounds, kind="mergesort")
    prefix = np.zeros(m + 1)  # prefix[j]: the bounds of the j smallest lists together
    for j in range(m):
        prefix[j + 1] = prefix[j] + bounds[order[j]]
    # Cursors by bound (list j is query term order[j]), and each query term's list by bound.
    at = np.empty(m, np.int64)
    stop = np.empty(m, np.int64)
    factor = np.empty(m)
    by_bound = np.empty(m, np.int64)
    for j in range(m):
        at[j] = indptr[terms[order[j]]]
        stop[j] = indptr[terms[order[j]] + 1]
        factor[j] = scale[order[j]]
        by_bound[order[j]] = j
    best_docs = np.empty(k, dtype=np.int64)
    best_scores = np.empty(k, dtype=np.float64)
    count = 0
    # Candidates within this margin under the k-th score are scored in full: the bounds and
    # the buffer are summed in another order than the scores, which may round a few ulps apart.
    reach = floor * (1.0 - 1e-9)
    essential = 0  # lists essential..m-1 are walked; 0..essential-1 are searched
    buffer = np.zeros(WINDOW)
    marks = np.zeros(WINDOW >> 6, np.uint64)  # a bit per document of the window
    one = np.uint64(1)
    window_start = np.empty(m, np.int64)  # by query term: its cursor when the window opened
    while True:
        while essential < m and prefix[essential + 1] < reach:
            essential += 1
        lo = done
        for j in range(essential, m):
            if at[j] < stop[j]:
                lo = min(lo, docs[at[j]])
        if lo == done:
            break
        hi = lo + WINDOW
        for j in range(m):
            window_start[order[j]] = at[j] if j >= essential else -1
        added = 0  # postings added into the window
        for j in range(essential, m):
            end = _add(docs, weights, factor[j], at[j], stop[j], lo, hi, buffer, marks)
            added += end - at[j]
            at[j] = end
        # A skipped list with fewer postings in the window than the lists walked there costs
        # less to add in order than to search for each document found; taking lists in
        # order of bound keeps the bounds of those still skipped a prefix.
        walked = essential  # lists walked..m-1 are in the window's buffer
        while walked > 0:
            j = walked - 1
            at[j] = _first_at_least(docs, at[j], stop[j], lo)
            end = _first_at_least(docs, at[j], stop[j], hi)
            if end - at[j] > added:
                break
            window_start[order[j]] = at[j]
            _add(docs, weights, factor[j], at[j], end, lo, hi, buffer, marks)
            added += end - at[j]
            at[j] = end
            walked = j
        rest = prefix[walked]  # the bounds of the lists still skipped, together
        for word in range(WINDOW >> 6):  # the window's documents in order
            x = marks[word]
            marks[word] = np.uint64(0)
            while x != 0:
                bit = x & (~x + one)
                x ^= bit
                r = (word << 6) + _LOWEST_BIT[(bit * _DE_BRUIJN) >> np.uint64(58)]
                s = buffer[r]
                buffer[r] = 0.0
                if s + rest < reach:
                    continue
                d = lo + r
                # Search lists walked-1..0 while the weights found and the bounds of the
                # lists not yet searched (prefix[j + 1]) could still reach the k-th score.
                j = walked - 1
                while j >= 0 and s + prefix[j + 1] >= reach:
                    c = _first_at_least(docs, at[j], stop[j], d)
                    at[j] = c
                    if c < stop[j] and docs[c] == d:
                        s += weights[c] * factor[j]
                    j -= 1
                if s + prefix[j + 1] < reach:
                    continue
                s = 0.0
                for i in range(m):
                    j = by_bound[i]
                    c = window_start[i]
                    if c < 0:
                        c = _first_at_least(docs, at[j], stop[j], d)
                        at[j] = c
                    else:
                        c = _first_at_least(docs, c, stop[j], d)
                        window_start[i] = c
                    if c < stop[j] and docs[c] == d:
                        s += weights[c] * scale[i]
                count = _keep(best_scores, best_docs, count, s, d)
                if count == k and best_scores[k - 1] * (1.0 - 1e-9) > reach:
                    reach = best_scores[k - 1] * (1.0 - 1e-9)
    return best_docs[:count], best_scores[:count]
