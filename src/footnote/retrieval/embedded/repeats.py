"""Which paragraphs repeat across documents, kept with a generation so an update can tell
exactly which paragraphs cross the boilerplate threshold when documents come and go.

A build drops a paragraph (by its key) found in at least ``repeat_threshold(N)`` documents,
unless every one of them is a copy of one page and it is no line of a site's chrome
(_Assembler.repeated). Whether a key is dropped depends only on the (key, document) pairs
of the corpus: each pair's document, the document's page name and whether a row of it is a
chrome line. A generation keeps those pairs (sorted by key, then document), so an update
works out the new state of just the keys that can have changed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from footnote.ingest.boilerplate import repeat_threshold

FOLDER = "repeats"
_ARRAYS = ("keys", "docs", "names", "short", "key_values", "key_docs", "key_dropped")


def name_number(doc_id: str) -> int:
    """A document's page name (its id's last part, as _Assembler.repeated takes it) as a
    64-bit number: copies of a page (v1.0/install, v1.1/install) share it."""
    name = doc_id.rsplit("/", 1)[-1].encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(name, digest_size=8).digest(), "big")


def threshold_for(n_documents: int, keep_boilerplate: bool) -> float:
    """How many documents a key must be in to be dropped (infinite: nothing is dropped)."""
    threshold = repeat_threshold(n_documents)
    if keep_boilerplate or n_documents < threshold:
        return float("inf")
    return float(threshold)


@dataclass
class Pairs:
    """(key, document) pairs sorted by key then document, with the document's page name
    and whether any of its rows of that key may be a line of a site's chrome."""

    keys: np.ndarray
    docs: np.ndarray
    names: np.ndarray
    short: np.ndarray

    @classmethod
    def of_rows(
        cls, keys: np.ndarray, docs: np.ndarray, names: np.ndarray, short: np.ndarray
    ) -> Pairs:
        """The distinct pairs of rows given as parallel arrays (docs numbered globally)."""
        if not len(keys):
            return cls(np.zeros(0, np.uint64), np.zeros(0, np.int64), np.zeros(0, np.uint64),
                       np.zeros(0, bool))  # fmt: skip
        order = np.lexsort((docs, keys))
        keys, docs, names, short = keys[order], docs[order], names[order], short[order]
        first = np.ones(len(keys), dtype=bool)
        first[1:] = (keys[1:] != keys[:-1]) | (docs[1:] != docs[:-1])
        starts = np.flatnonzero(first)
        any_short = np.logical_or.reduceat(short, starts)
        return cls(keys[starts], docs[starts].astype(np.int64), names[starts], any_short)

    def select(self, wanted: np.ndarray) -> Pairs:
        """The pairs of the given keys (sorted, distinct)."""
        lo = np.searchsorted(self.keys, wanted, side="left")
        hi = np.searchsorted(self.keys, wanted, side="right")
        counts = hi - lo
        at = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
        return Pairs(self.keys[at], self.docs[at], self.names[at], self.short[at])

    def without_docs(self, removed: np.ndarray) -> Pairs:
        """The pairs whose document is not marked in ``removed`` (a mask by document)."""
        keep = ~removed[self.docs] if len(removed) else np.ones(len(self.docs), bool)
        return Pairs(self.keys[keep], self.docs[keep], self.names[keep], self.short[keep])

    def plus(self, other: Pairs) -> Pairs:
        """These pairs and another set's (of other documents), sorted by key then document."""
        keys = np.concatenate([self.keys, other.keys])
        order = np.lexsort((np.concatenate([self.docs, other.docs]), keys))
        return Pairs(
            keys[order],
            np.concatenate([self.docs, other.docs])[order],
            np.concatenate([self.names, other.names])[order],
            np.concatenate([self.short, other.short])[order],
        )


