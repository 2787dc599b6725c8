"""Hits to an Answer: citations, highlights, the best sentence, and whether to answer at all."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from footnote.analysis.acronyms import matched_by_acronym
from footnote.analysis.analyzer import Analyzer
from footnote.analysis.answertype import has_type
from footnote.analysis.phrases import holds_phrase, span, term_positions
from footnote.analysis.question import Question, framing_terms
from footnote.answering.decision import (
    CANDIDATES,
    FEATURES,
    SHOWN,
    DecisionModel,
    Evidence,
    answering_values,
    best_score,
    features,
    shipped_model,
)
from footnote.ingest.passages import sentence_spans
from footnote.retrieval.base import PassageRef

# A declined answer says why in words a person acts on: the first passage holds less than
# this share of the question's information ("covers too little") ...
MIN_COVERAGE = 0.4
# ... or shares a single word with it, carrying no more than this share.
SINGLE_TERM_COVERAGE = 0.5

# How much a passage holding the kind of answer asked for ("when" -> a time, "how many" ->
# a number) is raised above one that does not; measured on the seed question sets.
ANSWER_TYPE_BOOST = 0.5
# How much a passage naming a day, month or year the question names is raised: the date
# constrains the event asked about, though in news such words are common and weigh little.
DATE_BOOST = 0.5
# A neighbouring passage of the same section joins an answer when it scored at least this
# share of the answer's score (it matched the question too).
MERGE_SHARE = 0.5
# How much a passage holding every phrase quoted in the question is raised.
PHRASE_BOOST = 1.0
# How many of the best passages are re-ranked by answer type before the top k are kept.
RERANK_DEPTH = 20


@dataclass(frozen=True)
class Citation:
    """Where a passage comes from: article, section, paragraph, link and file."""

    doc_id: str
    title: str
    section: str | None
    paragraph: int
    url: str | None
    path: str
    last_paragraph: int | None = None  # set when two neighbouring passages are shown as one
    page: int | None = None  # the page it starts on, in a paged document (PDF)

    @property
    def paragraphs(self) -> str:
        """ "¶14", or "¶14–15" for a passage that spans two paragraphs; "p. 4, ¶14" in a PDF."""
        if self.last_paragraph is None or self.last_paragraph == self.paragraph:
            where = f"¶{self.paragraph}"
        else:
            where = f"¶{self.paragraph}–{self.last_paragraph}"
        return f"p. {self.page}, {where}" if self.page else where


@dataclass(frozen=True)
class Match:
    """One ranked passage: its text, score, highlighted ranges and citation."""

    rank: int
    score: float
    text: str
    highlights: list[tuple[int, int]]
    citation: Citation
    passage: PassageRef
    best_sentence: tuple[int, int] | None = None
    coverage: float = 0.0
    also_in: tuple[str, ...] = ()  # ids of other documents holding the same passage
    code_at: int | None = None  # where the code it shows starts in its text: a renderer
    language: str | None = None  # shows text[code_at:] as a code block in this language
    links: tuple[str, ...] = ()  # the targets of the links in its paragraph
    confidence: float | None = None  # the passage model's probability that it is the one

    @property
    def last_n(self) -> int:
        """The number of the last passage it shows: the next one when two were joined."""
        cite = self.citation
        joined = cite.last_paragraph is not None and cite.last_paragraph != cite.paragraph
        return self.passage.n + 1 if joined else self.passage.n


@dataclass(frozen=True)
class Answer:
    """The answer to one question: the ranked passages and whether the best one answers it."""

    question: str
    answered: bool
    passages: list[Match]
    took_ms: float
    searched: int
    terms: list[str] = field(default_factory=list)
    reason: str | None = None
    context: str | None = None  # the earlier question a follow-up took terms from
    confidence: float | None = None  # the answering model's probability that it answers
    evidence: tuple[Evidence, ...] = ()  # the best candidates weighed, in the order shown


@dataclass(frozen=True)
class Hit:
    """A passage found by the search, before composing: its text, place and score."""

    passage: PassageRef
    score: float
    text: str
    section: str | None
    citation: Citation
    also_in: tuple[str, ...] = ()  # other documents holding the very same passage
    code_at: int | None = None  # where the code it shows starts in its text
    language: str | None = None
    links: tuple[str, ...] = ()  # the targets of the links in its paragraph

    def rescored(self, score: float) -> Hit:
        """The hit with another score (dataclasses.replace costs 0.1 ms an answer here)."""
        return Hit(
            self.passage, score, self.text, self.section, self.citation,
            self.also_in, self.code_at, self.language, self.links,
        )  # fmt: skip


def rerank(
    hits: Sequence[Hit],
    question: Question,
    analyzer: Analyzer,
    weights: Mapping[str, float] | None = None,
    through_phrasal: Callable[[str], set[str]] | None = None,
) -> list[Hit]:
    """Hits re-ordered: the kind of answer asked for and quoted phrases raise a passage;
    among equal scores, the passage whose matched words stand closest together comes first.

    A passage holding some of the question's terms through an acronym ("PM" for "Prime
    Minister") is raised as if it held them: its score grows by their share of the
    question's information (``weights``, each term's idf; equal weights when not given)
    over that of the terms it matched. So is one holding an absent verb of the question
    through a phrasal verb of the same particle and WordNet class (``through_phrasal``:
    "died down" for "calm down").
    """
    kind, phrases, dates = question.kind, question.phrases, question.dates
    weights = weights if weights is not None else dict.fromkeys(question.terms, 1.0)
    scored = []
    for i, hit in enumerate(hits):
        score = hit.score
        held_otherwise = matched_by_acronym(analyzer, question, hit.text)
        if through_phrasal is not None:
            held_otherwise = held_otherwise | through_phrasal(hit.text)
        if held_otherwise:
            present = set(analyzer.terms(hit.text)) | set(analyzer.terms(hit.section or ""))
            held = sum(w for t, w in weights.items() if t in present)
            added = sum(weights.get(t, 0.0) for t in held_otherwise - present)
            if held > 0:
                score *= 1 + added / held
        if kind is not None and has_type(hit.text, kind):
            score *= 1 + ANSWER_TYPE_BOOST
        if dates and not dates.isdisjoint(analyzer.terms(hit.text)):
            score *= 1 + DATE_BOOST
        sequence: list[str] | None = None
        if phrases:
            sequence = term_positions(analyzer, hit.text)
            if all(holds_phrase(sequence, phrase) for phrase in phrases):
                score *= 1 + PHRASE_BOOST
        scored.append([score, i, hit, sequence])
    tied = Counter(round(entry[0], 9) for entry in scored)
    wanted = set(question.terms)

    def closeness(entry: list) -> int:
        if tied[round(entry[0], 9)] < 2:
            return 0  # no tie to break: spare the work
        sequence = entry[3] if entry[3] is not None else term_positions(analyzer, entry[2].text)
        return span(sequence, wanted)

    ordered = sorted(scored, key=lambda e: (-round(e[0], 9), closeness(e), e[1]))
    return [h.rescored(score) for score, _, h, _ in ordered]


def collapse_copies(hits: Sequence[Hit]) -> list[Hit]:
    """The hits with each passage shown once: a copy of a better hit's text in another
    document (versions of one page, a mirrored article) joins that hit's ``also_in``."""
    first_of: dict[str, int] = {}
    kept: list[Hit] = []
    for hit in hits:
        at = first_of.get(hit.text)  # copies of a page repeat its words exactly
        if at is None:
            first_of[hit.text] = len(kept)
            kept.append(hit)
        elif hit.citation.doc_id != kept[at].citation.doc_id:
            copies = (*kept[at].also_in, hit.citation.doc_id)
            kept[at] = replace(kept[at], also_in=tuple(dict.fromkeys(copies)))
    return kept


