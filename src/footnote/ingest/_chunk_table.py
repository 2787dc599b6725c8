"""numba-compiled hash table of short words' bytes (imported only by footnote.ingest.chunks).

A build looks up every word of the corpus in its vocabulary; a Python dict costs about
0.4 microseconds a word there (a new str per word, its hash, the probe, the boxed value),
a third of a big build. This table does the same for the single-spaced paragraphs' UTF-8
bytes in one compiled loop, with no object per word. No library offers this: numba's typed
dict takes str keys, not slices of a byte array, and is slower than Python's.

A slot (a row of three unsigned 64-bit integers, so a probe reads one place in memory) holds
a word of 1 to 16 bytes as two integers (the bytes themselves, so a match is exact, never a
hash collision) and a value: the entry shifted left by five bits, the word's length in bytes
in the low five. An empty slot's value is 0 (no word is empty). Longer words are never
stored: they are looked up in the dict.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_SPACE = 32
LONGEST = 16  # bytes: a longer word is not stored
_LENGTH_BITS = 5
_LENGTH_MASK = (1 << _LENGTH_BITS) - 1


@njit(cache=True, nogil=True, inline="always")
def _key(data, start, length):  # type: ignore[no-untyped-def]
    # The word's bytes as two little-endian integers, zero-padded.
    low = np.uint64(0)
    high = np.uint64(0)
    for b in range(min(length, 8)):
        low |= np.uint64(data[start + b]) << np.uint64(8 * b)
    for b in range(8, length):
        high |= np.uint64(data[start + b]) << np.uint64(8 * (b - 8))
    return low, high


@njit(cache=True, nogil=True, inline="always")
def _home(low, high, length, mask):  # type: ignore[no-untyped-def]
    # The slot a key's probe starts at: the key's bits mixed (splitmix64's finaliser).
    h = low ^ (high * np.uint64(0x9E3779B97F4A7C15)) ^ np.uint64(length)
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    return np.int64(h & np.uint64(mask))


@njit(cache=True, nogil=True, inline="always")
def _find(table, low, high, length):  # type: ignore[no-untyped-def]
    # The slot holding the word, or the empty slot where its probe ends.
    mask = table.shape[0] - 1
    slot = _home(low, high, length, mask)
    while table[slot, 2] != 0:
        if (
            table[slot, 0] == low
            and table[slot, 1] == high
            and table[slot, 2] & _LENGTH_MASK == length
        ):
            break
        slot = (slot + 1) & mask
    return slot


@njit(cache=True, nogil=True)
def look_up(data, table, out, missed, miss_start, miss_end):  # type: ignore[no-untyped-def]
    """Each space-separated word's entry in ``out``, -1 for those not in the table.

    The missed words' positions in ``out`` and byte ranges in ``data`` are listed in
    ``missed``, ``miss_start`` and ``miss_end``; returns how many words, and how many missed.
    """
    size = data.shape[0]
    n = 0
    misses = 0
    start = 0
    while start <= size:
        end = start
        while end < size and data[end] != _SPACE:
            end += 1
        length = end - start
        found = -1
        if 0 < length <= LONGEST:
            low, high = _key(data, start, length)
            value = table[_find(table, low, high, length), 2]
            if value != 0:
                found = np.int64(value >> np.uint64(_LENGTH_BITS))
        out[n] = found
        if found < 0:
            missed[misses] = n
            miss_start[misses] = start
            miss_end[misses] = end
            misses += 1
        n += 1
        start = end + 1
    return n, misses


@njit(cache=True, nogil=True)
def insert(data, starts, ends, entries, table):  # type: ignore[no-untyped-def]
    """Store the words data[starts[i]:ends[i]] with their entries; how many were new.

    Words too long for a slot, or already stored, are passed over. The caller keeps the
    table at most half full, so a probe always meets an empty slot.
    """
    added = 0
    for i in range(starts.shape[0]):
        start = starts[i]
        length = ends[i] - start
        if not 0 < length <= LONGEST:
            continue
        low, high = _key(data, start, length)
        slot = _find(table, low, high, length)
        if table[slot, 2] == 0:
            table[slot, 0] = low
            table[slot, 1] = high
            table[slot, 2] = (np.uint64(entries[i]) << np.uint64(_LENGTH_BITS)) | np.uint64(length)
            added += 1
    return added


@njit(cache=True, nogil=True)
def rehash(table, bigger):  # type: ignore[no-untyped-def]
    """Move every stored word into a bigger (empty) table."""
    mask = bigger.shape[0] - 1
    for old in range(table.shape[0]):
        value = table[old, 2]
        if value == 0:
            continue
        low = table[old, 0]
        high = table[old, 1]
        slot = _home(low, high, value & _LENGTH_MASK, mask)
        while bigger[slot, 2] != 0:
            slot = (slot + 1) & mask
        bigger[slot, 0] = low
        bigger[slot, 1] = high
        bigger[slot, 2] = value
