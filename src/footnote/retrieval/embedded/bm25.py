"""BM25Index: an inverted BM25 index built from token lists, scored per variant, saved as .npy."""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from footnote.errors import ConfigError, IndexCorrupt
from footnote.retrieval.embedded import kernel

# 2: each term's largest weight (max_weights.npy) and its 10th and 20th (floor_weights.npy),
# for MaxScore; 3: the lengths' exact total (length_total), avgdl rounded once from it
FORMAT_VERSION = 3
VARIANTS = ("lucene", "okapi", "bm25l", "bm25plus")
_DEFAULT_DELTA = {"bm25l": 0.5, "bm25plus": 1.0}
_ARRAYS = ("indptr", "docs", "tf", "weights", "doc_len", "idf", "max_weights", "floor_weights")
# floor_weights holds each term's FLOOR_RANKS-th largest weights, a row per rank (0 for a
# shorter list): the k best documents for a term alone score at least its k-th weight.
FLOOR_RANKS = (10, 20)
_NO_FLOORS = np.zeros(0)  # contiguous, like a row: the kernel compiles for one array layout
_MANIFEST = "bm25.json"
# From this many documents, top_k uses the compiled kernel when numba is installed.
KERNEL_MIN_DOCUMENTS = 20_000
# When a weight can be zero or below (okapi's common words, a zero query weight), MaxScore's
# bounds do not hold: up to this many query terms the compiled path then merges the posting
# lists in document order (its cost per document grows with the number of lists), and
# longer queries add into a buffer.
MERGE_MAX_TERMS = 6


@dataclass(frozen=True)
class BM25Params:
    """The scoring function: variant and its parameters."""

    variant: str = "lucene"
    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25
    delta: float = 0.0

    @classmethod
    def make(
        cls,
        variant: str = "lucene",
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
        delta: float | None = None,
    ) -> BM25Params:
        """Validated parameters; delta defaults to rank_bm25's value for the variant."""
        if variant not in VARIANTS:
            raise ConfigError(
                f"Unknown BM25 variant {variant!r}; use one of {', '.join(VARIANTS)}."
            )
        if not (k1 >= 0 and math.isfinite(k1)):
            raise ConfigError(f"BM25 k1 must be a finite number >= 0, not {k1!r}.")
        if not (0 <= b <= 1):
            raise ConfigError(f"BM25 b must be between 0 and 1, not {b!r}.")
        if delta is None:
            delta = _DEFAULT_DELTA.get(variant, 0.0)
        return cls(variant, float(k1), float(b), float(epsilon), float(delta))


# Lengths are summed exactly as integers in units of 2**-LENGTH_SCALE (a float32 length is a
# whole number of those): the total of a set of passages is then the same whichever order,
# or whichever segments, it is summed in, and avgdl is that total over N rounded once.
LENGTH_SCALE = 200


def exact_length_total(lengths: np.ndarray) -> int:
    """The exact sum of float32 (or integer) lengths, in units of 2**-LENGTH_SCALE."""
    values = np.asarray(lengths)
    if not len(values):
        return 0
    if np.issubdtype(values.dtype, np.integer):
        return int(values.astype(np.int64).sum()) << LENGTH_SCALE
    mantissa, exponent = np.frexp(values.astype(np.float32).astype(np.float64))
    whole = (mantissa * (1 << 24)).astype(np.int64)  # exact: a float32 has 24 bits
    shifts, at = np.unique(exponent.astype(np.int64) - 24 + LENGTH_SCALE, return_inverse=True)
    sums = np.zeros(len(shifts), dtype=np.int64)
    np.add.at(sums, at, whole)  # each below 2**24 * N: no overflow up to 2**39 passages
    return sum(int(total) << int(shift) for total, shift in zip(sums, shifts, strict=True))


def average_length(total: int, n_docs: int) -> float:
    """avgdl from an exact length total (exact_length_total): the quotient rounded once."""
    return total / (n_docs << LENGTH_SCALE) if n_docs else 0.0


