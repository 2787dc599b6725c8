"""A build's postings gathered in sorted runs of bounded size, spilled to disk past a memory
budget, then merged term by term into the BM25 arrays, written a bounded chunk at a time.

This is how tantivy and Lucene bound a build's memory (segments written as they fill, then
merged by streaming their postings), specialised to one writer: each run is already in the
index's order (by term, then document) and documents are numbered across runs in order, so
a term's list is its runs' pieces one after another and the merge copies, it never sorts.
The arrays come out identical to a build in memory: the same term ids, postings, weights
(the same float64 expression on the same values), idf and average length.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from array import array
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from itertools import chain, islice, pairwise
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import numpy as np

from footnote.compiled import load_once
from footnote.retrieval.embedded import bm25

# Documents are joined, numbered and counted into a run this many at a time: a run's text,
# term ids and counting arrays (about 100 MB at 60 words a document) are what the build holds
# besides the runs (measured at 1M passages: 462 MB at the peak, against 550 with twice as many).
RUN_DOCUMENTS = 1 << 15
# Postings given already counted are sorted into a run once this many are waiting.
RUN_POSTINGS = 1 << 22
# Runs stay in memory up to this many bytes (8 a posting); later ones go to the spill file.
RUN_MEMORY = 64 << 20
# The merge writes this many postings at a time: their float64 weights and temporaries
# are the build's largest allocations after the runs.
MERGE_POSTINGS = 1 << 20
_POSTING_BYTES = 8  # a document number (int32) and a term frequency (float32)
NOT_A_LIST = "Each document must be a list of tokens, not a string."


@load_once("numpy")
def _kernels() -> Any:
    """The compiled counting sort, or None when numba is not available."""
    from footnote.retrieval.embedded import _runs_compiled

    return _runs_compiled


class Vocabulary(dict[Any, int]):
    """Term -> id, numbering each new term as it is first looked up (first-seen order)."""

    def __missing__(self, term: Any) -> int:
        if not isinstance(term, str):
            raise TypeError("Each token must be a string.")
        self[term] = number = len(self)
        return number


class Encoded(NamedTuple):
    """A batch's tokens as bytes (or, without numba, already as term ids)."""

    data: np.ndarray
    starts: np.ndarray | None
    ends: np.ndarray | None
    tokens: int


