"""Ranking quality on a test collection: readers, the product's document ranking, ir-measures.

A collection (documents, questions, graded relevance judgements) is written as a JSON Lines
corpus and indexed by the real build, so the passages, analyzer and BM25 are the product's;
each question is ranked by `rank_documents`, the engine's own ranking deepened to documents;
the run is scored by ir-measures (pytrec_eval), never by metric code of our own.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from footnote.answering.answer import RERANK_DEPTH
from footnote.config import EngineConfig
from footnote.engine import Engine
from footnote.errors import EvaluationError

DEFAULT_DEPTH = 100
# The measures reported, by the names printed; binary ones count grade >= 1 as relevant.
MEASURE_NAMES = ("nDCG@10", "MAP", "R@100", "P@10")
# Documents per file of the generated corpus (the build reads files in parallel).
DOCUMENTS_PER_FILE = 1000

Qrels = dict[str, dict[str, int]]
Run = dict[str, dict[str, float]]


@dataclass
class Collection:
    """A test collection: documents, questions by id, and graded judgements per question."""

    name: str
    documents: list[dict[str, str]]
    queries: dict[str, str]
    qrels: Qrels


@dataclass
class Evaluation:
    """The scores of one system on one collection, overall and per question."""

    collection: str
    system: str
    measures: dict[str, float]
    per_query: dict[str, dict[str, float]]
    questions: int
    documents: int
    indexed_documents: int | None = None
    passages: int | None = None
    depth: int = DEFAULT_DEPTH
    seconds: float = 0.0
    run: Run = field(default_factory=dict, repr=False)


# -- reading collections ------------------------------------------------------------------


def _read(path: Path, what: str) -> str:
    """A text file of a collection, with Windows line endings normalised."""
    if not path.is_file():
        raise EvaluationError(f"The {what} file {path} does not exist.")
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise EvaluationError(f"The {what} file {path} cannot be read ({exc.strerror}).") from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _number(text: str) -> str:
    """A numeric id without its leading zeros ("007" -> "7"); other ids unchanged."""
    return str(int(text)) if text.isdigit() else text


_FIELD = re.compile(r"^\.([A-Z])\b\s*(.*)$")


def cranfield_records(text: str) -> Iterator[tuple[str, dict[str, list[str]]]]:
    """(.I id, {field letter: lines}) for each record of a Cranfield-format file.

    Everything after `.W` up to the next `.I` is text: the text is the last field, and a
    stray field marker inside it (record 240 of cran.all.1400 has two) is dropped.
    """
    record_id: str | None = None
    fields: dict[str, list[str]] = {}
    current = ""
    for line in text.split("\n"):
        marker = _FIELD.match(line)
        if marker and marker.group(1) == "I":
            if record_id is not None:
                yield record_id, fields
            record_id, fields, current = marker.group(2).strip(), {}, ""
        elif marker and not marker.group(2) and current != "W":
            current = marker.group(1)
            fields.setdefault(current, [])
        elif marker and not marker.group(2):
            continue
        elif record_id is not None and current:
            fields[current].append(line)
    if record_id is not None:
        yield record_id, fields


def cranfield_text(lines: list[str]) -> str:
    """Hard-wrapped lines as paragraphs: an indented line starts one, blank lines between."""
    paragraphs: list[list[str]] = []
    for line in lines:
        if not line.strip():
            continue
        if not paragraphs or line[:1].isspace():
            paragraphs.append([])
        paragraphs[-1].append(line.strip())
    return "\n\n".join(" ".join(words) for words in paragraphs)


def read_cranfield(directory: Path) -> Collection:
    """The Cranfield collection: questions numbered by position, gain = 5 - code, -1 dropped."""
    directory = Path(directory)
    if not directory.is_dir():
        raise EvaluationError(
            f"The Cranfield folder {directory} does not exist; pass --cranfield DIR."
        )
    documents = [
        {
            "id": _number(record_id),
            "title": " ".join(" ".join(fields.get("T", [])).split()),
            "text": cranfield_text(fields.get("W", [])),
        }
        for record_id, fields in cranfield_records(_read(directory / "cran.all.1400", "documents"))
    ]
    # The judgements number the questions 1..225 by position; the .I ids skip numbers.
    queries = {
        str(position): " ".join(" ".join(fields.get("W", [])).split())
        for position, (_, fields) in enumerate(
            cranfield_records(_read(directory / "cran.qry", "questions")), start=1
        )
    }
    qrels = _cranfield_qrels(_read(directory / "cranqrel", "judgements"), len(queries))
    return _checked(Collection(f"Cranfield ({directory})", documents, queries, qrels))


def _cranfield_qrels(text: str, n_queries: int) -> Qrels:
    """Codes 1..4 as gains 4..1; -1 (not relevant) is dropped."""
    qrels: Qrels = {}
    for number, line in enumerate(text.split("\n"), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 3 or not _is_int(parts[0]) or not _is_int(parts[2]):
            raise EvaluationError(
                f"cranqrel line {number} is not 'question document code': {line.strip()!r}."
            )
        position, code = int(parts[0]), int(parts[2])
        if not 1 <= position <= n_queries:
            raise EvaluationError(
                f"cranqrel line {number} names question {position}, but cran.qry holds "
                f"{n_queries} questions."
            )
        if 1 <= code <= 4:
            qrels.setdefault(str(position), {})[_number(parts[1])] = 5 - code
    return qrels


def _is_int(text: str) -> bool:
    return re.fullmatch(r"[+-]?\d+", text) is not None


def json_lines(path: Path, what: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of each non-empty line of a JSON Lines file; EvaluationError
    names the first line that is not a JSON object."""
    for number, line in enumerate(_read(path, what).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise EvaluationError(f"{path}, line {number} is not valid JSON ({exc}).") from exc
        if not isinstance(record, dict):
            raise EvaluationError(f"{path}, line {number} is not a JSON object.")
        yield number, record


def _record_id(record: Mapping[str, Any], path: Path) -> str:
    value = record.get("_id", record.get("id"))
    if value in (None, ""):
        raise EvaluationError(f"A record of {path} has no '_id' (or 'id').")
    return str(value)


def read_corpus_jsonl(path: Path) -> list[dict[str, str]]:
    """Documents from JSON Lines: `_id` or `id`, optional `title`, and `text`."""
    return [
        {
            "id": _record_id(record, path),
            "title": str(record.get("title") or ""),
            "text": str(record.get("text") or ""),
        }
        for _, record in json_lines(path, "corpus")
    ]


def read_topics(path: Path) -> dict[str, str]:
    """Questions by id: TREC `<top>` topics (title), BEIR queries.jsonl, or `id<TAB>text`."""
    text = _read(Path(path), "topics")
    if "<top>" in text:
        return _trec_topics(text)
    if text.lstrip().startswith("{"):
        return {_record_id(r, path): str(r.get("text", "")) for _, r in json_lines(path, "topics")}
    topics = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        if "\t" not in line:
            raise EvaluationError(f"{path} line {number} is not 'id<TAB>question'.")
        qid, question = line.split("\t", 1)
        topics[qid.strip()] = question.strip()
    return topics


def _trec_topics(text: str) -> dict[str, str]:
    """The <num> and <title> of each TREC <top> block."""
    topics = {}
    for block in re.findall(r"<top>(.*?)</top>", text, flags=re.DOTALL):
        num = re.search(r"<num>\s*(?:Number:)?\s*(\S+)", block)
        title = re.search(r"<title>\s*(?:Topic:)?\s*(.*?)\s*(?=<|\Z)", block, flags=re.DOTALL)
        if num and title:
            topics[num.group(1)] = " ".join(title.group(1).split())
    return topics


def read_trec_qrels(path: Path) -> Qrels:
    """TREC qrels (`query iteration document grade`); negative grades are dropped."""
    qrels: Qrels = {}
    for number, line in enumerate(_read(Path(path), "qrels").split("\n"), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 4 or not _is_int(parts[3]):
            raise EvaluationError(
                f"{path} line {number} is not 'query iteration document grade': {line.strip()!r}."
            )
        if int(parts[3]) >= 0:
            qrels.setdefault(parts[0], {})[parts[2]] = int(parts[3])
    return qrels


def read_trec_run(path: Path) -> Run:
    """A TREC run (`query Q0 document rank score tag`) as scores per question."""
    run: Run = {}
    for number, line in enumerate(_read(Path(path), "run").split("\n"), start=1):
        parts = line.split()
        if not parts:
            continue
        try:
            score = float(parts[4])
        except (IndexError, ValueError):
            raise EvaluationError(
                f"{path} line {number} is not 'query Q0 document rank score tag'."
            ) from None
        run.setdefault(parts[0], {})[parts[2]] = score
    return run


def read_trec(qrels: Path, topics: Path, corpus: Path) -> Collection:
    """A collection from TREC qrels, a topics file and a JSON Lines corpus."""
    return _checked(
        Collection(
            f"TREC ({qrels})",
            read_corpus_jsonl(corpus),
            read_topics(topics),
            read_trec_qrels(qrels),
        )
    )


def read_beir(directory: Path, split: str = "test") -> Collection:
    """A BEIR dataset folder: corpus.jsonl, queries.jsonl and qrels/<split>.tsv."""
    directory = Path(directory)
    if not directory.is_dir():
        raise EvaluationError(f"The BEIR folder {directory} does not exist; pass --beir DIR.")
    qrels = _beir_qrels(directory / "qrels" / f"{split}.tsv")
    queries = read_topics(directory / "queries.jsonl")
    documents = read_corpus_jsonl(directory / "corpus.jsonl")
    return _checked(Collection(f"BEIR ({directory}, {split})", documents, queries, qrels))


def _beir_qrels(path: Path) -> Qrels:
    """BEIR qrels: a header line, then `query-id<TAB>corpus-id<TAB>score`."""
    qrels: Qrels = {}
    lines = _read(path, "qrels").split("\n")
    for number, line in enumerate(lines[1:], start=2):
        parts = line.split("\t")
        if not line.strip():
            continue
        if len(parts) != 3 or not _is_int(parts[2].strip()):
            raise EvaluationError(
                f"{path} line {number} is not 'query-id<TAB>corpus-id<TAB>score'."
            )
        if int(parts[2]) >= 0:
            qrels.setdefault(parts[0].strip(), {})[parts[1].strip()] = int(parts[2])
    return qrels


def _checked(collection: Collection) -> Collection:
    """The collection with only the judged questions that have a text; raises when none do."""
    if not collection.documents:
        raise EvaluationError(f"{collection.name} has no documents.")
    judged = {q: j for q, j in collection.qrels.items() if collection.queries.get(q, "").strip()}
    if not judged:
        raise EvaluationError(
            f"{collection.name} has no judged question with a text; check that the "
            "judgements and the questions use the same ids."
        )
    collection.qrels = judged
    collection.queries = {q: collection.queries[q] for q in judged}
    return collection


# -- ranking through the product ----------------------------------------------------------


def write_corpus(documents: Iterable[Mapping[str, str]], directory: Path) -> int:
    """Write documents with text as JSON Lines files of the corpus format; returns how many."""
    directory.mkdir(parents=True, exist_ok=True)
    written, batch = 0, []
    for document in documents:
        if not document["text"].strip():
            continue  # no text, no passage: the reader would skip it anyway
        batch.append({"id": document["id"], "title": document["title"], "text": document["text"]})
        written += 1
        if len(batch) == DOCUMENTS_PER_FILE:
            _write_batch(directory, written, batch)
            batch = []
    if batch:
        _write_batch(directory, written, batch)
    return written


def _write_batch(directory: Path, written: int, batch: list[dict[str, str]]) -> None:
    path = directory / f"documents-{(written - 1) // DOCUMENTS_PER_FILE:05d}.jsonl"
    lines = (json.dumps(record, ensure_ascii=False) + "\n" for record in batch)
    path.write_text("".join(lines), encoding="utf-8")


def build_engine(
    documents: Iterable[Mapping[str, str]], workdir: Path, config: EngineConfig | None = None
) -> Engine:
    """The documents indexed by the real build (reading, passages, analyzer, BM25), opened."""
    config = replace(
        config or EngineConfig(), corpus_dir=workdir / "corpus", index_dir=workdir / "index"
    )
    if write_corpus(documents, config.corpus_dir) == 0:
        raise EvaluationError("No document of the collection has any text.")
    engine, _ = Engine.open(config)
    return engine


def rank_documents(
    engine: Engine, question: str, depth: int = DEFAULT_DEPTH
) -> list[tuple[str, float]]:
    """The product's ranking as documents: (id, score of its best passage), best first.

    The passages are ranked by the pipeline Engine.ask answers with (with feedback when
    configured, and the answer-type re-ranking of the best RERANK_DEPTH), only deeper, until
    `depth` documents are found.
    """
    asked = engine.pipeline.read(question)
    wanted = max(depth * 4, RERANK_DEPTH)
    while True:
        hits = engine.pipeline.rank(engine.retriever, asked, wanted)
        best: dict[str, float] = {}
        for hit in hits:
            best.setdefault(hit.citation.doc_id, hit.score)
        if len(best) >= depth or len(hits) < wanted:
            return list(best.items())[:depth]
        wanted *= 4


def run_engine(engine: Engine, queries: Mapping[str, str], depth: int = DEFAULT_DEPTH) -> Run:
    """Every question's document ranking, as a run: {question id: {document id: score}}."""
    return {qid: dict(rank_documents(engine, text, depth)) for qid, text in queries.items()}


# -- scoring --------------------------------------------------------------------------------


def _measures() -> dict[str, Any]:
    """The ir-measures objects behind MEASURE_NAMES."""
    try:
        from ir_measures import AP, P, R, nDCG
    except ImportError as exc:
        raise EvaluationError(
            "Evaluation needs ir-measures; install it with: pip install ir-measures"
        ) from exc
    return {"nDCG@10": nDCG @ 10, "MAP": AP(rel=1), "R@100": R(rel=1) @ 100, "P@10": P(rel=1) @ 10}


def score_run(qrels: Qrels, run: Run) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """(mean of each measure, each judged question's measures), by ir-measures.

    A judged question missing from the run scores 0, as trec_eval -c counts it.
    """
    measures = _measures()  # first: it explains a missing ir-measures
    import ir_measures

    names = {str(m): name for name, m in measures.items()}
    run = {q: {d: float(s) for d, s in docs.items()} for q, docs in run.items()}
    aggregate = ir_measures.calc_aggregate(list(measures.values()), qrels, run)
    per_query: dict[str, dict[str, float]] = {q: {} for q in qrels}
    for metric in ir_measures.iter_calc(list(measures.values()), qrels, run):
        per_query.setdefault(metric.query_id, {})[names[str(metric.measure)]] = metric.value
    totals = {names[str(m)]: float(v) for m, v in aggregate.items()}
    ordered = {
        q: {n: scores[n] for n in MEASURE_NAMES if n in scores} for q, scores in per_query.items()
    }
    return {n: totals[n] for n in MEASURE_NAMES}, ordered


def evaluate(
    collection: Collection, config: EngineConfig | None = None, depth: int = DEFAULT_DEPTH
) -> Evaluation:
    """Index the collection with the product, rank every judged question, and score it."""
    if depth < 1:
        raise EvaluationError(f"The ranking depth must be at least 1, not {depth}.")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="footnote-eval-") as temporary:
        engine = build_engine(collection.documents, Path(temporary), config)
        try:
            run = run_engine(engine, collection.queries, depth)
            counts = engine.info().counts
        finally:
            engine.retriever.close()
    measures, per_query = score_run(collection.qrels, run)
    return Evaluation(
        collection=collection.name,
        system="footnote",
        measures=measures,
        per_query=per_query,
        questions=len(collection.qrels),
        documents=len(collection.documents),
        indexed_documents=counts.get("documents"),
        passages=counts.get("passages"),
        depth=depth,
        seconds=time.perf_counter() - started,
        run=run,
    )


def evaluate_run(qrels: Qrels, run: Run, name: str, system: str = "run") -> Evaluation:
    """Score a ready-made run (e.g. a TREC run file) against judgements."""
    measures, per_query = score_run(qrels, run)
    documents = len({d for docs in run.values() for d in docs})
    return Evaluation(name, system, measures, per_query, len(qrels), documents, run=run)
