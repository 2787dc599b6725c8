"""A build process's vocabulary: whitespace chunks to term ids and token counts.

A chunk is what ``str.split()`` gives ("Iran's", "embassy."): each is analysed and counted
once per process, then looked up, in the dict or, for single-spaced text, in a compiled
table in front of it (``ChunkTable``).
"""

from __future__ import annotations

from array import array
from types import ModuleType

import numpy as np

from footnote.analysis.analyzer import Analyzer, AnalyzerSettings
from footnote.compiled import load_once
from footnote.errors import EncodingUnavailable
from footnote.ingest.passages import TokenCounter, token_counter

# A chunk's entry is one int: its number shifted left, its token count in the low bits.
# One int rather than a (tokens, number) tuple: a lookup then touches the dict and one
# object, and numpy unpacks a whole document's entries at once.
SIZE_BITS = 20
SIZE_MASK = (1 << SIZE_BITS) - 1
CACHED_CHUNKS = 4_000_000


class Chunks(dict[str, int]):
    """A process's vocabulary: whitespace chunk -> its number and its tokens, packed.

    One lookup per word gives both what cutting a paragraph into passages needs and what
    counting its terms needs; each chunk is analysed and tokenized once. The chunks' term
    ids are kept in arrays by number, for numpy to expand a file's chunks into terms. A
    token count at or over ``SIZE_MASK`` is stored as that: the fast path only reads the
    counts of words short enough to be far below it.
    """

    def __init__(self, analyzer: Analyzer) -> None:
        super().__init__()
        self.analyzer = analyzer
        self.ids: dict[str, int] = {}
        self.terms: list[str] = []
        self.starts = array("q")  # where each chunk's term ids start in flat
        self.counts = array("q")  # how many term ids each chunk has
        self.flat = array("q")
        self.table: ChunkTable | None = None  # the compiled front, once a build asks for it
        self._build: str | None = None  # the parallel build whose terms were sent (see unsent)
        self._sent = np.zeros(0, bool)
        try:
            self.counter: TokenCounter | None = token_counter()
        except EncodingUnavailable:  # raised again by the first paragraph that needs counting
            self.counter = None

    def __missing__(self, chunk: str) -> int:
        size = self.counter.spaced(chunk) if self.counter is not None else 0
        ids = [self.term_id(t) for t in self.analyzer.chunk_terms(chunk)]
        entry = (len(self.counts) << SIZE_BITS) | min(size, SIZE_MASK)
        self.starts.append(len(self.flat))
        self.counts.append(len(ids))
        self.flat.extend(ids)
        if len(self) < CACHED_CHUNKS:
            self[chunk] = entry
        return entry

    def forget_uncached(self) -> None:
        """Drop the numbers of chunks not cached (a full cache numbers them for one file)."""
        kept = len(self)  # cached chunks hold the first numbers: the cache never shrinks
        if len(self.counts) > kept:
            del self.flat[self.starts[kept] :]
            del self.starts[kept:], self.counts[kept:]

    def unsent(self, term_ids: np.ndarray, build: str) -> np.ndarray:
        """The distinct ids among ``term_ids`` not sent before in this build, now marked sent."""
        if self._build != build:
            self._build, self._sent = build, np.zeros(0, bool)
        if len(self._sent) < len(self.terms):
            grown = np.zeros(len(self.terms), bool)
            grown[: len(self._sent)] = self._sent
            self._sent = grown
        fresh = np.zeros(len(self.terms), bool)
        fresh[term_ids] = True
        fresh &= ~self._sent
        self._sent |= fresh
        return np.flatnonzero(fresh)

    def term_id(self, term: str) -> int:
        """The id of a term, assigned on first sight."""
        known = self.ids.get(term)
        if known is None:
            known = self.ids[term] = len(self.terms)
            self.terms.append(term)
        return known

    def of(self, text: str) -> list[int]:
        """The term ids of a text, in order."""
        ids: list[int] = []
        for entry in map(self.__getitem__, text.split()):
            number = entry >> SIZE_BITS
            start = self.starts[number]
            ids += self.flat[start : start + self.counts[number]]
        return ids

    def expand(self, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The term ids of a sequence of chunks, in order, and how many each chunk has."""
        # Copies (np.array), not views: an array viewed by numpy can no longer grow.
        counts = np.array(self.counts, dtype=np.int64)[numbers]
        starts = np.array(self.starts, dtype=np.int64)[numbers]
        before = np.cumsum(counts) - counts  # where each chunk's ids go in the result
        where = np.repeat(starts - before, counts) + np.arange(int(counts.sum()))
        return np.array(self.flat, dtype=np.int64)[where], counts


_processes: dict[AnalyzerSettings, Chunks] = {}


def vocabulary(settings: AnalyzerSettings) -> Chunks:
    """One vocabulary (and analyzer) per process and analyzer settings."""
    vocabulary = _processes.get(settings)
    if vocabulary is None:
        vocabulary = _processes[settings] = Chunks(Analyzer(settings))
    return vocabulary


class ChunkTable:
    """The compiled front of a vocabulary: the entries of single-spaced text's words.

    Gives what looking each word up in the ``Chunks`` dict gives, from the text's UTF-8
    bytes; a word the table lacks (new, or over 16 bytes) is looked up in the dict, and
    stored when the dict keeps it.
    """

    def __init__(self, chunks: Chunks, compiled: ModuleType, slots: int = 1 << 16) -> None:
        self.chunks = chunks
        self._compiled = compiled
        assert slots >= 2 and slots & (slots - 1) == 0, "a power of two"
        self._table = np.zeros((slots, 3), np.uint64)
        self._stored = 0

    def entries(self, texts: list[bytes], words: int) -> np.ndarray:
        """The entries of the ``words`` words of single-spaced UTF-8 texts, in order."""
        if not texts:  # the scan reads an empty text as one empty word
            return np.zeros(0, np.int64)
        blob = b" ".join(texts)
        data = np.frombuffer(blob, np.uint8)
        out = np.empty(words, np.int64)
        missed, starts, ends = (np.empty(words, np.int64) for _ in range(3))
        n, misses = self._compiled.look_up(data, self._table, out, missed, starts, ends)
        assert n == words, "texts must be single-spaced, with the words counted"
        if misses:
            self._resolve(blob, data, out, missed[:misses], starts[:misses], ends[:misses])
        return out

    def _resolve(
        self,
        blob: bytes,
        data: np.ndarray,
        out: np.ndarray,
        missed: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
    ) -> None:
        chunks = self.chunks
        found = np.array(
            [
                chunks[blob[s:e].decode("utf-8", "surrogatepass")]
                for s, e in zip(starts.tolist(), ends.tolist(), strict=True)
            ],
            dtype=np.int64,
        )
        out[missed] = found
        # Only the chunks the dict keeps: the numbers of the others are one file's own.
        kept = (found >> SIZE_BITS) < len(chunks)
        needed = self._stored + int(kept.sum())
        if needed > len(self._table) // 2:
            self._grow(needed)
        self._stored += self._compiled.insert(
            data, starts[kept], ends[kept], found[kept], self._table
        )

    def _grow(self, needed: int) -> None:
        size = len(self._table)
        while needed > size // 2:
            size *= 2
        bigger = np.zeros((size, 3), np.uint64)
        self._compiled.rehash(self._table, bigger)
        self._table = bigger


@load_once("the dict")
def compiled_table() -> ModuleType:
    """The compiled table's functions, loaded once per process; None without numba."""
    from footnote.ingest import _chunk_table

    # Compiled (or loaded from numba's cache) now, so a failure falls back here rather than
    # in the middle of a build; with read-only bytes, as a build passes them (np.frombuffer).
    table, data = np.zeros((2, 3), np.uint64), np.frombuffer(b"a", np.uint8)
    empty, out = np.zeros(0, np.int64), np.empty(1, np.int64)
    _chunk_table.insert(data, empty, empty, empty, table)
    _chunk_table.look_up(data, table, out, out.copy(), out.copy(), out.copy())
    _chunk_table.rehash(table, np.zeros((4, 3), np.uint64))
    return _chunk_table


def table(chunks: Chunks) -> ChunkTable | None:
    """The vocabulary's compiled table, or None when numba is not available."""
    compiled = compiled_table()
    if compiled is None:
        return None
    if chunks.table is None:
        chunks.table = ChunkTable(chunks, compiled)
    return chunks.table
