"""Acronyms matched by the capitalised words they abbreviate, and the other way round."""

from __future__ import annotations

import pytest

from footnote.analysis.acronyms import acronyms, matched_by_acronym
from footnote.analysis.analyzer import Analyzer
from footnote.analysis.question import Question

ANALYZER = Analyzer()


@pytest.mark.parametrize(
    ("question", "text", "held"),
    [
        ("What did the PM say?", "The Prime Minister said so.", {"pm"}),
        ("What does NASA fund?", "The National Aeronautics and Space Administration", {"nasa"}),
        ("What did the Secretary of State say?", "The SS said so.", {"secretari", "state"}),
        ("What is the revolutionary guard corps?", "An arm of the RGC, it ...", None),
        ("Who leads the NRA?", "The National Rifle Association elected a leader.", {"nra"}),
    ],
)
def test_an_acronym_meets_the_words_it_abbreviates(
    question: str, text: str, held: set[str] | None
) -> None:
    """'PM' in a question is held by 'Prime Minister' in a passage, joiners skipped; words
    of the question that spell an acronym of the passage are held by it."""
    expected = held if held is not None else set(ANALYZER.terms("revolutionary guard corps"))
    assert matched_by_acronym(ANALYZER, Question.read(ANALYZER, question), text) == expected


@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("What did the PM say?", "The Party Leader said so."),  # other initials
        ("What did the PM say?", "The Prime. Minister said so."),  # a full stop between
        ("What did the PM say?", "The prime minister said so."),  # lower case: not a name
        ("WHAT DID THE PM SAY?", "The Prime Minister said so."),  # shouted: no acronyms
        ("What did the PM say?", "The PM, the Prime Minister, said so."),  # held already
    ],
)
def test_no_match_without_a_name_that_spells_it(question: str, text: str) -> None:
    """Initials must spell the acronym, from one capitalised name, in a question that is
    not written all in capitals; a passage holding the acronym itself gains nothing."""
    assert matched_by_acronym(ANALYZER, Question.read(ANALYZER, question), text) == set()


def test_acronyms_are_two_to_six_capitals() -> None:
    """'PM's' is the acronym PM; single capitals and long shouted words are not acronyms."""
    assert acronyms("Did the PM's aide or the IRGC and I see ABCDEFGH?") == {"PM", "IRGC"}
