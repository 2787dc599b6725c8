"""`footnote eval --questions`: a user's own questions scored on their own corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import write_articles

from footnote import cli
from footnote.config import EngineConfig
from footnote.engine import Engine
from footnote.errors import EvaluationError
from footnote.question_set import (
    JudgedQuestion,
    QuestionResult,
    QuestionScores,
    is_right,
    normalised,
    read_questions,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "questions.jsonl"

ARTICLES = {
    "cats": "Cats sleep sixteen hours a day, curled up in warm places.",
    "ships": "Container ships carry twenty thousand boxes across the ocean.",
    "tea": "Green tea is steeped in water at eighty degrees for two minutes.",
}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Three one-paragraph articles that no question can confuse."""
    return write_articles(tmp_path / "corpus", ARTICLES)


def write_questions(path: Path, *records: dict) -> Path:
    """A JSON Lines question file."""
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def run_eval(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`footnote eval` through the real command line: status, stdout, stderr."""
    status = cli.main(["eval", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_the_measures_count_what_the_engine_ranked_and_decided(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two right first answers of three, an answer no passage holds, a declined unanswerable."""
    questions = write_questions(
        tmp_path / "q.jsonl",
        {
            "id": "ships",
            "question": "How many boxes do container ships carry?",
            "answer": "twenty thousand boxes",
        },
        {"id": "tea", "question": "green tea steeped water temperature", "document": "tea"},
        {"id": "horses", "question": "How many horses pull the cart?", "answer": "forty horses"},
        {"id": "peru", "question": "What is the capital of Peru?", "unanswerable": True},
    )
    index = tmp_path / "index"
    args = ("--questions", str(questions), "--corpus", str(corpus), "--index", str(index))
    status, out, err = run_eval(capsys, *args, "--per-question")
    assert status == 0, err
    lines = out.splitlines()
    assert "4 question(s), 3 answerable, 1 unanswerable" in lines[0]
    assert "Hit@1                  0.667  (2/3)" in lines
    assert "Hit@3                  0.667  (2/3)" in lines
    assert "MRR@10                 0.667" in lines
    assert "good answers declined  0.000  (0/2)" in lines
    assert "unanswerable answered  0.000  (0/1)" in lines
    ships = next(line for line in lines if line.startswith("ships"))
    assert ships.split()[1:3] == ["1", "yes"] and "right first" in ships
    horses = next(line for line in lines if line.startswith("horses"))
    assert horses.split()[1] == "-" and "missed: no right passage in the best 10" in horses
    peru = next(line for line in lines if line.startswith("peru"))
    assert "declined, rightly" in peru

    status, out, _ = run_eval(capsys, *args, "--json", "--per-question")
    data = json.loads(out)
    assert data["counts"]["Hit@1"] == [2, 3] and data["measures"]["MRR@10"] == 0.6667
    assert (data["questions"], data["answerable"], data["unanswerable"]) == (4, 3, 1)
    assert [q["rank"] for q in data["per_question"]] == [1, 1, None, None]
    assert [q["answered"] for q in data["per_question"]] == [True, True, False, False]


def test_a_right_passage_that_is_declined_counts_as_a_good_answer_declined(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A question sharing one weak word with its right passage ranks it first but is declined."""
    questions = write_questions(
        tmp_path / "q.jsonl",
        {"question": "Why do cats purr loudly at strangers at night?", "document": "cats"},
    )
    args = ("--questions", str(questions), "--corpus", str(corpus), "--index", str(tmp_path / "i"))
    status, out, _ = run_eval(capsys, *args, "--json", "--per-question")
    data = json.loads(out)
    assert status == 0 and data["per_question"][0]["rank"] == 1
    assert data["per_question"][0]["answered"] is False
    assert data["counts"]["good answers declined"] == [1, 1]
    assert data["per_question"][0]["verdict"] == "good answer declined (right at 1)"


def result(rank: int | None, answered: bool, unanswerable: bool = False) -> QuestionResult:
    """A scored question with this rank and decision."""
    marked = {"unanswerable": True} if unanswerable else {"answer": "x"}
    return QuestionResult(JudgedQuestion(str(rank), "q", **marked), rank, answered)


def test_the_measures_follow_their_definitions() -> None:
    """Hit@k and MRR@10 over the answerable; declines count only with a right passage in 3."""
    scores = QuestionScores("q.jsonl", "corpus")
    scores.results = [
        result(1, True),
        result(2, False),  # a good answer declined: its right passage would have shown
        result(3, True),
        result(5, False),  # declined, but no right passage among the three it would show
        result(None, True),
        result(None, False, unanswerable=True),
        result(None, True, unanswerable=True),
    ]
    assert scores.counts() == {
        "Hit@1": (1, 5),
        "Hit@3": (3, 5),
        "good answers declined": (1, 3),
        "unanswerable answered": (1, 2),
    }
    measures = scores.measures()
    assert measures["MRR@10"] == pytest.approx((1 + 1 / 2 + 1 / 3 + 1 / 5 + 0) / 5)
    assert measures["Hit@3"] == pytest.approx(3 / 5)
    assert measures["good answers declined"] == pytest.approx(1 / 3)
    verdicts = [r.verdict for r in scores.results]
    assert verdicts == [
        "right first",
        "good answer declined (right at 2)",
        "right at 3",
        "right at 5",
        "missed: no right passage in the best 10",
        "declined, rightly",
        "answered, though unanswerable",
    ]


def test_a_file_of_only_unanswerable_questions_has_no_hit_rates() -> None:
    """With nothing answerable, Hit@1, Hit@3 and MRR@10 are None, not a made-up zero."""
    scores = QuestionScores("q.jsonl", "corpus")
    scores.results = [result(None, False, unanswerable=True)]
    measures = scores.measures()
    assert measures["Hit@1"] is None and measures["MRR@10"] is None
    assert measures["unanswerable answered"] == 0.0


def test_answer_text_is_matched_as_a_reader_would() -> None:
    """Case, spacing, typographic quotes and compatibility forms do not stop a match."""
    question = JudgedQuestion("1", "q", answer='the "Quds  Force"')
    assert is_right(question, "They named The “Quds Force” last.", "doc")
    assert not is_right(question, "They named the Quds brigade.", "doc")
    assert normalised("ﬁre  Fighters") == "fire fighters"
    assert normalised("Café\u00a0«Tehran» – Iran\u00ad’s\u200b") == 'cafe "tehran" - iran\'s'
    accents = JudgedQuestion("3", "q", answer="Tehran’s cafe - 2019")
    assert is_right(accents, "at the Téhran's Café — 2019, then", "doc")
    both = JudgedQuestion("2", "q", answer="quds force", document="a")
    assert is_right(both, "the Quds Force", "a") and not is_right(both, "the Quds Force", "b")


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("not json", "line 1 is not valid JSON"),
        ('["a list"]', "line 1 is not a JSON object"),
        ('{"answer": "x"}', 'line 1 has no "question" text'),
        ('{"question": "why?"}', 'add "answer"'),
        ('{"question": "why?", "answer": "", "unanswerable": false}', "must be a non-empty"),
        ('{"question": "why?", "answer": "x", "unanswerable": true}', "also names a right"),
    ],
)
def test_a_bad_line_is_named_with_its_number(tmp_path: Path, line: str, says: str) -> None:
    """Each malformed line is one sentence naming the file and the line."""
    path = tmp_path / "q.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(EvaluationError, match=says) as error:
        read_questions(path)
    assert str(path) in str(error.value)


def test_bad_files_and_unknown_documents_are_one_line_and_exit_2(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing or empty file, a repeated id and a document not indexed each exit 2."""
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    twice = write_questions(
        tmp_path / "twice.jsonl",
        {"id": "a", "question": "x?", "unanswerable": True},
        {"id": "a", "question": "y?", "unanswerable": True},
    )
    unknown = write_questions(tmp_path / "u.jsonl", {"question": "tea?", "document": "coffee"})
    where = ("--corpus", str(corpus), "--index", str(tmp_path / "i"))
    assert cli.main(["index", *where]) == 0  # built now, so its summary is not in the way
    capsys.readouterr()
    for path, says in [
        (tmp_path / "missing.jsonl", "does not exist"),
        (empty, "holds no question"),
        (twice, "uses the id 'a' twice"),
        (unknown, "'coffee', which the index"),
    ]:
        status, out, err = run_eval(capsys, "--questions", str(path), *where)
        assert status == 2 and out == "" and says in err
        assert len(err.strip().splitlines()) == 1


def test_the_collection_options_refuse_a_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    """--corpus belongs to --questions; with a test collection it is a one-line error."""
    status, _, err = run_eval(capsys, "--cranfield", "x", "--corpus", "y")
    assert status == 2 and "--corpus, --index and --rebuild go with --questions" in err


@pytest.mark.parametrize(
    "option", [("--depth", "5"), ("--run", "r.txt"), ("--topics", "t.txt"), ("--split", "dev")]
)
def test_questions_refuse_the_options_of_a_test_collection(
    tmp_path: Path, option: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """--questions with --depth, --run, --topics or --split is one line, not a silent ignore."""
    questions = write_questions(tmp_path / "q.jsonl", {"question": "x?", "unanswerable": True})
    status, out, err = run_eval(capsys, "--questions", str(questions), *option)
    assert status == 2 and out == ""
    assert err.strip() == (
        f"footnote: {option[0]} goes with a test collection, not --questions FILE "
        "(which ranks the best 10 passages of your corpus)."
    )


def test_rebuild_lets_questions_replace_another_corpus_index(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An index of another corpus is refused with a pointer to --rebuild, which eval accepts."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "bees.md").write_text("# Bees\n\nBees dance to show the way.\n", encoding="utf-8")
    index = str(tmp_path / "index")
    assert cli.main(["index", "--corpus", str(other), "--index", index]) == 0
    questions = write_questions(
        tmp_path / "q.jsonl", {"question": "How long do cats sleep?", "document": "cats"}
    )
    args = ("--questions", str(questions), "--corpus", str(corpus), "--index", index, "--json")
    capsys.readouterr()
    status, _, err = run_eval(capsys, *args)
    assert status == 2 and "--rebuild" in err
    status, out, err = run_eval(capsys, *args, "--rebuild")
    assert status == 0, err
    assert json.loads(out)["counts"]["Hit@1"] == [1, 1]


def test_the_example_question_file_holds_of_the_default_corpus(
    seed_corpus: Path, tmp_path: Path
) -> None:
    """Each answer in docs/examples/questions.jsonl is in a passage of its document."""
    engine, _ = Engine.open(EngineConfig(corpus_dir=seed_corpus, index_dir=tmp_path / "i"))
    passages = engine.retriever.index.rows(list(range(len(engine.retriever))))
    for question in read_questions(EXAMPLE):
        if not question.unanswerable:
            assert any(is_right(question, p.text, p.doc_id) for p in passages), question.id


def test_the_example_question_file_runs_on_the_default_corpus(
    seed_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`footnote eval --questions docs/examples/questions.jsonl` reports every measure."""
    examples = read_questions(EXAMPLE)
    answerable = sum(not q.unanswerable for q in examples)
    where = ("--corpus", str(seed_corpus), "--index", str(tmp_path / "i"))
    status, out, err = run_eval(capsys, "--questions", str(EXAMPLE), *where, "--per-question")
    assert status == 0, err
    lines = out.splitlines()
    unanswerable = len(examples) - answerable
    counted = f"{len(examples)} question(s), {answerable} answerable, {unanswerable} unanswerable"
    assert counted in lines[0]
    for name in ("Hit@1", "Hit@3", "MRR@10", "good answers declined", "unanswerable answered"):
        assert any(line.startswith(name + " ") for line in lines), name
    ids = {q.id for q in examples}
    rows = {line.split()[0]: line for line in lines if line.split() and line.split()[0] in ids}
    assert set(rows) == ids
    # Every answer is a distinctive sentence of a 22-passage article: all rank in the best 10.
    assert all(rows[q.id].split()[1] != "-" for q in examples if not q.unanswerable)