class Terms:
    """Term ids in first-seen order, given a batch of token lists at a time.

    Compiled, the batch's tokens are joined into one UTF-8 buffer and looked up in an
    open-addressing table over the terms' bytes (``_runs_compiled.intern``): a dict lookup
    per token costs more than all the rest of the build, its string and table entry rarely
    in cache, where the join reads each string once, in order. Without numba, a dict.
    """

    def __init__(self) -> None:
        self._kernels = _kernels()
        self._dict = Vocabulary()
        self._table = np.full(1 << 16, -1, np.int32)
        self._hashes = np.zeros(1 << 15, np.uint64)
        self._arena = np.zeros(1 << 20, np.uint8)
        self._arena_ends = np.zeros(1 << 15, np.int64)
        self._count = 0

    def __len__(self) -> int:
        return self._count if self._kernels is not None else len(self._dict)

    def encode(self, documents: Iterator[Sequence[Any]], limit: int) -> tuple[Encoded, list[int]]:
        """Up to ``limit`` documents' tokens as one UTF-8 buffer (without numba: their term
        ids), and each document's length.

        Each document's tokens are joined as it comes, so its list can be freed at once (a
        generator's lists are then made in memory still in cache), and the buffer goes to
        ``number`` in one call: a call to compiled code from a thread waits for the
        interpreter lock on its way back, up to its switch interval while this one runs.
        """
        sizes: list[int] = []
        size = sizes.append
        if self._kernels is None:
            ids = array("i")
            extend, lookup = ids.extend, self._dict.__getitem__
            for tokens in islice(documents, limit):
                if type(tokens) is str:
                    raise TypeError(NOT_A_LIST)
                size(len(tokens))
                extend(map(lookup, tokens))
            data = np.frombuffer(ids, np.int32) if ids else np.zeros(0, np.int32)
            return Encoded(data, None, None, len(data)), sizes
        joined: list[Any] = []  # each document's tokens: joined, or (holding the separator) a list
        keep = joined.append
        join = "\0".join
        whole = True
        for tokens in islice(documents, limit):
            if type(tokens) is str:  # checked inline: a call per document costs as much
                raise TypeError(NOT_A_LIST)
            n = len(tokens)
            size(n)
            if n:
                try:
                    text = join(tokens)
                except TypeError as exc:
                    raise TypeError("Each token must be a string.") from exc
                if text.count("\0") == n - 1:
                    keep(text)
                else:  # a token holds the separator: it is kept apart
                    keep(list(tokens))
                    whole = False
        n_tokens = sum(sizes)
        if whole:
            text = join(joined)
            del joined  # each copy of a run's text is tens of megabytes
            data = np.frombuffer(text.encode("utf-8", "surrogatepass"), np.uint8)
            return Encoded(data, None, None, n_tokens), sizes
        pieces = [
            t.encode("utf-8", "surrogatepass")
            for t in chain.from_iterable(d.split("\0") if isinstance(d, str) else d for d in joined)
        ]
        ends = np.cumsum(np.fromiter(map(len, pieces), np.int64, n_tokens))
        starts = ends - np.fromiter(map(len, pieces), np.int64, n_tokens)
        return Encoded(np.frombuffer(b"".join(pieces), np.uint8), starts, ends, n_tokens), sizes

    def number(self, encoded: Encoded) -> np.ndarray:
        """The term ids of an encoded batch's tokens (compiled: without the interpreter lock)."""
        n_tokens, data = encoded.tokens, encoded.data
        if self._kernels is None:
            return data
        if not n_tokens:
            return np.zeros(0, np.int32)
        none = np.zeros(0, np.int64)  # tokens separated by zero bytes: intern finds them
        starts = encoded.starts if encoded.starts is not None else none
        ends = encoded.ends if encoded.ends is not None else none
        ids = np.empty(n_tokens, np.int32)
        done = at = 0
        while done < n_tokens:
            done, self._count, at, need = self._kernels.intern(
                data, starts, ends, at, ids, done, self._table, self._hashes, self._arena,
                self._arena_ends, self._count,
            )  # fmt: skip
            if done < n_tokens:
                self._grow(need)
        return ids

    def _grow(self, need: int) -> None:
        count = self._count
        if 2 * (count + 1) > len(self._table):
            self._table = self._kernels.rehash(self._hashes, count, 2 * len(self._table))
        if count >= len(self._hashes):
            self._hashes = np.concatenate([self._hashes, np.zeros_like(self._hashes)])
            self._arena_ends = np.concatenate([self._arena_ends, np.zeros_like(self._arena_ends)])
        used = int(self._arena_ends[count - 1]) if count else 0
        if used + need > len(self._arena):
            size = max(2 * len(self._arena), used + need)
            self._arena = np.concatenate([self._arena, np.zeros(size - len(self._arena), np.uint8)])

    def terms(self) -> list[Any]:
        """Every term, by id."""
        if self._kernels is None:
            return list(self._dict)
        data = self._arena.tobytes()
        ends = self._arena_ends[: self._count].tolist()
        return [
            data[lo:hi].decode("utf-8", "surrogatepass")
            for lo, hi in zip([0, *ends], ends, strict=False)
        ]


def token_batches(
    token_lists: Iterable[Sequence[Any]], terms: Terms
) -> Iterator[tuple[Encoded, np.ndarray]]:
    """(encoded tokens, lengths) of RUN_DOCUMENTS documents at a time."""
    if isinstance(token_lists, str):
        raise TypeError("token_lists must be a list of token lists, not a string.")
    documents = iter(token_lists)
    while True:
        encoded, sizes = terms.encode(documents, RUN_DOCUMENTS)
        if not sizes:
            return
        yield encoded, np.array(sizes, np.int64)


def index_tokens(
    token_lists: Iterable[Sequence[Any]],
    directory: Path | None,
    params: bm25.BM25Params,
) -> bm25.BM25Index:
    """The index of documents given as token lists (see BM25Index.write).

    Two stages overlap on two cores: this thread takes each batch of lists and encodes it
    (under the interpreter lock), while a worker numbers the previous batch's terms and
    counts its postings (compiled code, without the lock).
    """
    terms = Terms()
    postings = Runs(spill_path(directory))
    lengths: list[np.ndarray] = []

    def take(encoded: Encoded, batch_lengths: np.ndarray) -> None:
        postings.add_tokens(terms.number(encoded), batch_lengths, len(terms))

    try:
        with ThreadPoolExecutor(1, thread_name_prefix="footnote-build") as worker:
            # The worker takes one run while this thread encodes the next.
            pending: deque[Future[None]] = deque()
            for encoded, batch_lengths in token_batches(token_lists, terms):
                if pending:
                    pending.popleft().result()
                pending.append(worker.submit(take, encoded, batch_lengths))
                lengths.append(batch_lengths)
            for future in pending:
                future.result()
    except BaseException:
        postings.close()
        raise
    doc_len = np.concatenate(lengths) if lengths else np.zeros(0, np.int64)
    return merge_runs(postings, terms.terms(), doc_len, params, directory)