def idf_values(
    params: BM25Params, df: np.ndarray, n_docs: int, exact_mean: bool = False
) -> np.ndarray:
    """Inverse document frequency per term, exactly as each variant defines it.

    okapi's floor is a mean over the vocabulary: summed in vocabulary order as rank_bm25
    does, or with ``exact_mean`` correctly rounded (math.fsum), the same bits whatever the
    order, as two builds of one corpus folder may order their vocabularies differently.
    """
    df = df.astype(np.float64)
    n = float(n_docs)
    if params.variant == "lucene":
        return np.log1p((n - df + 0.5) / (df + 0.5))
    if params.variant == "okapi":
        # rank_bm25: log(N - df + 0.5) - log(df + 0.5), negatives floored at eps * mean idf.
        idf = np.array([math.log(n - f + 0.5) - math.log(f + 0.5) for f in df.tolist()])
        if len(idf):
            values = idf.tolist()
            floor = params.epsilon * ((math.fsum(values) if exact_mean else sum(values)) / len(idf))
            idf[idf < 0] = floor
        return idf
    if params.variant == "bm25l":
        return np.array([math.log(n + 1) - math.log(f + 0.5) for f in df.tolist()])
    # A term no passage holds (only in paragraphs dropped as boilerplate) adds nothing, as
    # a term outside rank_bm25's vocabulary: not log((N + 1) / 0).
    return np.array([math.log((n + 1) / f) if f else 0.0 for f in df.tolist()])


def term_scores(
    params: BM25Params, idf: float | np.ndarray, tf: np.ndarray, doc_len: np.ndarray, avgdl: float
) -> np.ndarray:
    """One term's score in each document, written as rank_bm25 writes it (bit-for-bit)."""
    k1, b = params.k1, params.b
    if params.variant in ("lucene", "okapi"):
        return idf * (tf * (k1 + 1) / (tf + k1 * (1 - b + b * doc_len / avgdl)))
    if params.variant == "bm25l":
        ctd = tf / (1 - b + b * doc_len / avgdl)
        return idf * tf * (k1 + 1) * (ctd + params.delta) / (k1 + ctd + params.delta)
    return idf * (params.delta + (tf * (k1 + 1)) / (k1 * (1 - b + b * doc_len / avgdl) + tf))


def _floor_scores(params: BM25Params, idf: np.ndarray) -> np.ndarray:
    """The score a term gives a document that lacks it: zero except for BM25+."""
    if params.variant == "bm25plus":
        return idf * params.delta
    return np.zeros_like(idf)


def _scaled(values: np.ndarray, weight: float) -> np.ndarray:
    """Values times a query weight; a weight of 1 leaves them untouched (and exact)."""
    return values if weight == 1.0 else values * weight


