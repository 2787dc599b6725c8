"""numba-compiled functions of the build's runs (imported only by runs.py beside it)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _by_term(terms, docs, tf, n_terms):  # type: ignore[no-untyped-def]
    # A counting sort by term, stable: each term's postings keep their order.
    counts = np.zeros(n_terms, np.int64)
    for i in range(terms.shape[0]):
        counts[terms[i]] += 1
    at = np.empty(n_terms, np.int64)
    total = 0
    for t in range(n_terms):
        at[t] = total
        total += counts[t]
    out_docs = np.empty(terms.shape[0], np.int32)
    out_tf = np.empty(terms.shape[0], np.float32)
    for i in range(terms.shape[0]):
        t = terms[i]
        out_docs[at[t]] = docs[i]
        out_tf[at[t]] = tf[i]
        at[t] += 1
    return counts, out_docs, out_tf


@njit(cache=True, nogil=True)
def count_tokens(ids, lengths, first_doc, n_terms, last, slot):  # type: ignore[no-untyped-def]
    """Documents given as term ids, one after another: each (term, document, tf) posting,
    by term, then document. ``last`` and ``slot`` are scratch arrays of ``n_terms`` or
    more, ``last`` below ``first_doc`` throughout."""
    n = ids.shape[0]
    terms = np.empty(n, np.int32)
    docs = np.empty(n, np.int32)
    tf = np.empty(n, np.float32)
    m = 0
    pos = 0
    for d in range(lengths.shape[0]):
        doc = first_doc + d
        for j in range(pos, pos + lengths[d]):
            t = ids[j]
            if last[t] != doc:
                last[t] = doc
                slot[t] = m
                terms[m] = t
                docs[m] = doc
                tf[m] = 1.0
                m += 1
            else:
                tf[slot[t]] += 1.0
        pos += lengths[d]
    return _by_term(terms[:m], docs[:m], tf[:m], n_terms)


@njit(cache=True, nogil=True)
def by_term(terms, docs, tf, n_terms):  # type: ignore[no-untyped-def]
    """Postings sorted by term, stably: (count per term, documents, tf)."""
    return _by_term(terms, docs, tf, n_terms)


@njit(cache=True, nogil=True, inline="always")
def _hash(data, lo, hi):  # type: ignore[no-untyped-def]
    # FNV-1a, 64 bits.
    h = np.uint64(14695981039346656037)
    for i in range(lo, hi):
        h = (h ^ np.uint64(data[i])) * np.uint64(1099511628211)
    return h


@njit(cache=True, nogil=True)
def intern(data, starts, ends, at, ids, first, table, hashes, arena, arena_ends, n_terms):  # type: ignore[no-untyped-def]
    """Give tokens first..len(ids)-1 their term ids, numbering a new term after the n_terms
    known: an open-addressing table of term ids (-1 empty) over the terms' bytes, kept one
    after another in ``arena``.

    Token i is data[starts[i]:ends[i]]; with no ``starts`` the tokens are separated by zero
    bytes, token ``first`` starting at byte ``at`` (no arrays of where each token is: at
    32,768 documents a run, they would take 30 MB). Stops early when the table is half full
    or the arena or term arrays are: (the next token, the number of terms, its first byte,
    its length) tell the caller what to grow before it calls again.
    """
    mask = table.shape[0] - 1
    used = arena_ends[n_terms - 1] if n_terms else 0
    scan = starts.shape[0] == 0
    for i in range(first, ids.shape[0]):
        if scan:
            lo = at
            hi = lo
            while hi < data.shape[0] and data[hi] != 0:
                hi += 1
        else:
            lo, hi = starts[i], ends[i]
        h = _hash(data, lo, hi)
        slot = np.int64(h & np.uint64(mask))
        while True:
            t = table[slot]
            if t < 0:
                break
            if hashes[t] == h:
                t_lo = arena_ends[t - 1] if t else 0
                if arena_ends[t] - t_lo == hi - lo:
                    same = True
                    for j in range(hi - lo):
                        if arena[t_lo + j] != data[lo + j]:
                            same = False
                            break
                    if same:
                        break
            slot = (slot + 1) & mask
        if t < 0:
            if (
                2 * (n_terms + 1) > table.shape[0]
                or n_terms >= hashes.shape[0]
                or used + hi - lo > arena.shape[0]
            ):
                return i, n_terms, lo, hi - lo
            t = n_terms
            arena[used : used + hi - lo] = data[lo:hi]
            used += hi - lo
            arena_ends[t] = used
            hashes[t] = h
            table[slot] = t
            n_terms += 1
        ids[i] = t
        at = hi + 1
    return ids.shape[0], n_terms, at, 0


@njit(cache=True, nogil=True)
def rehash(hashes, n_terms, size):  # type: ignore[no-untyped-def]
    """A table of ``size`` slots (a power of two) holding terms 0..n_terms-1."""
    table = np.full(size, -1, np.int32)
    mask = size - 1
    for t in range(n_terms):
        slot = np.int64(hashes[t] & np.uint64(mask))
        while table[slot] >= 0:
            slot = (slot + 1) & mask
        table[slot] = t
    return table


@njit(cache=True, nogil=True)
def weigh(variant, local, t0, idf, floor, tf, docs, doc_len, avgdl, k1, b, delta, ranks):  # type: ignore[no-untyped-def]
    """Each posting's weight (its term's score above the term's floor), each list's largest
    weight and its ranks-th largest (0 for a shorter list), for terms t0.. whose lists lie
    at local[i]..local[i+1]. The scores are term_scores' expressions, operation for
    operation in the same order (no fused multiply-adds: numba's default), so the same bits.
    """
    n_lists = local.shape[0] - 1
    weights = np.empty(tf.shape[0], np.float64)
    maxima = np.zeros(n_lists, np.float64)
    floors = np.zeros((ranks.shape[0], n_lists), np.float64)
    deepest = ranks.max()
    best = np.empty(deepest, np.float64)
    k1_1 = k1 + 1
    one_b = 1 - b
    for i in range(n_lists):
        term = t0 + i
        term_idf = idf[term]
        term_floor = floor[term]
        held = 0
        for p in range(local[i], local[i + 1]):
            f = np.float64(tf[p])
            dl = np.float64(doc_len[docs[p]])
            if variant == 0:  # lucene, okapi
                s = term_idf * (f * k1_1 / (f + k1 * (one_b + b * dl / avgdl)))
            elif variant == 1:  # bm25l
                ctd = f / (one_b + b * dl / avgdl)
                s = term_idf * f * k1_1 * (ctd + delta) / (k1 + ctd + delta)
            else:  # bm25plus
                s = term_idf * (delta + (f * k1_1) / (k1 * (one_b + b * dl / avgdl) + f))
            w = s - term_floor
            weights[p] = w
            # The deepest-ranked weights so far, largest first.
            if held < deepest or w > best[held - 1]:
                at = held if held < deepest else deepest - 1
                while at > 0 and best[at - 1] < w:
                    best[at] = best[at - 1]
                    at -= 1
                best[at] = w
                if held < deepest:
                    held += 1
        if held:
            maxima[i] = best[0]
        for r in range(ranks.shape[0]):
            if held >= ranks[r]:
                floors[r, i] = best[ranks[r] - 1]
    return weights, maxima, floors
