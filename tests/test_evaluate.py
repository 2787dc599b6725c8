"""footnote eval: collection readers, the product's document ranking, scores, the command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_footnote

from footnote.config import EngineConfig
from footnote.errors import EvaluationError
from footnote.evaluate import (
    MEASURE_NAMES,
    Collection,
    build_engine,
    evaluate,
    rank_documents,
    read_beir,
    read_cranfield,
    read_topics,
    read_trec,
    read_trec_qrels,
    read_trec_run,
    score_run,
)

ROOT = Path(__file__).resolve().parent.parent

# Four abstracts in the Cranfield layout: .W repeats the title, indented lines start
# paragraphs, and record 3 has a stray field marker inside its text (as record 240 does).
CRAN_DOCS = """.I 1
.T
heat conduction in composite slabs .
.A
smith,j.
.B
j. ae. scs. 1, 1950, 1.
.W
heat conduction in composite slabs .
  the heat conduction problem for composite slabs is solved exactly .
.I 2
.T
shock waves ahead of blunt bodies .
.A
jones,k.
.B
naca tn 1.
.W
shock waves ahead of blunt bodies .
  the detached shock wave ahead of a blunt body in hypersonic flow
is computed .
  the standoff distance grows with the nose radius .
.I 3
.T
propeller slipstream and wing lift .
.A
brown,l.
.B
naca tn 2.
.W
propeller slipstream and wing lift .
  the slipstream of a propeller raises the lift of the wing .
.A
the increase is measured in a wind tunnel .
.I 4
.T
buckling of thin cylindrical shells .
.A
green,m.
.B
naca tn 3.
.W
buckling of thin cylindrical shells .
  thin cylindrical shells buckle under axial compression .
"""
# Question ids skip numbers (001, 004, 009); the judgements count them 1, 2, 3.
CRAN_QUERIES = """.I 001
.W
what is known about heat conduction in composite
slabs .
.I 004
.W
how far ahead of blunt bodies do shock waves stand .
.I 009
.W
does a propeller slipstream raise wing lift .
"""
CRAN_QRELS = """1 1 1
2 2 2
2 4 -1
3 3 4
3 1 3
"""


def write_cranfield(folder: Path) -> Path:
    """A small Cranfield collection on disk, with Windows line endings like the real one."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (
        ("cran.all.1400", CRAN_DOCS),
        ("cran.qry", CRAN_QUERIES),
        ("cranqrel", CRAN_QRELS),
    ):
        (folder / name).write_bytes(text.replace("\n", "\r\n").encode())
    return folder


# -- readers --------------------------------------------------------------------------------


def test_cranfield_questions_are_numbered_by_position(tmp_path: Path) -> None:
    """Questions .I 001, 004, 009 become 1, 2, 3: the judgements number them by position."""
    collection = read_cranfield(write_cranfield(tmp_path / "cran"))
    assert list(collection.queries) == ["1", "2", "3"]
    assert collection.queries["2"] == "how far ahead of blunt bodies do shock waves stand ."
    assert collection.queries["1"].startswith("what is known about heat conduction in composite sl")


def test_cranfield_documents_come_from_w_with_t_as_title(tmp_path: Path) -> None:
    """A document's text is its .W as paragraphs (title repeat first), its title the .T."""
    documents = read_cranfield(write_cranfield(tmp_path / "cran")).documents
    assert [d["id"] for d in documents] == ["1", "2", "3", "4"]
    second = documents[1]
    assert second["title"] == "shock waves ahead of blunt bodies ."
    assert second["text"].split("\n\n") == [
        "shock waves ahead of blunt bodies .",
        "the detached shock wave ahead of a blunt body in hypersonic flow is computed .",
        "the standoff distance grows with the nose radius .",
    ]
    assert "\r" not in second["text"]
    # A stray marker inside the text is dropped; the text after it is kept.
    assert documents[2]["text"].endswith(
        "raises the lift of the wing . the increase is measured in a wind tunnel ."
    )


def test_cranfield_codes_become_gains_and_minus_one_is_dropped(tmp_path: Path) -> None:
    """Codes 1..4 become gains 4..1; code -1 (not relevant) leaves no judgement."""
    qrels = read_cranfield(write_cranfield(tmp_path / "cran")).qrels
    assert qrels == {"1": {"1": 4}, "2": {"2": 3}, "3": {"3": 1, "1": 2}}


def test_cranfield_judgement_of_a_missing_question_is_an_error(tmp_path: Path) -> None:
    """A judgement naming question 4 of a 3-question file is an error that says so."""
    folder = write_cranfield(tmp_path / "cran")
    (folder / "cranqrel").write_text("4 1 2\n")
    with pytest.raises(EvaluationError, match=r"names question 4, but cran\.qry holds 3"):
        read_cranfield(folder)


