"""A user's own questions scored on their own corpus: Hit@1, Hit@3, MRR@10 and the decisions.

A question file is JSON Lines, one question a line, each naming what a right passage holds:
``{"question": ..., "answer": "words a right passage holds"}``, ``{"question": ...,
"document": "doc-id"}`` (both may be given, and both must then hold) or ``{"question": ...,
"unanswerable": true}``; an optional ``"id"`` names the question in reports, else its line
number does.

"answer" matches a passage the way a reader compares text, not byte for byte: both are
NFKC-normalised, case-folded and stripped of accents (as the analyzer treats words), curly
quotes, primes and guillemets count as straight quotes, dashes and the minus sign as a hyphen,
soft hyphens and zero-width characters are dropped and runs of whitespace are one space; then
the answer must be a substring of the passage.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from footnote.analysis.analyzer import normalize
from footnote.answering.answer import Answer
from footnote.errors import EvaluationError, QuestionError
from footnote.evaluate import json_lines

DEPTH = 10  # MRR@10: the first right passage among the best ten
SHOWN = 3  # an answer shows the best three passages (`footnote ask` and the bot by default)
# Typography a question file typed by hand rarely matches: quotes, primes, guillemets and
# dashes become their plain forms; soft hyphens and zero-width characters go.
_QUOTES = dict.fromkeys("‘’‚‛′‹›ʼ", "'") | dict.fromkeys("“”„‟″«»", '"')
_DASHES = dict.fromkeys("‐‑‒–—―−", "-")
_INVISIBLE = dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff")
_PLAIN = str.maketrans(_QUOTES | _DASHES | _INVISIBLE)


@dataclass(frozen=True)
class JudgedQuestion:
    """One line of a question file: the question and what a right passage must hold."""

    id: str
    question: str
    answer: str | None = None
    document: str | None = None
    unanswerable: bool = False


@dataclass(frozen=True)
class QuestionResult:
    """How one question fared: where its first right passage ranked, and the decision."""

    question: JudgedQuestion
    rank: int | None
    answered: bool

    @property
    def good_answer_declined(self) -> bool:
        """A right passage among the best SHOWN, yet the engine declined to answer."""
        return self.rank is not None and self.rank <= SHOWN and not self.answered

    @property
    def verdict(self) -> str:
        """One phrase a person reads in the per-question list."""
        if self.question.unanswerable:
            return "answered, though unanswerable" if self.answered else "declined, rightly"
        if self.rank is None:
            return f"missed: no right passage in the best {DEPTH}"
        if self.good_answer_declined:
            return f"good answer declined (right at {self.rank})"
        return "right first" if self.rank == 1 else f"right at {self.rank}"


@dataclass
class QuestionScores:
    """The measures over a question file, with each question's result."""

    source: str
    corpus: str
    results: list[QuestionResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def answerable(self) -> list[QuestionResult]:
        """Results of the questions the corpus can answer."""
        return [r for r in self.results if not r.question.unanswerable]

    @property
    def unanswerable(self) -> list[QuestionResult]:
        """Results of the questions marked unanswerable."""
        return [r for r in self.results if r.question.unanswerable]

    def counts(self) -> dict[str, tuple[int, int]]:
        """Each measure that is a count, as (count, out of)."""
        answerable, unanswerable = self.answerable, self.unanswerable
        shown = [r for r in answerable if r.rank is not None and r.rank <= SHOWN]
        return {
            "Hit@1": (sum(r.rank == 1 for r in answerable), len(answerable)),
            "Hit@3": (len(shown), len(answerable)),
            # Of the answers that would have shown a right passage, those the person never saw.
            "good answers declined": (sum(r.good_answer_declined for r in shown), len(shown)),
            "unanswerable answered": (sum(r.answered for r in unanswerable), len(unanswerable)),
        }

    def measures(self) -> dict[str, float | None]:
        """Hit@1, Hit@3, MRR@10, good answers declined, unanswerable answered (None: no data)."""
        counts = self.counts()
        shares: dict[str, float | None] = {
            name: (n / total if total else None) for name, (n, total) in counts.items()
        }
        answerable = self.answerable
        reciprocal = [1 / r.rank if r.rank else 0.0 for r in answerable]
        mrr = sum(reciprocal) / len(reciprocal) if reciprocal else None
        return {"Hit@1": shares["Hit@1"], "Hit@3": shares["Hit@3"], "MRR@10": mrr} | {
            name: shares[name] for name in ("good answers declined", "unanswerable answered")
        }


class Asker(Protocol):
    """What scoring needs of an engine: answers to questions."""

    def ask(self, question: str, k: int = ...) -> Answer: ...


def read_questions(path: Path) -> list[JudgedQuestion]:
    """The questions of a JSON Lines question file; a bad line is an EvaluationError."""
    questions = [
        _judged(record, f"{path}, line {number}", str(number))
        for number, record in json_lines(path, "question")
    ]
    if not questions:
        raise EvaluationError(
            f"The question file {path} holds no question; write one JSON object per line, "
            'e.g. {"question": "how do I ...?", "answer": "words a right passage holds"}.'
        )
    ids = [q.id for q in questions]
    repeated = next((i for i in ids if ids.count(i) > 1), None)
    if repeated is not None:
        raise EvaluationError(f"The question file {path} uses the id {repeated!r} twice.")
    return questions


def _judged(record: dict[str, Any], where: str, number: str) -> JudgedQuestion:
    """One line of a question file as a JudgedQuestion."""
    question = record.get("question")
    if not isinstance(question, str) or not question.strip():
        raise EvaluationError(f'{where} has no "question" text.')
    answer, document = record.get("answer"), record.get("document")
    unanswerable = record.get("unanswerable") is True
    for name, value in (("answer", answer), ("document", document)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise EvaluationError(f'{where}: "{name}" must be a non-empty string.')
    if unanswerable and (answer or document):
        raise EvaluationError(f'{where} is "unanswerable" but also names a right passage.')
    if not (unanswerable or answer or document):
        raise EvaluationError(
            f'{where} says nothing of its answer; add "answer" (words a right passage '
            'holds), "document" (its id) or "unanswerable": true.'
        )
    given_id = record.get("id")
    return JudgedQuestion(
        id=str(given_id) if given_id not in (None, "") else number,
        question=question,
        answer=answer,
        document=document,
        unanswerable=unanswerable,
    )


def normalised(text: str) -> str:
    """Text compared as a reader would: compatibility forms, case, accents, quotes, spacing."""
    return " ".join(normalize(text.translate(_PLAIN)).split())


def is_right(question: JudgedQuestion, text: str, document_id: str) -> bool:
    """Whether a passage (its text and its document's id) is a right answer to the question."""
    if question.unanswerable:
        return False
    if question.document is not None and document_id != question.document:
        return False
    return question.answer is None or normalised(question.answer) in normalised(text)


def score_questions(
    engine: Asker, questions: list[JudgedQuestion], source: str, corpus: str
) -> QuestionScores:
    """Ask each question as the product does and score where the right passage ranked."""
    scores = QuestionScores(source=source, corpus=corpus)
    started = time.perf_counter()
    for question in questions:
        try:
            answer = engine.ask(question.question, DEPTH)
        except QuestionError:  # no searchable word: the person would get that sentence
            scores.results.append(QuestionResult(question, None, False))
            continue
        rank = next(
            (m.rank for m in answer.passages if is_right(question, m.text, m.citation.doc_id)),
            None,
        )
        scores.results.append(QuestionResult(question, rank, answer.answered))
    scores.seconds = time.perf_counter() - started
    return scores


def unknown_documents(questions: list[JudgedQuestion], known: set[str]) -> list[str]:
    """The document ids the questions name that the index does not hold."""
    return sorted({q.document for q in questions if q.document and q.document not in known})