def next_to(ref: PassageRef, step: int) -> PassageRef:
    """The passage `step` places after `ref` in its document (before it, when negative)."""
    return PassageRef(ref.doc, ref.n + step)


def merge_neighbours(hits: Sequence[Hit], k: int) -> list[Hit]:
    """The best k hits, each joined with the next or previous passage of its section when
    that passage matched too (scored at least MERGE_SHARE of it), so an answer spanning two
    paragraphs is shown whole; a passage joined to another is not shown again on its own.
    """
    by_passage = {hit.passage: hit for hit in hits}
    used: set[PassageRef] = set()
    shown: list[Hit] = []
    for hit in hits:
        if len(shown) == k:
            break
        if hit.passage in used:
            continue
        used.add(hit.passage)
        after, before = next_to(hit.passage, 1), next_to(hit.passage, -1)
        for other in (by_passage.get(after), by_passage.get(before)):
            if (
                other is not None
                and other.passage not in used
                and other.section == hit.section
                and other.score >= MERGE_SHARE * hit.score
                and min(hit, other, key=lambda h: h.passage).code_at is None  # code ends one
            ):
                used.add(other.passage)
                first, second = sorted((hit, other), key=lambda h: h.passage)
                citation = replace(first.citation, last_paragraph=second.citation.paragraph)
                text = f"{first.text}\n\n{second.text}"
                code_at = None if second.code_at is None else len(first.text) + 2 + second.code_at
                hit = replace(
                    hit,
                    passage=first.passage,
                    text=text,
                    citation=citation,
                    code_at=code_at,
                    language=second.language,
                    links=first.links + second.links,
                )
                break
        shown.append(hit)
    return shown