def key_states(pairs: Pairs, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each distinct key of the pairs (sorted), how many documents hold it, and whether it is
    dropped as repeated: as _Assembler.repeated decides it."""
    if not len(pairs.keys):
        return np.zeros(0, np.uint64), np.zeros(0, np.int64), np.zeros(0, bool)
    values, documents = np.unique(pairs.keys, return_counts=True)
    order = np.lexsort((pairs.names, pairs.keys))
    k, n = pairs.keys[order], pairs.names[order]
    first = np.ones(len(k), dtype=bool)
    first[1:] = (k[1:] != k[:-1]) | (n[1:] != n[:-1])
    _, page_names = np.unique(k[first], return_counts=True)
    chrome = np.zeros(len(values), dtype=bool)
    chrome[np.searchsorted(values, pairs.keys[pairs.short])] = True
    dropped = (documents >= threshold) & ((page_names > 1) | chrome)
    return values, documents, dropped


@dataclass
class Repeats:
    """A generation's pairs and, per distinct key, its documents and whether it was dropped."""

    pairs: Pairs
    key_values: np.ndarray
    key_docs: np.ndarray
    key_dropped: np.ndarray

    @classmethod
    def of(cls, pairs: Pairs, dropped_keys: np.ndarray) -> Repeats:
        """A built generation's repeats: its pairs and the keys its build dropped."""
        values, documents = (
            np.unique(pairs.keys, return_counts=True)
            if len(pairs.keys)
            else (np.zeros(0, np.uint64), np.zeros(0, np.int64))
        )
        return cls(pairs, values, documents, np.isin(values, dropped_keys))

    @classmethod
    def of_parts(cls, parts: list[Pairs], dropped_keys: np.ndarray) -> Repeats:
        """``of`` the pairs given in ranges of keys, in key order (counted range by range)."""
        if not parts:
            empty = Pairs.of_rows(*(np.zeros(0, t) for t in (np.uint64, np.int64, np.uint64, bool)))
            return cls.of(empty, dropped_keys)
        counted = [np.unique(part.keys, return_counts=True) for part in parts]
        values = np.concatenate([v for v, _ in counted])
        documents = np.concatenate([c for _, c in counted])
        pairs = Pairs(*(np.concatenate([getattr(p, f) for p in parts])
                        for f in ("keys", "docs", "names", "short")))  # fmt: skip
        return cls(pairs, values, documents, np.isin(values, dropped_keys))

    def save(self, directory: Path) -> None:
        """Write the arrays as .npy files in ``directory``/repeats."""
        folder = directory / FOLDER
        folder.mkdir()
        arrays = {
            "keys": self.pairs.keys, "docs": self.pairs.docs, "names": self.pairs.names,
            "short": self.pairs.short, "key_values": self.key_values,
            "key_docs": self.key_docs, "key_dropped": self.key_dropped,
        }  # fmt: skip
        for name in _ARRAYS:
            np.save(folder / f"{name}.npy", np.ascontiguousarray(arrays[name]), allow_pickle=False)

    @classmethod
    def load(cls, directory: Path) -> Repeats | None:
        """The repeats a generation kept, or None when it kept none (or they are damaged)."""
        folder = directory / FOLDER
        try:
            # Mapped: an update reads the few keys it needs, not a million pairs.
            a = {
                n: np.load(folder / f"{n}.npy", mmap_mode="r", allow_pickle=False) for n in _ARRAYS
            }
        except (OSError, ValueError):
            return None
        pairs = Pairs(a["keys"], a["docs"], a["names"], a["short"])
        if not (len(pairs.keys) == len(pairs.docs) == len(pairs.names) == len(pairs.short)):
            return None
        return cls(pairs, a["key_values"], a["key_docs"], a["key_dropped"])

    def base_dropped(self, keys: np.ndarray) -> np.ndarray:
        """Whether the generation's build dropped each of these keys."""
        at = np.searchsorted(self.key_values, keys)
        inside = at < len(self.key_values)
        found = np.zeros(len(keys), dtype=bool)
        found[inside] = self.key_values[at[inside]] == keys[inside]
        result = np.zeros(len(keys), dtype=bool)
        result[found] = self.key_dropped[at[found]]
        return result

    def keys_near(self, low: float, high: float) -> np.ndarray:
        """Keys held by at least ``low`` and fewer than ``high`` documents in the generation:
        those a change of threshold between the two can flip."""
        if not low < high:
            return np.zeros(0, np.uint64)
        return self.key_values[(self.key_docs >= low) & (self.key_docs < high)]
