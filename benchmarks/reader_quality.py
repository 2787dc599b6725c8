"""How well the reader serves public corpora we did not write: one table, before and after.

For each corpus in the cache (`python benchmarks/corpora.py` fills it) with a question file
in `benchmarks/questions/NAME.jsonl`, this builds a scratch index, counts what the reader
made of the files (documents, passages, files skipped or never read, paragraphs dropped,
passages still showing markup: `markup_leaks.py`), scores the questions with
`footnote eval --questions ... --json` and, for each question not answered by its first
passage, says whether a right passage exists in the index at all and what came first.

    python benchmarks/reader_quality.py [--only NAME ...] [--cache DIR]

Prints one Markdown report and writes it to benchmarks/results/reader_quality.md.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
from collections import Counter
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from corpora import CACHE, CORPORA, Corpus, is_cached
from markup_leaks import KINDS, LeakReport, measure

from footnote import cli
from footnote.config import EngineConfig
from footnote.engine import Engine
from footnote.question_set import JudgedQuestion, is_right, read_questions

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "benchmarks" / "questions"
RESULTS = ROOT / "benchmarks" / "results" / "reader_quality.md"
MEASURES = ("Hit@1", "Hit@3", "MRR@10", "good answers declined", "unanswerable answered")


@dataclass
class Miss:
    """An answerable question whose first passage was not a right one, and why."""

    id: str
    rank: int | None
    answered: bool
    indexed: bool  # some passage of the index is a right one
    first: str  # the first passage returned: its document and its opening words


@dataclass
class CorpusResult:
    """Everything measured on one corpus."""

    corpus: Corpus
    leaks: LeakReport
    scores: dict | None = None
    error: str | None = None
    misses: list[Miss] = field(default_factory=list)
    answered_unanswerable: list[Miss] = field(default_factory=list)


def run_eval(questions: Path, corpus: Path, index: Path) -> tuple[dict | None, str | None]:
    """`footnote eval --questions --json --per-question`: its JSON, or its error sentence."""
    out, err = io.StringIO(), io.StringIO()
    argv = ["eval", "--questions", str(questions), "--corpus", str(corpus), "--index", str(index)]
    with redirect_stdout(out), redirect_stderr(err):
        status = cli.main([*argv, "--json", "--per-question"])
    if status != 0:
        return None, err.getvalue().strip().removeprefix("footnote: ")
    return json.loads(out.getvalue()), None


def _opening(text: str, width: int = 90) -> str:
    """The first words of a passage on one line, for a table cell."""
    flat = " ".join(text.split()).replace("|", "\\|")
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def diagnose(result: CorpusResult, questions: list[JudgedQuestion], index: Path) -> None:
    """Fill in the misses and the unanswerable questions answered, from the per-question list."""
    assert result.scores is not None
    by_id = {q.id: q for q in questions}
    engine, _ = Engine.open(EngineConfig(corpus_dir=result.leaks.corpus, index_dir=index))
    try:
        passages = list(engine.retriever.index.iter_passages())
        for row in result.scores["per_question"]:
            question = by_id[row["id"]]
            if not question.unanswerable and row["rank"] == 1:
                continue
            if question.unanswerable and not row["answered"]:
                continue
            answer = engine.ask(question.question, 1)
            first = (
                f"{answer.passages[0].citation.doc_id}: {_opening(answer.passages[0].text)}"
                if answer.passages
                else "(nothing)"
            )
            indexed = any(is_right(question, p.text, p.doc_id) for p in passages)
            miss = Miss(question.id, row["rank"], row["answered"], indexed, first)
            target = result.answered_unanswerable if question.unanswerable else result.misses
            target.append(miss)
    finally:
        engine.retriever.index.close()


def measure_corpus(corpus: Corpus, cache: Path, work: Path) -> CorpusResult:
    """Build the corpus's index in `work`, count its leaks and score its questions."""
    folder = cache / corpus.name
    index = work / corpus.name
    result = CorpusResult(corpus, measure(folder, index))
    questions_file = QUESTIONS / f"{corpus.name}.jsonl"
    if result.leaks.error:
        result.error = result.leaks.error
        return result
    result.scores, result.error = run_eval(questions_file, folder, index)
    if result.scores is not None:
        diagnose(result, read_questions(questions_file), index)
    return result


def _measure_cell(scores: dict | None, name: str) -> str:
    """One measure with its count, as `0.480 (12/25)`."""
    if scores is None or scores["measures"].get(name) is None:
        return "–"
    value = f"{scores['measures'][name]:.3f}"
    count = scores["counts"].get(name)
    return f"{value} ({count[0]}/{count[1]})" if count else value


