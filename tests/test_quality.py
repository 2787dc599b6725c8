"""Answer quality on the seed article: regression floors and what must never be shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from footnote.config import EngineConfig
from footnote.engine import Engine

DATA = Path(__file__).resolve().parent / "data"

# Floors at the figures measured when they were set (benchmarks/seed_questions.py); a change
# that lowers one is a regression. The declines are those of the decision model fitted on
# five question sets; the hand rules it replaced, fitted to these two sets, declined more
# of their unanswerable questions (0.9 and 0.75): docs/quality.md, "Abstention".
FLOORS = {
    "seed_questions.json": {"hit1": 0.93, "hit3": 0.96, "declined": 0.60, "good_declined": 0.05},
    "seed_paraphrases.json": {"hit1": 0.76, "hit3": 0.89, "declined": 0.60, "good_declined": 0.20},
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The engine over the project's default corpus, indexed in a temporary folder."""
    root = Path(__file__).resolve().parent.parent
    config = EngineConfig(corpus_dir=root / "corpus", index_dir=tmp_path_factory.mktemp("ix"))
    return Engine.open(config)[0]


def holds(texts: list[str], answers: list[str]) -> bool:
    """Whether one of the texts quotes one of the answers."""
    return any(a in t for t in texts for a in answers)


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_question_set_stays_above_its_floor(engine: Engine, name: str) -> None:
    """Hit@1, Hit@3 and declines stay at their floors; good answers are rarely declined."""
    questions = json.loads((DATA / name).read_text(encoding="utf-8"))
    answers = [engine.ask(q["question"], k=3) for q in questions["answerable"]]
    good = [
        a
        for a, q in zip(answers, questions["answerable"], strict=True)
        if holds([a.passages[0].text] if a.passages else [], q["answers"])
    ]
    hit1 = len(good)
    hit3 = sum(
        holds([m.text for m in a.passages], q["answers"])
        for a, q in zip(answers, questions["answerable"], strict=True)
    )
    declined = sum(not engine.ask(q).answered for q in questions["unanswerable"])
    n = len(questions["answerable"])
    floors = FLOORS[name]
    assert hit1 / n >= floors["hit1"]
    assert hit3 / n >= floors["hit3"]
    assert declined / len(questions["unanswerable"]) >= floors["declined"]
    assert sum(not a.answered for a in good) / len(good) <= floors["good_declined"]


def test_never_a_heading_or_a_cookie_notice(engine: Engine) -> None:
    """No question, however phrased, gets a heading or the cookie banner as a passage."""
    headings = {
        "What happened on Tuesday?",
        "Why was the embassy attacked?",
        "Why did the US target Kataib Hezbollah?",
        "Strictly Necessary Cookies",
    }
    probes = [
        "cookie policy",
        "accept cookies consent",
        "privacy policy",
        "strictly necessary",
        "what happened on Tuesday?",
        "why was the embassy attacked?",
        "website preferences",
    ]
    questions = json.loads((DATA / "seed_questions.json").read_text(encoding="utf-8"))
    for question in probes + [q["question"] for q in questions["answerable"]]:
        for match in engine.ask(question, k=5).passages:
            assert match.text not in headings
            assert "cookie" not in match.text.lower()


def test_question_sets_are_well_formed() -> None:
    """Every answer quote stands in the default corpus exactly once."""
    corpus = (
        Path(__file__).resolve().parent.parent / "corpus" / "us-embassy-baghdad.txt"
    ).read_text()
    for name in FLOORS:
        questions = json.loads((DATA / name).read_text(encoding="utf-8"))
        assert len(questions["answerable"]) >= 25 and len(questions["unanswerable"]) >= 6
        for item in questions["answerable"]:
            for quote in item["answers"]:
                assert corpus.count(quote) == 1, quote
