"""The two backends side by side: ranking parity, then build and question speed.

    python benchmarks/backends.py                 # writes benchmarks/results/backends.md
    python benchmarks/backends.py --skip-speed    # parity only (about a minute)

Parity: on Cranfield and on the seed question sets, each question's ten best passages on
OpenSearch (two nodes, two shards with one replica each) against the embedded index: the
same set, the same order, and nDCG@10 / MAP of both. Speed: the speed benchmark's generated
corpus as text (`speed.py`'s 100,000 passages), built by each backend, then `Engine.ask` on
its questions one after another: questions per second, p50 and p99; OpenSearch with one node
and with two. The clusters run on this machine (tools/opensearch/cluster.py), beside the
benchmark: see docs/scale.md for what that does and does not show.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tools" / "opensearch"))

import cluster as opensearch  # noqa: E402
import speed  # noqa: E402

from footnote.config import EngineConfig, OpenSearchSettings  # noqa: E402
from footnote.engine import Engine  # noqa: E402
from footnote.evaluate import read_cranfield, run_engine, score_run, write_corpus  # noqa: E402
from footnote.retrieval import backends  # noqa: E402

WORK = HERE / ".work" / "backends"  # git-ignored
RESULTS = HERE / "results" / "backends.md"
SHARED = ROOT.parent / "shared"
SEED_SETS = (ROOT / "tests/data/seed_questions.json", ROOT / "tests/data/seed_paraphrases.json")
TOP = 10


def log(message: str) -> None:
    """A progress line on stderr."""
    print(f"[backends] {message}", file=sys.stderr, flush=True)


def cluster_config(
    base: EngineConfig, running: Any, name: str, shards: int, replicas: int
) -> EngineConfig:
    """The configuration of an index of this name on a running cluster."""
    settings = OpenSearchSettings(
        ",".join(running.urls), index=name, shards=shards, replicas=replicas, timeout=60.0
    )
    return replace(base, backend="opensearch", opensearch=settings)


def top_refs(engine: Engine, questions: list[str]) -> list[list[tuple[str, int]]]:
    """Each question's ten best passages, ranked as an answer ranks them."""
    ranked = []
    for text in questions:
        hits = engine.pipeline.rank(engine.retriever, engine.pipeline.read(text), TOP)[:TOP]
        ranked.append([(h.passage.doc, h.passage.n) for h in hits])
    return ranked


def compare(
    ours: list[list[tuple[str, int]]], theirs: list[list[tuple[str, int]]]
) -> dict[str, float]:
    """Shares of questions whose top ten are the same set, and the same list."""
    n = max(1, len(ours))
    return {
        "questions": len(ours),
        "same_set": sum(set(a) == set(b) for a, b in zip(ours, theirs, strict=True)) / n,
        "same_order": sum(a == b for a, b in zip(ours, theirs, strict=True)) / n,
    }


def parity(running: Any) -> list[dict[str, Any]]:
    """Cranfield and the seed sets on both backends."""
    rows = []
    collection = read_cranfield(SHARED / "datasets" / "cranfield")
    folder = WORK / "cranfield"
    shutil.rmtree(folder, ignore_errors=True)
    write_corpus(collection.documents, folder / "corpus")
    base = EngineConfig(corpus_dir=folder / "corpus", index_dir=folder / "index")
    embedded = Engine.open(base)[0]
    clustered = Engine.open(cluster_config(base, running, "parity-cranfield", 2, 1), rebuild=True)[
        0
    ]
    queries = list(collection.queries.values())
    row: dict[str, Any] = {
        "set": "Cranfield",
        **compare(top_refs(embedded, queries), top_refs(clustered, queries)),
    }
    for name, engine in (("embedded", embedded), ("opensearch", clustered)):
        measures, _ = score_run(collection.qrels, run_engine(engine, collection.queries))
        row[name] = measures
    rows.append(row)
    seed = WORK / "seed"
    shutil.rmtree(seed, ignore_errors=True)
    shutil.copytree(ROOT / "corpus", seed / "corpus")
    base = EngineConfig(corpus_dir=seed / "corpus", index_dir=seed / "index")
    embedded = Engine.open(base)[0]
    clustered = Engine.open(cluster_config(base, running, "parity-seed", 2, 1), rebuild=True)[0]
    for path in SEED_SETS:
        data = json.loads(path.read_text(encoding="utf-8"))
        questions = [q["question"] for q in data["answerable"]] + list(data["unanswerable"])
        same_answers = sum(
            [m.text for m in embedded.ask(q, 3).passages]
            == [m.text for m in clustered.ask(q, 3).passages]
            and embedded.ask(q, 3).answered == clustered.ask(q, 3).answered
            for q in questions
        )
        rows.append(
            {
                "set": path.stem,
                **compare(top_refs(embedded, questions), top_refs(clustered, questions)),
                "same_answers": same_answers / len(questions),
            }
        )
    return rows


def timed_questions(engine: Engine, questions: list[str], rounds: int) -> dict[str, float]:
    """Questions per second and p50/p99 of Engine.ask over the questions, after a warm-up."""
    for text in questions[: speed.WARMUP]:
        engine.ask(text, 3)
    times = []
    started = time.perf_counter()
    for _ in range(rounds):
        for text in questions:
            t0 = time.perf_counter()
            engine.ask(text, 3)
            times.append((time.perf_counter() - t0) * 1000)
    total = time.perf_counter() - started
    times.sort()
    return {
        "qps": len(times) / total,
        "p50_ms": statistics.median(times),
        "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))],
    }


