"""Engine: the corpus index opened for questions, swappable when a rebuild completes."""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from footnote.analysis.analyzer import Analyzer
from footnote.analysis.related import (
    PHRASAL_TABLE,
    TABLE,
    Relatives,
    absent_phrasal,
    held_through_phrasal,
    load_phrasal,
    load_table,
    relatives,
)
from footnote.analysis.suggest import Suggestion, Suggestions
from footnote.answering.answer import (
    RERANK_DEPTH,
    Answer,
    Citation,
    Hit,
    compose,
    framing_terms,
    question_terms,
)
from footnote.answering.decision import DecisionModel, shipped_model
from footnote.answering.feedback import FEEDBACK_CANDIDATES, expand, feedback_pool
from footnote.answering.followup import CARRY_WEIGHT, carried_terms, leans_on_earlier, subject_terms
from footnote.config import TITLE_FIELD, EngineConfig
from footnote.errors import QuestionError, StaleIndex
from footnote.ingest.corpus import DOCS_FORMATS
from footnote.ingest.links import section_url
from footnote.retrieval.embedded.build import BuildReport, build, open_index, open_or_build
from footnote.retrieval.embedded.index import (
    CorpusIndex,
    StoredDocument,
    StoredPassage,
    current_generation_safe,
)
from footnote.retrieval.embedded.index_guard import check_corpus

MAX_QUESTION_CHARS = 4000


def cited_url(passage: StoredPassage) -> str | None:
    """The passage's page, opened at its section where the page is a docs site's."""
    if passage.format in DOCS_FORMATS:
        return section_url(passage.url, passage.section)
    return passage.url


