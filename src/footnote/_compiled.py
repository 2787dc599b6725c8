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
def top_k_merged(indptr, docs, weights, terms, scale, maxima, floors, k, prune):  # type: ignore[no-untyped-def]
    """top_k by merging the lists in document order, then, with ``prune``, by MaxScore.

    The query's posting lists are walked side by side in document order, each document's
    weights added in query order (as get_scores adds them, so the scores are the same to
    the last bit) and the best k kept as they come: nothing is scattered into a buffer, so
    the only memory read is the lists, once and in order.

    With ``prune`` (only for weights all above zero), query term i adds at most its list's
    largest weight (``maxima``) times its query weight to any document: its bound. Taking
    the lists by bound, smallest first, those whose bounds together stay under the k-th best
    score are "non-essential": a document found in none of the others cannot enter the best
    k. MaxScore walks only the essential lists and searches the others for each candidate,
    largest bound first, until the candidate is out of reach. Its bookkeeping costs about as
    much again per document as merging, so the lists are merged until the non-essential
    ones hold at least half the postings left to read. The k best documents for one term
    alone score at least its k-th largest weight (``floors``, by term; empty when not stored
    for this k), so the k-th score starts from the best of those instead of climbing from
    zero. Measured at a million passages: the benchmark's queries 1.4 times as fast as
    merging at p50 (p99 level), and the product's own (with the title field and feedback
    terms) 1.2 times as fast as merging and 1.5 times as fast as the buffer on average.

    Without ``prune`` (a weight may be zero or below, so no bound holds) it only merges: its
    cost per document grows with the number of lists, so it then serves short queries.
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
    cursor, end, head, d = _open_lists(indptr, docs, terms)
    best_docs = np.empty(k, dtype=np.int64)
    best_scores = np.empty(k, dtype=np.float64)
    count = 0
    # Candidates within this margin under the k-th score are scored in full: the bounds are
    # summed in another order than the scores, which may round them a few ulps apart.
    reach = floor * (1.0 - 1e-9)
    merging = not (
        prune and prefix[1] < reach and _skippable(order, prefix, cursor, end, reach) >= 0.5
    )
    while merging and d != done:  # lists in query order
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
        if prune and count == k and best_scores[k - 1] * (1.0 - 1e-9) > reach:
            reach = best_scores[k - 1] * (1.0 - 1e-9)
            if prefix[1] < reach and _skippable(order, prefix, cursor, end, reach) >= 0.5:
                break
    if d == done:
        return best_docs[:count], best_scores[:count]
    # MaxScore, lists by bound: every document before d is ranked already.
    at = np.empty(m, np.int64)
    stop = np.empty(m, np.int64)
    next_doc = np.empty(m, np.int64)
    factor = np.empty(m)
    for j in range(m):
        at[j] = cursor[order[j]]
        stop[j] = end[order[j]]
        next_doc[j] = head[order[j]]
        factor[j] = scale[order[j]]
    essential = 0  # lists essential..m-1 are walked; 0..essential-1 are searched
    while essential < m and prefix[essential + 1] < reach:
        essential += 1
    part = np.zeros(m)  # the candidate's weight from each query term, in query order
    d = done
    for j in range(essential, m):
        d = min(d, next_doc[j])
    while d != done:
        found = 0.0
        following = done
        for j in range(essential, m):
            h = next_doc[j]
            if h == d:
                c = at[j]
                w = weights[c] * factor[j]
                part[order[j]] = w
                found += w
                c += 1
                at[j] = c
                h = docs[c] if c < stop[j] else done
                next_doc[j] = h
            else:
                part[order[j]] = 0.0
            following = min(following, h)
        # Search lists essential-1..0 while the weights found and the bounds of the lists
        # not yet searched (prefix[j + 1]) could still reach the k-th score.
        j = essential - 1
        while j >= 0 and found + prefix[j + 1] >= reach:
            c = _first_at_least(docs, at[j], stop[j], d)
            at[j] = c
            if c < stop[j] and docs[c] == d:
                w = weights[c] * factor[j]
                part[order[j]] = w
                found += w
            else:
                part[order[j]] = 0.0
            j -= 1
        if found + prefix[j + 1] >= reach:
            s = 0.0
            for i in range(m):
                s += part[i]
            count = _keep(best_scores, best_docs, count, s, d)
            if count == k and best_scores[k - 1] * (1.0 - 1e-9) > reach:
                reach = best_scores[k - 1] * (1.0 - 1e-9)
                while essential < m and prefix[essential + 1] < reach:
                    essential += 1
        d = following
    return best_docs[:count], best_scores[:count]


@njit(cache=True, nogil=True)
def _skippable(order, prefix, cursor, end, reach):  # type: ignore[no-untyped-def]
    # The share of the postings left to read that lie in lists MaxScore would not walk.
    left = 0
    skipped = 0
    for j in range(order.shape[0]):
        rest = end[order[j]] - cursor[order[j]]
        left += rest
        if prefix[j + 1] < reach:
            skipped += rest
    return skipped / left if left else 0.0
