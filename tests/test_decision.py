"""The decision to answer: the shipped model, its threshold, and what users see of both."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import corpus_of
from conftest import run_footnote as run

from footnote.answering.decision import (
    ANSWERING,
    FEATURES,
    Choice,
    DecisionModel,
    Logistic,
    shipped_model,
)
from footnote.config import EngineConfig
from footnote.engine import Engine

QUESTION = "why was the embassy attacked?"
ELSEWHERE = "what is a good recipe for banana bread?"
# About the article's subject, but the article names no contractor: a doubtful answer.
DOUBTFUL = "What was the name of the American contractor killed in the rocket attack?"


def ask_json(
    seed_corpus: Path,
    tmp_path: Path,
    *options: str,
    env: dict | None = None,
    questions: tuple[str, ...] = (QUESTION, ELSEWHERE),
) -> list:
    """`footnote ask --json` on the seed corpus: one object per question."""
    result = run(
        "ask", "--json", "--corpus", str(seed_corpus), "--index", str(tmp_path / "ix"),
        *options, *questions, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_explain_prints_every_coefficient_and_the_threshold() -> None:
    """`footnote eval --explain` shows both models, feature by feature, and the threshold."""
    result = run("eval", "--explain")
    assert result.returncode == 0, result.stderr
    model = shipped_model()
    assert f"at least {model.threshold:.2f}" in result.stdout
    for name in ANSWERING:
        assert name in result.stdout
    line = next(x for x in result.stdout.splitlines() if x.strip().startswith("coverage"))
    assert f"{model.passage.coefficients['coverage']:+8.3f}" in line
    assert "share of the question's information" in line


def test_json_shows_the_confidence_of_the_answer_and_each_passage(
    seed_corpus: Path, tmp_path: Path
) -> None:
    """--json gives each answer's confidence, and a passage's where the model weighed it;
    the question the corpus answers is more confident than the one it does not."""
    answered, elsewhere = ask_json(seed_corpus, tmp_path)
    assert 0 <= elsewhere["confidence"] < answered["confidence"] <= 1
    assert answered["answered"] is True and elsewhere["answered"] is False
    first = answered["passages"][0]["confidence"]
    assert first is not None and 0 <= first <= 1


def test_the_threshold_moves_the_decision(seed_corpus: Path, tmp_path: Path) -> None:
    """--min-confidence 1 declines what the default answers; 0 answers even a doubtful
    question; the confidences themselves do not change."""
    both = (QUESTION, DOUBTFUL)
    default = ask_json(seed_corpus, tmp_path, questions=both)
    strict = ask_json(seed_corpus, tmp_path, "--min-confidence", "1", questions=both)
    lenient = ask_json(seed_corpus, tmp_path, "--min-confidence", "0", questions=both)
    assert default[0]["answered"] is True
    assert [a["answered"] for a in strict] == [False, False]
    assert [a["answered"] for a in lenient] == [True, True]
    assert [a["confidence"] for a in strict] == [a["confidence"] for a in default]


def test_no_threshold_answers_with_passages_that_share_no_word(
    seed_corpus: Path, tmp_path: Path
) -> None:
    """A question whose words no passage shown holds is declined even at confidence 0."""
    (elsewhere,) = ask_json(seed_corpus, tmp_path, "--min-confidence", "0", questions=(ELSEWHERE,))
    assert elsewhere["answered"] is False


def test_the_environment_sets_the_threshold(seed_corpus: Path, tmp_path: Path) -> None:
    """FOOTNOTE_ANSWER_THRESHOLD does what --min-confidence does; the option wins over it."""
    env = {**os.environ, "FOOTNOTE_ANSWER_THRESHOLD": "1"}
    questions = (QUESTION, DOUBTFUL)
    strict = ask_json(seed_corpus, tmp_path, env=env, questions=questions)
    assert [a["answered"] for a in strict] == [False, False]
    lenient = ask_json(seed_corpus, tmp_path, "--min-confidence", "0", env=env, questions=questions)
    assert [a["answered"] for a in lenient] == [True, True]


@pytest.mark.parametrize(
    ("option", "env", "named"),
    [
        (["--min-confidence", "2"], {}, "--min-confidence"),
        (["--min-confidence", "high"], {}, "--min-confidence"),
        ([], {"FOOTNOTE_ANSWER_THRESHOLD": "-0.1"}, "FOOTNOTE_ANSWER_THRESHOLD"),
    ],
)
def test_a_bad_threshold_is_one_clear_line(
    seed_corpus: Path, tmp_path: Path, option: list[str], env: dict, named: str
) -> None:
    """A threshold outside 0..1 exits 2 with one line naming the setting and an example."""
    result = run(
        "ask", "--corpus", str(seed_corpus), "--index", str(tmp_path / "ix"), *option, QUESTION,
        env={**os.environ, **env},
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert named in result.stderr and "from 0 to 1" in result.stderr


def test_the_passage_model_gives_each_passage_its_probability(tmp_path: Path) -> None:
    """Each passage shown carries the passage model's probability that it is the right one:
    with a model that only values holding the kind of answer asked for, the passage holding
    the number asked for is the likelier, wherever BM25 ranked it; the answering model's
    confidence is the answer's."""
    options = corpus_of(
        tmp_path,
        {
            "ferry.md": "# The island ferry\n\n"
            "The ferry to the island returns this spring, the council said, and the ferry "
            "will sail daily from the harbour.\n\n"
            "Fares will start at eighteen pounds for a return crossing.\n",
        },
    )
    model = DecisionModel(
        passage=Choice(dict.fromkeys(FEATURES, 0.0) | {"type_held": 5.0}),
        answering=Logistic(0.0, dict.fromkeys(ANSWERING, 0.0)),
        threshold=0.5,
        fitted_on="a test",
    )
    config = EngineConfig(corpus_dir=Path(options[1]), index_dir=Path(options[3]))
    engine, _ = Engine.open(config)
    answer = Engine(config, engine.retriever, model).ask("How much will the ferry fares cost?", 2)
    by_text = {m.text: m.confidence for m in answer.passages}
    fares = next(t for t in by_text if "eighteen pounds" in t)
    other = next(t for t in by_text if t != fares)
    assert by_text[fares] > 0.9 > by_text[other]
    assert answer.confidence == pytest.approx(0.5)  # every answering coefficient is zero
    assert answer.answered  # 0.5 reaches the model's threshold of 0.5


