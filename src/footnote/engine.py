"""Engine: the corpus index opened for questions, swappable when a rebuild completes."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import replace

from footnote.analysis.analyzer import Analyzer
from footnote.analysis.related import PHRASAL_TABLE, TABLE, load_phrasal, load_table
from footnote.analysis.suggest import Suggestion, Suggestions
from footnote.answering.answer import Answer
from footnote.answering.decision import DecisionModel, shipped_model
from footnote.answering.pipeline import Pipeline
from footnote.config import EngineConfig
from footnote.errors import FootnoteError, IndexBusy, QuestionError, StaleIndex
from footnote.ingest.passages import token_counter
from footnote.retrieval import backends
from footnote.retrieval.base import (
    Filters,
    IndexInfo,
    PassageRef,
    Retriever,
    StoredDocument,
    StoredPassage,
    document_key,
)
from footnote.retrieval.embedded.build import BuildReport

log = logging.getLogger(__name__)


class Engine:
    """Answers questions from the live index; a rebuild swaps in a new one atomically."""

    def __init__(
        self,
        config: EngineConfig,
        retriever: Retriever,
        model: DecisionModel | None = None,
        analyzer: Analyzer | None = None,
    ) -> None:
        self.config = config
        self.model = model or shipped_model()  # weighs the best passages, decides to answer
        # Several corpora may share one analyzer, and with it its caches.
        self.analyzer = analyzer or Analyzer(config.analyzer)
        self.pipeline = Pipeline(config, self.analyzer, self.model)
        self._retriever = retriever
        self._swap_lock = threading.Lock()
        self._update_lock = threading.Lock()
        self._merging: threading.Thread | None = None
        self._suggestions: tuple[Retriever, Suggestions] | None = None
        self._document_keys: tuple[Retriever, dict[str, str]] | None = None

    @classmethod
    def open(
        cls, config: EngineConfig, rebuild: bool = False, analyzer: Analyzer | None = None
    ) -> tuple[Engine, BuildReport | None]:
        """Open the index for this config, building it first when needed or when asked."""
        retriever, report = backends.open_or_build(config, rebuild)
        return cls(config, retriever, analyzer=analyzer), report

    def warm_up(self) -> None:
        """Make the first answer as quick as the rest (a long-running front end calls this)."""
        self._retriever.warm_up()
        self.suggestions()
        token_counter()  # the passage splitter's encoding: an /add would otherwise load it
        if self.config.related:
            load_table(TABLE, self.analyzer.settings.fingerprint())
            load_phrasal(PHRASAL_TABLE, self.analyzer.settings.fingerprint())

    @property
    def retriever(self) -> Retriever:
        """The index answering questions now."""
        return self._retriever

    def info(self) -> IndexInfo:
        """The served index's name, build and counts."""
        return self._retriever.info()

    @property
    def generation(self) -> str:
        """A short tag naming the index now served; it changes with every rebuild."""
        return self._retriever.info().generation

    def rebuild(self, built_by: str = "") -> BuildReport:
        """Rebuild from the corpus; questions keep using the old index until the swap."""
        report = backends.build(self.config, built_by=built_by)
        self.switch(backends.open_live(self.config))
        return report

    def update(self, changed: Sequence[str], built_by: str = "") -> BuildReport:
        """Take in the corpus files named in ``changed`` (added, replaced or, missing now,
        removed; corpus-relative) and serve the result: scores as a full build's, in about
        a second on the embedded index. When the updates since the last full build have
        grown past the merge threshold, a merge starts in the background."""
        with self._update_lock:  # one update at a time in this process: each reads the last
            report = backends.update(self.config, changed, built_by, serving=self._retriever)
            self.switch(backends.reopen_live(self.config, self._retriever))
        if report.merge_due:
            self.merge_in_background(built_by)
        return report

    def merge(self, built_by: str = "") -> BuildReport:
        """Fold the updates into a new base index (a full build from what is indexed, which
        updates and questions do not wait for), then serve it."""
        report = backends.merge(self.config, built_by)
        with self._update_lock:
            self.switch(backends.reopen_live(self.config, self._retriever))
        return report

    @property
    def merging(self) -> threading.Thread | None:
        """The background merge this engine started, while it runs; None otherwise."""
        running = self._merging
        return running if running is not None and running.is_alive() else None

    def merge_in_background(self, built_by: str = "") -> threading.Thread | None:
        """Start a merge in a thread (none if one is running here); the thread, to join."""
        with self._update_lock:
            running = self._merging
            if running is not None and running.is_alive():
                return None

            def run() -> None:
                try:
                    self.merge(built_by)
                except IndexBusy:
                    log.info("a merge of %s is already running elsewhere", self.config.index_path)
                except FootnoteError as exc:  # the old index keeps serving; said once
                    log.warning("the background merge failed: %s", exc)

            thread = threading.Thread(target=run, name="footnote-merge")
            self._merging = thread
            thread.start()
            return thread

    def refresh(self) -> bool:
        """Switch to an index another process published (`footnote index`); True if it did.

        An index of another corpus folder published there is refused (ForeignIndex).
        """
        if not backends.published_other(self.config, self._retriever):
            return False
        self.switch(backends.open_live(self.config))
        return True

    def switch(self, retriever: Retriever) -> None:
        """Serve from another opened index from now on (questions in flight finish as begun)."""
        with self._swap_lock:
            self._retriever = retriever

    def suggestions(self) -> Suggestions:
        """The questions, sections and titles of the index now served (worked out once each)."""
        retriever = self._retriever
        cached = self._suggestions
        if cached is None or cached[0] is not retriever:
            titles = [(d.id, d.title) for d in retriever.documents()]
            cached = (
                retriever,
                Suggestions.from_headings(retriever.headings(), titles, self.analyzer),
            )
            self._suggestions = cached
        return cached[1]

    def suggest(self, typed: str, limit: int = 25) -> list[Suggestion]:
        """What a person typing `typed` may want to ask, the closest first."""
        return self.suggestions().matching(typed, limit)

    def sources(self, search: str = "") -> list[StoredDocument]:
        """The documents, or those whose title, id or link holds every word of `search`."""
        words = search.casefold().split()
        documents = self._retriever.documents()
        if not words:
            return documents
        return [
            d
            for d in documents
            if all(w in f"{d.title} {d.id} {d.url or ''}".casefold() for w in words)
        ]

    def context(
        self,
        passage: PassageRef,
        last: PassageRef | None = None,
        around: int = 1,
        generation: str = "",
    ) -> list[StoredPassage]:
        """Passages `passage`..`last` with `around` more each side, from one document.

        Raises StaleIndex when `generation` names another index than the one served.
        """
        retriever = self._retriever
        _check_generation(retriever, generation)
        return retriever.neighbours(passage, last if last is not None else passage, around)

    def context_of(
        self, doc_key: str, first: int, last: int, around: int = 1, generation: str = ""
    ) -> list[StoredPassage]:
        """As context, for passages named by their document's key (PassageRef.doc_key) and
        their numbers in it, as a button carries them; none when the document is gone."""
        retriever = self._retriever
        _check_generation(retriever, generation)
        keys = self._document_keys
        if keys is None or keys[0] is not retriever:
            keys = (retriever, {document_key(d.id): d.id for d in retriever.documents()})
            self._document_keys = keys
        doc = keys[1].get(doc_key)
        if doc is None:
            return []
        return retriever.neighbours(PassageRef(doc, first), PassageRef(doc, last), around)

    def ask(
        self,
        question: str,
        k: int | None = None,
        *,
        earlier: str | None = None,
        offset: int = 0,
        filters: Filters | None = None,
    ) -> Answer:
        """Answer one question with up to k ranked passages, skipping the first `offset`.

        With `earlier` (the question before, in a conversation), a follow-up that leans on it
        ("who leads them?") also searches its terms, at a lower weight.
        """
        started = time.perf_counter()
        asked = self.pipeline.read(question)
        if not asked.text:
            raise QuestionError(
                'The question is empty; ask something, e.g. "who leads the militia?"'
            )
        before = self.pipeline.read(earlier) if earlier and earlier.strip() else None
        retriever = self._retriever  # one index for the whole question, even if a swap happens
        answer = self.pipeline.answer(
            retriever, asked, k or self.config.results, max(0, offset), before, filters
        )
        return replace(answer, took_ms=(time.perf_counter() - started) * 1000)


def _check_generation(retriever: Retriever, generation: str) -> None:
    """Raise StaleIndex when `generation` names another index than the one served."""
    if generation and generation != retriever.info().generation:
        raise StaleIndex(
            "The articles were re-indexed since this answer, so its passage numbers no "
            "longer hold; ask the question again to see the context."
        )
