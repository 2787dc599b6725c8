"""Composing an Answer: highlights, the best sentence, citations and abstention."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from footnote.analysis.analyzer import Analyzer
from footnote.analysis.question import Question
from footnote.answering.answer import Answer, Citation, Hit, compose, highlights
from footnote.retrieval.base import PassageRef

ANALYZER = Analyzer()


def hit(passage: int, score: float, text: str, section: str | None = None) -> Hit:
    """A search hit in a one-document corpus."""
    return Hit(
        PassageRef("doc", passage),
        score,
        text,
        section,
        Citation("doc", "Doc", section, passage + 1, None, "d.md"),
    )


def _ones(terms: Sequence[str]) -> list[int]:
    """Every term held by one passage."""
    return [1] * len(terms)


def ask(
    question: str,
    hits: list[Hit],
    n_passages: int = 100,
    k: int = 3,
    threshold: float | None = None,
) -> Answer:
    """Compose the answer to a question from given hits, as the engine would."""
    asked = Question.read(ANALYZER, question)
    doc_freq = {t: sum(t in ANALYZER.terms(h.text) for h in hits) for t in asked.terms}
    return compose(asked, hits, ANALYZER, doc_freq, n_passages, 1.0, k, threshold=threshold)


def test_highlights_mark_matched_words_by_stem() -> None:
    """'attacked' in the question lights up 'attacks' in the passage; stop words never."""
    text = "The attacks on the embassy were condemned."
    ranges = highlights(ANALYZER, text, set(ANALYZER.terms("who attacked the embassy")))
    assert [text[s:e] for s, e in ranges] == ["attacks", "embassy"]


def test_adjacent_matches_read_as_one_phrase() -> None:
    """Neighbouring matched words are highlighted as one range ('Kataib Hezbollah')."""
    text = "Since 2009 Kataib Hezbollah has been listed."
    ranges = highlights(ANALYZER, text, set(ANALYZER.terms("kataib hezbollah")))
    assert [text[s:e] for s, e in ranges] == ["Kataib Hezbollah"]


def test_best_sentence_of_a_long_passage_is_marked() -> None:
    """In a passage of several sentences, the one holding the question's terms is marked."""
    text = "The weather was mild. Volcanic ash grounded flights for days. Nobody was hurt."
    answer = ask("how long did volcanic ash ground flights?", [hit(0, 5.0, text)])
    start, end = answer.passages[0].best_sentence
    assert text[start:end] == "Volcanic ash grounded flights for days."


def test_answer_when_the_best_passage_covers_the_question() -> None:
    """A passage holding the question's informative terms is an answer, ranked and cited."""
    answer = ask(
        "why did volcanic ash ground flights?",
        [hit(3, 9.0, "Volcanic ash grounded flights because engines choke on it.")],
    )
    assert answer.answered and answer.reason is None
    assert answer.passages[0].rank == 1 and answer.passages[0].citation.paragraph == 4


def test_decline_when_the_best_passage_misses_most_of_the_question() -> None:
    """A passage sharing one common word with the question is not shown as an answer."""
    answer = ask(
        "what is the population density of the capital city?",
        [hit(0, 2.0, "The city held elections on Tuesday.")],
    )
    assert not answer.answered
    assert "covers enough" in answer.reason
    assert answer.passages, "the closest passages are still returned"


def test_more_of_the_question_held_is_more_confidence() -> None:
    """Of two passages of the same corpus, the one holding more of a long question's terms
    gets the higher confidence."""
    long_question = (
        "what experiments measured boundary layer transition on delta planforms at "
        "hypersonic mach numbers with heated ablating nose cones?"
    )
    others = [hit(i, 1.0, f"Filler text number {i} about nothing.") for i in range(1, 40)]
    fewer = ask(long_question, [hit(0, 5.0, "Transition was measured."), *others])
    more = ask(
        long_question,
        [hit(0, 5.0, "Boundary layer transition on delta planforms was measured."), *others],
    )
    assert more.passages[0].coverage > fewer.passages[0].coverage
    assert more.confidence > fewer.confidence


