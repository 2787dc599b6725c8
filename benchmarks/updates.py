"""Updates of the embedded index: from writing a file to the first answer that cites it.

Run:  python benchmarks/updates.py [--sizes 10000 100000 1000000] [--rounds 5]
                                   [--work-dir /tmp/footnote-updates] [--queries 200]

Takes speed.py's generated corpora (JSON Lines articles of pseudo-words, 10k to 1M
passages; made on first use), links their files into a corpus folder under --work-dir, and
builds the index there once (kept: a later run opens it). For each size it then times, in
one process as a bot would run them:

- add: writing a new Markdown file, Engine.update, and Engine.ask until the answer cites it;
- replace: rewriting that file (a new word in it) until the answer cites the new version;
- remove: deleting it until no answer cites it;
- merge: Engine.merge while another thread asks questions (latency p50/p99 beside idle);
- equality: the top 10 (references and scores) of the updated index, before and after the
  merge, against a full build of the same folder, on a sample of speed.py's queries.

Writes benchmarks/results/updates.md (and prints it). Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import speed

from footnote.config import EngineConfig
from footnote.engine import Engine
from footnote.retrieval.base import Query
from footnote.retrieval.embedded.build import build, open_index
from footnote.retrieval.embedded.retriever import EmbeddedRetriever

BENCH_PREFIX = "bench-update-"
RESULTS = speed.RESULTS_DIR / "updates.md"


def log(message: str) -> None:
    """Progress on stderr."""
    print(f"[updates] {message}", file=sys.stderr, flush=True)


def corpus_folder(work: Path, source: Path) -> Path:
    """A corpus folder of hard links to the generated files (updates only add files of
    their own, removed again at the end), without the benchmark's leftovers."""
    corpus = work / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for file in sorted(source.glob("*.jsonl")):
        target = corpus / file.name
        if not target.exists():
            try:
                os.link(file, target)
            except OSError:
                shutil.copyfile(file, target)
    for leftover in corpus.glob(f"{BENCH_PREFIX}*"):
        leftover.unlink()
    return corpus


def article(word: str, n: int, vocabulary: list[str]) -> str:
    """A new article: a few paragraphs of corpus words, each naming ``word``."""
    rng = np.random.default_rng(n)
    paragraphs = [
        " ".join([word, *rng.choice(vocabulary[100:5000], size=40).tolist()]).capitalize() + "."
        for _ in range(4)
    ]
    return f"# Update {n} {word}\n\n" + "\n\n".join(paragraphs) + "\n"


def cites(engine: Engine, word: str, doc_id: str) -> bool:
    """Whether the answer to a question about ``word`` cites the document."""
    answer = engine.ask(f"what is {word}?")
    return any(m.passage.doc == doc_id for m in answer.passages)


def timed_until(engine: Engine, changed: str, word: str, doc_id: str, cited: bool) -> float:
    """Seconds from the file's change (already on disk) to the first answer that cites the
    document (or, ``cited`` False, does not)."""
    started = time.perf_counter()
    engine.update([changed])
    while cites(engine, word, doc_id) != cited:
        if time.perf_counter() - started > 600:
            raise RuntimeError(f"{doc_id} never became {'cited' if cited else 'uncited'}")
    return time.perf_counter() - started


def queries_of(engine: Engine, words: list[list[str]]) -> list[Query]:
    """speed.py's queries as Footnote queries: each word analysed, in the body field."""
    queries = []
    for query in words:
        terms = [(t, 1.0) for w in query for t in engine.analyzer.terms(w)]
        if terms:
            queries.append(Query.of(terms, [(t, 0.6) for t, _ in terms]))
    return queries


def equal_to_full_build(
    engine: Engine, corpus: Path, work: Path, queries: list[Query]
) -> tuple[int, int, float]:
    """(queries whose top 10 equals a full build's, queries, build seconds)."""
    folder = work / "full-build"
    shutil.rmtree(folder, ignore_errors=True)
    config = EngineConfig(corpus_dir=corpus, index_dir=folder, max_file_bytes=1 << 30)
    started = time.perf_counter()
    build(config)
    seconds = time.perf_counter() - started
    full = EmbeddedRetriever(open_index(config))
    same = sum(engine.retriever.search(q, 10) == full.search(q, 10) for q in queries)
    full.close()
    shutil.rmtree(folder, ignore_errors=True)
    return same, len(queries), seconds


