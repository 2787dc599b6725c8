"""The live index when updates were made since the last full build: a base generation and
one delta beside it, searched together with exactly the scores one build of the corpus gives.

A delta holds the documents added or replaced since the base was built (their own passage
store and postings, with raw term frequencies), which of the base's files it takes out, and
what the base's statistics lose with them (each term's document frequency in the passages
taken out, their length). At question time the corpus-wide statistics are summed across
the two: N, each query term's df and the exact length total (so avgdl), and from them the
idf one build would compute.

The base's weights were computed at its own statistics. Its candidates come from its kernel
(MaxScore) with each query term's weight scaled by idf_now / idf_base, over-fetching by
the passages taken out; they and the delta's passages are then scored exactly as one build
would weight them, summed in query order, and ranked with ties in corpus order. With b > 0 a
passage's exact weight is within a factor rho = max(c, 1/c) of its scaled base weight,
c = avgdl_now / avgdl_base; a base passage not fetched scores at most the last fetched
scaled score times rho, so when that is below the k-th exact score the top k is exact, and
otherwise more are fetched (in the end every posting of the query's terms is scored).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from footnote.errors import IndexCorrupt
from footnote.ingest.boilerplate import FURNITURE, paragraph_key, repeated_reason
from footnote.ingest.corpus import Skipped
from footnote.retrieval.base import Dropped, Filters, PassageRef, StoredDocument, StoredPassage
from footnote.retrieval.embedded.bm25 import (
    average_length,
    idf_values,
    term_scores,
)
from footnote.retrieval.embedded.index import MANIFEST, CorpusIndex, current_state

log = logging.getLogger(__name__)

DELTA_FORMAT = "footnote-delta"
DELETED_TERMS = "deleted_terms.npy"
DELETED_DF = "deleted_df.npy"
# Relative slack on the bound: the scaled and exact sums are rounded in different orders.
_SLACK = 1e-9
# Past this many base candidates, every posting of the query's terms is scored instead.
_FETCH_CAP = 50_000


def open_live(
    root: Path,
    in_memory: bool = False,
    compiled: bool = True,
    reuse: CorpusIndex | LiveIndex | None = None,
) -> CorpusIndex | LiveIndex:
    """The live index in ``root``: its base generation, with its delta when it has one.

    ``reuse`` is an index opened earlier: its base is taken as is when it is still the live
    base (opening a million passages' vocabulary and layout again would take a while).
    """
    state = current_state(root)
    if state is None:
        raise IndexCorrupt(f"There is no index in {root} yet; build it with `footnote index`.")
    generation, delta = state
    base = reuse.base if isinstance(reuse, LiveIndex) else reuse
    if base is None or base.directory != generation or base.in_memory != in_memory:
        base = CorpusIndex.open_folder(generation, in_memory=in_memory, compiled=compiled)
    if delta is None:
        return base
    return LiveIndex(base, CorpusIndex.open_folder(delta, in_memory=in_memory, kind=DELTA_FORMAT))


class LiveIndex:
    """A base generation and a delta, read and searched as the one index a build would give."""

    def __init__(self, base: CorpusIndex, delta: CorpusIndex) -> None:
        self.base = base
        self.delta = delta
        self.directory = delta.directory
        meta = delta.manifest
        if meta.get("base") != base.directory.name:
            raise IndexCorrupt(f"The index delta {delta.directory} is not of its base; rebuild.")
        try:
            self._terms_out = np.load(delta.directory / DELETED_TERMS, allow_pickle=False)
            self._df_out = np.load(delta.directory / DELETED_DF, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise IndexCorrupt(f"The index delta {delta.directory} is damaged ({exc}).") from exc
        self.manifest = {
            **base.manifest,
            **meta["live"],
            "files": live_files(base.manifest["files"], meta),
        }
        self.params = base.bm25.params
        self.n = int(meta["live"]["counts"]["passages"])
        self.avgdl = average_length(int(meta["length_total"]), self.n)
        n_base = len(base.bm25)
        self.rows_out = np.zeros(n_base, dtype=bool)  # base passages taken out
        for first, count in meta["deleted_rows"]:
            self.rows_out[first : first + count] = True
        self._n_out = int(self.rows_out.sum())
        self._removed_paths = set(meta["removed"])
        self._build_layout(meta)
        self._documents: list[StoredDocument] | None = None

    # -- layout: where each segment's documents stand in corpus order ------------------------

    def _build_layout(self, meta: dict) -> None:
        base_layout, delta_layout = self.base.layout(), self.delta.layout()
        base_files = list(self.base.manifest.get("files", {}).values())
        n_base_docs = len(base_layout.documents)
        # Each base document's file (its position in the base's corpus order).
        self._base_doc_file = np.zeros(n_base_docs, dtype=np.int64)
        for position, file in enumerate(base_files):
            first, count = file["document_range"]
            self._base_doc_file[first : first + count] = position
        docs_out = np.zeros(n_base_docs, dtype=bool)
        for first, count in meta["deleted_docs"]:
            docs_out[first : first + count] = True
        n_delta_docs = len(delta_layout.documents)
        delta_before = np.zeros(n_delta_docs, dtype=np.int64)
        for file in meta["files"].values():
            first, count = file["document_range"]
            delta_before[first : first + count] = file["before"]
        kept = np.flatnonzero(~docs_out)
        # Corpus order: by file position, a delta file before the base file it precedes.
        position = np.concatenate([self._base_doc_file[kept], delta_before])
        kind = np.concatenate([np.ones(len(kept), np.int64), np.zeros(n_delta_docs, np.int64)])
        local = np.concatenate([kept, np.arange(n_delta_docs)])
        order = np.lexsort((local, kind, position))
        self.doc_source = kind[order]  # 1: base, 0: delta
        self.doc_local = local[order]
        counts = np.where(
            self.doc_source == 1,
            np.diff(base_layout.firsts)[np.where(self.doc_source == 1, self.doc_local, 0)],
            np.diff(delta_layout.firsts)[np.where(self.doc_source == 0, self.doc_local, 0)]
            if n_delta_docs
            else 0,
        )
        self.firsts = np.zeros(len(order) + 1, dtype=np.int64)
        np.cumsum(counts, out=self.firsts[1:])
        # Each segment document's first live row, and its live number (-1: taken out).
        self._live_first = {
            1: np.full(n_base_docs, -1, np.int64),
            0: np.zeros(n_delta_docs, np.int64),
        }
        self._live_doc = {
            1: np.full(n_base_docs, -1, np.int64),
            0: np.zeros(n_delta_docs, np.int64),
        }
        for source in (0, 1):
            at = np.flatnonzero(self.doc_source == source)
            self._live_first[source][self.doc_local[at]] = self.firsts[at]
            self._live_doc[source][self.doc_local[at]] = at
        self._delta_file_before = {rel: file["before"] for rel, file in meta["files"].items()}
        self._base_file_position = {
            rel: i for i, rel in enumerate(self.base.manifest.get("files", {}))
        }

    def _segment(self, source: int) -> CorpusIndex:
        return self.base if source == 1 else self.delta

    def live_rows(self, source: int, rows: np.ndarray) -> np.ndarray:
        """The live (corpus order) rows of one segment's rows."""
        firsts = self._segment(source).layout().firsts
        rows = np.asarray(rows, dtype=np.int64)
        docs = np.searchsorted(firsts, rows, side="right") - 1
        return self._live_first[source][docs] + (rows - firsts[docs])

    def _segment_rows(self, rows: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Each live row's segment (1 base, 0 delta) and row in it."""
        at = np.asarray(rows, dtype=np.int64)
        docs = np.searchsorted(self.firsts, at, side="right") - 1
        source, local = self.doc_source[docs], self.doc_local[docs]
        seg_first = np.where(
            source == 1,
            self.base.layout().firsts[np.where(source == 1, local, 0)],
            self.delta.layout().firsts[np.where(source == 0, local, 0)]
            if len(self.delta.layout().documents)
            else 0,
        )
        return source, seg_first + (at - self.firsts[docs])

    def documents(self) -> list[StoredDocument]:
        """Every document, in corpus order."""
        if self._documents is None:
            sources = {1: self.base.layout().documents, 0: self.delta.layout().documents}
            # Made directly, not with dataclasses.replace: a new live index lists them after
            # every update, and replace costs five times as much on 100,000 documents.
            self._documents = [
                StoredDocument(i, d.id, d.title, d.url, d.published, d.source, d.path, d.passages)
                for i, d in enumerate(
                    sources[s][n]
                    for s, n in zip(self.doc_source.tolist(), self.doc_local.tolist(), strict=True)
                )
            ]
        return list(self._documents)

    def document(self, doc_id: str) -> StoredDocument | None:
        """The document of this id, or None (without listing them all, as an update's
        report and a removal would after every update)."""
        number = self._number(doc_id)
        if number is None:
            return None
        source, local = int(self.doc_source[number]), int(self.doc_local[number])
        found = self._segment(source).layout().documents[local]
        return replace(found, index=number)

    def _number(self, doc_id: str) -> int | None:
        """The live number of the document of this id (None when the index has none)."""
        local = self.delta.layout().numbers.get(doc_id)
        if local is not None:
            return int(self._live_doc[0][local])
        local = self.base.layout().numbers.get(doc_id)
        if local is None or self._live_doc[1][local] < 0:
            return None
        return int(self._live_doc[1][local])

    def __len__(self) -> int:
        return self.n

    @property
    def in_memory(self) -> bool:
        """Whether the index was copied into RAM."""
        return self.base.in_memory

    @property
    def created(self) -> str:
        """When the live state was made (ISO 8601, UTC)."""
        return str(self.manifest.get("created", ""))

    @property
    def counts(self) -> dict[str, int]:
        """Documents, passages, terms, dropped and skipped counts of the live state."""
        return dict(self.manifest.get("counts", {}))

    # -- passages ---------------------------------------------------------------------------

    def refs(self, rows: Sequence[int]) -> list[PassageRef]:
        """The passages in these live rows, by reference."""
        at = np.asarray(rows, dtype=np.int64)
        docs = (np.searchsorted(self.firsts, at, side="right") - 1).tolist()
        documents = {1: self.base.layout().documents, 0: self.delta.layout().documents}
        return [
            PassageRef(documents[int(self.doc_source[d])][int(self.doc_local[d])].id,
                       int(row) - int(self.firsts[d]))
            for d, row in zip(docs, at.tolist(), strict=True)
        ]  # fmt: skip

    def rows(self, indices: Sequence[int]) -> list[StoredPassage]:
        """The passages in these live rows, in the order asked."""
        if not len(indices):
            return []
        source, local = self._segment_rows(indices)
        found: dict[tuple[int, int], StoredPassage] = {}
        for s in (0, 1):
            wanted = local[source == s].tolist()
            segment = self._segment(s)
            passages = segment.rows(wanted)
            firsts = segment.layout().firsts
            numbers = segment.layout().numbers
            for p in passages:
                found[(s, int(firsts[numbers[p.ref.doc]]) + p.ref.n)] = p
        return [
            found[(s, r)]
            for s, r in zip(source.tolist(), local.tolist(), strict=True)
            if (s, r) in found
        ]

    def row_of(self, ref: PassageRef) -> int | None:
        """The live row of a passage, or None when the index has no such passage."""
        doc = self._number(ref.doc)
        if doc is None or not 0 <= ref.n < self.firsts[doc + 1] - self.firsts[doc]:
            return None
        return int(self.firsts[doc]) + ref.n

    def passages(self, refs: Sequence[PassageRef]) -> list[StoredPassage]:
        """The passages of these refs that the index holds, in the order asked."""
        return self.rows([row for ref in refs if (row := self.row_of(ref)) is not None])

    def iter_passages(self, batch: int = 2000) -> Iterator[StoredPassage]:
        """Every passage in corpus order, read `batch` at a time."""
        for first in range(0, len(self), batch):
            yield from self.rows(list(range(first, min(first + batch, len(self)))))

    def neighbours(self, first: PassageRef, last: PassageRef, around: int) -> list[StoredPassage]:
        """Passages first..last with up to `around` more on each side, from one document."""
        doc = self._number(first.doc)
        if doc is None or first.doc != last.doc:
            return []
        return self._segment(int(self.doc_source[doc])).neighbours(first, last, around)

    def headings(self) -> list[tuple[str, str]]:
        """Each document's section headings as (document id, heading), in corpus order."""
        pairs = [
            (doc, heading)
            for source, segment in ((1, self.base), (0, self.delta))
            for doc, heading in segment.headings()
            if self._in_segment(doc, source)
        ]
        return sorted(pairs, key=lambda pair: self._number(pair[0]) or 0)

    def _in_segment(self, doc_id: str, source: int) -> bool:
        """Whether the live document of this id is the one of that segment."""
        number = self._number(doc_id)
        return number is not None and int(self.doc_source[number]) == source

    def skipped(self) -> list[Skipped]:
        """The files skipped, with reasons, as a build of the corpus now lists them."""
        return [Skipped(p, r) for p, r in self.delta.manifest["skipped"]]

    def dropped(self, path: str | None = None) -> list[Dropped]:
        """Every paragraph dropped as boilerplate (of one file, when `path` names it), in
        corpus order, with the reason."""
        counts = self.delta.manifest.get("repeat_counts", {})
        kept = [
            replace(d, reason=repeated_reason(counts[key]))
            if d.reason != FURNITURE and (key := paragraph_key(d.text)) in counts
            else d
            for d in self.base.dropped(path)
            if d.path not in self._removed_paths
        ]
        keyed = [((self._base_file_position.get(d.path, 0), 1), d) for d in kept]
        keyed += [
            ((self._delta_file_before.get(d.path, 0), 0), d) for d in self.delta.dropped(path)
        ]
        return [d for _, d in sorted(keyed, key=lambda item: item[0])]  # stable: rows' order

    def close(self) -> None:
        """Close this thread's store connections."""
        self.base.close()
        self.delta.close()

    def warm_up(self) -> None:
        """Load the compiled kernels and the layouts ahead of the first question."""
        self.base.bm25.warm_up()
        self.delta.layout()

    # -- statistics -------------------------------------------------------------------------

    def _df_out_of(self, base_term: int) -> int:
        at = int(np.searchsorted(self._terms_out, base_term))
        if at < len(self._terms_out) and self._terms_out[at] == base_term:
            return int(self._df_out[at])
        return 0

    def doc_freq(self, token: str) -> int:
        """How many live passages hold the token."""
        base, delta = self.base.bm25, self.delta.bm25
        df = 0
        if (t := base.term_ids.get(token)) is not None:
            df += int(base.indptr[t + 1] - base.indptr[t]) - self._df_out_of(t)
        if (t := delta.term_ids.get(token)) is not None:
            df += int(delta.indptr[t + 1] - delta.indptr[t])
        return df

    def doc_freqs(self, tokens: Sequence[str]) -> list[int]:
        """How many live passages hold each token."""
        return [self.doc_freq(t) for t in tokens]

    def _query_terms(
        self, tokens: Sequence[str], weights: Sequence[float] | None
    ) -> list[tuple[int, int, float, float]]:
        """(base term, delta term, idf now, query weight) of each query token held by a
        live passage, in query order (-1: not in that segment)."""
        base, delta = self.base.bm25, self.delta.bm25
        multipliers = [1.0] * len(tokens) if weights is None else list(weights)
        held = []
        for token, w in zip(tokens, multipliers, strict=True):
            df = self.doc_freq(token)
            if df > 0:
                held.append((base.term_ids.get(token, -1), delta.term_ids.get(token, -1), df, w))
        if not held:
            return []
        idf = idf_values(self.params, np.array([h[2] for h in held], np.int64), self.n).tolist()
        return [(b, d, i, float(w)) for (b, d, _, w), i in zip(held, idf, strict=True)]

    # -- scoring ----------------------------------------------------------------------------

    def _exact(
        self, source: int, rows: np.ndarray, terms: list[tuple[int, int, float, float]],
        every_row: bool = False,
    ) -> np.ndarray:  # fmt: skip
        """The exact scores of one segment's rows at the live statistics, each term's
        weight as a build computes it, added in query order: only where the passage holds
        the term (as top_k adds them) or, ``every_row``, everywhere (as score_documents)."""
        bm25 = self._segment(source).bm25
        rows = np.asarray(rows, dtype=np.int64)
        dl = np.asarray(bm25.doc_len[rows], dtype=np.float64)
        scores = np.zeros(len(rows), dtype=np.float64)
        for base_term, delta_term, idf, w in terms:
            term = base_term if source == 1 else delta_term
            tf = np.zeros(len(rows)) if term < 0 else bm25.term_frequencies(term, rows)
            if every_row:
                scores += term_scores(self.params, idf, tf, dl, self.avgdl) * w
                continue
            hit = tf > 0
            if hit.any():
                part = term_scores(self.params, idf, tf[hit], dl[hit], self.avgdl)
                scores[hit] += part * w
        return scores

    def _holding(self, source: int, terms: list[tuple[int, int, float, float]]) -> np.ndarray:
        """One segment's rows (live ones) holding any of the terms."""
        bm25 = self._segment(source).bm25
        lists = [
            np.asarray(bm25.docs[int(bm25.indptr[t]) : int(bm25.indptr[t + 1])])
            for t in {(b if source == 1 else d) for b, d, _, _ in terms}
            if t >= 0
        ]
        if not lists:
            return np.zeros(0, np.int64)
        rows = np.unique(np.concatenate(lists)).astype(np.int64)
        return rows[~self.rows_out[rows]] if source == 1 else rows

    def _best(
        self, parts: list[tuple[np.ndarray, np.ndarray]], k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        rows = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
        scores = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0)
        order = np.lexsort((rows, -scores))[:k]
        return rows[order].astype(np.int64), scores[order]

    def _everything(
        self, terms: list[tuple[int, int, float, float]], k: int, allowed: dict | None = None,
        every_row: bool = False,
    ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """The best k of every live row holding a query term (and admitted), scored exactly."""
        parts = []
        for source in (1, 0):
            rows = self._holding(source, terms)
            if allowed is not None:
                rows = rows[allowed[source][rows]]
            scores = self._exact(source, rows, terms, every_row)
            parts.append((self.live_rows(source, rows), scores))
        return self._best(parts, k)

    def top_k(
        self, tokens: Sequence[str], k: int = 10, weights: Sequence[float] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k best live rows holding a query term (rows, scores), best first: the very
        rows and scores one build of the corpus gives, ties in corpus order."""
        terms = self._query_terms(tokens, weights)
        if k <= 0 or not terms:
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        base = self.base.bm25
        delta_rows = self._holding(0, terms)
        delta_part = (self.live_rows(0, delta_rows), self._exact(0, delta_rows, terms))
        in_base = [(b, i, w) for b, _, i, w in terms if b >= 0]
        if not in_base:
            return self._best([delta_part], k)
        base_idf = base.idf[[b for b, _, _ in in_base]].tolist()
        scales = [
            w * i / i0 if i0 > 0 else 0.0 for (_, i, w), i0 in zip(in_base, base_idf, strict=True)
        ]
        ratio = self.avgdl / base.avgdl if base.avgdl > 0 else 0.0
        rho = max(ratio, 1 / ratio) if ratio > 0 else math.inf
        if not all(s > 0 and math.isfinite(s) for s in scales) or not math.isfinite(rho):
            return self._everything(terms, k)  # no bound holds: score every posting
        tokens_in_base = [base.vocabulary[b] for b, _, _ in in_base]
        # Passages taken out may come first among the base's own: fetch some more (a guess:
        # the bound below decides whether the fetched ones suffice, and fetches more if not).
        taken_out = sum(self._df_out_of(b) for b, _, _ in in_base)
        fetch = k + min(taken_out, self._n_out, 4 * k)
        while fetch <= _FETCH_CAP:
            found, scaled = base._top_k(tokens_in_base, fetch, scales)
            complete = len(found) < fetch
            live = found[~self.rows_out[found]]
            base_part = (self.live_rows(1, live), self._exact(1, live, terms))
            rows, scores = self._best([base_part, delta_part], k)
            if complete:
                return rows, scores
            bound = float(scaled[-1]) * rho * (1 + _SLACK)
            if len(rows) == k and scores[-1] > bound:
                return rows, scores
            fetch *= 4
        return self._everything(terms, k)

    def filtered(
        self, tokens: Sequence[str], weights: Sequence[float], k: int, filters: Filters
    ) -> tuple[np.ndarray, np.ndarray]:
        """The best k live rows of the admitted documents holding a query term, scored as
        a build's score_documents scores them."""
        terms = self._query_terms(tokens, weights)
        if k <= 0 or not terms:
            return np.zeros(0, np.int64), np.zeros(0)
        allowed = {1: np.zeros(len(self.base), bool), 0: np.zeros(len(self.delta), bool)}
        for d in self.documents():
            if filters.admits(d.id, d.source, d.published):
                source, local = int(self.doc_source[d.index]), int(self.doc_local[d.index])
                firsts = self._segment(source).layout().firsts
                allowed[source][firsts[local] : firsts[local + 1]] = True
        return self._everything(terms, k, allowed, every_row=True)


def live_files(base_files: dict[str, dict], delta: dict) -> dict[str, dict]:
    """The files of a live state, in corpus order: the base's but those the delta takes
    out, and the delta's, each before the base file its ``before`` names."""
    removed = set(delta["removed"])
    placed: dict[int, list[str]] = {}
    for rel, meta in delta["files"].items():
        placed.setdefault(int(meta["before"]), []).append(rel)
    files: dict[str, dict] = {}
    for position, (rel, meta) in enumerate([*base_files.items(), ("", {})]):
        for new in placed.get(position, []):
            files[new] = delta["files"][new]
        if rel and rel not in removed:
            files[rel] = meta
    return files


def read_delta_manifest(delta: Path) -> dict:
    """A delta folder's manifest (raises IndexCorrupt when unreadable)."""
    try:
        manifest = json.loads((delta / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"The index delta {delta} is unreadable ({exc}).") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != DELTA_FORMAT:
        raise IndexCorrupt(f"The index delta {delta} is not one; rebuild the index.")
    return manifest