def test_heading_and_title_words_count_toward_the_answer(tmp_path: Path) -> None:
    """A question whose words are in the passage's section heading and its article's title,
    not its body, is answered by that passage."""
    options = corpus_of(
        tmp_path,
        {
            "keepers.md": "# The last lighthouse keepers of the north coast\n\n"
            "## What did the last keeper do next?\n\n"
            "He moved inland and ran the village post office for twenty years, writing "
            "letters to the coastguard about the lamp he once tended.\n\n"
            "## How the lamp was automated\n\n"
            "Engineers fitted an electric lamp and a fog signal driven by a timer, so no one "
            "had to climb the tower each evening.\n",
            "harbour.md": "# The harbour\n\nBoats leave the harbour at dawn and return at "
            "noon with the catch, which is sold on the quay.\n",
        },
    )
    config = EngineConfig(corpus_dir=Path(options[1]), index_dir=Path(options[3]))
    engine, _ = Engine.open(config)
    answer = engine.ask("What did the last lighthouse keeper do afterwards?")
    assert answer.answered, answer.reason
    assert answer.passages[0].citation.section == "What did the last keeper do next?"


def test_the_documented_threshold_is_the_shipped_one() -> None:
    """The README and .env.example name the threshold the shipped model uses."""
    root = Path(__file__).resolve().parent.parent
    threshold = f"{shipped_model().threshold:.2f}"
    readme = (root / "README.md").read_text(encoding="utf-8")
    example = (root / ".env.example").read_text(encoding="utf-8")
    assert f"the model's, {threshold}" in readme
    assert f"#FOOTNOTE_ANSWER_THRESHOLD={threshold}" in example