def latencies(engine: Engine, questions: list[str], stop: threading.Event | None) -> list[float]:
    """Milliseconds per question, asked one after another (until ``stop`` is set, if given)."""
    times, i = [], 0
    while True:
        question = questions[i % len(questions)]
        started = time.perf_counter()
        engine.ask(question)
        times.append((time.perf_counter() - started) * 1000)
        i += 1
        if stop is None and i >= len(questions):
            return times
        if stop is not None and stop.is_set():
            return times


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100)."""
    return float(np.percentile(values, q)) if values else float("nan")


def run_size(n: int, args: argparse.Namespace, dataset: speed.Dataset) -> dict:
    """Every measurement at one corpus size."""
    speed.prepare_corpus(dataset, n, args.seed)
    speed.prepare_text(dataset, n, args.seed)
    work = args.work_dir / f"text-{n}"
    corpus = corpus_folder(work, dataset.text(n))
    config = EngineConfig(corpus_dir=corpus, index_dir=work / "index", max_file_bytes=1 << 30)
    started = time.perf_counter()
    engine, report = Engine.open(config)
    opened = time.perf_counter() - started
    if report is not None and report.files_analysed:
        log(f"{n:,}: built the base in {report.seconds:.1f} s")
    engine.update([])  # the benchmark's leftovers of an interrupted run go
    engine.warm_up()
    vocabulary = speed.load_vocabulary(dataset)
    words = speed.load_queries(dataset, args.queries)
    queries = queries_of(engine, words)
    questions = [" ".join(q) for q in words]
    result: dict = {"n": n, "open_s": opened, "add": [], "replace": [], "remove": []}
    for r in range(args.rounds):
        name, doc_id = f"{BENCH_PREFIX}{r}.md", f"{BENCH_PREFIX}{r}"
        word = f"zorblat{'q' * (r + 1)}"
        (corpus / name).write_text(article(word, r, vocabulary), encoding="utf-8")
        result["add"].append(timed_until(engine, name, word, doc_id, True))
        new_word = f"quindle{'x' * (r + 1)}"
        (corpus / name).write_text(article(new_word, r + 100, vocabulary), encoding="utf-8")
        result["replace"].append(timed_until(engine, name, new_word, doc_id, True))
        log(f"{n:,}: add {result['add'][-1]:.3f} s, replace {result['replace'][-1]:.3f} s")
    # Half the added files stay through the merge (the delta is not empty); half go now.
    for r in range(0, args.rounds, 2):
        name, doc_id = f"{BENCH_PREFIX}{r}.md", f"{BENCH_PREFIX}{r}"
        (corpus / name).unlink()
        word = f"quindle{'x' * (r + 1)}"
        result["remove"].append(timed_until(engine, name, word, doc_id, False))
        log(f"{n:,}: remove {result['remove'][-1]:.3f} s")
    same, total, full_s = equal_to_full_build(engine, corpus, work, queries)
    result.update(equal_before=same, compared=total, full_build_s=full_s)
    log(f"{n:,}: top 10 equal to a full build for {same}/{total} queries")
    idle = latencies(engine, questions, None)
    stop = threading.Event()
    during: list[float] = []
    asker = threading.Thread(target=lambda: during.extend(latencies(engine, questions, stop)))
    asker.start()
    started = time.perf_counter()
    engine.merge("benchmark")
    result["merge_s"] = time.perf_counter() - started
    stop.set()
    asker.join()
    result.update(idle=idle, during=during)
    log(f"{n:,}: merge {result['merge_s']:.1f} s, {len(during)} questions answered meanwhile")
    same, total, _ = equal_to_full_build(engine, corpus, work, queries)
    result["equal_after"] = same
    for leftover in corpus.glob(f"{BENCH_PREFIX}*"):
        leftover.unlink()
    engine.update([])
    engine.retriever.close()
    return result


def report(results: list[dict], args: argparse.Namespace) -> str:
    """The Markdown report of every size."""
    lines = [
        "# Updates: from a written file to the first answer that cites it",
        "",
        f"Measured by `python benchmarks/updates.py --sizes {' '.join(map(str, args.sizes))} "
        f"--rounds {args.rounds} --queries {args.queries}` on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; corpora from "
        "benchmarks/speed.py (JSON Lines articles of pseudo-words). Each time runs from the "
        "file written on disk through `Engine.update` to the first `Engine.ask` whose "
        "answer cites the new version (for removal: no longer cites it), in one process.",
        "",
        "| passages | add median (max) s | replace median (max) s | remove median (max) s |"
        " merge s | full build s | top 10 = full build, updated | after merge |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:

        def cell(key: str, r: dict = r) -> str:
            values = r[key]
            return f"{statistics.median(values):.3f} ({max(values):.3f})" if values else "-"

        lines.append(
            f"| {r['n']:,} | {cell('add')} | {cell('replace')} | {cell('remove')} | "
            f"{r['merge_s']:.1f} | {r['full_build_s']:.1f} | {r['equal_before']}/{r['compared']} | "
            f"{r['equal_after']}/{r['compared']} |"
        )
    lines += [
        "",
        "Question latency (Engine.ask, ms) while a merge runs beside it, and idle:",
        "",
        "| passages | idle p50 | idle p99 | during merge p50 | during merge p99 | asked during |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['n']:,} | {percentile(r['idle'], 50):.1f} | {percentile(r['idle'], 99):.1f} | "
            f"{percentile(r['during'], 50):.1f} | {percentile(r['during'], 99):.1f} | "
            f"{len(r['during'])} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    """Measure every size, print and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(speed.SIZES))
    parser.add_argument("--rounds", type=int, default=5, help="adds and replaces per size")
    parser.add_argument("--queries", type=int, default=200, help="queries compared, and asked")
    parser.add_argument("--seed", type=int, default=speed.SEED)
    parser.add_argument("--data-dir", type=Path, default=speed.DATA_DIR)
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/footnote-updates"))
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    dataset = speed.dataset_for(args.data_dir, args.seed)
    speed.prepare_vocabulary(dataset, args.seed, max(args.queries, 1000))
    results = [run_size(n, args, dataset) for n in args.sizes]
    text = report(results, args)
    args.output.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
