"""Ranking quality on Cranfield: footnote beside rank_bm25, bm25s and tantivy, in one run.

Run: python benchmarks/quality.py [--cranfield DIR] [--depth 100]
Prints one Markdown report (systems x nDCG@10, MAP, R@100, P@10, and footnote's ratio to
the best peer per measure) and writes it to benchmarks/results/quality.md. Every system
ranks the same documents (the `.W` text) for the same questions (numbered by position),
and every run is scored by the same ir-measures code (footnote.evaluate.score_run).
"""

from __future__ import annotations

import argparse
import platform
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path

import numpy as np

from footnote.evaluate import (
    DEFAULT_DEPTH,
    MEASURE_NAMES,
    Collection,
    Run,
    evaluate,
    read_cranfield,
    score_run,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CRANFIELD = ROOT.parent / "shared" / "datasets" / "cranfield"
RESULTS = ROOT / "benchmarks" / "results" / "quality.md"
Ranker = Callable[[Collection, int], Run]


def top(ids: Sequence[str], scores: np.ndarray, depth: int) -> dict[str, float]:
    """The depth best documents with a positive score, as {id: score}."""
    order = np.argsort(-scores, kind="stable")[:depth]
    return {ids[i]: float(scores[i]) for i in order if scores[i] > 0}


def rank_bm25_run(collection: Collection, depth: int) -> Run:
    """rank_bm25 BM25Okapi over lowercase \\w+ tokens, no stemming, no stop words."""
    from rank_bm25 import BM25Okapi

    def words(text: str) -> list[str]:
        return re.findall(r"\w+", text.lower())

    ids = [d["id"] for d in collection.documents]
    bm25 = BM25Okapi([words(d["text"]) for d in collection.documents])
    return {
        qid: top(ids, bm25.get_scores(words(text)), depth)
        for qid, text in collection.queries.items()
    }


def bm25s_run(collection: Collection, depth: int) -> Run:
    """bm25s, method lucene (k1 1.5, b 0.75), English stop words, Snowball stemmer."""
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    ids = [d["id"] for d in collection.documents]
    corpus = bm25s.tokenize(
        [d["text"] for d in collection.documents],
        stopwords="en",
        stemmer=stemmer,
        show_progress=False,
    )
    model = bm25s.BM25(method="lucene")
    model.index(corpus, show_progress=False)
    qids = list(collection.queries)
    queries = bm25s.tokenize(
        [collection.queries[q] for q in qids], stopwords="en", stemmer=stemmer, show_progress=False
    )
    found, scores = model.retrieve(queries, k=depth, show_progress=False, n_threads=0)
    return {
        qid: {ids[int(d)]: float(s) for d, s in zip(found[row], scores[row], strict=True) if s > 0}
        for row, qid in enumerate(qids)
    }


def tantivy_run(collection: Collection, depth: int) -> Run:
    """tantivy, en_stem tokenizer; each question is its en_stem terms as SHOULD clauses."""
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("text", tokenizer_name="en_stem")
    schema = builder.build()
    # en_stem: tantivy's simple tokenizer, long tokens removed, lowercased, English Snowball.
    analyzer = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )
    with tempfile.TemporaryDirectory(prefix="quality-tantivy-") as directory:
        index = tantivy.Index(schema, path=directory)
        writer = index.writer(heap_size=64_000_000, num_threads=1)
        for document in collection.documents:
            writer.add_document(tantivy.Document(id=document["id"], text=document["text"]))
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        searcher = index.searcher()
        run: Run = {}
        for qid, text in collection.queries.items():
            clauses = [
                (tantivy.Occur.Should, tantivy.Query.term_query(schema, "text", term))
                for term in analyzer.analyze(text)
            ]
            if not clauses:
                run[qid] = {}
                continue
            result = searcher.search(tantivy.Query.boolean_query(clauses), depth)
            run[qid] = {
                searcher.doc(address)["id"][0]: float(score) for score, address in result.hits
            }
    return run


