"""Updates of the embedded index: from `footnote add` or `/add` to the first answer that
cites the new document, and the same for removal.

Run:  python benchmarks/updates.py [--sizes 10000 100000 1000000] [--rounds 5]
                                   [--work-dir /tmp/footnote-updates] [--queries 200]

Takes speed.py's generated corpora (JSON Lines articles of pseudo-words, 10k to 1M
passages; made on first use), links their files into a corpus folder under --work-dir beside
200 small Markdown articles, and builds the base index there (kept: a later run opens it, and
builds it again only when the base no longer holds the articles as written). Every change
goes through what `/add`, `footnote add` and `footnote remove` call:
``footnote.editing.add_bytes`` and ``footnote.editing.remove_document``. For each size it
times, from that call to the first Engine.ask whose answer cites the new version (or no
longer cites the document):

- first: the first add, base replace and base remove of a fresh process (a bot's first /add
  after it starts: the engine opened and warmed up, then one change), one process each;
- add, replace and remove of a document added since the base was built (in the delta);
- replace and remove of a Markdown article of the base (a different one every round);
- merge: Engine.merge while another thread asks questions (latency p50/p99 beside idle);
- equality: the top 10 (references and scores) of the updated index, before and after the
  merge, against a full build of the same folder, on a sample of speed.py's queries.

Writes benchmarks/results/updates.md (and prints it). Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import speed

from footnote.config import EngineConfig
from footnote.editing import add_bytes, remove_document
from footnote.engine import Engine
from footnote.retrieval.base import Query
from footnote.retrieval.embedded.build import build, open_index
from footnote.retrieval.embedded.retriever import EmbeddedRetriever
from footnote.retrieval.embedded.updates import current_state_or_none

BENCH_PREFIX = "bench-update-"
ARTICLE_PREFIX = "base-article-"
ARTICLES = 200  # Markdown articles in every base: round r replaces article r, removes 100 + r
FIRST_REPLACED, FIRST_REMOVED = ARTICLES // 2 - 1, ARTICLES - 1  # the fresh processes' ones
LAYOUT = 2  # the corpus folder's layout; a base built from another one is built again
MARKER = "base.json"
CODE_LETTERS = "bcdfghklmnpqrtvwxz"  # no vowel, s or y: no stemmer takes a suffix off
RESULTS = speed.RESULTS_DIR / "updates.md"


def log(message: str) -> None:
    """Progress on stderr."""
    print(f"[updates] {message}", file=sys.stderr, flush=True)


def code(i: int) -> str:
    """Three letters naming ``i`` inside a pseudo-word no other document has."""
    n = len(CODE_LETTERS)
    return CODE_LETTERS[i // (n * n) % n] + CODE_LETTERS[i // n % n] + CODE_LETTERS[i % n]


def article(word: str, n: int, vocabulary: list[str], heading: str = "Update") -> str:
    """An article: a few paragraphs of corpus words, each naming ``word``."""
    rng = np.random.default_rng(n)
    paragraphs = [
        " ".join([word, *rng.choice(vocabulary[100:5000], size=40).tolist()]).capitalize() + "."
        for _ in range(4)
    ]
    return f"# {heading} {n} {word}\n\n" + "\n\n".join(paragraphs) + "\n"


def base_article(i: int, vocabulary: list[str]) -> tuple[str, str, str]:
    """(file name, word, text) of the base's i-th Markdown article, as first written."""
    word = f"brindle{code(i)}"
    return f"{ARTICLE_PREFIX}{i:03d}.md", word, article(word, 1000 + i, vocabulary, "Article")


def replaced_article(i: int, vocabulary: list[str]) -> tuple[str, str, str]:
    """(file name, word, text) of the base's i-th article as a replace rewrites it."""
    word = f"quorvex{code(i)}"
    return f"{ARTICLE_PREFIX}{i:03d}.md", word, article(word, 2000 + i, vocabulary, "Article")


def doc_id(name: str) -> str:
    """The document id of a Markdown file in the corpus root."""
    return name.removesuffix(".md")


def corpus_folder(work: Path, source: Path, vocabulary: list[str]) -> Path:
    """A corpus folder of hard links to the generated files and the base's Markdown articles
    as first written (put back if a run changed them), without the benchmark's leftovers."""
    corpus = work / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for file in sorted(source.glob("*.jsonl")):
        target = corpus / file.name
        if not target.exists():
            try:
                os.link(file, target)
            except OSError:
                shutil.copyfile(file, target)
    for i in range(ARTICLES):
        name, _, text = base_article(i, vocabulary)
        path = corpus / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    for leftover in corpus.glob(f"{BENCH_PREFIX}*"):
        leftover.unlink()
    return corpus


def config_for(work: Path) -> EngineConfig:
    """The benchmark's engine settings (a generated JSON Lines file is larger than the
    default file limit)."""
    return EngineConfig(
        corpus_dir=work / "corpus", index_dir=work / "index", max_file_bytes=1 << 30
    )