def test_feedback_takes_one_passage_of_each_of_the_best_documents() -> None:
    """The pool holds each document's best passage, and is empty with a single document."""
    from footnote.answering.feedback import feedback_pool

    class Ranked:
        def __init__(self, doc_id: str, n: int) -> None:
            self.doc_id, self.n = doc_id, n

    ranked = [Ranked(d, n) for n, d in enumerate("aabacd")]
    assert [(p.doc_id, p.n) for p in feedback_pool(ranked)] == [("a", 0), ("b", 2), ("c", 4)]
    assert feedback_pool([Ranked("a", n) for n in range(5)]) == []


def test_feedback_keeps_the_weight_given_to_each_term() -> None:
    """A term carried from an earlier question keeps its lower weight in the expanded query."""
    from footnote.answering.feedback import expand

    texts = ["The museum opened in 1920.", "The library opened in 1901."]
    terms = [*ANALYZER.terms("when did it open"), "museum"]
    carried = dict(zip(*expand(ANALYZER, terms, texts, _ones, 100, [1.0, 0.5]), strict=True))
    asked = dict(zip(*expand(ANALYZER, terms, texts, _ones, 100, [1.0, 1.0]), strict=True))
    assert set(terms) <= set(carried)
    assert 0 < carried["museum"] < asked["museum"]


def test_a_when_question_is_less_sure_of_a_passage_without_a_time() -> None:
    """'When ...?' is answered with less confidence by a passage that names no time, and a
    decline then says the time is missing."""
    question = "when did volcanic ash ground flights?"
    undated = [hit(0, 9.0, "Volcanic ash grounded flights across the region.")]
    without = ask(question, undated)
    dated = ask(question, [hit(0, 9.0, "Volcanic ash grounded flights in April.")])
    assert without.confidence < dated.confidence
    strict = ask(question, undated, threshold=1.0)
    assert not strict.answered and "time" in strict.reason


def test_answer_type_reorders_the_hits() -> None:
    """For 'how many', a passage with a number moves above a slightly better one without."""
    answer = ask(
        "how many flights did volcanic ash ground?",
        [
            hit(0, 5.0, "Volcanic ash grounded flights again."),
            hit(7, 4.0, "Volcanic ash grounded 300 flights."),
        ],
    )
    assert answer.passages[0].text == "Volcanic ash grounded 300 flights."
    assert [m.rank for m in answer.passages] == [1, 2]


def test_question_of_stop_words_only_is_declined_with_a_reason() -> None:
    """A question with no searchable words says so."""
    answer = ask("what is it?", [])
    assert not answer.answered and "no searchable words" in answer.reason


def test_feedback_adds_the_best_passages_words_with_less_weight() -> None:
    """RM3 keeps the question's terms and adds frequent, rare words of the best passages."""
    from footnote.answering.feedback import expand

    texts = ["Volcanic ash grounded flights; ash clouds drift for days.", "Ash clouds spread."]
    tokens, weights = expand(ANALYZER, ANALYZER.terms("volcanic ash"), texts, _ones, 1000)
    weight = dict(zip(tokens, weights, strict=True))
    assert {"volcan", "ash"} <= set(weight) and "cloud" in weight
    assert weight["ash"] > weight["cloud"] > 0


def test_a_quoted_phrase_raises_the_passage_that_holds_it() -> None:
    """ "Quds Force" in quotes puts the passage with those words together first."""
    hits = [
        hit(0, 5.0, "The force of the blast reached Quds street."),
        hit(7, 4.0, "The Quds Force is an overseas arm."),
    ]
    assert ask('what is the "Quds Force"?', hits).passages[0].passage.n == 7
    assert ask("what is the Quds Force?", hits).passages[0].passage.n == 0


def test_equal_scores_go_to_the_passage_whose_words_stand_closest() -> None:
    """Between two equally scored passages, the one with the question's words together wins."""
    hits = [
        hit(0, 3.0, "Ash fell on the town, and later the airport closed its runway."),
        hit(7, 3.0, "The airport closed because of ash on the runway today."),
    ]
    assert ask("airport ash", hits).passages[0].passage.n == 7