PEERS: dict[str, tuple[str, Ranker]] = {
    "rank_bm25": ("rank_bm25 BM25Okapi, lowercase `\\w+` tokens", rank_bm25_run),
    "bm25s": ("bm25s lucene, English stop words + Snowball stemmer", bm25s_run),
    "tantivy": ("tantivy, `en_stem` tokenizer", tantivy_run),
}


def measure(collection: Collection, depth: int) -> list[tuple[str, dict[str, float], float]]:
    """(system, measures, seconds) for footnote and every peer, in the table's order."""
    rows = []
    started = time.perf_counter()
    result = evaluate(collection, depth=depth)
    rows.append(("footnote (its own index, passages and ranking)", result.measures, result.seconds))
    print(f"footnote: {time.perf_counter() - started:.1f}s", file=sys.stderr)
    for label, ranker in PEERS.values():
        started = time.perf_counter()
        measures, _ = score_run(collection.qrels, ranker(collection, depth))
        seconds = time.perf_counter() - started
        rows.append((label, measures, seconds))
        print(f"{label}: {seconds:.1f}s", file=sys.stderr)
    return rows


def report(
    collection: Collection, rows: list[tuple[str, dict[str, float], float]], depth: int
) -> str:
    """The Markdown report: the systems table, then footnote against the best peer."""
    head = "| system | " + " | ".join(MEASURE_NAMES) + " | seconds |"
    rule = "|---" * (len(MEASURE_NAMES) + 2) + "|"
    lines = [
        "# Ranking quality on Cranfield",
        "",
        f"{len(collection.queries)} questions, {len(collection.documents)} documents; the best "
        f"{depth} documents per question; scored with ir-measures "
        f"{version('ir-measures')} (nDCG@10 with gain = 5 - code, binary measures count "
        "codes 1-4 as relevant, -1 dropped). Made by `python benchmarks/quality.py`.",
        "",
        head,
        rule,
    ]
    for label, measures, seconds in rows:
        cells = " | ".join(f"{measures[m]:.3f}" for m in MEASURE_NAMES)
        lines.append(f"| {label} | {cells} | {seconds:.1f} |")
    footnote, peers = rows[0][1], [r[1] for r in rows[1:]]
    best = {m: max(p[m] for p in peers) for m in MEASURE_NAMES}
    lines += ["", "| footnote / best peer | " + " | ".join(MEASURE_NAMES) + " |"]
    lines.append("|---" * (len(MEASURE_NAMES) + 1) + "|")
    lines.append(
        "| ratio | " + " | ".join(f"{footnote[m] / best[m]:.3f}" for m in MEASURE_NAMES) + " |"
    )
    lines.append(
        "| gap | " + " | ".join(f"{footnote[m] - best[m]:+.3f}" for m in MEASURE_NAMES) + " |"
    )
    versions = ", ".join(
        f"{name} {version(name)}" for name in ("rank-bm25", "bm25s", "tantivy", "PyStemmer")
    )
    lines += ["", f"Python {platform.python_version()}; {versions}."]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every system on Cranfield, print the report and write it to results/."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cranfield",
        type=Path,
        default=DEFAULT_CRANFIELD,
        metavar="DIR",
        help=f"the Cranfield folder (default: {DEFAULT_CRANFIELD})",
    )
    parser.add_argument(
        "--depth",
        type=int,
        default=DEFAULT_DEPTH,
        metavar="N",
        help=f"documents ranked per question (default {DEFAULT_DEPTH})",
    )
    parser.add_argument(
        "--output", type=Path, default=RESULTS, metavar="FILE", help=f"(default: {RESULTS})"
    )
    args = parser.parse_args(argv)
    collection = read_cranfield(args.cranfield)
    text = report(collection, measure(collection, args.depth), args.depth)
    print(text, end="")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