@dataclass
class _Run:
    """One run: the terms it holds (ascending), each one's postings, and where they are."""

    terms: np.ndarray  # int32
    starts: np.ndarray  # int64, len(terms) + 1: each term's first posting in the run
    docs: np.ndarray | None  # in memory, or None once spilled
    tf: np.ndarray | None
    offset: int = -1  # in the spill file: docs (int32), then tf (float32)

    @property
    def size(self) -> int:
        return int(self.starts[-1])


class Runs:
    """Postings added in document order, kept as sorted runs; ``spill`` is the file that
    holds the runs past the memory budget (created only if needed, removed by close)."""

    def __init__(self, spill: Path, memory: int | None = None) -> None:
        self.spill = spill
        self.memory = RUN_MEMORY if memory is None else memory
        self.documents = 0  # documents added (by add_tokens)
        self.n_terms = 0
        self._runs: list[_Run] = []
        self._held = 0  # bytes of runs in memory
        self._waiting: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._waiting_size = 0
        self._handle: BinaryIO | None = None
        self._last = np.zeros(0, np.int64)  # count_tokens' scratch, grown with the terms
        self._slot = np.zeros(0, np.int64)

    def add_tokens(self, ids: np.ndarray, lengths: np.ndarray, n_terms: int) -> None:
        """Documents as term ids one after another, numbered on from those added before."""
        self.n_terms = max(self.n_terms, n_terms)
        first, self.documents = self.documents, self.documents + len(lengths)
        kernels = _kernels()
        if kernels is not None:
            if len(self._last) < n_terms:
                grow = max(n_terms, 2 * len(self._last)) - len(self._last)
                self._last = np.concatenate([self._last, np.full(grow, -1, np.int64)])
                self._slot = np.concatenate([self._slot, np.zeros(grow, np.int64)])
            counts, docs, tf = kernels.count_tokens(
                ids, lengths, first, n_terms, self._last, self._slot
            )
        else:
            width = max(len(lengths), 1)
            local = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
            keys, tf = np.unique(ids.astype(np.int64) * width + local, return_counts=True)
            terms = keys // width
            docs = (keys - terms * width + first).astype(np.int32)
            counts = np.bincount(terms, minlength=n_terms)
            tf = tf.astype(np.float32)
        self._keep(counts, docs, tf)

    def add_postings(
        self, terms: np.ndarray, docs: np.ndarray, tf: np.ndarray, n_terms: int
    ) -> None:
        """Counted postings, later documents than those added before; each term's in
        document order (in any order of terms)."""
        self.n_terms = max(self.n_terms, n_terms)
        if not len(terms):
            return
        self._waiting.append((terms, docs, tf))
        self._waiting_size += len(terms)
        if self._waiting_size >= RUN_POSTINGS:
            self._sort_waiting()

    def _sort_waiting(self) -> None:
        if not self._waiting:
            return
        terms = np.concatenate([w[0] for w in self._waiting])
        docs = np.concatenate([w[1] for w in self._waiting]).astype(np.int32, copy=False)
        tf = np.concatenate([w[2] for w in self._waiting]).astype(np.float32, copy=False)
        self._waiting, self._waiting_size = [], 0
        kernels = _kernels()
        if kernels is not None:
            counts, docs, tf = kernels.by_term(terms, docs, tf, self.n_terms)
        else:
            order = np.argsort(terms, kind="stable")
            counts = np.bincount(terms, minlength=self.n_terms)
            docs, tf = docs[order], tf[order]
        self._keep(counts, docs, tf)

    def _keep(self, counts: np.ndarray, docs: np.ndarray, tf: np.ndarray) -> None:
        held = np.flatnonzero(counts)
        starts = np.zeros(len(held) + 1, np.int64)
        np.cumsum(counts[held], out=starts[1:])
        run = _Run(held.astype(np.int32), starts, docs, tf)
        if self._held + len(docs) * _POSTING_BYTES > self.memory:
            self._write(run)
        else:
            self._held += len(docs) * _POSTING_BYTES
        self._runs.append(run)

    def _write(self, run: _Run) -> None:
        """Move a run's postings to the end of the spill file."""
        if self._handle is None:
            self._handle = self.spill.open("w+b")
        run.offset = self._handle.seek(0, io.SEEK_END)
        self._handle.write(memoryview(np.ascontiguousarray(run.docs, np.int32)))
        self._handle.write(memoryview(np.ascontiguousarray(run.tf, np.float32)))
        run.docs = run.tf = None

    def finish(self) -> None:
        """Sort what waits into a last run; no postings may be added after."""
        self._sort_waiting()
        if self._handle is not None:
            self._handle.flush()

    def document_frequencies(self, renumber: np.ndarray | None = None) -> np.ndarray:
        """How many documents hold each term (those ``renumber`` keeps: >= 0)."""
        df = np.zeros(self.n_terms, np.int64)
        for run in self._runs:
            if renumber is None:
                df[run.terms] += np.diff(run.starts)
                continue
            docs, _ = self._read(run, 0, run.size, tf=False)
            kept = renumber[docs] >= 0
            ranks = np.repeat(run.terms, np.diff(run.starts))
            df += np.bincount(ranks[kept], minlength=self.n_terms)
        return df

    def _read(self, run: _Run, lo: int, hi: int, tf: bool = True) -> tuple[Any, Any]:
        """A run's documents (and term frequencies) from posting lo to hi."""
        if run.docs is not None:
            return run.docs[lo:hi], run.tf[lo:hi] if tf else None  # type: ignore[index]
        assert self._handle is not None
        self._handle.seek(run.offset + 4 * lo)
        docs = np.fromfile(self._handle, np.int32, hi - lo)
        tf_part = None
        if tf:
            self._handle.seek(run.offset + 4 * run.size + 4 * lo)
            tf_part = np.fromfile(self._handle, np.float32, hi - lo)
        return docs, tf_part

    def pieces(self, t0: int, t1: int) -> Iterator[tuple[np.ndarray, np.ndarray, Any, Any]]:
        """Each run's postings of terms t0..t1-1: (terms, their counts, documents, tf)."""
        for run in self._runs:
            a, b = np.searchsorted(run.terms, [t0, t1])
            if a == b:
                continue
            lo, hi = int(run.starts[a]), int(run.starts[b])
            docs, tf = self._read(run, lo, hi)
            yield run.terms[a:b], np.diff(run.starts[a : b + 1]), docs, tf

    def close(self) -> None:
        """Remove the spill file."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self.spill.unlink(missing_ok=True)
        self._runs = []


class _NpyFile:
    """An .npy file written a chunk at a time (its shape known up front), hashed as written."""

    def __init__(self, path: Path, dtype: np.dtype[Any], shape: tuple[int, ...]) -> None:
        self.path = path
        self.dtype = np.dtype(dtype)
        self.expected = int(np.prod(shape))
        self.written = 0
        self.digest = hashlib.sha256()
        self.handle = path.open("wb")
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            header,
            {"descr": np.lib.format.dtype_to_descr(self.dtype), "fortran_order": False,
             "shape": shape},
        )  # fmt: skip
        self._write(header.getvalue())

    def _write(self, data: bytes | memoryview) -> None:
        self.handle.write(data)
        self.digest.update(data)

    def append(self, chunk: np.ndarray) -> None:
        """Write the next values."""
        if chunk.size:
            self._write(memoryview(np.ascontiguousarray(chunk, self.dtype)).cast("B"))
            self.written += chunk.size

    def close(self) -> dict[str, object]:
        """Close the file; its size and checksum, as the manifest records them."""
        self.handle.close()
        if self.written != self.expected:
            raise RuntimeError(f"{self.path} got {self.written} values of {self.expected}")
        return {"bytes": self.path.stat().st_size, "sha256": self.digest.hexdigest()}


class _Outputs:
    """Where the merge puts the arrays: .npy files in a folder, or arrays in memory."""

    def __init__(self, directory: Path | None, total: int) -> None:
        self.directory = directory
        self.files: dict[str, dict[str, object]] = {}
        self._streams: dict[str, _NpyFile] = {}
        self._parts: dict[str, list[np.ndarray]] = {"docs": [], "tf": [], "weights": []}
        self.arrays: dict[str, np.ndarray] = {}
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            for name, dtype in (("docs", np.int32), ("tf", np.float32), ("weights", np.float64)):
                self._streams[name] = _NpyFile(directory / f"{name}.npy", dtype, (total,))

    def parts(self, docs: np.ndarray, tf: np.ndarray, weights: np.ndarray) -> None:
        """The next chunk of the posting arrays."""
        for name, chunk in (("docs", docs), ("tf", tf), ("weights", weights)):
            if self.directory is None:
                self._parts[name].append(chunk)
            else:
                self._streams[name].append(chunk)

    def whole(self, name: str, array: np.ndarray) -> None:
        """A whole array (indptr, doc_len, idf, max_weights, floor_weights)."""
        if self.directory is None:
            self.arrays[name] = array
            return
        stream = _NpyFile(self.directory / f"{name}.npy", array.dtype, array.shape)
        stream.append(array)
        self.files[f"{name}.npy"] = stream.close()

    def close(self) -> None:
        """Finish the posting arrays."""
        for name, stream in self._streams.items():
            self.files[f"{name}.npy"] = stream.close()
        for name, parts in self._parts.items():
            if self.directory is None:
                self.arrays[name] = np.concatenate(parts) if parts else np.zeros(0)

    def abandon(self) -> None:
        """Close the files of a merge that failed (the caller removes the folder)."""
        for stream in self._streams.values():
            stream.handle.close()


def _chunk_ends(df: np.ndarray) -> list[int]:
    """Term boundaries of the merge's chunks: about MERGE_POSTINGS postings each, whole
    lists (a list longer than that is a chunk of its own)."""
    ends = np.cumsum(df)
    cuts = np.searchsorted(ends, np.arange(MERGE_POSTINGS, int(ends[-1]) if len(ends) else 0,
                                           MERGE_POSTINGS), side="right")  # fmt: skip
    bounds = sorted({0, *[int(c) for c in cuts], len(df)})
    return bounds


def merge_runs(
    runs: Runs,
    vocabulary: list[str],
    doc_len: np.ndarray,
    params: bm25.BM25Params,
    directory: Path | None = None,
    exact_mean: bool = False,
    renumber: np.ndarray | None = None,
) -> bm25.BM25Index:
    """The BM25 index of the runs' postings, written to ``directory`` as BM25Index.save
    writes it (and opened memory-mapped), or built in memory when there is none.

    ``renumber`` maps each document number of the runs to its number in the index, or -1 to
    leave its postings out (``doc_len`` is then the lengths of those kept).
    """
    runs.finish()
    n_terms = len(vocabulary)
    runs.n_terms = max(runs.n_terms, n_terms)
    df = runs.document_frequencies(renumber)[:n_terms]
    n_docs = len(doc_len)
    indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    integral = np.issubdtype(np.asarray(doc_len).dtype, np.integer)
    doc_len = np.asarray(doc_len, dtype=np.int32 if integral else np.float32)
    total = bm25.exact_length_total(doc_len)
    avgdl = bm25.average_length(total, n_docs)
    idf = bm25.idf_values(params, df, n_docs, exact_mean)
    out = _Outputs(directory, int(indptr[-1]))
    try:
        maxima = np.zeros(n_terms, np.float64)
        floors = np.zeros((len(bm25.FLOOR_RANKS), n_terms), np.float64)
        positive = True
        # With postings left out, chunks are cut on the counts before (a chunk holds
        # fewer); the lists stay whole either way.
        cut_on = runs.document_frequencies()[:n_terms] if renumber is not None else df
        bounds = _chunk_ends(cut_on)
        # A thread writes (and checksums) each chunk while this one works out the next.
        with ThreadPoolExecutor(1, thread_name_prefix="footnote-write") as writer:
            written: deque[Future[None]] = deque()
            for t0, t1 in pairwise(bounds):
                docs, tf = _gather(runs, t0, t1, cut_on, renumber)
                local = indptr[t0 : t1 + 1] - indptr[t0]
                weights, maxima[t0:t1], floors[:, t0:t1] = _weigh(
                    params, local, t0, idf, docs, tf, doc_len, avgdl
                )
                if len(weights):
                    positive = positive and bool(np.all(weights > 0))
                if written:  # one chunk in the writer's hands at a time
                    written.popleft().result()
                written.append(writer.submit(out.parts, docs, tf, weights))
            for future in written:
                future.result()
        out.close()
        for name, array in (
            ("indptr", indptr),
            ("doc_len", doc_len),
            ("idf", idf),
            ("max_weights", maxima),
            ("floor_weights", floors),
        ):
            out.whole(name, array)
    except BaseException:
        out.abandon()
        raise
    finally:
        runs.close()
    if directory is None:
        arrays = out.arrays
        arrays["docs"] = arrays["docs"].astype(np.int32, copy=False)
        arrays["tf"] = arrays["tf"].astype(np.float32, copy=False)
        arrays["weights"] = arrays["weights"].astype(np.float64, copy=False)
        return bm25.BM25Index(
            params, vocabulary, arrays, avgdl, positive=positive, length_total=total
        )
    _write_manifest(directory, out.files, vocabulary, params, n_docs, indptr, avgdl, total,
                    positive)  # fmt: skip
    return bm25.BM25Index.load(directory)


_VARIANT_CODES = {"lucene": 0, "okapi": 0, "bm25l": 1, "bm25plus": 2}


def _weigh(
    params: bm25.BM25Params,
    local: np.ndarray,
    t0: int,
    idf: np.ndarray,
    docs: np.ndarray,
    tf: np.ndarray,
    doc_len: np.ndarray,
    avgdl: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The weights of the postings of terms t0.. (lists at ``local``), each list's largest
    and its FLOOR_RANKS-th largest: compiled in one pass, else as BM25Index.from_postings
    computes them."""
    floor = bm25._floor_scores(params, idf)
    kernels = _kernels()
    if kernels is not None:
        return kernels.weigh(
            _VARIANT_CODES[params.variant], local, t0, idf, floor, tf, docs, doc_len, avgdl,
            params.k1, params.b, params.delta, np.array(bm25.FLOOR_RANKS, np.int64),
        )  # fmt: skip
    terms = np.repeat(np.arange(t0, t0 + len(local) - 1, dtype=np.int64), np.diff(local))
    weights = bm25.BM25Index._posting_weights(params, idf, terms, docs, tf, doc_len, avgdl)
    return weights, bm25._list_maxima(local, weights), bm25._list_floors(local, weights)