def test_cranfield_missing_file_is_an_error(tmp_path: Path) -> None:
    """A Cranfield folder without cranqrel is an error naming the file."""
    folder = write_cranfield(tmp_path / "cran")
    (folder / "cranqrel").unlink()
    with pytest.raises(EvaluationError, match="cranqrel does not exist"):
        read_cranfield(folder)


def write_beir(folder: Path) -> Path:
    """A small BEIR dataset folder: corpus, queries (one unjudged) and test qrels."""
    (folder / "qrels").mkdir(parents=True)
    docs = [
        {"_id": "d1", "title": "Slabs", "text": "Heat conduction in composite slabs is solved."},
        {"_id": "d2", "title": "Shocks", "text": "Shock waves stand ahead of blunt bodies."},
    ]
    queries = [
        {"_id": "q1", "text": "heat conduction in slabs"},
        {"_id": "q2", "text": "shock waves ahead of blunt bodies"},
        {"_id": "q3", "text": "a question of another split"},
    ]
    (folder / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    (folder / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in queries))
    (folder / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t2\nq2\td1\t0\n"
    )
    return folder


def test_beir_reader_keeps_judged_questions(tmp_path: Path) -> None:
    """BEIR: documents with _id/title/text, judged questions only, grades as given."""
    collection = read_beir(write_beir(tmp_path / "beir"))
    assert collection.documents[0] == {
        "id": "d1",
        "title": "Slabs",
        "text": "Heat conduction in composite slabs is solved.",
    }
    assert collection.queries == {
        "q1": "heat conduction in slabs",
        "q2": "shock waves ahead of blunt bodies",
    }
    assert collection.qrels == {"q1": {"d1": 1}, "q2": {"d2": 2, "d1": 0}}


def test_beir_malformed_corpus_line_is_an_error(tmp_path: Path) -> None:
    """A corpus line that is not JSON is an error naming the file and the line."""
    folder = write_beir(tmp_path / "beir")
    with (folder / "corpus.jsonl").open("a") as corpus:
        corpus.write("{not json\n")
    with pytest.raises(EvaluationError, match="line 3 is not valid JSON"):
        read_beir(folder)


def test_trec_qrels_topics_and_run(tmp_path: Path) -> None:
    """TREC qrels (negative grades dropped), <top> and tab-separated topics, and a run."""
    qrels = tmp_path / "qrels.txt"
    qrels.write_text("401 0 d1 2\n401 0 d2 0\n402 0 d3 -2\n402 0 d2 1\n")
    topics = tmp_path / "topics.txt"
    topics.write_text(
        "<top>\n<num> Number: 401\n<title> heat conduction\n\n<desc> Description:\n"
        "Find slabs.\n</top>\n<top>\n<num> Number: 402\n<title> shock waves\n</top>\n"
    )
    tsv = tmp_path / "topics.tsv"
    tsv.write_text("401\theat conduction\n402\tshock waves\n")
    run = tmp_path / "run.txt"
    run.write_text("401 Q0 d1 1 9.5 sys\n401 Q0 d2 2 3.0 sys\n")
    assert read_trec_qrels(qrels) == {"401": {"d1": 2, "d2": 0}, "402": {"d2": 1}}
    assert read_topics(topics) == {"401": "heat conduction", "402": "shock waves"}
    assert read_topics(tsv) == read_topics(topics)
    assert read_trec_run(run) == {"401": {"d1": 9.5, "d2": 3.0}}
    corpus = write_beir(tmp_path / "beir") / "corpus.jsonl"
    collection = read_trec(qrels, tsv, corpus)
    assert [d["id"] for d in collection.documents] == ["d1", "d2"]


def test_trec_qrels_with_three_columns_is_an_error(tmp_path: Path) -> None:
    """A qrels line without its iteration column is an error quoting the line."""
    qrels = tmp_path / "qrels.txt"
    qrels.write_text("401 d1 2\n")
    with pytest.raises(EvaluationError, match="line 1 is not 'query iteration document grade'"):
        read_trec_qrels(qrels)


# -- ranking and scores ---------------------------------------------------------------------


def known_collection() -> Collection:
    """Four documents and three questions, each answered by exactly one document."""
    documents = [
        {"id": "slabs", "title": "", "text": "Heat conduction in composite slabs is solved."},
        {"id": "shocks", "title": "", "text": "Shock waves stand ahead of blunt bodies."},
        {"id": "lift", "title": "", "text": "A propeller slipstream raises the wing lift."},
        {"id": "shells", "title": "", "text": "Thin cylindrical shells buckle under load."},
    ]
    queries = {
        "1": "heat conduction in composite slabs",
        "2": "shock waves ahead of blunt bodies",
        "3": "does a propeller slipstream raise lift",
    }
    qrels = {"1": {"slabs": 4}, "2": {"shocks": 3}, "3": {"lift": 2}}
    return Collection("known", documents, queries, qrels)


