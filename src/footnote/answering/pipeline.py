"""One ask, stage by stage, on any retriever: carry follow-up terms, add related words,
retrieve, learn from the best passages (RM3), retrieve again, re-rank, decide, present.

The engine, `footnote eval` and the benchmarks all rank through this module, so what is
measured is what is answered.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from footnote.analysis.analyzer import Analyzer
from footnote.analysis.question import Question, framing_terms
from footnote.analysis.related import (
    PHRASAL_TABLE,
    TABLE,
    Relatives,
    absent_phrasal,
    held_through_phrasal,
    load_phrasal,
    load_table,
    parse,
    relatives,
)
from footnote.answering.answer import (
    RERANK_DEPTH,
    Answer,
    Citation,
    Hit,
    compose,
    rerank,
    term_weights,
)
from footnote.answering.decision import DecisionModel
from footnote.answering.feedback import FEEDBACK_CANDIDATES, expand, feedback_pool
from footnote.answering.followup import carried
from footnote.config import EngineConfig
from footnote.ingest.corpus import DOCS_FORMATS
from footnote.ingest.links import section_url
from footnote.retrieval.base import Filters, Query, Retriever, StoredPassage


def cited_url(passage: StoredPassage) -> str | None:
    """The passage's page, opened at its section where the page is a docs site's."""
    if passage.format in DOCS_FORMATS:
        return section_url(passage.url, passage.section)
    return passage.url


def hit_of(passage: StoredPassage, score: float) -> Hit:
    """A retrieved passage as the answering stage sees it."""
    p = passage
    return Hit(
        passage=p.ref,
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


@dataclass(frozen=True)
class Retrieved:
    """What retrieval found for a question: its ranked hits and the words searched for it."""

    hits: list[Hit]
    related: Relatives
    carried: dict[str, float]


class Pipeline:
    """The stages of answering, with the settings, analyzer and decision model they use."""

    def __init__(self, config: EngineConfig, analyzer: Analyzer, model: DecisionModel) -> None:
        self.config = config
        self.analyzer = analyzer
        self.model = model
        self.fields = config.fields

    def read(self, text: str) -> Question:
        """The question analysed once, for every stage after."""
        return Question.read(self.analyzer, text)

    def counts(self, retriever: Retriever, question: Question) -> Callable[[str], int]:
        """Passage counts of terms on this retriever, for one question: its words and the
        relatives of those no passage holds asked in two requests, any other term after."""
        words = list(dict.fromkeys(question.words))
        known = dict(zip(words, retriever.doc_freqs(words), strict=True))
        if self.config.related:
            table = load_table(TABLE, self.analyzer.settings.fingerprint())
            others = [
                other
                for word in words
                if known[word] == 0 and word in table
                for other, *_ in parse(table[word])
                if other not in known
            ]
            others = list(dict.fromkeys(others))
            known.update(zip(others, retriever.doc_freqs(others), strict=True))

        def count(term: str) -> int:
            if term not in known:
                known[term] = retriever.doc_freqs([term])[0]
            return known[term]

        return count

    def relatives(
        self, question: Question, retriever: Retriever, count: Callable[[str], int]
    ) -> Relatives:
        """For the question terms no passage holds, the related words searched (with their
        weights) and those that stand for them when a passage is weighed as an answer."""
        if not self.config.related:
            return Relatives({}, {})
        table = load_table(TABLE, self.analyzer.settings.fingerprint())
        return relatives(question.terms, table, count, framing_terms(self.analyzer), len(retriever))

    def through_phrasal(
        self, question: Question, count: Callable[[str], int]
    ) -> Callable[[str], set[str]] | None:
        """For a question with a phrasal verb whose verb no passage holds ("calm down"), the
        function giving the absent verbs a passage holds through another phrasal verb of the
        same particle and WordNet class ("died down"); None for any other question."""
        if not self.config.related:
            return None
        table = load_phrasal(PHRASAL_TABLE, self.analyzer.settings.fingerprint())
        absent = absent_phrasal(
            question.text,
            self.analyzer.terms,
            table,
            count,
            framing_terms(self.analyzer),
        )
        if not absent:
            return None
        return functools.partial(
            held_through_phrasal, terms_of=self.analyzer.terms, table=table, absent=absent
        )

    def query(self, weighted: list[tuple[str, float]], own: int | None = None) -> Query:
        """The query for weighted terms: all in the body, the first ``own`` (the question's
        own and carried terms; all when None) also in the article title, at its weight."""
        titled = weighted if own is None else weighted[:own]
        title = self.fields.title
        return Query.of(weighted, [(t, w * title) for t, w in titled] if title > 0 else [])

    def retrieve(
        self,
        retriever: Retriever,
        question: Question,
        depth: int,
        earlier: Question | None = None,
        filters: Filters | None = None,
        count: Callable[[str], int] | None = None,
    ) -> Retrieved:
        """The best `depth` passages for the question (and the earlier one it leans on),
        with related words, and after feedback from the best passages when configured."""
        taken = carried(question, earlier)
        related = self.relatives(question, retriever, count or self.counts(retriever, question))
        weighted = (
            [(t, 1.0) for t in question.terms] + list(taken.items()) + list(related.weights.items())
        )
        found = retriever.search(self.query(weighted), depth, filters)
        # Passages read for feedback are kept: most of them rank again after it.
        read = (
            retriever.passages([ref for ref, _ in found[:FEEDBACK_CANDIDATES]])
            if self.config.feedback and found
            else []
        )
        pool = feedback_pool(read)
        if pool:
            query = [t for t, _ in weighted]
            tokens, weights = expand(
                self.analyzer,
                query,
                [p.text for p in pool],
                retriever.doc_freqs,
                len(retriever),
                [w for _, w in weighted],
            )
            # Feedback words search bodies only: the question's own words keep the title.
            own = len(dict.fromkeys(query))
            found = retriever.search(
                self.query(list(zip(tokens, weights, strict=True)), own), depth, filters
            )
        known = {p.ref: p for p in read}
        missing = [ref for ref, _ in found if ref not in known]
        known.update((p.ref, p) for p in retriever.passages(missing))
        hits = [hit_of(known[ref], score) for ref, score in found if ref in known]
        return Retrieved(hits, related, taken)

    def answer(
        self,
        retriever: Retriever,
        question: Question,
        k: int,
        offset: int = 0,
        earlier: Question | None = None,
        filters: Filters | None = None,
    ) -> Answer:
        """The answer: up to k ranked passages after the first `offset`, decided on."""
        started = time.perf_counter()
        depth = max(k + offset, RERANK_DEPTH)
        count = self.counts(retriever, question)
        found = self.retrieve(retriever, question, depth, earlier, filters, count)
        doc_freq = {t: count(t) for t in [*question.terms, *found.carried]}
        answer = compose(
            question,
            found.hits,
            self.analyzer,
            doc_freq,
            len(retriever),
            0.0,
            k + offset,
            found.carried,
            found.related.stand_ins,
            self.through_phrasal(question, count),
            k1=self.config.bm25.k1,
            model=self.model,
            threshold=self.config.answer_threshold,
        )
        return replace(
            answer,
            passages=answer.passages[offset:],
            took_ms=(time.perf_counter() - started) * 1000,
            context=earlier.text if found.carried and earlier else None,
        )

    def rank(self, retriever: Retriever, question: Question, depth: int) -> list[Hit]:
        """The best `depth` passages as an answer ranks them: retrieved, the best
        RERANK_DEPTH re-ranked by the answer rules, the rest after them."""
        count = self.counts(retriever, question)
        hits = self.retrieve(retriever, question, depth, count=count).hits
        doc_freq = {t: count(t) for t in question.terms}
        weights = term_weights(
            question.terms, doc_freq, len(retriever), framing_terms(self.analyzer)
        )
        ranked = rerank(
            hits[:RERANK_DEPTH],
            question,
            self.analyzer,
            weights,
            self.through_phrasal(question, count),
        )
        return ranked + hits[RERANK_DEPTH:]
