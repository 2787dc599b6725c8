"""Question words no passage holds searched through their WordNet relatives, and synonyms or
other forms of the word standing for it when a passage is weighed as an answer."""

from __future__ import annotations

import gzip
import math
from dataclasses import replace
from pathlib import Path

import pytest

from footnote.analysis.analyzer import AnalyzerSettings
from footnote.analysis.related import (
    MIN_IDF_RATIO,
    PHRASAL_TABLE,
    TABLE,
    absent_phrasal,
    held_through_phrasal,
    load_phrasal,
    load_table,
    max_doc_freq,
    parse,
    relatives,
)
from footnote.config import EngineConfig
from footnote.engine import Engine

# Filler about the town, so that the words of the paragraphs below are rare enough for their
# relatives to be searched (a relative must be rarer than half a word no passage holds).
FILLER = [
    "The council met at the town hall on Monday to discuss the budget.",
    "A new library opened near the station, with a reading room for children.",
    "The mayor thanked the volunteers who cleaned the river banks in spring.",
    "Bus routes were changed after the bridge was closed for repairs.",
    "The school board approved plans for a larger sports ground.",
    "Local farmers sold apples and honey at the weekend fair.",
    "A choir from the next valley sang in the chapel on Sunday.",
    "The museum showed old maps of the harbour and its lighthouse.",
    "Council workers painted the benches along the main road.",
    "The town's football club won its first match of the season.",
]
PARAGRAPHS = [
    *FILLER,
    "Later that night the crowd set an old shed behind the market on fire.",
    "A storm struck the market and tore the roof off the fish stalls.",
    "Traders said the market would reopen after the holiday.",
]


def engine(tmp_path: Path, related: bool = True) -> Engine:
    """An engine over a one-article corpus of the paragraphs above, one section each (so no
    two paragraphs are shown as one answer), with or without related words."""
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    text = "# Town\n\n" + "".join(f"## Part {i}\n\n{p}\n\n" for i, p in enumerate(PARAGRAPHS))
    (corpus / "town.md").write_text(text, encoding="utf-8")
    config = EngineConfig(corpus_dir=corpus, index_dir=tmp_path / "index", related=related)
    return Engine.open(config)[0]


def without_related(with_related: Engine) -> Engine:
    return Engine(replace(with_related.config, related=False), with_related.retriever)


def test_an_absent_word_finds_the_passage_using_a_relative(tmp_path: Path) -> None:
    """'burn' is in no passage; its relative 'fire' ranks the passage using it first."""
    with_related = engine(tmp_path)
    question = "What did they burn at the market?"
    assert "on fire" in with_related.ask(question).passages[0].text
    assert "on fire" not in without_related(with_related).ask(question).passages[0].text


def test_a_synonym_stands_for_the_absent_word_in_the_answer_rule(tmp_path: Path) -> None:
    """'fire' is a synonym of 'burn' ("destroy by fire"): the passage holding it and the
    question's other word answers, though 'market' alone is too little of the question."""
    answer = engine(tmp_path).ask("What did they burn at the market?")
    assert "on fire" in answer.passages[0].text
    assert answer.answered
    assert answer.passages[0].coverage == pytest.approx(1.0)
    start, end = answer.passages[0].highlights[-1]
    assert answer.passages[0].text[start:end] == "fire"


def test_another_form_of_the_word_stands_for_it(tmp_path: Path) -> None:
    """'strike' and 'struck' share no stem; WordNet's exception lists join them."""
    with_related = engine(tmp_path)
    answer = with_related.ask("What did it strike at the market?")
    assert "storm struck" in answer.passages[0].text
    assert answer.answered
    assert not without_related(with_related).ask("What did it strike at the market?").answered


def test_a_broader_word_ranks_but_does_not_answer(tmp_path: Path) -> None:
    """'crowd' is what a 'mob' is a kind of: it finds the passage, but a passage that says
    less than the question asked is not shown as an answer."""
    answer = engine(tmp_path).ask("What did the mob do at the market?")
    assert "crowd" in answer.passages[0].text
    assert not answer.answered


