"""The questions the writing is missing: answers declined or voted down, grouped by what they
ask about, for `footnote gaps` and the bot's /gaps.

A question's subject is its informative terms: the analyzer's terms less the words that frame
a question ("how many", "what did he say"). Questions join a group when their terms overlap
the group's first question's enough (leader clustering on the overlap coefficient, each term
weighted by how few of the period's questions use it), so paraphrases meet without a word
list or a threshold fitted to any set of questions.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from footnote.analysis.analyzer import Analyzer
from footnote.analysis.question import clean, framing_terms
from footnote.answerlog.store import AnswerRecord, Vote
from footnote.question_set import normalised

# A question joins a group when at least half of the smaller term set (by weight: see
# term_weights) is shared with the group's leading question: "embassy evacuated?" meets
# "will they evacuate the embassy staff?", while one shared word of three does not make two
# questions one.
GROUP_OVERLAP = 0.5
LABEL_WORDS = 3
EXAMPLES = 3
T = TypeVar("T")


@dataclass(frozen=True)
class GapGroup:
    """Questions about one subject that went unanswered or were voted down."""

    words: tuple[str, ...]  # the most shared terms, as people typed them (up to 3)
    questions: int  # askings in the group (an answer with its More pages is one asking)
    declined: int  # of them, declined
    voted_down: int  # of them, voted down (on the first page or a More page)
    examples: tuple[str, ...]  # distinct questions, most asked first (up to 3)
    last_asked: float  # Unix seconds

    @property
    def label(self) -> str:
        """The words, comma-separated (the first example when the question had none)."""
        return ", ".join(self.words) if self.words else (self.examples or ("",))[0]


@dataclass
class _Asked:
    """One gap question: its text, terms and what went wrong."""

    text: str
    key: str  # question_key: questions asked identically share it
    terms: frozenset[str]
    surfaces: list[tuple[str, str]]  # (term, the word typed for it), in order
    at: float
    declined: bool
    voted_down: bool


def question_key(text: str) -> str:
    """A question as compared with another: case, accents, spacing and its end mark aside
    ("Who leads the militia?" is "who leads the  militia")."""
    return normalised(text).rstrip("?!.… ")


def voted_down_answers(votes: Sequence[Vote]) -> set[str]:
    """The ids of the answers with more votes down than up."""
    net: Counter[str] = Counter()
    for vote in votes:
        net[vote.answer_id] += 1 if vote.up else -1
    return {answer_id for answer_id, value in net.items() if value < 0}


def root_of(answer: AnswerRecord, by_id: dict[str, AnswerRecord]) -> AnswerRecord:
    """The first page of an answer: a More page's parent, followed back while on record."""
    seen = {answer.id}
    while answer.parent_id is not None and answer.parent_id in by_id:
        answer = by_id[answer.parent_id]
        if answer.id in seen:  # a loop would be a corrupt file; stop rather than spin
            break
        seen.add(answer.id)
    return answer


def gap_groups(
    answers: Sequence[AnswerRecord], votes: Sequence[Vote], analyzer: Analyzer | None = None
) -> list[GapGroup]:
    """The declined and voted-down questions grouped by subject, biggest group first."""
    analyzer = analyzer or Analyzer()
    framing = framing_terms(analyzer)
    down = voted_down_answers(votes)
    by_id = {a.id: a for a in answers}
    # One asking is a first page with its More pages: it is a gap when the first page was
    # declined or any page was voted down, and counts once either way.
    askings: dict[str, tuple[AnswerRecord, bool, bool]] = {}
    for answer in answers:
        root = root_of(answer, by_id)
        first, declined, voted = askings.get(root.id, (root, False, False))
        declined = declined or (answer.parent_id is None and not answer.answered)
        voted = voted or answer.id in down
        askings[root.id] = (first, declined, voted)
    read = [(_read(root, d, v, analyzer, framing), d or v) for root, d, v in askings.values()]
    weights = term_weights([question.terms for question, _ in read])
    asked = [question for question, gap in read if gap]
    return ordered([_group_of(members) for members in _cluster(asked, weights)])


def term_weights(term_sets: Sequence[frozenset[str]]) -> dict[str, float]:
    """Each term's weight among the questions asked: ln(1 + N / questions holding it).

    A word most questions share (the name of the thing the server is about) ties two
    questions together less than a word few people used.
    """
    held: Counter[str] = Counter(term for terms in term_sets for term in terms)
    return {term: math.log(1 + len(term_sets) / count) for term, count in held.items()}


def _read(
    root: AnswerRecord, declined: bool, voted: bool, analyzer: Analyzer, framing: frozenset[str]
) -> _Asked:
    """A gap question with its informative terms and the words typed for them."""
    text = clean(root.question)
    surfaces = [
        (term, word)
        for term, word in _typed_words(text, analyzer)
        if term not in framing  # framing words ask about a subject; they do not name one
    ]
    terms = frozenset(term for term, _ in surfaces)
    return _Asked(text, question_key(text), terms, surfaces, root.asked_at, declined, voted)