def term_weights(
    terms: Sequence[str],
    doc_freq: Mapping[str, int],
    n_passages: int,
    ignore: frozenset[str] = frozenset(),
) -> dict[str, float]:
    """Each distinct query term's information (Lucene idf; unseen terms count fully)."""
    weights = {}
    for term in dict.fromkeys(terms):
        if term in ignore:
            continue
        df = doc_freq.get(term, 0)
        weights[term] = math.log1p((n_passages - df + 0.5) / (df + 0.5))
    return weights


def coverage(weights: Mapping[str, float], present: set[str]) -> float:
    """The share of the question's term weight that a passage holds."""
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    return sum(w for t, w in weights.items() if t in present) / total


def highlights(analyzer: Analyzer, text: str, wanted: set[str]) -> list[tuple[int, int]]:
    """Character ranges of the words in text whose terms are among the wanted ones."""
    ranges: list[tuple[int, int]] = []
    for start, end in analyzer.matching_spans(text, wanted):
        if ranges and start - ranges[-1][1] <= 1 and text[ranges[-1][1] : start].isspace():
            ranges[-1] = (ranges[-1][0], end)  # adjacent matches read as one phrase
        else:
            ranges.append((start, end))
    return ranges


def best_sentence(
    analyzer: Analyzer, text: str, weights: Mapping[str, float]
) -> tuple[int, int] | None:
    """The sentence of a multi-sentence passage that holds the most question weight."""
    return _best_sentence(analyzer, text, weights)[0]


def _best_sentence(
    analyzer: Analyzer, text: str, weights: Mapping[str, float]
) -> tuple[tuple[int, int] | None, float]:
    """best_sentence, with the share of the question's weight that sentence holds."""
    spans = sentence_spans(text)
    if len(spans) < 2:
        return None, 0.0
    scored = [(coverage(weights, set(analyzer.terms(text[s:e]))), -s, (s, e)) for s, e in spans]
    top = max(scored)
    return (top[2], top[0]) if top[0] > 0 else (None, 0.0)