def base_name(config: EngineConfig) -> str | None:
    """The folder name of the live base generation, if there is one."""
    state = current_state_or_none(config.index_path)
    return state[0].name if state is not None else None


def prepare_base(work: Path) -> None:
    """Make the live base one built from the folder as corpus_folder leaves it: built again
    when the marker names another layout or base (a merge made a new one), and the leftovers
    of an interrupted run taken out as an update."""
    config = config_for(work)
    marker = work / MARKER
    try:
        known = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    expected = {"layout": LAYOUT, "articles": ARTICLES}
    pristine = all(known.get(k) == v for k, v in expected.items()) and known.get(
        "base"
    ) == base_name(config)
    engine, report = Engine.open(config, rebuild=not pristine)
    if report is not None and report.files_analysed:
        log(f"{work.name}: built the base in {report.seconds:.1f} s")
        marker.write_text(json.dumps({**expected, "base": base_name(config)}), encoding="utf-8")
    engine.update([])
    engine.retriever.close()


def cites(engine: Engine, word: str, document: str) -> bool:
    """Whether the answer to a question about ``word`` cites the document."""
    answer = engine.ask(f"what is {word}?")
    return any(m.passage.doc == document for m in answer.passages)


def timed(
    engine: Engine, change: Callable[[], object], word: str, document: str, cited: bool
) -> float:
    """Seconds from the change's call to the first answer that cites the document (or,
    ``cited`` False, does not)."""
    started = time.perf_counter()
    change()
    while cites(engine, word, document) != cited:
        if time.perf_counter() - started > 600:
            raise RuntimeError(f"{document} never became {'cited' if cited else 'uncited'}")
    return time.perf_counter() - started


def adding(engine: Engine, name: str, text: str) -> Callable[[], object]:
    """The add (or replace) of a file's bytes, as /add makes it."""
    return lambda: add_bytes(engine, name, text.encode("utf-8"), "benchmark")


def removing(engine: Engine, document: str) -> Callable[[], object]:
    """The removal of a document, as /remove makes it."""
    return lambda: remove_document(engine, document, "benchmark")


def first_change(work: Path, kind: str, vocabulary: list[str]) -> float:
    """In this (fresh) process: open the engine as the bot does, then time one change."""
    engine, report = Engine.open(config_for(work))
    if report is not None:
        log(f"{work.name}: the fresh process had to build the index ({report.seconds:.1f} s)")
    engine.warm_up()
    if kind == "add":
        name = f"{BENCH_PREFIX}first.md"
        word = "zorblatfirst"
        seconds = timed(
            engine, adding(engine, name, article(word, 99, vocabulary)), word, doc_id(name), True
        )
    elif kind == "replace":
        name, word, text = replaced_article(FIRST_REPLACED, vocabulary)
        seconds = timed(engine, adding(engine, name, text), word, doc_id(name), True)
    else:
        name, word, _ = base_article(FIRST_REMOVED, vocabulary)
        seconds = timed(engine, removing(engine, doc_id(name)), word, doc_id(name), False)
    engine.retriever.close()
    return seconds


