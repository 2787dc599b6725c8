"""`footnote eval --questions`: a user's own questions scored on their own corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from footnote import cli
from footnote.errors import EvaluationError
from footnote.question_set import JudgedQuestion, is_right, normalised, read_questions

ARTICLES = {
    "cats": "Cats sleep sixteen hours a day, curled up in warm places.",
    "ships": "Container ships carry twenty thousand boxes across the ocean.",
    "tea": "Green tea is steeped in water at eighty degrees for two minutes.",
}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Three one-paragraph articles that no question can confuse."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / f"{name}.md").write_text(f"# {name.title()}\n\n{text}\n", encoding="utf-8")
    return folder


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
    assert "unanswerable answered  0.000  (0/1)" in lines
    horses = next(line for line in lines if line.startswith("horses"))
    assert " - " in horses and "no right passage in the best 10" in horses
    peru = next(line for line in lines if line.startswith("peru"))
    assert "declined, rightly" in peru

    status, out, _ = run_eval(capsys, *args, "--json", "--per-question")
    data = json.loads(out)
    assert data["counts"]["Hit@1"] == [2, 3] and data["measures"]["MRR@10"] == 0.6667
    assert [q["rank"] for q in data["per_question"]] == [1, 1, None, None]


def test_a_right_first_passage_that_is_declined_counts_as_a_good_answer_declined(
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


def test_answer_text_is_matched_as_a_reader_would() -> None:
    """Case, spacing, typographic quotes and compatibility forms do not stop a match."""
    question = JudgedQuestion("1", "q", answer='the "Quds  Force"')
    assert is_right(question, "They named The “Quds Force” last.", "doc")
    assert not is_right(question, "They named the Quds brigade.", "doc")
    assert normalised("ﬁre  Fighters") == "fire fighters"
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
    assert status == 2 and "--corpus and --index go with --questions" in err


def test_the_example_question_file_runs_on_the_default_corpus(
    seed_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/examples/questions.jsonl, which the README points at, scores the default corpus."""
    example = Path(__file__).resolve().parent.parent / "docs" / "examples" / "questions.jsonl"
    where = ("--corpus", str(seed_corpus), "--index", str(tmp_path / "i"))
    status, out, err = run_eval(capsys, "--questions", str(example), *where, "--json")
    assert status == 0, err
    data = json.loads(out)
    assert data["questions"] == len(read_questions(example)) and data["unanswerable"] >= 1
    assert data["measures"]["Hit@3"] is not None