def table(results: list[CorpusResult]) -> list[str]:
    """The summary table, a row per corpus."""
    lines = [
        "| corpus | files | documents | passages | skipped / not read | dropped (furniture / "
        "repeated) | passages with markup leaks (HTML, templates, reST; Markdown) | "
        + " | ".join(MEASURES)
        + " |",
        "|" + "---|" * (7 + len(MEASURES)),
    ]
    for r in results:
        leaks = r.leaks
        built = leaks.error is None
        furniture = leaks.dropped.get("site furniture", 0)
        repeated = leaks.dropped.get("repeated", 0)
        cells = [
            r.corpus.name,
            str(leaks.files),
            str(leaks.documents) if built else "0",
            str(leaks.passages) if built else "0",
            f"{len(leaks.skipped)} / {leaks.files_not_read}",
            f"{furniture} / {repeated}" if built else "–",
            f"{leaks.with_leak} ({leaks.with_foreign}; {leaks.with_markdown})" if built else "–",
            *(_measure_cell(r.scores, m) for m in MEASURES),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def details(r: CorpusResult) -> list[str]:
    """The leaks by kind, the errors and the misses of one corpus."""
    c = r.corpus
    lines = [f"### {c.name}", "", f"{c.kind}: `{c.repo}` at `{c.commit}`, folder `{c.folder}`."]
    if r.leaks.not_read:
        kinds = ", ".join(f"{n} {suffix}" for suffix, n in r.leaks.not_read.most_common())
        lines.append(f"Files neither read nor listed as skipped: {kinds}.")
    if r.leaks.skipped:
        reasons = Counter(reason for _, reason in r.leaks.skipped)
        listed = "; ".join(f"{n} × {reason}" for reason, n in reasons.most_common(5))
        lines.append(f"Files skipped by the build: {listed}.")
    if r.error:
        lines += ["", f"Not measured: {r.error}", ""]
        return lines
    leak_counts = ", ".join(f"{kind} {r.leaks.by_kind.get(kind, 0)}" for kind in KINDS)
    lines += ["", f"Passages with markup leaks by kind: {leak_counts}.", ""]
    for kind in KINDS:
        lines += [f"- {kind}: `{e}`" for e in r.leaks.examples.get(kind, [])[:2]]
    if r.misses:
        lines += [
            "",
            "Answerable questions without a right first passage (`indexed`: some passage of the "
            "index is a right one, so ranking missed it; `no`: the reader lost the text):",
            "",
            "| question | rank | answered | indexed | first passage returned |",
            "|---|---|---|---|---|",
        ]
        for m in r.misses:
            rank = str(m.rank) if m.rank else "–"
            answered = "yes" if m.answered else "no"
            indexed = "yes" if m.indexed else "no"
            lines.append(f"| {m.id} | {rank} | {answered} | {indexed} | {m.first} |")
    if r.answered_unanswerable:
        lines += ["", "Unanswerable questions answered:", ""]
        lines += [f"- {m.id}: {m.first}" for m in r.answered_unanswerable]
    return [*lines, ""]


def _revision() -> str:
    """The commit of this checkout the figures were taken on."""
    done = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def report(results: list[CorpusResult], revision: str) -> str:
    """The whole Markdown report."""
    lines = [
        "# Reader quality on public corpora",
        "",
        f"footnote {version('footnote')} at commit {revision}, "
        f"{datetime.now(UTC):%Y-%m-%d}. `python benchmarks/reader_quality.py`; corpora from "
        "`python benchmarks/corpora.py`, questions in `benchmarks/questions/`.",
        "",
        *table(results),
        "",
        "Files: every file of the folder (hidden ones aside); skipped: files the build lists "
        "as skipped, with a reason; not read: files it neither read nor listed. Markup leaks: "
        "passages whose text or section shows HTML, Liquid/Jinja, Kramdown, Hugo, MDX or reST "
        "syntax, or Markdown a reader should see as text: backtick code spans, fences, table "
        "pipes, link brackets, `**`, rules (`markup_leaks.py`; code the articles show in fenced "
        "blocks counts too). Measures as `footnote eval --questions` defines them "
        "(docs/quality.md).",
        "",
        *(line for r in results for line in details(r)),
    ]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    """Measure every cached corpus with a question file and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=list(CORPORA), help="only these corpora")
    parser.add_argument("--cache", type=Path, default=CACHE, help="default: %(default)s")
    parser.add_argument("--output", type=Path, default=RESULTS, help="default: %(default)s")
    parser.add_argument(
        "--revision",
        help="the commit of the footnote code measured, for the report (default: this "
        "checkout's HEAD); give it when PYTHONPATH points at another checkout's src",
    )
    args = parser.parse_args(argv)
    chosen = [CORPORA[n] for n in (args.only or CORPORA)]
    missing = [c.name for c in chosen if not is_cached(args.cache, c)]
    if missing:
        print(
            f"{', '.join(missing)} not in {args.cache}; run `python benchmarks/corpora.py` first.",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory(prefix="footnote-reader-") as work:
        results = [measure_corpus(c, args.cache, Path(work)) for c in chosen]
    text = report(results, args.revision or _revision())
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
