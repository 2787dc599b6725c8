"""British and American spellings meet: "coloured" is found by "colored", and the reverse."""

from __future__ import annotations

from pathlib import Path

import pytest

from footnote.analysis.analyzer import ANALYZER_VERSION, Analyzer, AnalyzerSettings
from footnote.config import EngineConfig
from footnote.engine import Engine
from footnote.retrieval.embedded.build import open_or_build
from footnote.retrieval.embedded.retriever import EmbeddedRetriever

BRITISH = {
    "coloured": "The coloured glass in the chapel windows was made in Venice.",
    "organisation": "A charitable organisation restores the chapel roof every decade.",
    "catalogue": "The parish keeps a catalogue listing each bell and its maker.",
}
AMERICAN = {
    "colored": "Colored lights on the platform show which train leaves next.",
    "organization": "A private organization runs the railway between the two towns.",
    "catalog": "The museum sells a catalog describing every locomotive it owns.",
}
# Unrelated paragraphs, so that each spelled word is in few passages and scores well.
FILLER = (
    "Tourists visit on Sundays after the morning service.\n\n"
    "Snow closed the mountain road for three weeks in January.\n\n"
    "The river floods the lower fields most springs.\n"
)


def write_corpus(root: Path, passages: dict[str, str]) -> Path:
    """A corpus of one article holding the passages, and one of filler."""
    root.mkdir(parents=True)
    (root / "article.md").write_text(
        "# Notes\n\n" + "\n\n".join(passages.values()) + "\n", encoding="utf-8"
    )
    (root / "other.md").write_text("# Other\n\n" + FILLER, encoding="utf-8")
    return root


def engine_for(corpus: Path, tmp_path: Path, **analyzer: bool) -> Engine:
    """An engine on the corpus, its index in the test's folder."""
    config = EngineConfig(
        corpus_dir=corpus, index_dir=tmp_path / "index", analyzer=AnalyzerSettings(**analyzer)
    )
    return Engine.open(config)[0]


@pytest.mark.parametrize(
    ("written", "asked"),
    [(BRITISH, list(AMERICAN)), (AMERICAN, list(BRITISH))],
    ids=["british-corpus", "american-corpus"],
)
def test_a_question_in_one_spelling_finds_a_passage_in_the_other(
    tmp_path: Path, written: dict[str, str], asked: list[str]
) -> None:
    """Each passage is the best match for the question spelled the other way, its word marked."""
    engine = engine_for(write_corpus(tmp_path / "corpus", written), tmp_path)
    for (word, passage), question_word in zip(written.items(), asked, strict=True):
        answer = engine.ask(f"which {question_word}?")
        assert answer.passages, question_word
        best = answer.passages[0]
        assert best.text == passage
        marked = [best.text[start:end].lower() for start, end in best.highlights]
        assert word in marked


def test_without_the_spelling_setting_the_other_spelling_finds_nothing(tmp_path: Path) -> None:
    """With spelling=False, "colored" does not reach a passage written "coloured"."""
    engine = engine_for(write_corpus(tmp_path / "corpus", BRITISH), tmp_path, spelling=False)
    answer = engine.ask("which colored?")
    assert all("coloured" not in match.text for match in answer.passages)


@pytest.mark.parametrize(
    ("british", "american"),
    [
        ("coloured", "colored"),
        ("Organisation", "organization"),
        ("catalogues", "catalog"),
        ("catalogue's", "catalog's"),  # the general path: a possessive
        ("ｃｏｌｏｕｒ", "color"),  # the general path: full-width letters
        ("recognised", "recognizes"),
        ("colourings", "colorings"),  # a form the spelling table does not list
    ],
)
def test_both_spellings_give_the_same_term(british: str, american: str) -> None:
    """The analyzer gives a British spelling and its American form the same term."""
    analyzer = Analyzer()
    assert analyzer.terms(british) == analyzer.terms(american)
    assert len(analyzer.terms(british)) == 1


def test_the_spelling_setting_turns_folding_off() -> None:
    """With spelling=False, "colour" and "color" are different terms."""
    analyzer = Analyzer(AnalyzerSettings(spelling=False))
    assert analyzer.terms("colour") != analyzer.terms("color")


def test_nationality_words_still_fold_beside_spellings() -> None:
    """Demonyms and spellings share one table: "Iraqi" is still iraq, "colour" color."""
    analyzer = Analyzer()
    assert analyzer.terms("Iraqi colour") == analyzer.terms("Iraq color")


def test_an_index_built_by_the_previous_analyzer_is_rebuilt(tmp_path: Path) -> None:
    """An index made by analyzer version 2 is rebuilt on open, and then finds "colored"."""
    corpus = write_corpus(tmp_path / "corpus", BRITISH)
    old = AnalyzerSettings(version=ANALYZER_VERSION - 1, spelling=False)
    open_or_build(EngineConfig(corpus_dir=corpus, index_dir=tmp_path / "index", analyzer=old))
    config = EngineConfig(corpus_dir=corpus, index_dir=tmp_path / "index")
    index, report = open_or_build(config)
    assert report is not None
    assert index.manifest["analyzer"]["version"] == ANALYZER_VERSION == 3
    assert (
        "coloured"
        in Engine(config, EmbeddedRetriever(index)).ask("which colored?").passages[0].text
    )
