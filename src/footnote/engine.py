"""Engine: the corpus index opened for questions, swappable when a rebuild completes."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

from footnote.analysis import Analyzer
from footnote.answer import RERANK_DEPTH, Answer, Citation, Hit, compose
from footnote.build import BuildReport, build, open_or_build
from footnote.config import TITLE_FIELD, EngineConfig
from footnote.errors import QuestionError
from footnote.feedback import FEEDBACK_PASSAGES, expand
from footnote.index import CorpusIndex

MAX_QUESTION_CHARS = 4000


class Engine:
    """Answers questions from the live index; a rebuild swaps in a new one atomically."""

    def __init__(self, config: EngineConfig, index: CorpusIndex) -> None:
        self.config = config
        self.analyzer = Analyzer(config.analyzer)
        self._index = index
        self._swap_lock = threading.Lock()

    @classmethod
    def open(cls, config: EngineConfig) -> tuple[Engine, BuildReport | None]:
        """Open the index for this config, building it first when needed."""
        index, report = open_or_build(config)
        return cls(config, index), report

    def warm_up(self) -> None:
        """Make the first answer as quick as the rest (a long-running front end calls this)."""
        self._index.bm25.warm_up()

    @property
    def index(self) -> CorpusIndex:
        """The index answering questions now."""
        return self._index

    def rebuild(self) -> BuildReport:
        """Rebuild from the corpus; questions keep using the old index until the swap."""
        report = build(self.config)
        index = CorpusIndex.open(self.config.index_path)
        index.bm25.warm_up()
        self.switch(index)
        return report

    def switch(self, index: CorpusIndex) -> None:
        """Serve from another opened index from now on (questions in flight finish as begun)."""
        with self._swap_lock:
            self._index = index

    def search(
        self, text: str, depth: int, index: CorpusIndex | None = None
    ) -> tuple[list[str], list[Hit]]:
        """The question's terms and its best `depth` passages, ranked (the product's ranking)."""
        index = index or self._index
        terms = self.analyzer.terms(text)
        tokens, weights = self._with_title_field(terms)
        ids, scores = index.bm25.top_k(tokens, depth, weights)
        if self.config.feedback and len(ids):
            best = index.passages([int(i) for i in ids[:FEEDBACK_PASSAGES]])
            tokens, weights = expand(
                self.analyzer, terms, [p.text for p in best], index.bm25.doc_freq, len(index)
            )
            tokens, weights = self._with_title_field(tokens, weights)
            ids, scores = index.bm25.top_k(tokens, depth, weights)
        stored = index.passages([int(i) for i in ids])
        hits = [
            Hit(
                passage=p.index,
                score=float(score),
                text=p.text,
                section=p.section,
                citation=Citation(p.doc_id, p.title, p.section, p.paragraph, p.url, p.path),
            )
            for p, score in zip(stored, scores, strict=True)
        ]
        return terms, hits

    def _with_title_field(
        self, tokens: list[str], weights: list[float] | None = None
    ) -> tuple[list[str], list[float]]:
        """The query's terms, and again as title terms weighted by the title weight."""
        weights = weights if weights is not None else [1.0] * len(tokens)
        if self.config.title_weight <= 0:
            return tokens, weights
        titled = [TITLE_FIELD + t for t in tokens]
        return tokens + titled, weights + [w * self.config.title_weight for w in weights]

    def ask(self, question: str, k: int | None = None) -> Answer:
        """Answer one question with up to k ranked passages."""
        started = time.perf_counter()
        text = " ".join(question.split()) if isinstance(question, str) else ""
        if not text:
            raise QuestionError(
                'The question is empty; ask something, e.g. footnote ask "who ...?"'
            )
        text = text[:MAX_QUESTION_CHARS]
        k = k or self.config.results
        index = self._index  # one index for the whole question, even if a swap happens now
        terms, hits = self.search(text, max(k, RERANK_DEPTH), index)
        doc_freq = {t: index.bm25.doc_freq(t) for t in set(terms)}
        answer = compose(question, terms, hits, self.analyzer, doc_freq, len(index), 0.0, k)
        took_ms = (time.perf_counter() - started) * 1000
        return replace(answer, took_ms=took_ms)
