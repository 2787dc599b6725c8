"""The embedded backend behind the retrieval seam: BM25 arrays and the passage store of one
index generation on disk."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence

import numpy as np

from footnote.ingest.corpus import Skipped
from footnote.retrieval.base import (
    Dropped,
    Filters,
    IndexInfo,
    PassageRef,
    Query,
    StoredDocument,
    StoredPassage,
)
from footnote.retrieval.embedded.index import CorpusIndex
from footnote.retrieval.embedded.segments import LiveIndex


@functools.lru_cache(maxsize=16)
def _tag(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:8]


class EmbeddedRetriever:
    """An opened index generation on disk (with the delta of the updates since, if any),
    searched in this process."""

    backend = "embedded"

    def __init__(self, index: CorpusIndex | LiveIndex) -> None:
        self.index = index

    def __len__(self) -> int:
        return len(self.index)

    def search(
        self, query: Query, k: int, filters: Filters | None = None
    ) -> list[tuple[PassageRef, float]]:
        """The best k passages for the query, best first, with their BM25 scores."""
        tokens, weights = query.tokens()
        if isinstance(self.index, LiveIndex):
            live = self.index
            if filters:
                ids, scores = live.filtered(tokens, weights, k, filters)
            else:
                ids, scores = live.top_k(tokens, k, weights)
            refs = live.refs([int(i) for i in ids])
            return [(ref, float(s)) for ref, s in zip(refs, scores, strict=True)]
        if filters:
            ids, scores = self._filtered(tokens, weights, k, filters)
        else:
            ids, scores = self.index.bm25.top_k(tokens, k, weights)
        refs = self.index.refs([int(i) for i in ids])
        return [(ref, float(s)) for ref, s in zip(refs, scores, strict=True)]

    def _filtered(
        self, tokens: list[str], weights: list[float], k: int, filters: Filters
    ) -> tuple[np.ndarray, np.ndarray]:
        """The best k rows of the admitted documents: the rows holding a query term in
        them, scored exactly."""
        bm25 = self.index.bm25
        layout = self.index.layout()
        allowed = np.zeros(len(bm25), dtype=bool)
        for d in layout.documents:
            if filters.admits(d.id, d.source, d.published):
                allowed[layout.firsts[d.index] : layout.firsts[d.index + 1]] = True
        held = [bm25.term_ids[t] for t in tokens if t in bm25.term_ids]
        if not held or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0)
        rows = np.unique(
            np.concatenate([bm25.docs[int(bm25.indptr[t]) : int(bm25.indptr[t + 1])] for t in held])
        ).astype(np.int64)
        rows = rows[allowed[rows]]
        scores = bm25.score_documents(tokens, rows, weights)
        order = np.lexsort((rows, -scores))[:k]
        return rows[order], scores[order]

    def doc_freqs(self, terms: Sequence[str]) -> list[int]:
        """How many passages hold each term in their body."""
        if isinstance(self.index, LiveIndex):
            return self.index.doc_freqs(terms)
        bm25 = self.index.bm25
        if len(terms) < 8:  # a lookup each: cheaper than building arrays for a few
            return [bm25.doc_freq(t) for t in terms]
        return bm25.doc_freqs(terms)

    def passages(self, refs: Sequence[PassageRef]) -> list[StoredPassage]:
        """The passages of these refs that exist, in the order asked."""
        return self.index.passages(refs)

    def neighbours(self, first: PassageRef, last: PassageRef, around: int) -> list[StoredPassage]:
        """Passages first..last of one document with up to `around` more on each side."""
        return self.index.neighbours(first, last, around)

    def documents(self) -> list[StoredDocument]:
        """Every document, in corpus order."""
        return self.index.documents()

    def document(self, doc_id: str) -> StoredDocument | None:
        """The document of this id, or None when the index has none."""
        return self.index.document(doc_id)

    def headings(self) -> list[tuple[str, str]]:
        """Each document's section headings as (document id, heading), in corpus order."""
        return self.index.headings()

    @property
    def generation(self) -> str:
        """Eight hex digits naming the index generation served."""
        return _tag(self.index.directory.name)

    def info(self) -> IndexInfo:
        """The index's folder, build and counts."""
        manifest = self.index.manifest
        seconds = manifest.get("build_seconds")
        return IndexInfo(
            backend=self.backend,
            location=str(self.index.directory.parent),
            generation=self.generation,
            created=str(manifest.get("created", "")),
            built_by=str(manifest.get("built_by") or ""),
            build_seconds=float(seconds) if isinstance(seconds, int | float) else None,
            counts=self.index.counts,
        )

    def skipped(self) -> list[Skipped]:
        """The files the build skipped, with reasons."""
        return self.index.skipped()

    def dropped(self, path: str | None = None) -> list[Dropped]:
        """Every paragraph the build dropped as boilerplate (of one corpus file, when `path`
        names it), in corpus order, with the reason."""
        return self.index.dropped(path)

    def warm_up(self) -> None:
        """Load the compiled kernels and touch the arrays, so the first question is quick."""
        if isinstance(self.index, LiveIndex):
            self.index.warm_up()
            return
        self.index.bm25.warm_up()
        self.index.layout()

    def close(self) -> None:
        """Close this thread's connection to the passage store."""
        self.index.close()
