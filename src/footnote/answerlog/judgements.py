"""Votes as relevance judgements: `footnote eval --feedback FILE` scores the current index on
the questions members asked and the passages they voted on.

A passage shown in an answer voted up (more up than down among its voters) is relevant to the
answer's question; voted down, it is judged not relevant. A More page's question is its first
page's. The same question asked many times (compared as a reader would) sums its votes per
passage: above 0 relevant, below 0 not relevant, 0 unjudged. A passage whose text has changed
since the vote (or that is gone) is set aside and counted, never judged.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from footnote.answering.answer import Answer, Match
from footnote.answerlog.gaps import question_key, root_of
from footnote.answerlog.store import AnswerRecord, Vote, shown_digest
from footnote.errors import QuestionError
from footnote.evaluate import score_run
from footnote.question_set import DEPTH, SHOWN
from footnote.retrieval.base import PassageRef, StoredPassage

Passage = tuple[str, int]  # (document id, passage number): a shown passage's first paragraph
NDCG = "nDCG@10"


@dataclass(frozen=True)
class VotedPassage:
    """A passage shown for a question, with the votes on the answers that showed it."""

    key: str  # question_key: questions asked identically share it
    question: str  # as typed
    document: str
    passage: int
    last: int  # passage + 1 when two paragraphs were shown as one
    digest: str  # of the text shown
    net: int  # votes up less votes down, over the answers that showed it


@dataclass(frozen=True)
class FeedbackQuestion:
    """A question members voted on, and the passages their votes judge."""

    id: str
    question: str  # as typed most often
    relevant: frozenset[Passage]
    not_relevant: frozenset[Passage]


@dataclass(frozen=True)
class FeedbackResult:
    """How one judged question fares on the current index."""

    question: FeedbackQuestion
    rank: int | None  # of the first match showing a passage voted up; None: not in the best 10
    answered: bool
    voted_down_first: bool  # the first match shows a passage voted down
    ndcg: float | None = None  # nDCG@10, for a question with a passage voted up

    @property
    def good_answer_declined(self) -> bool:
        """A passage voted up among the best SHOWN, yet the engine declined to answer."""
        return self.rank is not None and self.rank <= SHOWN and not self.answered

    @property
    def answered_voted_down_again(self) -> bool:
        """The engine still answers with a passage voted down first."""
        return self.answered and self.voted_down_first

    @property
    def verdict(self) -> str:
        """One phrase a person reads in the per-question list."""
        if not self.question.relevant:
            if self.answered_voted_down_again:
                return "voted-down passage answered again"
            if not self.answered:
                return "declined now"
            return "answered with another passage"
        if self.rank is None:
            return f"missed: no passage voted up in the best {DEPTH}"
        if self.good_answer_declined:
            return f"good answer declined (voted up at {self.rank})"
        return "voted up first" if self.rank == 1 else f"voted up at {self.rank}"


@dataclass
class FeedbackScores:
    """The measures over the judged questions of an answer store, with each one's result."""

    source: str
    corpus: str
    votes: int = 0  # votes read from the store
    changed: int = 0  # judged passages set aside: their text changed since the vote, or gone
    results: list[FeedbackResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def judged(self) -> list[FeedbackResult]:
        """Results of the questions with a passage voted up."""
        return [r for r in self.results if r.question.relevant]

    @property
    def voted_down_only(self) -> list[FeedbackResult]:
        """Results of the questions whose every judged passage was voted down."""
        return [r for r in self.results if not r.question.relevant]

    def counts(self) -> dict[str, tuple[int, int]]:
        """Each measure that is a count, as (count, out of)."""
        judged, down = self.judged, self.voted_down_only
        shown = [r for r in judged if r.rank is not None and r.rank <= SHOWN]
        return {
            "Hit@1": (sum(r.rank == 1 for r in judged), len(judged)),
            "Hit@3": (len(shown), len(judged)),
            "good answers declined": (sum(r.good_answer_declined for r in shown), len(shown)),
            "voted-down passage answered again": (
                sum(r.answered_voted_down_again for r in down),
                len(down),
            ),
        }

    def measures(self) -> dict[str, float | None]:
        """Hit@1, Hit@3, MRR@10, nDCG@10 and the two decisions' shares (None: no data)."""
        counts = self.counts()
        shares = {name: (n / total if total else None) for name, (n, total) in counts.items()}
        judged = self.judged
        mrr = sum(1 / r.rank if r.rank else 0.0 for r in judged) / len(judged) if judged else None
        ndcg = sum(r.ndcg or 0.0 for r in judged) / len(judged) if judged else None
        return {
            "Hit@1": shares["Hit@1"],
            "Hit@3": shares["Hit@3"],
            "MRR@10": mrr,
            NDCG: ndcg,
            "good answers declined": shares["good answers declined"],
            "voted-down passage answered again": shares["voted-down passage answered again"],
        }


class PassageSource(Protocol):
    """What checking a vote needs of an index: passages by reference."""

    def passages(self, refs: Sequence[PassageRef]) -> list[StoredPassage]: ...


class Asker(Protocol):
    """What scoring needs of an engine: its passages and answers to questions."""

    @property
    def retriever(self) -> PassageSource: ...

    def ask(self, question: str, k: int = ...) -> Answer: ...


def voted_passages(answers: Sequence[AnswerRecord], votes: Sequence[Vote]) -> list[VotedPassage]:
    """Every passage shown for a question with its votes summed (none that sum to 0)."""
    net: Counter[str] = Counter()
    for vote in votes:
        net[vote.answer_id] += 1 if vote.up else -1
    by_id = {a.id: a for a in answers}
    summed: Counter[tuple[str, str, int, int, str]] = Counter()
    typed: dict[tuple[str, str, int, int, str], str] = {}
    for answer in answers:
        if not net[answer.id]:
            continue
        question = root_of(answer, by_id).question  # a More page asks its first page's question
        key = question_key(question)
        for shown in answer.passages:
            unit = (key, shown.document, shown.passage, shown.last, shown.digest)
            summed[unit] += net[answer.id]
            typed.setdefault(unit, question)
    return [
        VotedPassage(key, typed[unit], document, passage, last, digest, total)
        for unit, total in summed.items()
        for key, document, passage, last, digest in [unit]
        if total  # votes that cancel out judge nothing
    ]


def still_shown(voted: Sequence[VotedPassage], index: PassageSource) -> list[bool]:
    """For each voted passage, whether the index still holds the very text that was shown."""
    current: dict[tuple[str, int, int], str | None] = {}
    for v in voted:
        where = (v.document, v.passage, v.last)
        if where not in current:
            wanted = [PassageRef(v.document, n) for n in range(v.passage, v.last + 1)]
            found = index.passages(wanted)
            whole = [p.ref for p in found] == wanted
            # Two paragraphs shown as one were joined as the answer joins them.
            current[where] = shown_digest("\n\n".join(p.text for p in found)) if whole else None
    return [current[(v.document, v.passage, v.last)] == v.digest for v in voted]


def judged_questions(voted: Sequence[VotedPassage]) -> list[FeedbackQuestion]:
    """The questions with their passages judged: net up relevant, net down not relevant.

    Questions are numbered in the order first seen (the store's order: oldest first).
    """
    net: dict[str, Counter[Passage]] = {}
    typed: dict[str, Counter[str]] = {}
    for v in voted:
        net.setdefault(v.key, Counter())[(v.document, v.passage)] += v.net
        typed.setdefault(v.key, Counter())[v.question] += 1
    questions = []
    for key, passages in net.items():
        relevant = frozenset(p for p, total in passages.items() if total > 0)
        not_relevant = frozenset(p for p, total in passages.items() if total < 0)
        if relevant or not_relevant:
            text = typed[key].most_common(1)[0][0]
            questions.append(
                FeedbackQuestion(str(len(questions) + 1), text, relevant, not_relevant)
            )
    return questions


def covered(match: Match, passages: frozenset[Passage]) -> list[Passage]:
    """The passages of the set that a match shows, in order."""
    doc, first = match.passage.doc, match.passage.n
    return [(doc, n) for n in range(first, match.last_n + 1) if (doc, n) in passages]


def passage_id(passage: Passage) -> str:
    """A judged passage's id in qrels and runs: "document#number"."""
    return f"{passage[0]}#{passage[1]}"


def score_feedback(
    engine: Asker,
    answers: Sequence[AnswerRecord],
    votes: Sequence[Vote],
    source: str,
    corpus: str,
) -> FeedbackScores:
    """Judge by the votes, set aside passages changed since, and score the current index."""
    started = time.perf_counter()
    voted = voted_passages(answers, votes)
    kept = still_shown(voted, engine.retriever)
    scores = FeedbackScores(source=source, corpus=corpus, votes=len(votes))
    scores.changed = kept.count(False)
    questions = judged_questions([v for v, ok in zip(voted, kept, strict=True) if ok])
    run: dict[str, dict[str, float]] = {}
    for question in questions:
        result, ranking = _asked(engine, question)
        scores.results.append(result)
        run[question.id] = ranking
    _add_ndcg(scores, run)
    scores.seconds = time.perf_counter() - started
    return scores


def _asked(engine: Asker, question: FeedbackQuestion) -> tuple[FeedbackResult, dict[str, float]]:
    """Ask one judged question as the product does: its result and its ranking as a run."""
    try:
        answer = engine.ask(question.question, DEPTH)
    except QuestionError:  # no searchable word left in this index: the person gets that
        return FeedbackResult(question, None, False, False), {}
    rank = next((m.rank for m in answer.passages if covered(m, question.relevant)), None)
    first = answer.passages[0] if answer.passages else None
    down_first = first is not None and bool(covered(first, question.not_relevant))
    ranking: dict[str, float] = {}
    for place, match in enumerate(answer.passages):
        # A match counts as the judged passage it shows (one, when it shows two joined).
        hits = [p for p in covered(match, question.relevant) if passage_id(p) not in ranking]
        name = passage_id(hits[0] if hits else (match.passage.doc, match.passage.n))
        ranking.setdefault(name, float(len(answer.passages) - place))
    return FeedbackResult(question, rank, answer.answered, down_first), ranking


def _add_ndcg(scores: FeedbackScores, run: dict[str, dict[str, float]]) -> None:
    """Each judged question's nDCG@10 (binary gains), by ir-measures."""
    qrels = {
        r.question.id: {passage_id(p): 1 for p in r.question.relevant}
        | {passage_id(p): 0 for p in r.question.not_relevant}
        for r in scores.judged
    }
    if not qrels:
        return
    _, per_question = score_run(qrels, {q: run.get(q, {}) for q in qrels})
    scores.results = [
        FeedbackResult(
            r.question,
            r.rank,
            r.answered,
            r.voted_down_first,
            per_question.get(r.question.id, {}).get(NDCG, 0.0) if r.question.relevant else None,
        )
        for r in scores.results
    ]