def held_terms(
    analyzer: Analyzer,
    question: Question,
    text: str,
    own: Sequence[str],
    stand_ins: Mapping[str, frozenset[str]] | None,
    through_phrasal: Callable[[str], set[str]] | None,
    also: str = "",
    words: Sequence[str] | None = None,
) -> tuple[set[str], int]:
    """The question terms a text holds (with ``also``, e.g. its heading): its own words
    (``words``, when its terms are already at hand), those held through an acronym, and,
    when it holds one of the question's own terms, those a stand-in or a phrasal verb holds
    for; and how many of ``own`` it holds itself."""
    present = set(analyzer.terms(text) if words is None else words) | set(analyzer.terms(also))
    present |= matched_by_acronym(analyzer, question, text)
    holds = sum(t in present for t in own)
    if holds and stand_ins:
        present |= {t for t, words in stand_ins.items() if not words.isdisjoint(present)}
    if holds and through_phrasal is not None:
        present |= through_phrasal(text)
    return present, holds


def weigh(
    question: Question,
    hits: Sequence[Hit],
    analyzer: Analyzer,
    weights: Mapping[str, float],
    own: Sequence[str],
    ideal: float,
    known: tuple[float, float],
    model: DecisionModel,
    stand_ins: Mapping[str, frozenset[str]] | None = None,
    through_phrasal: Callable[[str], set[str]] | None = None,
) -> tuple[list[Evidence], dict[str, tuple[int, int] | None]]:
    """The best CANDIDATES hits' features and passage probabilities, in the hits' order, and
    each one's best sentence by its text (an answer shows it); ``known`` is the share of the
    question's terms the corpus holds at all, and the share of its information in terms it
    never holds."""
    kind = question.kind
    candidates = hits[:CANDIDATES]
    top_score = candidates[0].score if candidates else 0.0
    rows = []
    sentences: dict[str, tuple[int, int] | None] = {}
    for i, hit in enumerate(candidates):
        words = term_positions(analyzer, hit.text)
        body, _ = held_terms(
            analyzer, question, hit.text, own, stand_ins, through_phrasal, words=words
        )
        heading = set(analyzer.terms(hit.section or ""))
        title = set(analyzer.terms(hit.citation.title))
        matched = [t for t in weights if t in body]
        spread = span(words, matched) if len(matched) > 1 else 1
        sentence, sentence_share = _best_sentence(analyzer, hit.text, weights)
        sentences[hit.text] = sentence
        if sentence is None:
            sentence_share = coverage(weights, body)
        values = features(
            weights,
            body,
            heading,
            title,
            sentence_share,
            min(1.0, len(matched) / spread) if matched else 0.0,
            hit.score,
            top_score,
            candidates[i + 1].score if i + 1 < len(candidates) else None,
            i == 0,
            kind is not None,
            kind is not None and has_type(hit.text, kind),
            ideal,
            *known,
        )
        rows.append(values)
    named = [dict(zip(FEATURES, values, strict=True)) for values in rows]
    probabilities = model.passage.probabilities(named)
    evidence = [
        Evidence(hit.passage, values, p)
        for hit, values, p in zip(candidates, rows, probabilities, strict=True)
    ]
    return evidence, sentences