def _list_maxima(indptr: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each term's largest posting weight (0 for a term no document holds)."""
    maxima = np.zeros(len(indptr) - 1, dtype=np.float64)
    held = indptr[1:] > indptr[:-1]
    if held.any():
        maxima[held] = np.maximum.reduceat(weights, indptr[:-1][held])
    return maxima


def _list_floors(indptr: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each term's FLOOR_RANKS-th largest posting weights, one row per rank."""
    ranks = np.array(FLOOR_RANKS)
    floors = np.zeros((len(ranks), len(indptr) - 1), dtype=np.float64)
    lengths = np.diff(indptr)
    width = 1 << int(ranks.min() - 1).bit_length()
    # Lists of similar length are padded to one width and partitioned together, a row each:
    # a call per term would cost more than the partitions themselves.
    while width <= 4096:
        terms = np.flatnonzero(
            (lengths >= ranks.min()) & (lengths <= width) & (lengths > width // 2)
        )
        if len(terms):
            where = indptr[terms, None] + np.arange(width)
            rows = np.where(
                where < indptr[terms + 1, None],
                weights[np.minimum(where, len(weights) - 1)],
                -np.inf,
            )
            rows.partition(width - ranks, axis=1)
            held = lengths[terms, None] >= ranks
            floors[:, terms] = np.where(held, rows[:, width - ranks], 0.0).T
        width *= 2
    for term in np.flatnonzero(lengths > width // 2).tolist():
        lo, hi = int(indptr[term]), int(indptr[term + 1])
        floors[:, term] = np.partition(weights[lo:hi], hi - lo - ranks)[hi - lo - ranks]
    return floors


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def vocabulary_json(vocabulary: list[str]) -> bytes:
    """The vocabulary as UTF-8 JSON; escaped where a term is no valid Unicode (a lone
    surrogate, which a caller's own tokenizer may give) and so has no UTF-8."""
    try:
        return json.dumps(vocabulary, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(vocabulary).encode("ascii")


def _file_entry(path: Path) -> dict[str, object]:
    """A file's size and checksum, as the manifest records them."""
    return {"bytes": path.stat().st_size, "sha256": sha256_file(path)}


class BM25Index:
    """An inverted index: per term, the documents holding it with tf and precomputed weight.

    Term frequencies and lengths are float32, so a fielded corpus can weight its fields
    (BM25F); built from token lists they are whole numbers and score exactly as rank_bm25.

    A query touches only the postings of its terms: their weights are summed per document
    (in a reusable per-thread buffer, or, compiled, by merging the lists in document order,
    skipping by MaxScore with each term's largest weight as its bound) and the best k are
    kept.
    """

    def __init__(
        self,
        params: BM25Params,
        vocabulary: list[str],
        arrays: dict[str, np.ndarray],
        avgdl: float,
        positive: bool = False,
        compiled: bool = True,
        length_total: int | None = None,
    ) -> None:
        self.params = params
        # Whether top_k may load and use the compiled kernels (from KERNEL_MIN_DOCUMENTS).
        self.compiled = compiled
        self.vocabulary = vocabulary
        self.term_ids = {term: i for i, term in enumerate(vocabulary)}
        self.memory_mapped = any(isinstance(a, np.memmap) for a in arrays.values())
        # Plain ndarray views of the (possibly memory-mapped) arrays: slicing an np.memmap
        # builds a new memmap object each time, several times slower on the query path.
        self.indptr = np.asarray(arrays["indptr"])
        self.docs = np.asarray(arrays["docs"])
        self.tf = np.asarray(arrays["tf"])
        self.weights = np.asarray(arrays["weights"])
        self.doc_len = np.asarray(arrays["doc_len"])
        self.idf = np.asarray(arrays["idf"])
        self.max_weights = np.asarray(arrays["max_weights"])
        self.floor_weights = np.asarray(arrays["floor_weights"])
        self.avgdl = avgdl
        # The lengths' exact total (exact_length_total): what segments sum avgdl from.
        self.length_total = length_total
        # Every posting weight above zero (known at build time; reading the weights to
        # find out on open would page in the whole index): top_k can then skip the marks.
        self.positive = positive
        self._floor = _floor_scores(params, np.asarray(self.idf, dtype=np.float64))
        self._local = threading.local()

    # -- building -------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        token_lists: Iterable[Sequence[str]],
        variant: str = "lucene",
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
        delta: float | None = None,
    ) -> BM25Index:
        """Index documents given as lists of tokens (one list per document), in memory."""
        return cls._from_tokens(token_lists, None, BM25Params.make(variant, k1, b, epsilon, delta))

    @classmethod
    def write(
        cls,
        token_lists: Iterable[Sequence[str]],
        directory: str | os.PathLike[str],
        variant: str = "lucene",
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
        delta: float | None = None,
    ) -> BM25Index:
        """Index documents given as lists of tokens straight into ``directory`` (as save
        writes it) in bounded memory, whatever their number; the index opened from there.

        The token lists may be any iterable, a generator reading them from disk included:
        they are taken a batch at a time and never held together.
        """
        params = BM25Params.make(variant, k1, b, epsilon, delta)
        return cls._from_tokens(token_lists, Path(directory), params)

    @classmethod
    def _from_tokens(
        cls, token_lists: Iterable[Sequence[str]], directory: Path | None, params: BM25Params
    ) -> BM25Index:
        from footnote.retrieval.embedded import runs

        return runs.index_tokens(token_lists, directory, params)

    @classmethod
    def from_term_ids(
        cls,
        term_ids: np.ndarray,
        doc_lengths: np.ndarray,
        vocabulary: list[str],
        params: BM25Params,
    ) -> BM25Index:
        """Index a corpus given as one flat array of term ids and each document's length."""
        n_docs = len(doc_lengths)
        doc_of_token = np.repeat(np.arange(n_docs, dtype=np.int64), doc_lengths)
        keys = term_ids.astype(np.int64) * max(n_docs, 1) + doc_of_token
        del doc_of_token
        keys, tf = np.unique(keys, return_counts=True)
        terms = keys // max(n_docs, 1)
        docs = (keys - terms * max(n_docs, 1)).astype(np.int32)
        del keys
        return cls.from_postings(terms, docs, tf, doc_lengths, vocabulary, params)

    @classmethod
    def from_postings(
        cls,
        terms: np.ndarray,
        docs: np.ndarray,
        tf: np.ndarray,
        doc_lengths: np.ndarray,
        vocabulary: list[str],
        params: BM25Params,
        exact_mean: bool = False,
    ) -> BM25Index:
        """Index from (term, doc, tf) triples sorted by term, then by document (a corpus
        build passes ``exact_mean``: see idf_values)."""
        n_docs, n_terms = len(doc_lengths), len(vocabulary)
        df = np.bincount(terms, minlength=n_terms).astype(np.int64)
        indptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        # Lengths and frequencies may be weighted (BM25F: a heading word counts w times).
        integral = np.issubdtype(np.asarray(doc_lengths).dtype, np.integer)
        doc_len = np.asarray(doc_lengths, dtype=np.int32 if integral else np.float32)
        # Summed exactly (rank_bm25's integer sum for whole lengths): an index updated in
        # segments gets the very avgdl of one built at once.
        total = exact_length_total(doc_len)
        avgdl = average_length(total, n_docs)
        idf = idf_values(params, df, n_docs, exact_mean)
        tf = tf.astype(np.float32, copy=False)  # no copy of a large build's arrays when typed
        weights = cls._posting_weights(params, idf, terms, docs, tf, doc_len, avgdl)
        arrays = {
            "indptr": indptr,
            "docs": docs.astype(np.int32, copy=False),
            "tf": tf,
            "weights": weights,
            "doc_len": doc_len,
            "idf": idf,
            "max_weights": _list_maxima(indptr, weights),
            "floor_weights": _list_floors(indptr, weights),
        }
        positive = bool(np.all(weights > 0))
        return cls(params, vocabulary, arrays, avgdl, positive=positive, length_total=total)

    @staticmethod
    def _posting_weights(
        params: BM25Params,
        idf: np.ndarray,
        terms: np.ndarray,
        docs: np.ndarray,
        tf: np.ndarray,
        doc_len: np.ndarray,
        avgdl: float,
    ) -> np.ndarray:
        """Each posting's score above the term's floor (float64: top_k scores are exact)."""
        weights = np.empty(len(terms), dtype=np.float64)
        step = 1 << 22  # chunks keep the float64 temporaries small on big corpora
        floor = _floor_scores(params, idf)
        for lo in range(0, len(terms), step):
            t = terms[lo : lo + step]
            dl = doc_len[docs[lo : lo + step]].astype(np.float64)
            full = term_scores(params, idf[t], tf[lo : lo + step].astype(np.float64), dl, avgdl)
            weights[lo : lo + step] = full - floor[t]
        return weights

    # -- querying -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.doc_len)

    def get_scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """Every document's score for the query, as rank_bm25's get_scores computes it."""
        if isinstance(query_tokens, str):
            raise TypeError("query_tokens must be a list of tokens, not a string; split it first.")
        scores = np.zeros(len(self), dtype=np.float64)
        doc_len = np.asarray(self.doc_len, dtype=np.float64)
        for token in query_tokens:
            term = self.term_ids.get(token)
            if term is None:
                continue
            idf = float(self.idf[term])
            lo, hi = int(self.indptr[term]), int(self.indptr[term + 1])
            docs = np.asarray(self.docs[lo:hi])
            tf = np.asarray(self.tf[lo:hi], dtype=np.float64)
            term_part = term_scores(self.params, idf, tf, doc_len[docs], self.avgdl)
            floor = float(self._floor[term])
            if floor:
                # BM25+ scores every document; rank_bm25 adds that floor to all of them.
                full = np.full(len(self), floor)
                full[docs] = term_part
                scores += full
            else:
                scores[docs] += term_part
        return scores

    def _buffer(self) -> np.ndarray:
        buffer = getattr(self._local, "buffer", None)
        if buffer is None or len(buffer) != len(self):
            buffer = np.zeros(len(self), dtype=np.float64)
            self._local.buffer = buffer
        return buffer

    def _top_k_compiled(
        self, compiled: kernel.Kernels, pairs: list[tuple[int, float]], k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """top_k through the compiled kernel: one pass over the postings."""
        terms = np.array([t for t, _ in pairs], dtype=np.int64)
        scale = np.array([w for _, w in pairs], dtype=np.float64)
        if self.positive and all(w > 0 for _, w in pairs):
            return compiled.top_k_maxscore(
                self.indptr,
                self.docs,
                self.weights,
                terms,
                scale,
                self.max_weights,
                self._floors(k),
                k,
            )
        if len(terms) <= MERGE_MAX_TERMS:
            return compiled.top_k_merged(self.indptr, self.docs, self.weights, terms, scale, k)
        buffers = self._kernel_buffers()
        return compiled.top_k(self.indptr, self.docs, self.weights, terms, scale, k, *buffers)

    def _floors(self, k: int) -> np.ndarray:
        """Each term's weight that k documents reach at least (an empty array past the
        largest rank stored): the k best documents for one term alone score that much."""
        for row, rank in enumerate(FLOOR_RANKS):
            if rank >= k:
                return self.floor_weights[row]
        return _NO_FLOORS

    def warm_up(self) -> None:
        """Load what the first query would (the compiled kernel, its buffers) ahead of it."""
        if self._uses_kernel() and kernel.load() is not None and self.vocabulary:
            term = self.vocabulary[0]
            self.top_k([term], 1)  # MaxScore, or (weights zero or below) the merge
            if not self.positive:
                self.top_k([term] * (MERGE_MAX_TERMS + 1), 1)  # the buffer kernel

    def _uses_kernel(self) -> bool:
        return self.compiled and len(self) >= KERNEL_MIN_DOCUMENTS

    def _kernel_buffers(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        buffers = getattr(self._local, "kernel", None)
        if buffers is None:
            n = len(self)
            buffers = (np.zeros(n, np.float64), np.zeros(n, np.uint8), np.empty(n, np.int64))
            self._local.kernel = buffers
        return buffers

    def top_k(
        self,
        query_tokens: Sequence[str],
        k: int = 10,
        query_weights: Sequence[float] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k best documents that hold a query term (indices, scores), best first.

        Only the postings of the query's terms are read: each document's weights are added in
        query order (exactly as get_scores adds them) and the best k are kept; ties go to the
        earlier document.
        ``query_weights`` scales each token's contribution (default 1 each).
        """
        if isinstance(query_tokens, str):
            raise TypeError("query_tokens must be a list of tokens, not a string; split it first.")
        if self.params.variant == "bm25plus" and k > 0:
            # BM25+ ranks by each posting's score above the term's floor; those sums can
            # differ from the exact scores in the last bit, so a few more are scored exactly.
            found, _ = self._top_k(query_tokens, k + 8, query_weights)
            exact = self.score_documents(query_tokens, found, query_weights)
            order = np.lexsort((found, -exact))[:k]
            return found[order], exact[order]
        return self._top_k(query_tokens, k, query_weights)

    def _top_k(
        self, query_tokens: Sequence[str], k: int, query_weights: Sequence[float] | None
    ) -> tuple[np.ndarray, np.ndarray]:
        ids = self.term_ids
        multipliers = [1.0] * len(query_tokens) if query_weights is None else query_weights
        pairs = [
            (ids[t], float(w)) for t, w in zip(query_tokens, multipliers, strict=True) if t in ids
        ]
        if k <= 0 or not pairs or len(self) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        terms = [t for t, _ in pairs]
        indptr, postings, weights = self.indptr, self.docs, self.weights
        if self._uses_kernel() and (compiled := kernel.load()) is not None:
            return self._top_k_compiled(compiled, pairs, k)
        distinct = list(dict.fromkeys(terms))
        if len(distinct) == 1:
            lo, hi = int(indptr[terms[0]]), int(indptr[terms[0] + 1])
            found = postings[lo:hi]
            scores = _scaled(weights[lo:hi], pairs[0][1])
            for _, w in pairs[1:]:  # a repeated query term counts again, as in rank_bm25
                scores = scores + _scaled(weights[lo:hi], w)
        else:
            buffer = self._buffer()
            for term, w in pairs:
                lo, hi = int(indptr[term]), int(indptr[term + 1])
                buffer[postings[lo:hi]] += _scaled(weights[lo:hi], w)
            found = np.concatenate(
                [postings[int(indptr[t]) : int(indptr[t + 1])] for t in distinct]
            )
            scores = buffer[found]
            buffer[found] = 0.0
        # A document stands once per distinct term it holds, so the best k * terms entries
        # hold the best k documents.
        wanted = k * len(distinct)
        if wanted < len(found):
            # Everything tied with the last entry kept stays, so ties go to the earlier
            # document whatever order the partial sort leaves them in.
            cut = np.partition(scores, len(scores) - wanted)[len(scores) - wanted]
            keep = scores >= cut
            found, scores = found[keep], scores[keep]
        if len(distinct) > 1:
            found, first = np.unique(found, return_index=True)
            scores = scores[first]
        order = np.lexsort((found, -scores))[:k]
        found = found[order].astype(np.int64)
        return found, scores[order]

    def score_documents(
        self,
        query_tokens: Sequence[str],
        documents: np.ndarray,
        query_weights: Sequence[float] | None = None,
    ) -> np.ndarray:
        """Exact scores of the given documents only, found by binary search in the postings."""
        documents = np.asarray(documents, dtype=np.int64)
        scores = np.zeros(len(documents), dtype=np.float64)
        doc_len = np.asarray(self.doc_len[documents], dtype=np.float64)
        multipliers = [1.0] * len(query_tokens) if query_weights is None else query_weights
        for token, w in zip(query_tokens, multipliers, strict=True):
            term = self.term_ids.get(token)
            if term is None:
                continue
            tf = self.term_frequencies(term, documents).astype(np.float64)
            part = term_scores(self.params, float(self.idf[term]), tf, doc_len, self.avgdl)
            scores += _scaled(part, float(w))
        return scores

    def term_frequencies(self, term: int, documents: np.ndarray) -> np.ndarray:
        """How often a term occurs in each of the given documents (0 where absent)."""
        lo, hi = int(self.indptr[term]), int(self.indptr[term + 1])
        postings = self.docs[lo:hi]
        where = np.searchsorted(postings, documents)
        inside = where < len(postings)
        hit = np.zeros(len(documents), dtype=bool)
        hit[inside] = postings[where[inside]] == documents[inside]
        tf = np.zeros(len(documents), dtype=np.float64)
        tf[hit] = self.tf[lo + where[hit]]
        return tf

    def doc_freq(self, token: str) -> int:
        """How many documents hold the token."""
        term = self.term_ids.get(token)
        return 0 if term is None else int(self.indptr[term + 1] - self.indptr[term])

    def doc_freqs(self, tokens: Sequence[str]) -> list[int]:
        """How many documents hold each token (one array lookup for them all)."""
        ids = self.term_ids
        terms = np.array([ids.get(t, -1) for t in tokens], dtype=np.int64)
        counts = self.indptr[terms + 1] - self.indptr[terms]
        return np.where(terms >= 0, counts, 0).tolist()

    def token_idf(self, token: str) -> float | None:
        """The token's idf under this index's variant, or None when no document holds it."""
        term = self.term_ids.get(token)
        return None if term is None else float(self.idf[term])

    # -- persistence ------------------------------------------------------------------------

    def save(self, directory: str | os.PathLike[str]) -> None:
        """Write the index as .npy arrays plus a JSON manifest with sizes and checksums."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        files = {}
        for name in _ARRAYS:
            target = path / f"{name}.npy"
            np.save(target, np.ascontiguousarray(getattr(self, name)), allow_pickle=False)
            files[target.name] = _file_entry(target)
        vocab_path = path / "vocabulary.json"
        vocab_path.write_bytes(vocabulary_json(self.vocabulary))
        files[vocab_path.name] = _file_entry(vocab_path)
        manifest = {
            "format": "footnote-bm25",
            "format_version": FORMAT_VERSION,
            "params": asdict(self.params),
            "documents": len(self),
            "terms": len(self.vocabulary),
            "postings": len(self.docs),
            "avgdl": self.avgdl,
            "length_total": str(self.length_total) if self.length_total is not None else None,
            "positive_weights": self.positive,
            "files": files,
        }
        (path / _MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")

    @classmethod
    def load(
        cls,
        directory: str | os.PathLike[str],
        mmap: bool = True,
        verify: bool = False,
        compiled: bool = True,
    ) -> BM25Index:
        """Open a saved index; arrays are memory-mapped unless mmap is False.

        Sizes are always checked; ``verify`` also checks every file's SHA-256. Without
        ``compiled``, queries never load the compiled kernels (numpy answers them).
        """
        path = Path(directory)
        try:
            manifest = json.loads((path / _MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexCorrupt(f"No readable BM25 index in {path} ({exc}); rebuild it.") from exc
        if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
            raise IndexCorrupt(f"The BM25 manifest in {path} is not an index's; rebuild it.")
        if (
            manifest.get("format") != "footnote-bm25"
            or manifest.get("format_version") != FORMAT_VERSION
        ):
            raise IndexCorrupt(
                f"The BM25 index in {path} has another format "
                f"({manifest.get('format')} v{manifest.get('format_version')}); rebuild it."
            )
        for name, meta in manifest["files"].items():
            file = path / name
            size = file.stat().st_size if file.exists() else -1
            if size != meta["bytes"]:
                raise IndexCorrupt(f"{file} is missing or has the wrong size; rebuild the index.")
            if verify and sha256_file(file) != meta["sha256"]:
                raise IndexCorrupt(f"{file} does not match its checksum; rebuild the index.")
        try:
            arrays = {
                name: np.load(
                    path / f"{name}.npy", mmap_mode="r" if mmap else None, allow_pickle=False
                )
                for name in _ARRAYS
            }
            vocabulary = json.loads((path / "vocabulary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexCorrupt(f"The BM25 index in {path} is damaged ({exc}); rebuild it.") from exc
        n_docs, n_terms = manifest["documents"], manifest["terms"]
        if (
            len(arrays["doc_len"]) != n_docs
            or len(arrays["indptr"]) != n_terms + 1
            or len(vocabulary) != n_terms
            or len(arrays["docs"]) != manifest["postings"]
            or arrays["max_weights"].shape != (n_terms,)
            or arrays["floor_weights"].shape != (len(FLOOR_RANKS), n_terms)
        ):
            raise IndexCorrupt(f"The BM25 index in {path} is inconsistent; rebuild it.")
        params = BM25Params(**manifest["params"])
        positive = manifest.get("positive_weights") is True
        avgdl = float(manifest["avgdl"])
        total = manifest.get("length_total")
        return cls(
            params, vocabulary, arrays, avgdl, positive=positive, compiled=compiled,
            length_total=int(total) if isinstance(total, str) and total.isdigit() else None,
        )  # fmt: skip
