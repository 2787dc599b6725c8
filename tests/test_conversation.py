"""What a conversation needs from the engine: follow-ups, more results, context, suggestions,
the list of sources, and switching to an index another process built."""

from __future__ import annotations

from pathlib import Path

import pytest

from footnote.analysis.analyzer import Analyzer
from footnote.analysis.question import Question
from footnote.answering.followup import leans_on_earlier
from footnote.config import EngineConfig
from footnote.engine import Engine
from footnote.errors import StaleIndex
from footnote.retrieval.base import PassageRef
from footnote.retrieval.embedded.build import build

PLACES = {
    "museum.md": (
        "# The city museum\n\n"
        "The city museum holds paintings from the river valley and a collection of maps.\n\n"
        "The museum opened its doors to visitors in 1920, after ten years of building.\n\n"
        "Its director, Ana Ruiz, has led the museum since 2015 and doubled its visitors.\n"
    ),
    "library.md": (
        "# The old library\n\n"
        "The old library keeps letters, newspapers and the town's birth records.\n\n"
        "The library opened its reading room to the public in 1901.\n\n"
        "Its librarian, Tom Berg, catalogued the letters over twenty winters.\n"
    ),
    "harbour.md": (
        "# How does the harbour work?\n\n"
        "Fishing boats land their catch at dawn and the market sells it by noon.\n\n"
        "## Why did the harbour flood?\n\n"
        "The harbour flooded in the storm of 1953, when the sea wall gave way at night.\n\n"
        "## The ferry\n\n"
        "A ferry crosses to the island twice a day in summer and once in winter.\n"
    ),
}


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    """An engine over a small corpus of three places."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in PLACES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    config = EngineConfig(corpus_dir=corpus, index_dir=tmp_path / "index")
    return Engine.open(config)[0]


@pytest.mark.parametrize(
    "question",
    ["when did it open?", "and on Wednesday?", "who leads them?", "what about the ferry?"],
)
def test_short_or_pointing_questions_lean_on_the_one_before(question: str) -> None:
    assert leans_on_earlier(Question.read(Analyzer(), question))


@pytest.mark.parametrize(
    "question",
    [
        "When did the city museum open its doors to visitors?",
        "Who catalogued the letters in the old library?",
    ],
)
def test_questions_that_stand_alone_do_not(question: str) -> None:
    assert not leans_on_earlier(Question.read(Analyzer(), question))


def test_a_follow_up_answers_about_the_earlier_subject(engine: Engine) -> None:
    for subject, year in (("the city museum", "1920"), ("the old library", "1901")):
        earlier = f"What is in {subject}?"
        answer = engine.ask("when did it open?", 1, earlier=earlier)
        assert answer.answered
        assert year in answer.passages[0].text
        assert answer.context == earlier


def test_the_follow_ups_own_words_still_decide(engine: Engine) -> None:
    answer = engine.ask("who is its director?", 1, earlier="What is in the old library?")
    assert "Ana Ruiz" in answer.passages[0].text  # only the museum has a director


def test_a_question_that_stands_alone_takes_no_context(engine: Engine) -> None:
    alone = "When did the library open its reading room?"
    answer = engine.ask(alone, 1, earlier="Who directs the city museum?")
    assert answer.context is None
    assert answer.passages == engine.ask(alone, 1).passages


def test_more_results_continue_where_the_first_ones_stopped(engine: Engine) -> None:
    question = "when did the museum and the library open?"
    first = engine.ask(question, 2)
    more = engine.ask(question, 2, offset=2)
    everything = engine.ask(question, 4)
    shown = [m.passage for m in first.passages + more.passages]
    assert shown == [m.passage for m in everything.passages]
    assert [m.rank for m in more.passages] == [3, 4][: len(more.passages)]
    assert engine.ask(question, 2, offset=1000).passages == []


def test_context_gives_the_paragraphs_around_a_passage_in_its_article(engine: Engine) -> None:
    answer = engine.ask("When did the museum open its doors?", 1)
    match = answer.passages[0]
    around = engine.context(match.passage, generation=engine.generation)
    assert [p.paragraph for p in around] == [
        match.citation.paragraph - 1,
        match.citation.paragraph,
        match.citation.paragraph + 1,
    ]
    assert {p.doc_id for p in around} == {match.citation.doc_id}
    first = engine.context(around[0].ref, generation=engine.generation)
    assert first[0].ref == around[0].ref  # nothing before an article's first paragraph
    assert {p.doc_id for p in first} == {match.citation.doc_id}


def test_context_from_a_rebuilt_index_says_why_it_cannot(engine: Engine) -> None:
    old = engine.generation
    (engine.config.corpus_dir / "mill.md").write_text("# The mill\n\nThe mill grinds corn.\n")
    engine.rebuild(built_by="a test")
    assert engine.generation != old
    with pytest.raises(StaleIndex, match="ask the question again"):
        engine.context(PassageRef("harbour", 0), generation=old)


def test_suggestions_come_from_the_corpus_headings_and_titles(engine: Engine) -> None:
    texts = [s.text for s in engine.suggest("")]
    assert texts[:2] == ["How does the harbour work?", "Why did the harbour flood?"]
    assert {"The city museum", "The old library", "The ferry"} <= set(texts)
    assert [s.text for s in engine.suggest("why did the harb")] == ["Why did the harbour flood?"]
    assert "The ferry" in [s.text for s in engine.suggest("fer")]
    assert engine.suggest("flooding")[0].text == "Why did the harbour flood?"
    assert engine.suggest("zzzz") == []
    assert len(engine.suggest("", limit=2)) == 2


def test_sources_can_be_searched(engine: Engine) -> None:
    assert len(engine.sources()) == 3
    assert [d.title for d in engine.sources("LIBRARY")] == ["The old library"]
    assert engine.sources("library museum") == []


def test_an_index_built_by_another_process_is_picked_up(engine: Engine) -> None:
    assert not engine.refresh()
    (engine.config.corpus_dir / "mill.md").write_text("# The mill\n\nThe mill grinds corn.\n")
    build(engine.config, built_by="footnote index (someone)")  # as `footnote index` would
    assert engine.refresh()
    assert engine.retriever.index.manifest["built_by"] == "footnote index (someone)"
    assert "mill" in engine.ask("what does the mill grind?", 1).passages[0].text
    assert not engine.refresh()


def test_help_examples_come_from_different_articles(engine: Engine) -> None:
    examples = engine.suggestions().examples(3)
    assert len({s.document for s in examples}) == 3
    assert examples[0].kind_name == "question"