def compose(
    question: Question,
    hits: Sequence[Hit],
    analyzer: Analyzer,
    doc_freq: Mapping[str, int],
    n_passages: int,
    took_ms: float,
    k: int | None = None,
    carried: Mapping[str, float] | None = None,
    stand_ins: Mapping[str, frozenset[str]] | None = None,
    through_phrasal: Callable[[str], set[str]] | None = None,
    k1: float = 1.5,
    model: DecisionModel | None = None,
    threshold: float | None = None,
) -> Answer:
    """Build the Answer from the best k hits (re-ranked by the rules), answered when the
    decision model's confidence reaches the threshold (the model's own unless ``threshold``).

    The best CANDIDATES hits are weighed by the passage model (each one's probability of
    being the right one among them, shown with it); the answering model's probability that
    what is shown answers the question is the answer's confidence. Terms held through an
    acronym count as held.
    ``carried`` maps terms a follow-up took from an earlier question to their weight there.
    ``stand_ins`` maps question terms no passage holds to the words that stand for them
    (synonyms, other forms: related.relatives): a passage holding one of those and at least
    one of the question's own terms holds the term too. ``through_phrasal`` gives the absent
    verbs a passage holds through a phrasal verb of the same particle and WordNet class
    (related.held_through_phrasal); they stand in likewise.
    """
    model = model or shipped_model()
    threshold = model.threshold if threshold is None else threshold
    kind, terms = question.kind, question.terms
    weights = term_weights(terms, doc_freq, n_passages, framing_terms(analyzer))
    for term, share in (carried or {}).items():
        weights[term] = share * term_weights([term], doc_freq, n_passages)[term]
    own = [t for t in dict.fromkeys(terms) if t in weights]
    ordered = collapse_copies(rerank(hits, question, analyzer, weights, through_phrasal))
    held = [t for t in own if doc_freq.get(t, 0) > 0]
    total = sum(weights.values()) or 1.0
    known = (
        len(held) / len(own) if own else 0.0,
        sum(w for t, w in weights.items() if doc_freq.get(t, 0) == 0) / total,
    )
    evidence, sentences = weigh(
        question, ordered, analyzer, weights, own, best_score(weights, k1), known, model,
        stand_ins, through_phrasal,
    )  # fmt: skip
    probability = {e.passage: e.probability for e in evidence}
    hits = merge_neighbours(ordered, k or len(ordered))
    wanted = set(terms) | set(carried or {})
    standing = set().union(*(stand_ins or {}).values())
    matches = []
    best_holds = 0
    for rank, hit in enumerate(hits, start=1):
        present, holds = held_terms(
            analyzer, question, hit.text, own, stand_ins, through_phrasal, hit.section or ""
        )
        if rank == 1:
            best_holds = holds
        matches.append(
            Match(
                rank=rank,
                score=float(hit.score),
                text=hit.text,
                highlights=highlights(analyzer, hit.text, wanted | standing),
                citation=hit.citation,
                passage=hit.passage,
                best_sentence=(
                    sentences[hit.text]
                    if hit.text in sentences
                    else best_sentence(analyzer, hit.text, weights)
                ),
                coverage=coverage(weights, present),
                also_in=hit.also_in,
                code_at=hit.code_at,
                language=hit.language,
                links=hit.links,
                confidence=probability.get(hit.passage),
            )
        )
    confidence = (
        model.answering.probability(answering_values(evidence)) if evidence and weights else None
    )
    reason = None
    if not weights:
        reason = "The question has no searchable words; ask with the names or terms you want."
    elif not matches or not any(m.coverage > 0 for m in matches[:SHOWN]):
        # Found through related words or titles alone: nothing shown holds the question.
        reason = "No passage shares a word with the question."
    elif confidence is None or confidence < threshold:
        reason = decline_reason(matches[0], best_holds, kind, confidence, threshold)
    return Answer(
        question=question.asked,
        answered=reason is None,
        passages=matches,
        took_ms=took_ms,
        searched=n_passages,
        terms=list(wanted),
        reason=reason,
        confidence=confidence,
        evidence=tuple(evidence),
    )


def decline_reason(
    best: Match, holds: int, kind: str | None, confidence: float | None, threshold: float
) -> str:
    """Why the first passage is not shown as an answer, in words a person acts on."""
    if best.coverage < MIN_COVERAGE:
        return "No passage covers enough of the question."
    if holds == 1 and best.coverage <= SINGLE_TERM_COVERAGE:
        return "The closest passage shares only one word with the question."
    if kind in ("time", "quantity") and not has_type(best.text, kind):  # type: ignore[arg-type]
        wanted_kind = "a time or date" if kind == "time" else "a number"
        return f"The closest passage does not give {wanted_kind}."
    return (
        f"The closest passage is not a sure answer (confidence {confidence or 0:.2f}, "
        f"below the {threshold:.2f} asked for)."
    )