def first_in_fresh_process(n: int, kind: str, args: argparse.Namespace) -> float:
    """The first change of a fresh process (run as one), in seconds."""
    command = [
        sys.executable, __file__, "--first", kind, "--sizes", str(n),
        "--work-dir", str(args.work_dir), "--data-dir", str(args.data_dir),
        "--seed", str(args.seed),
    ]  # fmt: skip
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    return float(json.loads(done.stdout.strip().splitlines()[-1])["seconds"])


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
    vocabulary = speed.load_vocabulary(dataset)
    work = args.work_dir / f"text-{n}"
    corpus = corpus_folder(work, dataset.text(n), vocabulary)
    prepare_base(work)
    result: dict = {"n": n, "first": {}}
    for kind in ("add", "replace", "remove"):
        result["first"][kind] = first_in_fresh_process(n, kind, args)
        log(f"{n:,}: first {kind} of a fresh process {result['first'][kind]:.3f} s")
    engine, _ = Engine.open(config_for(work))
    engine.warm_up()
    result["passages"] = len(engine.retriever)
    words = speed.load_queries(dataset, args.queries)
    queries = queries_of(engine, words)
    questions = [" ".join(q) for q in words]
    for key in ("add", "replace", "remove", "base_replace", "base_remove"):
        result[key] = []
    for r in range(args.rounds):
        name = f"{BENCH_PREFIX}{r}.md"
        word = f"zorblat{'q' * (r + 1)}"
        change = adding(engine, name, article(word, r, vocabulary))
        result["add"].append(timed(engine, change, word, doc_id(name), True))
        new_word = f"quindle{'x' * (r + 1)}"
        change = adding(engine, name, article(new_word, r + 100, vocabulary))
        result["replace"].append(timed(engine, change, new_word, doc_id(name), True))
        base, base_word, text = replaced_article(r, vocabulary)
        change = adding(engine, base, text)
        result["base_replace"].append(timed(engine, change, base_word, doc_id(base), True))
        gone, gone_word, _ = base_article(ARTICLES // 2 + r, vocabulary)
        change = removing(engine, doc_id(gone))
        result["base_remove"].append(timed(engine, change, gone_word, doc_id(gone), False))
        log(
            f"{n:,}: add {result['add'][-1]:.3f} s, replace {result['replace'][-1]:.3f} s, "
            f"base replace {result['base_replace'][-1]:.3f} s, "
            f"base remove {result['base_remove'][-1]:.3f} s"
        )
    # Half the added files stay through the merge (the delta is not empty); half go now.
    for r in range(0, args.rounds, 2):
        name = f"{BENCH_PREFIX}{r}.md"
        word = f"quindle{'x' * (r + 1)}"
        change = removing(engine, doc_id(name))
        result["remove"].append(timed(engine, change, word, doc_id(name), False))
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
    # The folder as first written again (the merged base lacks it: the next run builds anew).
    corpus_folder(work, dataset.text(n), vocabulary)
    engine.update([])
    engine.retriever.close()
    return result


def report(results: list[dict], args: argparse.Namespace) -> str:
    """The Markdown report of every size."""

    def cell(values: list[float]) -> str:
        return f"{statistics.median(values):.3f} ({max(values):.3f})" if values else "-"

    lines = [
        "# Updates: from /add or `footnote add` to the first answer that cites it",
        "",
        f"Measured by `python benchmarks/updates.py --sizes {' '.join(map(str, args.sizes))} "
        f"--rounds {args.rounds} --queries {args.queries}` on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; corpora from "
        f"benchmarks/speed.py (JSON Lines articles of pseudo-words) and {ARTICLES} Markdown "
        "articles of four paragraphs in the base. Each time, in seconds, runs from the call "
        "`/add`, `footnote add` and `footnote remove` make (`footnote.editing.add_bytes`, "
        "`remove_document`: the file written and synced, read back, the index updated) to the "
        "first `Engine.ask` whose answer cites the new version (for removal: no longer cites "
        "the document). Median (max) of the rounds; a base replace or remove takes a "
        "different article out of the base every round.",
        "",
        "| passages | first add (fresh process) | first base replace | first base remove |"
        " add | replace | remove | base replace | base remove |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        first = r["first"]
        lines.append(
            f"| {r['n']:,} | {first['add']:.3f} | {first['replace']:.3f} | "
            f"{first['remove']:.3f} | {cell(r['add'])} | {cell(r['replace'])} | "
            f"{cell(r['remove'])} | {cell(r['base_replace'])} | {cell(r['base_remove'])} |"
        )
    served = ", ".join(f"{r['n']:,}: {r['passages']:,}" for r in results)
    lines += [
        "",
        f"Passages served with the articles (generated: served): {served}. "
        "The first three columns are each the first change of a fresh process (the engine "
        "opened and warmed up as the bot does at start, then one change); the others are "
        "timed in one process after those.",
        "",
        "Merge, and the top 10 (references and scores, compared with `==`) against a full "
        "build of the same folder, after every change above and again after the merge:",
        "",
        "| passages | merge s | full build s | top 10 = full build, updated | after merge |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['n']:,} | {r['merge_s']:.1f} | {r['full_build_s']:.1f} | "
            f"{r['equal_before']}/{r['compared']} | {r['equal_after']}/{r['compared']} |"
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
            f"| {r['n']:,} | {percentile(r['idle'], 50):.1f} | "
            f"{percentile(r['idle'], 99):.1f} | {percentile(r['during'], 50):.1f} | "
            f"{percentile(r['during'], 99):.1f} | {len(r['during'])} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    """Measure every size, print and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(speed.SIZES))
    parser.add_argument("--rounds", type=int, default=5, help="rounds of changes per size")
    parser.add_argument("--queries", type=int, default=200, help="queries compared, and asked")
    parser.add_argument("--seed", type=int, default=speed.SEED)
    parser.add_argument("--data-dir", type=Path, default=speed.DATA_DIR)
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/footnote-updates"))
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--first", choices=["add", "replace", "remove"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 1 <= args.rounds < FIRST_REPLACED:
        parser.error(f"--rounds must be from 1 to {FIRST_REPLACED - 1}")
    dataset = speed.dataset_for(args.data_dir, args.seed)
    if args.first:  # a fresh process's first change, for run_size (one size)
        seconds = first_change(
            args.work_dir / f"text-{args.sizes[0]}", args.first, speed.load_vocabulary(dataset)
        )
        print(json.dumps({"seconds": seconds}))
        return 0
    speed.prepare_vocabulary(dataset, args.seed, max(args.queries, 1000))
    results = [run_size(n, args, dataset) for n in args.sizes]
    text = report(results, args)
    args.output.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