def _gather(
    runs: Runs, t0: int, t1: int, counts: np.ndarray, renumber: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """The postings of terms t0..t1-1, by term then document (runs' pieces one after
    another), documents renumbered and those left out dropped."""
    local = np.zeros(t1 - t0 + 1, np.int64)
    np.cumsum(counts[t0:t1], out=local[1:])
    size = int(local[-1])
    docs = np.empty(size, np.int32)
    tf = np.empty(size, np.float32)
    placed = local[:-1].copy()  # where each term's next piece goes
    for terms, piece_counts, piece_docs, piece_tf in runs.pieces(t0, t1):
        at = terms.astype(np.int64) - t0
        # Each posting's place: its term's next free place, plus its rank in the piece.
        shift = placed[at] - (np.cumsum(piece_counts) - piece_counts)
        where = np.repeat(shift, piece_counts) + np.arange(len(piece_docs))
        docs[where] = piece_docs
        tf[where] = piece_tf
        placed[at] += piece_counts
    if renumber is not None:
        numbers = renumber[docs]
        kept = numbers >= 0
        docs, tf = numbers[kept].astype(np.int32), tf[kept]
    return docs, tf


def _write_manifest(
    directory: Path,
    files: dict[str, dict[str, object]],
    vocabulary: list[str],
    params: bm25.BM25Params,
    n_docs: int,
    indptr: np.ndarray,
    avgdl: float,
    total: int,
    positive: bool,
) -> None:
    vocab_path = directory / "vocabulary.json"
    vocab_path.write_bytes(bm25.vocabulary_json(vocabulary))
    files[vocab_path.name] = bm25._file_entry(vocab_path)
    manifest = {
        "format": "footnote-bm25",
        "format_version": bm25.FORMAT_VERSION,
        "params": asdict(params),
        "documents": n_docs,
        "terms": len(vocabulary),
        "postings": int(indptr[-1]),
        "avgdl": avgdl,
        "length_total": str(total),
        "positive_weights": positive,
        "files": {name: files[name] for name in sorted(files)},
    }
    (directory / bm25._MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def spill_path(directory: Path | None) -> Path:
    """Where a build spills its runs: beside its output, else in the temporary folder."""
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        return directory / ".runs.tmp"
    handle, name = tempfile.mkstemp(prefix="footnote-runs-", suffix=".tmp")
    os.close(handle)
    return Path(name)