def test_known_answers_score_one_and_a_shuffled_run_lower() -> None:
    """Every right document ranked first gives 1.0; the same run reversed scores lower."""
    collection = known_collection()
    result = evaluate(collection)
    assert list(result.measures) == list(MEASURE_NAMES)
    assert result.measures["nDCG@10"] == pytest.approx(1.0)
    assert result.measures["MAP"] == pytest.approx(1.0)
    assert result.indexed_documents == 4 and result.questions == 3
    assert set(result.per_query) == {"1", "2", "3"}
    ids = [d["id"] for d in collection.documents]
    reversed_run = {q: {d: float(i) for i, d in enumerate(ids)} for q in collection.queries}
    measures, per_query = score_run(collection.qrels, reversed_run)
    assert measures["nDCG@10"] < 0.7 and measures["MAP"] < 1.0
    assert list(per_query["1"]) == list(MEASURE_NAMES)


def test_a_question_missing_from_the_run_scores_zero() -> None:
    """A judged question the run does not rank counts as 0, not as left out."""
    measures, per_query = score_run({"1": {"a": 1}, "2": {"b": 1}}, {"1": {"a": 1.0}})
    assert per_query["2"]["nDCG@10"] == 0.0
    assert measures["nDCG@10"] == pytest.approx(0.5)


def test_documents_rank_by_their_best_passage_as_ask_ranks_them(tmp_path: Path) -> None:
    """Documents come once each, in the order of Engine.ask's passages; depth is honoured."""
    long_text = " ".join(f"Sentence {i} is about wing lift and drag." for i in range(30))
    documents = [
        *known_collection().documents,
        {"id": "long", "title": "", "text": long_text},
    ]
    config = EngineConfig(token_budget=32)
    engine = build_engine(documents, tmp_path, config)
    assert len(engine.retriever) > len(documents)  # the long document became several passages
    ranked = rank_documents(engine, "wing lift", depth=10)
    ids = [doc for doc, _ in ranked]
    assert sorted(ids) == ["lift", "long"]  # each document once
    scores = [score for _, score in ranked]
    assert scores == sorted(scores, reverse=True)
    asked = engine.ask("wing lift", k=50).passages
    assert list(dict.fromkeys(m.citation.doc_id for m in asked)) == ids
    assert asked[0].score == pytest.approx(scores[0])
    assert rank_documents(engine, "wing lift", depth=1) == ranked[:1]
    engine.retriever.index.close()


# -- the command ----------------------------------------------------------------------------


def test_eval_json_has_the_measures_and_each_question(tmp_path: Path) -> None:
    """`footnote eval --cranfield DIR --json --per-question` prints one object of scores."""
    folder = write_cranfield(tmp_path / "cran")
    result = run_footnote("eval", "--cranfield", str(folder), "--json", "--per-question")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert list(data["measures"]) == list(MEASURE_NAMES)
    assert all(0.0 <= v <= 1.0 for v in data["measures"].values())
    assert data["questions"] == 3 and data["documents"] == 4 and data["depth"] == 100
    assert [q["id"] for q in data["per_question"]] == ["1", "2", "3"]
    assert data["per_question"][1]["question"].startswith("how far ahead of blunt bodies")
    assert set(data["per_question"][0]) == {"id", "question", *MEASURE_NAMES}


def test_eval_table_and_trec_run_scoring(tmp_path: Path) -> None:
    """A TREC run is scored as it is; the table names each measure and each question."""
    qrels = tmp_path / "qrels.txt"
    qrels.write_text("1 0 a 1\n2 0 b 1\n")
    run = tmp_path / "run.txt"
    run.write_text("1 Q0 a 1 2.0 x\n1 Q0 c 2 1.0 x\n2 Q0 c 1 2.0 x\n")
    result = run_footnote("eval", "--trec-qrels", str(qrels), "--run", str(run), "--per-question")
    assert result.returncode == 0, result.stderr
    table = result.stdout.splitlines()
    assert "nDCG@10   0.500" in table and "P@10      0.050" in table
    assert any(line.startswith("2 ") and "0.000" in line for line in table)


def test_eval_missing_folder_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """A missing collection folder is one line on stderr and exit status 2."""
    result = run_footnote("eval", "--cranfield", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "nowhere does not exist" in result.stderr


def test_eval_has_help() -> None:
    """`footnote eval --help` exits 0 and describes every option."""
    result = run_footnote("eval", "--help")
    assert result.returncode == 0
    for option in ("--cranfield", "--beir", "--trec-qrels", "--per-question", "--json"):
        assert option in result.stdout


def test_real_cranfield_stays_above_the_floor(shared: Path) -> None:
    """On the real Cranfield collection footnote's nDCG@10 is at least 0.30 (regression floor)."""
    folder = shared / "datasets" / "cranfield"
    if not folder.is_dir():
        pytest.skip(f"{folder} is missing (the Cranfield test collection)")
    result = evaluate(read_cranfield(folder))
    assert result.questions == 225 and result.documents == 1400
    assert result.measures["nDCG@10"] >= 0.30, result.measures