def test_quoted_phrases_are_read_by_term() -> None:
    """Quoted phrases become term sequences; a one-word quote is not a phrase."""
    from footnote.analysis.phrases import quoted_phrases

    assert quoted_phrases(ANALYZER, 'who leads "Kataib Hezbollah" and “the Quds Force”?') == [
        ("kataib", "hezbollah"),
        ("qud", "forc"),
    ]
    assert quoted_phrases(ANALYZER, 'what is "IRGC"?') == []


def test_neighbouring_passages_that_both_match_are_shown_as_one() -> None:
    """A passage and the next one of its section, both matching, become one cited answer."""
    first = hit(4, 6.0, "Volcanic ash reached the airport on Monday.", "Eruption")
    second = hit(5, 4.0, "The ash grounded every flight for three days.", "Eruption")
    weak = hit(6, 1.0, "Ash was also seen far away.", "Eruption")
    answer = ask("volcanic ash flights", [first, second, weak])
    top = answer.passages[0]
    assert top.text == f"{first.text}\n\n{second.text}"
    assert top.citation.paragraphs == "¶5–6"
    assert [m.passage.n for m in answer.passages] == [4, 6]  # the joined one is not repeated


def test_a_neighbour_of_another_section_or_a_weak_match_stays_apart() -> None:
    """Passages of different sections, or a neighbour scoring under half, are not joined."""
    other_section = [hit(1, 5.0, "Ash fell.", "A"), hit(2, 5.0, "Ash stayed.", "B")]
    assert [m.citation.paragraphs for m in ask("ash", other_section).passages] == ["¶2", "¶3"]
    weak = [hit(1, 5.0, "Ash fell.", "A"), hit(2, 2.0, "Ash stayed.", "A")]
    assert [m.text for m in ask("ash", weak).passages] == ["Ash fell.", "Ash stayed."]


@pytest.mark.parametrize(
    ("question", "weaker", "holding"),
    [
        # A day named in the question constrains the event it asks about.
        (
            "Were the farmers back at the market on Friday?",
            "The farmers market closed after the storm.",
            "Traders returned to the market on Friday.",
        ),
        # "Where ...?" wants a country, a capital or a direction.
        (
            "Where did the Ferrox Guild hold its congress?",
            "The Ferrox Guild congress voted on new rules.",
            "The Ferrox Guild congress met in Lisbon.",
        ),
    ],
)
def test_a_passage_holding_what_the_question_asks_for_comes_first(
    question: str, weaker: str, holding: str
) -> None:
    """The passage naming the question's day, or a place for a where-question, moves above
    a slightly better one that does not."""
    answer = ask(question, [hit(0, 4.0, weaker), hit(5, 3.0, holding)])
    assert answer.passages[0].text == holding


def test_words_that_restate_a_where_question_are_not_searched() -> None:
    """'based' in 'where is it based?' only restates the question; elsewhere it is searched."""

    def terms(question: str) -> list[str]:
        return list(Question.read(ANALYZER, question).terms)

    assert "base" not in terms("Where is the Ferrox Guild based?")
    assert "base" in terms("What is the Ferrox Guild based on?")
    assert terms("Where is it based?") == ["base"]


def test_an_acronym_of_the_question_is_held_by_the_words_it_stands_for() -> None:
    """'PM' is met by 'Prime Minister': that passage ranks first and answers."""
    answer = ask(
        "What did the PM say about the budget?",
        [
            hit(0, 3.0, "Reporters said the budget debate ran late."),
            hit(5, 2.0, "The Prime Minister said the budget would be balanced."),
        ],
    )
    assert answer.passages[0].text.startswith("The Prime Minister")
    assert answer.answered and answer.passages[0].coverage == 1.0


def test_one_shared_word_is_less_sure_than_two() -> None:
    """A passage sharing a single word with the question is less sure an answer than one
    sharing two, and a decline then says only one word is shared."""
    question = "When was the harbour lighthouse built?"
    fillers = [hit(i, 1.0, "The lighthouse was built of stone.") for i in range(1, 6)]
    single = [hit(0, 5.0, "The harbour froze over in the winter of 1903."), *fillers]
    one = ask(question, single)
    two = ask(
        question,
        [hit(0, 5.0, "The harbour lighthouse was lit in the winter of 1903."), *fillers],
    )
    assert one.confidence < two.confidence
    strict = ask(question, single, threshold=1.0)
    assert not strict.answered and "only one word" in strict.reason