def _typed_words(text: str, analyzer: Analyzer) -> list[tuple[str, str]]:
    """(term, the word that gave it) for each term of the text, in order."""
    found = []
    for terms, start, end in analyzer.spans(text):
        token = text[start:end]
        for term in terms:
            found.append((term, _surface(token, term, analyzer)))
    return found


def _surface(token: str, term: str, analyzer: Analyzer) -> str:
    """The part of a token that gives the term: "gas" of "tear-gas", "Iran" of "Iran's"."""
    parts = [p for p in token.replace("’", "'").replace("-", " ").split() if p]
    for part in parts:
        bare = part[:-2] if part.lower().endswith("'s") else part
        if term in analyzer.token_terms(bare):
            return bare
    return token


def _cluster(asked: list[_Asked], weights: Mapping[str, float]) -> list[list[_Asked]]:
    """Leader clustering: the most asked questions lead; each other joins the group whose
    leader its terms overlap most (at least GROUP_OVERLAP), or leads a group of its own."""
    times: Counter[str] = Counter(a.key for a in asked)
    latest: dict[str, float] = {}
    for a in asked:
        latest[a.key] = max(latest.get(a.key, a.at), a.at)
    order = sorted(asked, key=lambda a: (-times[a.key], -latest[a.key], -a.at))
    leaders: list[_Asked] = []
    groups: list[list[_Asked]] = []
    by_key: dict[str, int] = {}
    for question in order:
        place = by_key.get(question.key)
        if place is None:
            place = _best_group(question, leaders, weights)
        if place is None:
            place = len(groups)
            leaders.append(question)
            groups.append([])
        by_key[question.key] = place
        groups[place].append(question)
    return groups


def _best_group(
    question: _Asked, leaders: list[_Asked], weights: Mapping[str, float]
) -> int | None:
    """The group whose leader shares the most of the question's terms, if enough."""
    best, best_overlap = None, GROUP_OVERLAP
    for place, leader in enumerate(leaders):
        overlap = overlap_coefficient(question.terms, leader.terms, weights)
        if overlap >= best_overlap and (best is None or overlap > best_overlap):
            best, best_overlap = place, overlap
    return best


def overlap_coefficient(
    first: frozenset[str], second: frozenset[str], weights: Mapping[str, float] | None = None
) -> float:
    """|A ∩ B| / min(|A|, |B|), each term counting its weight (1 without weights): 1 when
    one set holds the other, 0 when they share nothing or either is empty."""

    def size(terms: Iterable[str]) -> float:
        return sum(weights.get(t, 1.0) for t in terms) if weights else float(len(list(terms)))

    smaller = min(size(first), size(second))
    return size(first & second) / smaller if smaller else 0.0


def _group_of(members: list[_Asked]) -> GapGroup:
    """A group's label, counts, examples and last time asked."""
    shared: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    first_seen: dict[str, int] = {}
    for question in members:
        for term in question.terms:
            shared[term] += 1
        for term, word in question.surfaces:
            spellings.setdefault(term, Counter())[word] += 1
            first_seen.setdefault(term, len(first_seen))
    # In a group of several questions, a word only one of them used is not what they share.
    common = [t for t in shared if shared[t] > 1] or list(shared)
    top = sorted(common, key=lambda t: (-shared[t], first_seen[t]))[:LABEL_WORDS]
    words = tuple(dict.fromkeys(_spelling(spellings[t]) for t in top))
    return GapGroup(
        words=words,
        questions=len(members),
        declined=sum(q.declined for q in members),
        voted_down=sum(q.voted_down for q in members),
        examples=_examples(members),
        last_asked=max(q.at for q in members),
    )


def _spelling(typed: Counter[str]) -> str:
    """The most common spelling of a term, case aside; then its most common capitalisation."""
    folded: Counter[str] = Counter()
    for word, count in typed.items():
        folded[word.casefold()] += count
    best = folded.most_common(1)[0][0]
    forms = Counter({w: c for w, c in typed.items() if w.casefold() == best})
    # Sentence case says nothing of a word: prefer the lower-case form on a tie.
    return max(forms, key=lambda w: (forms[w], w == w.lower()))


def _examples(members: list[_Asked]) -> tuple[str, ...]:
    """The group's distinct questions, most asked first (then most recent), as typed most."""
    texts: dict[str, Counter[str]] = {}
    latest: dict[str, float] = {}
    for q in members:
        texts.setdefault(q.key, Counter())[q.text] += 1
        latest[q.key] = max(latest.get(q.key, q.at), q.at)
    keys = sorted(texts, key=lambda k: (-sum(texts[k].values()), -latest[k]))
    return tuple(texts[k].most_common(1)[0][0] for k in keys[:EXAMPLES])


def ordered(groups: list[GapGroup]) -> list[GapGroup]:
    """Biggest group first; between equals, the one asked most recently."""
    return sorted(groups, key=lambda g: (-g.questions, -g.last_asked))


def page_of(items: Sequence[T], page: int, per_page: int) -> tuple[list[T], int, int]:
    """One page of a list: (its items, the page number kept within 1..pages, pages)."""
    per_page = max(1, per_page)
    pages = max(1, -(-len(items) // per_page))
    page = min(max(1, page), pages)
    start = (page - 1) * per_page
    return list(items[start : start + per_page]), page, pages