def test_a_relative_alone_does_not_answer(tmp_path: Path) -> None:
    """A passage holding none of the question's own words is not answered through a synonym."""
    answer = engine(tmp_path).ask("Did they burn it?")
    assert "on fire" in answer.passages[0].text
    assert not answer.answered


def test_only_words_the_corpus_lacks_are_expanded() -> None:
    """A question word the corpus holds says what it means: no relatives are searched."""
    table = {"burn": "fire:0.300 glow:0.100 ember:0.020", "fire": "burn:0.500"}
    doc_freq = {"fire": 2, "glow": 1, "ember": 1}.get
    found = relatives(["burn", "fire"], table, lambda t: doc_freq(t) or 0).weights
    # fire is asked already and ember's share is too small: glow takes all of burn's weight.
    assert found == {"glow": 1.0}
    assert relatives(["burn"], table, lambda t: doc_freq(t) or 0, frozenset({"burn"})).weights == {}


def test_the_weight_of_an_absent_word_is_shared_by_its_relatives() -> None:
    """The relatives the corpus holds share the absent word's weight by their sense share."""
    table = {"burn": "fire:0.300 glow:0.100"}
    found = relatives(["burn"], table, lambda t: 1 if t in {"fire", "glow"} else 0).weights
    assert found == pytest.approx({"fire": 0.75, "glow": 0.25})


def test_a_relative_common_in_the_corpus_is_not_searched() -> None:
    """A relative in many passages is weak evidence for a word no passage holds (and would
    outweigh the question's own words); another form of the same word is always searched."""
    table = {"pull": "forc:0.596:0.413 draw:0.688", "struck": "strike=0.999"}
    doc_freq = {"forc": 7, "draw": 1, "strike": 7}
    found = relatives(
        ["pull", "struck"], table, lambda t: doc_freq.get(t, 0), n_passages=22
    ).weights
    assert found == {"draw": 1.0, "strike": 1.0}
    assert "forc" in relatives(["pull"], table, lambda t: doc_freq.get(t, 0)).weights


def test_the_most_passages_a_relative_may_be_in() -> None:
    """At the bound, a relative's idf is MIN_IDF_RATIO of that of a word no passage holds."""

    def idf(df: float, n: int) -> float:
        return math.log1p((n - df + 0.5) / (df + 0.5))

    for n in (22, 1400, 1_000_000):
        assert idf(max_doc_freq(n), n) == pytest.approx(MIN_IDF_RATIO * idf(0, n))
    assert max_doc_freq(0) == math.inf


def test_only_synonyms_and_forms_stand_in() -> None:
    """Hypernyms and derived words rank passages; synonyms and other forms also stand in."""
    table = {"mob": "crowd:0.903 rabbl:0.895:0.895", "struck": "strike=0.999"}
    held = {"crowd", "rabbl", "strike"}
    found = relatives(["mob", "struck"], table, lambda t: 1 if t in held else 0).stand_ins
    assert found == {"mob": frozenset({"rabbl"}), "struck": frozenset({"strike"})}
    assert list(parse("strike=0.999 fire:0.239:0.221 ruin:0.221")) == [
        ("strike", 0.999, 0.999, True),
        ("fire", 0.239, 0.221, False),
        ("ruin", 0.221, 0.0, False),
    ]


def test_the_shipped_table_matches_the_default_analyzer() -> None:
    """The table is keyed by the default analyzer's terms (else: python tools/related_table.py)."""
    table = load_table(TABLE, AnalyzerSettings().fingerprint())
    assert ("fire", 0.239, 0.221, False) in list(parse(table["burn"]))
    assert ("strike", 0.999, 0.999, True) in list(parse(table["struck"]))
    with gzip.open(TABLE, "rt", encoding="utf-8") as lines:
        header = lines.read(3000)
    assert "Princeton University" in header  # WordNet's license travels with its data
    assert load_table(TABLE, "another analyzer") == {}