def speed_rows(n: int, n_questions: int, rounds: int, seed: int) -> list[dict[str, Any]]:
    """Build and question speed at n passages on each backend and cluster size."""
    dataset = speed.dataset_for(speed.DATA_DIR, seed)
    speed.prepare_vocabulary(dataset, seed, max(n_questions, 1000))
    speed.prepare_corpus(dataset, n, seed)
    speed.prepare_text(dataset, n, seed)
    questions = [" ".join(q) + "?" for q in speed.load_queries(dataset, n_questions)]
    text = dataset.text(n)
    rows = []
    base = EngineConfig(corpus_dir=text, index_dir=WORK / f"speed-{n}", in_memory=True)
    shutil.rmtree(base.index_path, ignore_errors=True)
    started = time.perf_counter()
    report = backends.build(base)
    built = time.perf_counter() - started
    engine = Engine(base, backends.open_live(base))
    engine.warm_up()
    rows.append(
        {
            "backend": "embedded",
            "passages": report.passages,
            "build_s": built,
            "primary_mb": speed.tree_mb(base.index_path),
            **timed_questions(engine, questions, rounds),
        }
    )
    log(f"embedded: {rows[-1]}")
    for nodes, replicas in ((1, 0), (2, 1)):
        for running in clusters(nodes):
            config = cluster_config(base, running, f"speed-{n}", 2, replicas)
            started = time.perf_counter()
            report = backends.build(config, rebuild=True)
            built = time.perf_counter() - started
            running.wait_for_status("green", timeout=300)
            engine = Engine(config, backends.open_live(config))
            engine.warm_up()
            index = engine.retriever.index  # type: ignore[attr-defined]
            [sizes] = running.request(
                "GET", f"/_cat/indices/{index}?format=json&bytes=b&h=pri.store.size"
            )
            rows.append(
                {
                    "primary_mb": int(sizes["pri.store.size"]) / speed.MIB,
                    "backend": f"opensearch, {nodes} node(s), 2 shards, {replicas} replica",
                    "passages": report.passages,
                    "build_s": built,
                    **timed_questions(engine, questions, rounds),
                }
            )
            log(f"{rows[-1]}")
    return rows


def clusters(nodes: int) -> Iterator[Any]:
    """A running cluster of this many nodes (1 GB heap each), stopped after."""
    workdir = WORK / f"cluster-{nodes}"
    shutil.rmtree(workdir, ignore_errors=True)
    with opensearch.Cluster(nodes=nodes, workdir=workdir, heap="1g") as running:
        yield running


def write_report(
    parity_rows: list[dict[str, Any]], speed_table: list[dict[str, Any]], args: argparse.Namespace
) -> str:
    """The markdown report."""
    lines = [
        "# The two backends",
        "",
        f"Made by `python benchmarks/backends.py` (OpenSearch {opensearch.OPENSEARCH_VERSION} "
        "started from Maven Central jars by tools/opensearch/cluster.py, on this machine).",
        "",
        "## Parity: the ten best passages of each question",
        "",
        "| set | questions | same top-10 set | same top-10 order | same answers shown "
        "| nDCG@10 embedded / OpenSearch | MAP embedded / OpenSearch |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in parity_rows:
        same = f"{row['same_answers']:.1%}" if "same_answers" in row else ""
        ndcg = mean_ap = ""
        if "embedded" in row:
            ndcg = f"{row['embedded']['nDCG@10']:.4f} / {row['opensearch']['nDCG@10']:.4f}"
            mean_ap = f"{row['embedded']['MAP']:.4f} / {row['opensearch']['MAP']:.4f}"
        lines.append(
            f"| {row['set']} | {row['questions']} | {row['same_set']:.1%} "
            f"| {row['same_order']:.1%} | {same} | {ndcg} | {mean_ap} |"
        )
    if speed_table:
        embedded = speed_table[0]
        lines += [
            "",
            f"## Speed at {embedded['passages']:,} passages "
            f"(`Engine.ask`, {args.questions} questions x {args.rounds})",
            "",
            "| backend | build s | passages/s built | index MB (primaries) | questions/s "
            "| p50 ms | p99 ms | p50 vs embedded |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for row in speed_table:
            rate = row["passages"] / row["build_s"]
            lines.append(
                f"| {row['backend']} | {row['build_s']:.1f} | {rate:,.0f} "
                f"| {row['primary_mb']:.0f} | {row['qps']:.0f} | {row['p50_ms']:.2f} "
                f"| {row['p99_ms']:.2f} "
                f"| {row['p50_ms'] / embedded['p50_ms']:.1f}x |"
            )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=speed.SEED)
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    log("parity on a two-node cluster")
    for running in clusters(2):
        parity_rows = parity(running)
    speed_table = (
        [] if args.skip_speed else speed_rows(args.passages, args.questions, args.rounds, args.seed)
    )
    (WORK / "backends.json").write_text(json.dumps({"parity": parity_rows, "speed": speed_table}))
    report = write_report(parity_rows, speed_table, args)
    RESULTS.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