class Engine:
    """Answers questions from the live index; a rebuild swaps in a new one atomically."""

    def __init__(
        self, config: EngineConfig, index: CorpusIndex, model: DecisionModel | None = None
    ) -> None:
        self.config = config
        self.model = model or shipped_model()  # weighs the best passages, decides to answer
        self.analyzer = Analyzer(config.analyzer)
        self._index = index
        self._swap_lock = threading.Lock()
        self._suggestions: tuple[CorpusIndex, Suggestions] | None = None

    @classmethod
    def open(cls, config: EngineConfig, rebuild: bool = False) -> tuple[Engine, BuildReport | None]:
        """Open the index for this config, building it first when needed or when asked."""
        index, report = open_or_build(config, rebuild)
        return cls(config, index), report

    def warm_up(self) -> None:
        """Make the first answer as quick as the rest (a long-running front end calls this)."""
        self._index.bm25.warm_up()
        self.suggestions()
        if self.config.related:
            load_table(TABLE, self.analyzer.settings.fingerprint())
            load_phrasal(PHRASAL_TABLE, self.analyzer.settings.fingerprint())

    @property
    def index(self) -> CorpusIndex:
        """The index answering questions now."""
        return self._index

    @property
    def generation(self) -> str:
        """A short tag naming the index now served; it changes with every rebuild."""
        return generation_tag(self._index)

    def rebuild(self, built_by: str = "") -> BuildReport:
        """Rebuild from the corpus; questions keep using the old index until the swap."""
        report = build(self.config, built_by=built_by)
        self.switch(self._open_live())
        return report

    def refresh(self) -> bool:
        """Switch to an index another process published (`footnote index`); True if it did.

        An index of another corpus folder published there is refused (ForeignIndex).
        """
        root = self.config.index_path
        live = current_generation_safe(root)
        if live is None or live.name == self._index.directory.name:
            return False
        check_corpus(root, live, self.config.corpus_dir)
        self.switch(self._open_live())
        return True

    def _open_live(self) -> CorpusIndex:
        """The live index on disk, opened as configured and warmed up."""
        index = open_index(self.config)
        index.bm25.warm_up()
        return index

    def switch(self, index: CorpusIndex) -> None:
        """Serve from another opened index from now on (questions in flight finish as begun)."""
        with self._swap_lock:
            self._index = index

    def suggestions(self) -> Suggestions:
        """The questions, sections and titles of the index now served (worked out once each)."""
        index = self._index
        cached = self._suggestions
        if cached is None or cached[0] is not index:
            titles = [(d.id, d.title) for d in index.documents()]
            cached = (index, Suggestions.from_headings(index.headings(), titles, self.analyzer))
            self._suggestions = cached
        return cached[1]

    def suggest(self, typed: str, limit: int = 25) -> list[Suggestion]:
        """What a person typing `typed` may want to ask, the closest first."""
        return self.suggestions().matching(typed, limit)

    def sources(self, search: str = "") -> list[StoredDocument]:
        """The documents, or those whose title, id or link holds every word of `search`."""
        words = search.casefold().split()
        documents = self._index.documents()
        if not words:
            return documents
        return [
            d
            for d in documents
            if all(w in f"{d.title} {d.id} {d.url or ''}".casefold() for w in words)
        ]

    def context(
        self, passage: int, last: int | None = None, around: int = 1, generation: str = ""
    ) -> list[StoredPassage]:
        """Passages `passage`..`last` with `around` more each side, from one document.

        Raises StaleIndex when `generation` names another index than the one served.
        """
        index = self._index
        if generation and generation != generation_tag(index):
            raise StaleIndex(
                "The articles were re-indexed since this answer, so its passage numbers no "
                "longer hold; ask the question again to see the context."
            )
        return index.neighbours(passage, last if last is not None else passage, around)

    def search(
        self,
        text: str,
        depth: int,
        index: CorpusIndex | None = None,
        carried: dict[str, float] | None = None,
    ) -> tuple[list[str], list[Hit]]:
        """The question's terms and its best `depth` passages, ranked (the product's ranking).

        ``carried`` adds terms from an earlier question, each with its weight.
        """
        index = index or self._index
        terms = question_terms(self.analyzer, text)
        return terms, self._search(
            terms, self.relatives(terms, index).weights, depth, index, carried
        )

    def _search(
        self,
        terms: list[str],
        related: dict[str, float],
        depth: int,
        index: CorpusIndex,
        carried: dict[str, float] | None = None,
    ) -> list[Hit]:
        """The best `depth` passages for the question's terms and their relatives."""
        carried = carried or {}
        query = terms + list(carried) + list(related)
        query_weights = [1.0] * len(terms) + list(carried.values()) + list(related.values())
        tokens, weights = self._with_title_field(query, query_weights)
        ids, scores = index.bm25.top_k(tokens, depth, weights)
        # Passages read for feedback are kept: most of them rank again after it.
        read = (
            index.passages([int(i) for i in ids[:FEEDBACK_CANDIDATES]])
            if self.config.feedback and len(ids)
            else []
        )
        pool = feedback_pool(read)
        if pool:
            texts = [p.text for p in pool]
            tokens, weights = expand(
                self.analyzer, query, texts, index.bm25.doc_freqs, len(index), query_weights
            )
            own = len(dict.fromkeys(query))
            titled, titled_weights = self._with_title_field(tokens[:own], weights[:own])
            tokens, weights = titled + tokens[own:], titled_weights + weights[own:]
            ids, scores = index.bm25.top_k(tokens, depth, weights)
        ranked = [int(i) for i in ids]
        known = {p.index: p for p in read}
        known.update((p.index, p) for p in index.passages([i for i in ranked if i not in known]))
        stored = [known[i] for i in ranked if i in known]
        return [
            Hit(
                passage=p.index,
                score=float(score),
                text=p.text,
                section=p.section,
                citation=Citation(
                    p.doc_id, p.title, p.section, p.paragraph, cited_url(p), p.path, page=p.page
                ),
                code_at=p.code_at,
                language=p.language,
                links=p.links,
            )
            for p, score in zip(stored, scores, strict=True)
        ]

    def relatives(self, terms: list[str], index: CorpusIndex) -> Relatives:
        """For the question terms no passage holds, the related words searched (with their
        weights) and those that stand for them when a passage is weighed as an answer."""
        if not self.config.related:
            return Relatives({}, {})
        table = load_table(TABLE, self.analyzer.settings.fingerprint())
        return relatives(
            terms, table, index.bm25.doc_freq, framing_terms(self.analyzer), len(index)
        )

    def through_phrasal(self, text: str, index: CorpusIndex) -> Callable[[str], set[str]] | None:
        """For a question with a phrasal verb whose verb no passage holds ("calm down"), the
        function giving the absent verbs a passage holds through another phrasal verb of the
        same particle and WordNet class ("died down"); None for any other question."""
        if not self.config.related:
            return None
        table = load_phrasal(PHRASAL_TABLE, self.analyzer.settings.fingerprint())
        absent = absent_phrasal(
            text, self.analyzer.terms, table, index.bm25.doc_freq, framing_terms(self.analyzer)
        )
        if not absent:
            return None
        return functools.partial(
            held_through_phrasal, terms_of=self.analyzer.terms, table=table, absent=absent
        )

    def _with_title_field(
        self, tokens: list[str], weights: list[float] | None = None
    ) -> tuple[list[str], list[float]]:
        """The query's terms, and again as title terms weighted by the title weight."""
        weights = weights if weights is not None else [1.0] * len(tokens)
        if self.config.title_weight <= 0:
            return tokens, weights
        titled = [TITLE_FIELD + t for t in tokens]
        return tokens + titled, weights + [w * self.config.title_weight for w in weights]

    def ask(
        self, question: str, k: int | None = None, *, earlier: str | None = None, offset: int = 0
    ) -> Answer:
        """Answer one question with up to k ranked passages, skipping the first `offset`.

        With `earlier` (the question before, in a conversation), a follow-up that leans on it
        ("who leads them?") also searches its terms, at a lower weight.
        """
        started = time.perf_counter()
        text = " ".join(question.split()) if isinstance(question, str) else ""
        if not text:
            raise QuestionError(
                'The question is empty; ask something, e.g. "who leads the militia?"'
            )
        text = text[:MAX_QUESTION_CHARS]
        k = k or self.config.results
        offset = max(0, offset)
        carried: dict[str, float] = {}
        if earlier and earlier.strip() and leans_on_earlier(self.analyzer, text):
            context = " ".join(earlier.split())[:MAX_QUESTION_CHARS]
            taken = carried_terms(self.analyzer, text, context)
            # The carried terms together weigh at most CARRY_WEIGHT of the follow-up's own,
            # so a follow-up's new subject ("who is its director?") still decides.
            share = (
                CARRY_WEIGHT * max(1, len(subject_terms(self.analyzer, text))) / max(1, len(taken))
            )
            carried = dict.fromkeys(taken, min(CARRY_WEIGHT, share))
        index = self._index  # one index for the whole question, even if a swap happens now
        terms = question_terms(self.analyzer, text)
        found = self.relatives(terms, index)
        hits = self._search(terms, found.weights, max(k + offset, RERANK_DEPTH), index, carried)
        doc_freq = {t: index.bm25.doc_freq(t) for t in {*terms, *carried}}
        answer = compose(
            question,
            terms,
            hits,
            self.analyzer,
            doc_freq,
            len(index),
            0.0,
            k + offset,
            carried,
            found.stand_ins,
            self.through_phrasal(text, index),
            k1=self.config.bm25.k1,
            model=self.model,
            threshold=self.config.answer_threshold,
        )
        took_ms = (time.perf_counter() - started) * 1000
        return replace(
            answer,
            passages=answer.passages[offset:],
            took_ms=took_ms,
            context=" ".join(earlier.split()) if carried and earlier else None,
        )


@functools.lru_cache(maxsize=16)
def _tag(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:8]


def generation_tag(index: CorpusIndex) -> str:
    """Eight hex digits naming an index generation (short enough for a button's custom id)."""
    return _tag(index.directory.name)