STORM = [
    *FILLER,
    "The storm hit the harbour on Friday: the storm flooded the quay and the storm cut power.",
    "By morning the storm had died down, and the boats went out again.",
]


def storm_engine(tmp_path: Path) -> Engine:
    """An engine over the filler and two paragraphs about a storm, one section each."""
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    text = "# Harbour\n\n" + "".join(f"## Part {i}\n\n{p}\n\n" for i, p in enumerate(STORM))
    (corpus / "harbour.md").write_text(text, encoding="utf-8")
    return Engine.open(EngineConfig(corpus_dir=corpus, index_dir=tmp_path / "index"))[0]


def test_a_phrasal_verb_of_the_same_particle_and_class_stands_for_an_absent_one(
    tmp_path: Path,
) -> None:
    """No passage says "calm"; "died down" is a phrasal verb of the same particle and WordNet
    class (verb.change) as "calm down": its passage ranks first and answers."""
    with_related = storm_engine(tmp_path)
    question = "When did the storm calm down?"
    answer = with_related.ask(question)
    assert "died down" in answer.passages[0].text
    assert answer.answered
    assert answer.passages[0].coverage == pytest.approx(1.0)
    plain = without_related(with_related).ask(question)
    assert "died down" not in plain.passages[0].text
    assert not plain.answered


PHRASAL = {
    ("calm", "down"): frozenset({"verb.change", "verb.emotion"}),
    ("die", "down"): frozenset({"verb.change"}),
    ("die", "out"): frozenset({"verb.change"}),
    ("shut", "down"): frozenset({"verb.social"}),
}


def terms_of(text: str) -> list[str]:
    return {"calm": ["calm"], "died": ["die"], "shut": ["shut"]}.get(text.lower(), [text])


def test_only_a_phrasal_verb_whose_verb_no_passage_holds_is_looked_for() -> None:
    question = "When did the storm calm down?"
    found = absent_phrasal(question, terms_of, PHRASAL, lambda t: 0)
    assert found == {"calm": ("down", PHRASAL[("calm", "down")])}
    assert absent_phrasal(question, terms_of, PHRASAL, lambda t: 1) == {}
    assert absent_phrasal(question, terms_of, PHRASAL, lambda t: 0, frozenset({"calm"})) == {}
    assert absent_phrasal("Did the storm calm the sea?", terms_of, PHRASAL, lambda t: 0) == {}


@pytest.mark.parametrize(
    ("text", "held"),
    [
        ("the storm died down by morning", {"calm"}),
        ("the storm died out by morning", set()),  # another particle
        ("they shut down the port", set()),  # no WordNet class in common
        ("the storm died. Down the road, boats", set()),  # not one phrasal verb
    ],
)
def test_a_passage_holds_an_absent_verb_through_a_phrasal_verb_of_its_kind(
    text: str, held: set[str]
) -> None:
    absent = {"calm": ("down", PHRASAL[("calm", "down")])}
    assert held_through_phrasal(text, terms_of, PHRASAL, absent) == held


def test_the_shipped_phrasal_table_matches_the_default_analyzer() -> None:
    """Phrasal verbs by the default analyzer's terms, with adverb particles only (else:
    python tools/related_table.py)."""
    table = load_phrasal(PHRASAL_TABLE, AnalyzerSettings().fingerprint())
    assert "verb.change" in table[("calm", "down")] & table[("die", "down")]
    assert table[("broke", "down")] == table[("break", "down")]  # an irregular form
    assert ("go", "into") not in table  # a preposition, not a particle
    with gzip.open(PHRASAL_TABLE, "rt", encoding="utf-8") as lines:
        assert "Princeton University" in lines.read(3000)
    assert load_phrasal(PHRASAL_TABLE, "another analyzer") == {}
