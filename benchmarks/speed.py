"""Speed and memory of footnote beside rank_bm25, bm25s and tantivy, measured in one run.

Run:  python benchmarks/speed.py [--sizes 10000 100000 1000000 10000000] [--queries 1000]
                                 [--only ENGINE ...] [--skip-text] [--skip-parity] [--append]

A fixed seed generates corpora of pseudo-words whose frequencies follow a Zipf law and whose
passage lengths look like real paragraphs. Every engine indexes the same token lists, each in
its own subprocess (so peak RSS is that engine's own), saves its index, and a fresh
subprocess opens it and answers the same top-10 queries one at a time. Footnote and tantivy
take the token lists as a generator decoding them from disk; the others need them as one
list, made before their build is timed. An engine that cannot run at a size (too slow, or
more memory than the machine has) gets a row saying why. The script prints one Markdown
table with the ratios to each peer, checks footnote's scores against rank_bm25's, times
footnote end to end from text files (build, open, ask), and writes
benchmarks/results/speed.json, speed.md and latency.png (with --append, merged into the
sizes and engines already there). Progress goes to stderr.

Not a test: nothing here asserts; the targets are reported as met or missed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA_DIR = HERE / ".data"  # git-ignored: generated corpora, text files and indexes
RESULTS_DIR = HERE / "results"

GENERATOR_VERSION = 1  # bump when the corpus generator changes, so caches are remade
SEED = 20240611
VOCAB_SIZE = 200_000
ZIPF_EXPONENT = 1.1
MEDIAN_WORDS, SIGMA_WORDS, MIN_WORDS, MAX_WORDS = 53, 0.5, 10, 200  # mean about 60 words
QUERY_SKIP_RANKS = 100  # queries never use the 100 most frequent words, as stop words go
QUERY_WORDS = (2, 6)
TOP_K = 10
WARMUP = 20
K1, B = 1.5, 0.75
TANTIVY_HEAP = 256_000_000
TEXT_FILES = 100
SIZES = (10_000, 100_000, 1_000_000)
RANK_BM25_MAX_SIZE = 200_000  # it loops over every document in Python: skipped above this
BM25S_CHECKED_ABOVE = 1_000_000  # bm25s's memory is estimated before it runs above this
MEMORY_SHARE = 0.9  # an engine whose estimated build peak passes this share is not run
MIB = 1024 * 1024

ENGINES = ("footnote", "rank_bm25", "bm25s", "bm25s-numba", "tantivy")
PEERS = ("rank_bm25", "bm25s", "bm25s-numba", "tantivy")
TEXT = "footnote-text"
ORDER = (*ENGINES, TEXT)
# These take any iterable of token lists, so they are given the generator that decodes the
# passages from disk as they ask for them; the others' APIs take a list, made before the timer.
STREAMED = ("footnote", "tantivy")

Tokens = list[list[str]]
TokenStream = Iterable[list[str]]
Search = Callable[[list[str]], tuple[np.ndarray, np.ndarray]]


def log(message: str) -> None:
    """Print one progress line on stderr."""
    print(f"[speed {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- memory -------------------------------------------------------------------------------


def rss_mb() -> float:
    """This process's resident memory now, in MiB."""
    import psutil

    return psutil.Process().memory_info().rss / MIB


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MiB.

    Read from VmHWM in /proc/self/status: ru_maxrss would not do, because Linux starts a
    child's ru_maxrss at its parent's RSS when it forked (the conductor's, here).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class PeakMemory:
    """The peak RSS of this process plus its children, sampled every 50 ms in a thread.

    Needed because footnote's build may analyse files in worker processes, whose memory
    this process's own peak does not include. Summing counts pages shared after fork
    twice, so the figure errs on the high side. ``self_peak_mb`` is this process alone
    (exact: the kernel's high-water mark).
    """

    def __init__(self, interval: float = 0.05) -> None:
        import psutil

        self._process = psutil.Process()
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.peak_mb = 0.0
        self.self_peak_mb = 0.0

    def _sample(self) -> None:
        import psutil

        total = self._process.memory_info().rss
        for child in self._process.children(recursive=True):
            with contextlib.suppress(psutil.Error):  # it may end between listing and reading
                total += child.memory_info().rss
        self.peak_mb = max(self.peak_mb, total / MIB)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._sample()

    def __enter__(self) -> PeakMemory:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self.self_peak_mb = peak_rss_mb()
        self.peak_mb = max(self.peak_mb, self.self_peak_mb)


def tree_mb(path: Path) -> float:
    """The size of the files under a folder, in MiB."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / MIB


# -- the generated corpus -------------------------------------------------------------------

CONSONANTS = "bdfgklmnprstvz"
VOWELS = "aeiou"
FINAL_VOWELS = "aiou"  # no final e or y, which the English stemmer strips or rewrites


def _words(codes: np.ndarray, syllables: int) -> list[str]:
    """Decode numbers into consonant-vowel words of a given number of syllables."""
    letters: list[np.ndarray] = []
    rest = codes.copy()
    for position in range(syllables):
        vowels = FINAL_VOWELS if position == syllables - 1 else VOWELS
        consonant, rest = rest % len(CONSONANTS), rest // len(CONSONANTS)
        vowel, rest = rest % len(vowels), rest // len(vowels)
        letters.append(np.array(list(CONSONANTS))[consonant])
        letters.append(np.array(list(vowels))[vowel])
    return ["".join(chars) for chars in zip(*letters, strict=True)]


def _space(syllables: int) -> int:
    """How many distinct words have this many syllables."""
    return (len(CONSONANTS) * len(VOWELS)) ** (syllables - 1) * len(CONSONANTS) * len(FINAL_VOWELS)


def make_vocabulary(seed: int, size: int = VOCAB_SIZE) -> tuple[list[str], dict[str, int]]:
    """Unique pronounceable words, frequent ranks first, each its own term for footnote.

    Words are consonant-vowel syllables ("tarimo"); two-syllable words take the most frequent
    ranks, then three, then four, as in real text. A candidate is kept only when footnote's
    analyzer maps it to exactly itself: not a stop word, unchanged by the Snowball stemmer,
    not a demonym.
    """
    from footnote.analysis.analyzer import Analyzer

    analyzer = Analyzer()
    rng = np.random.default_rng([seed, 0])
    wanted = {2: _space(2), 3: 150_000, 4: size}  # all two-syllable words, then fill
    vocabulary: list[str] = []
    rejected = checked = 0
    for syllables, count in wanted.items():
        count = min(count, _space(syllables), size - len(vocabulary) + 5_000)
        codes = rng.choice(_space(syllables), size=count, replace=False)
        kept = []
        for word in _words(codes, syllables):
            checked += 1
            if analyzer.token_terms(word) == (word,):
                kept.append(word)
            else:
                rejected += 1
        vocabulary.extend(kept[: size - len(vocabulary)])
        if len(vocabulary) >= size:
            break
    if len(set(vocabulary)) != len(vocabulary) or len(vocabulary) != size:
        raise RuntimeError("the vocabulary generator made duplicates or too few words")
    return vocabulary, {"checked": checked, "rejected": rejected, "kept": len(vocabulary)}


def zipf_cdf(size: int, exponent: float) -> np.ndarray:
    """Cumulative probabilities of ranks 1..size under a truncated Zipf law."""
    weights = np.arange(1, size + 1, dtype=np.float64) ** -exponent
    cdf = np.cumsum(weights)
    return cdf / cdf[-1]


def make_corpus(n_passages: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Word ids (flat, int32) and passage lengths: Zipf ranks, log-normal lengths.

    Memory: the ids themselves (4 bytes a word, 2.4 GB at 10M passages) and a few
    per-passage arrays; the draws for the ids are made a chunk at a time.
    """
    rng = np.random.default_rng([seed, 1, n_passages])
    drawn = rng.lognormal(np.log(MEDIAN_WORDS), SIGMA_WORDS, n_passages)
    np.rint(drawn, out=drawn)
    np.clip(drawn, MIN_WORDS, MAX_WORDS, out=drawn)
    lengths = drawn.astype(np.int32)
    del drawn
    cdf = zipf_cdf(VOCAB_SIZE, ZIPF_EXPONENT)
    total = int(lengths.sum(dtype=np.int64))
    ids = np.empty(total, dtype=np.int32)
    step = 1 << 22
    for lo in range(0, total, step):
        hi = min(total, lo + step)
        ids[lo:hi] = np.searchsorted(cdf, rng.random(hi - lo), side="right")
    np.minimum(ids, VOCAB_SIZE - 1, out=ids)
    return ids, lengths


def make_queries(n_queries: int, seed: int, vocabulary: list[str]) -> list[list[str]]:
    """Queries of 2-6 distinct words, Zipf-distributed but never among the top 100 ranks."""
    rng = np.random.default_rng([seed, 2])
    cdf = zipf_cdf(VOCAB_SIZE, ZIPF_EXPONENT)
    low = cdf[QUERY_SKIP_RANKS - 1]
    queries = []
    for _ in range(n_queries):
        length = int(rng.integers(QUERY_WORDS[0], QUERY_WORDS[1] + 1))
        ranks: list[int] = []
        while len(ranks) < length:
            rank = int(np.searchsorted(cdf, low + rng.random() * (1 - low), side="right"))
            rank = min(max(rank, QUERY_SKIP_RANKS), VOCAB_SIZE - 1)
            if rank not in ranks:
                ranks.append(rank)
        queries.append([vocabulary[r] for r in ranks])
    return queries


@dataclass(frozen=True)
class Dataset:
    """Where one seed's generated files live."""

    root: Path

    @property
    def vocabulary(self) -> Path:
        """The words, most frequent rank first (JSON)."""
        return self.root / "vocabulary.json"

    @property
    def queries(self) -> Path:
        """The queries, lists of words (JSON)."""
        return self.root / "queries.json"

    def corpus(self, n: int) -> Path:
        """The cached word ids and passage lengths of one corpus size."""
        return self.root / f"corpus-{n}"

    def text(self, n: int) -> Path:
        """The corpus written as JSON Lines articles."""
        return self.root / f"text-{n}"

    def index(self, engine: str, n: int) -> Path:
        """Where an engine's index of one size is built."""
        return self.root / "indexes" / f"{engine}-{n}"


def dataset_for(data_dir: Path, seed: int) -> Dataset:
    """The folder for a seed and generator version."""
    return Dataset(data_dir / f"v{GENERATOR_VERSION}-seed{seed}")


def prepare_vocabulary(dataset: Dataset, seed: int, n_queries: int) -> dict[str, Any]:
    """Make (or re-check) the vocabulary and the queries; report how words were vetted."""
    vocabulary, stats = make_vocabulary(seed)
    dataset.root.mkdir(parents=True, exist_ok=True)
    blob = json.dumps(vocabulary)
    if not dataset.vocabulary.exists() or dataset.vocabulary.read_text() != blob:
        dataset.vocabulary.write_text(blob)
    queries = make_queries(n_queries, seed, vocabulary)
    dataset.queries.write_text(json.dumps(queries))
    return stats


def prepare_corpus(dataset: Dataset, n: int, seed: int) -> None:
    """Generate and cache one corpus's word ids and lengths (.npy) unless already there."""
    folder = dataset.corpus(n)
    if (folder / "lengths.npy").exists():
        return
    log(f"generating a corpus of {n:,} passages")
    ids, lengths = make_corpus(n, seed)
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "ids.npy", ids)
    np.save(folder / "lengths.npy", lengths)  # written last: marks the folder complete


def load_vocabulary(dataset: Dataset) -> list[str]:
    """The cached vocabulary, rank order."""
    return json.loads(dataset.vocabulary.read_text())


def load_queries(dataset: Dataset, limit: int) -> list[list[str]]:
    """The first ``limit`` cached queries."""
    return json.loads(dataset.queries.read_text())[:limit]


def iter_token_lists(dataset: Dataset, n: int) -> Iterator[list[str]]:
    """Each passage's words, decoded from the cached ids a chunk at a time."""
    vocabulary = np.array(load_vocabulary(dataset), dtype=object)
    lengths = np.load(dataset.corpus(n) / "lengths.npy")
    ends = np.cumsum(lengths, dtype=np.int64)
    starts = ends - lengths
    step = 50_000
    # Read a chunk at a time, not memory-mapped: a mapping's pages would count in the
    # resident memory of the engine building from this generator (2.4 GB at 10M).
    with (dataset.corpus(n) / "ids.npy").open("rb") as handle:
        np.lib.format.read_magic(handle)
        np.lib.format.read_array_header_1_0(handle)
        data_start = handle.tell()
        for lo in range(0, n, step):
            hi = min(n, lo + step)
            handle.seek(data_start + 4 * int(starts[lo]))
            words = vocabulary[np.fromfile(handle, np.int32, int(ends[hi - 1] - starts[lo]))]
            base = starts[lo]
            for s, e in zip(starts[lo:hi] - base, ends[lo:hi] - base, strict=True):
                yield words[s:e].tolist()


def load_token_lists(dataset: Dataset, n: int) -> Tokens:
    """All passages as lists of words (the same lists every engine indexes)."""
    return list(iter_token_lists(dataset, n))


def prepare_text(dataset: Dataset, n: int, seed: int) -> None:
    """Write the corpus as JSON Lines articles of ~10 paragraphs (blank-line separated)."""
    folder = dataset.text(n)
    if (folder / "complete.json").exists():
        return
    log(f"writing {n:,} passages as text in {TEXT_FILES} JSON Lines files")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rng = np.random.default_rng([seed, 3, n])
    sizes: list[int] = []
    total = 0  # kept as it goes: summing the list each time is quadratic (1M articles at 10M)
    while total < n:
        sizes.append(int(rng.integers(5, 16)))
        total += sizes[-1]
    sizes[-1] -= total - n
    paragraphs = iter_token_lists(dataset, n)
    article = 0
    for part in range(TEXT_FILES):
        chunk = sizes[part * len(sizes) // TEXT_FILES : (part + 1) * len(sizes) // TEXT_FILES]
        # Each article is written as soon as it is made: nothing holds a whole file.
        with (folder / f"part-{part:03d}.jsonl").open("w") as out:
            for count in chunk:
                words = [next(paragraphs) for _ in range(count)]
                texts = [_paragraph_text(w, rng) for w in words]
                title = " ".join(w.capitalize() for w in words[0][:4])
                record = {"id": f"a{article:07d}", "title": title, "text": "\n\n".join(texts)}
                out.write(json.dumps(record) + "\n")
                article += 1
    (folder / "complete.json").write_text(json.dumps({"passages": n, "articles": article}))


def _paragraph_text(words: list[str], rng: np.random.Generator) -> str:
    """Words as sentences of 6-20 words, each capitalised and ending with a full stop."""
    sentences = []
    i = 0
    while i < len(words):
        j = min(len(words), i + int(rng.integers(6, 21)))
        if len(words) - j < 4:
            j = len(words)
        sentence = words[i:j]
        sentences.append(" ".join([sentence[0].capitalize(), *sentence[1:]]) + ".")
        i = j
    return " ".join(sentences)


# -- the engines, as each one's documentation has them used ----------------------------------


def footnote_build_api() -> str:
    """How footnote's index is built: BM25Index.write where it exists, else build then save."""
    from footnote.retrieval.embedded.bm25 import BM25Index

    return "BM25Index.write" if hasattr(BM25Index, "write") else "BM25Index.build + save"


def build_footnote(tokens: TokenStream, path: Path) -> None:
    """BM25Index.write(token_lists, dir) (lucene, k1 1.5, b 0.75): in bounded memory, to disk.

    Before write exists, BM25Index.build(token_lists).save(dir): the index in memory first.
    """
    from footnote.retrieval.embedded.bm25 import BM25Index

    if hasattr(BM25Index, "write"):
        BM25Index.write(tokens, path, variant="lucene", k1=K1, b=B)
    else:
        BM25Index.build(tokens, variant="lucene", k1=K1, b=B).save(path)


def open_footnote(path: Path) -> Search:
    """BM25Index.load(dir, mmap=True); top_k(query, 10)."""
    from footnote.retrieval.embedded.bm25 import BM25Index

    index = BM25Index.load(path, mmap=True)
    return lambda query: index.top_k(query, TOP_K)


def _bm25s_backend(engine: str) -> str:
    return "numba" if engine == "bm25s-numba" else "numpy"


def build_bm25s(tokens: Tokens, path: Path, backend: str) -> None:
    """bm25s.BM25(method="lucene").index(list of token lists), then save(dir)."""
    import bm25s

    retriever = bm25s.BM25(k1=K1, b=B, method="lucene", backend=backend)
    retriever.index(tokens, show_progress=False)
    retriever.save(path, show_progress=False)


def open_bm25s(path: Path, backend: str) -> Search:
    """bm25s.BM25.load(dir, mmap=True); retrieve([query], k=10), one query, one thread."""
    import bm25s

    retriever = bm25s.BM25.load(path, mmap=True, backend=backend, show_progress=False)
    # One thread, no pool: n_threads=0 is the numpy backend's sequential path,
    # n_threads=1 the numba backend's serial kernel.
    threads = 1 if backend == "numba" else 0

    def search(query: list[str]) -> tuple[np.ndarray, np.ndarray]:
        result = retriever.retrieve([query], k=TOP_K, show_progress=False, n_threads=threads)
        return result.documents[0], result.scores[0]

    return search


def build_tantivy(tokens: TokenStream, path: Path) -> None:
    """One text field, whitespace tokenizer, term frequencies; a writer with a fixed heap."""
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("body", stored=False, tokenizer_name="whitespace", index_option="freq")
    builder.add_unsigned_field("pid", stored=False, fast=True)
    schema = builder.build()
    path.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(schema, path=str(path), reuse=False)
    writer = index.writer(heap_size=TANTIVY_HEAP)
    for number, words in enumerate(tokens):
        document = tantivy.Document()
        document.add_text("body", " ".join(words))
        document.add_unsigned("pid", number)  # only to map hits back, after the timing
        writer.add_document(document)
    writer.commit()
    writer.wait_merging_threads()


def open_tantivy(path: Path) -> tuple[Search, Callable[[list[tuple[int, int]]], list[int]]]:
    """tantivy.Index.open(dir); a boolean SHOULD of term queries; searcher.search(q, 10)."""
    import tantivy

    index = tantivy.Index.open(str(path))
    searcher = index.searcher()
    schema = index.schema
    should = tantivy.Occur.Should

    def search(query: list[str]) -> tuple[np.ndarray, np.ndarray]:
        clauses = [
            (should, tantivy.Query.term_query(schema, "body", w, index_option="freq"))
            for w in query
        ]
        hits = searcher.search(tantivy.Query.boolean_query(clauses), TOP_K, count=False).hits
        addresses = np.array([(a.segment_ord, a.doc) for _, a in hits], dtype=np.int64)
        return addresses.reshape(-1, 2), np.array([s for s, _ in hits], dtype=np.float64)

    def passage_ids(addresses: list[tuple[int, int]]) -> list[int]:
        docs = [tantivy.DocAddress(int(s), int(d)) for s, d in addresses]
        return [int(v) for v in searcher.fast_field_values("pid", docs)] if docs else []

    return search, passage_ids


def build_rank_bm25(tokens: Tokens) -> Search:
    """BM25Okapi(token_lists); top 10 by np.argpartition of get_scores."""
    from rank_bm25 import BM25Okapi

    model = BM25Okapi(tokens, k1=K1, b=B)

    def search(query: list[str]) -> tuple[np.ndarray, np.ndarray]:
        scores = model.get_scores(query)
        top = np.argpartition(-scores, TOP_K)[:TOP_K]
        top = top[np.argsort(-scores[top], kind="stable")]
        return top, scores[top]

    return search


# -- worker phases (each run in its own subprocess) ------------------------------------------


def measure(search: Search, queries: list[list[str]], rounds: int) -> tuple[dict[str, float], list]:
    """Warm up, then time each top-10 query alone, ``rounds`` times; keep each one's best.

    The best of a few rounds per query takes out what other processes on the machine
    add; the first round's percentiles are kept too, for comparison.
    """
    started = time.perf_counter_ns()
    search(queries[0])  # the first query pays for anything loaded lazily (JIT, caches)
    first_query_ms = (time.perf_counter_ns() - started) / 1e6
    for query in queries[1:WARMUP]:
        search(query)
    times = np.full((rounds, len(queries)), np.inf)
    results = []
    for round_ in range(rounds):
        for i, query in enumerate(queries):
            started = time.perf_counter_ns()
            found = search(query)
            times[round_, i] = time.perf_counter_ns() - started
            if round_ == 0:
                results.append(found)
    ms = times.min(axis=0) / 1e6
    first = times[0] / 1e6
    return {
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
        "mean_ms": float(ms.mean()),
        "qps": float(len(ms) / (ms.sum() / 1000)),
        "queries": len(queries),
        "rounds": rounds,
        "first_query_ms": first_query_ms,
        "first_round_p50_ms": float(np.percentile(first, 50)),
        "first_round_p99_ms": float(np.percentile(first, 99)),
    }, results


def save_top(path: Path, results: list, ids: Callable[[Any], list[int]] | None = None) -> None:
    """Save each query's top-10 (ids, scores) as arrays padded with -1 / NaN."""
    docs = np.full((len(results), TOP_K), -1, dtype=np.int64)
    scores = np.full((len(results), TOP_K), np.nan, dtype=np.float64)
    for i, (d, s) in enumerate(results):
        found = ids(d) if ids is not None else [int(x) for x in np.asarray(d)[:TOP_K]]
        docs[i, : len(found)] = found
        scores[i, : len(s)] = np.asarray(s, dtype=np.float64)[:TOP_K]
    np.savez(path, docs=docs, scores=scores)


def worker_build(engine: str, dataset: Dataset, n: int) -> dict[str, Any]:
    """Build one engine's index from the token lists and save it; time and peak memory.

    A streaming engine is given the generator, so decoding the passages is part of its
    build; the others are given a list made before the timer starts (its memory is in
    their input and peak, its time in neither).
    """
    streamed = engine in STREAMED
    listed: Tokens = [] if streamed else load_token_lists(dataset, n)
    path = dataset.index(engine, n)
    shutil.rmtree(path, ignore_errors=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A generator reads nothing until the engine asks for its first passage, in the timer.
    builders: dict[str, Callable[[], None]] = {
        "footnote": lambda: build_footnote(iter_token_lists(dataset, n), path),
        "bm25s": lambda: build_bm25s(listed, path, "numpy"),
        "bm25s-numba": lambda: build_bm25s(listed, path, "numba"),
        "tantivy": lambda: build_tantivy(iter_token_lists(dataset, n), path),
    }
    import_engine(engine)
    input_mb = rss_mb()
    with PeakMemory() as memory:
        started = time.perf_counter()
        builders[engine]()
        seconds = time.perf_counter() - started
    result = {
        "build_s": seconds,
        "input": "streamed" if streamed else "list",
        "input_mb": input_mb,
        "build_peak_mb": memory.peak_mb,
        "index_mb": tree_mb(path),
    }
    if engine == "footnote":
        result["api"] = footnote_build_api()
    return result


def import_engine(engine: str) -> None:
    """Import an engine's modules before anything is timed."""
    if engine.startswith("footnote"):
        import footnote.engine  # noqa: F401
    elif engine.startswith("bm25s"):
        import bm25s  # noqa: F401
    elif engine == "tantivy":
        import tantivy  # noqa: F401
    else:
        import rank_bm25  # noqa: F401


def worker_query(
    engine: str, dataset: Dataset, n: int, n_queries: int, out: Path, rounds: int
) -> dict:
    """Open a saved index in this fresh process, then time the queries one at a time."""
    queries = load_queries(dataset, n_queries)
    import_engine(engine)
    result: dict[str, Any] = {"base_rss_mb": rss_mb()}
    path = dataset.index(engine, n)
    ids = None
    started = time.perf_counter()
    if engine == "footnote":
        search = open_footnote(path)
    elif engine.startswith("bm25s"):
        search = open_bm25s(path, _bm25s_backend(engine))
    elif engine == "tantivy":
        search, ids = open_tantivy(path)
    else:
        raise ValueError(f"{engine} has no saved index")
    result["open_ms"] = (time.perf_counter() - started) * 1000
    result["open_rss_mb"] = rss_mb()
    timing, found = measure(search, queries, rounds)
    result.update(timing)
    result["query_peak_mb"] = peak_rss_mb()
    save_top(out, found, ids)
    return result


def worker_rank_bm25(
    dataset: Dataset, n: int, n_queries: int, out: Path, rounds: int
) -> dict[str, Any]:
    """rank_bm25 has no save/load: build in memory, then time the queries in this process."""
    tokens = load_token_lists(dataset, n)
    queries = load_queries(dataset, n_queries)
    import_engine("rank_bm25")
    input_mb = rss_mb()
    started = time.perf_counter()
    search = build_rank_bm25(tokens)
    result: dict[str, Any] = {
        "build_s": time.perf_counter() - started,
        "input": "list",
        "input_mb": input_mb,
        "build_peak_mb": peak_rss_mb(),
    }
    timing, found = measure(search, queries, rounds)
    result.update(timing)
    save_top(out, found)
    return result


def worker_parity(dataset: Dataset, n: int, n_queries: int) -> dict[str, Any]:
    """Footnote's okapi variant against rank_bm25's BM25Okapi: scores and top-10 sets."""
    from rank_bm25 import BM25Okapi

    from footnote.retrieval.embedded.bm25 import BM25Index

    tokens = load_token_lists(dataset, n)
    queries = load_queries(dataset, n_queries)
    reference = BM25Okapi(tokens, k1=K1, b=B)
    ours = BM25Index.build(tokens, variant="okapi", k1=K1, b=B)
    del tokens
    max_all = max_top = 0.0
    same = 0
    differ: list[int] = []
    for number, query in enumerate(queries):
        expected = reference.get_scores(query)
        max_all = max(max_all, float(np.abs(ours.get_scores(query) - expected).max()))
        docs, scores = ours.top_k(query, TOP_K)
        if len(docs):
            max_top = max(max_top, float(np.abs(scores - expected[docs]).max()))
        if same_top(docs, expected):
            same += 1
        else:
            differ.append(number)
    return {
        "queries": len(queries),
        "max_abs_diff": max_all,
        "max_abs_diff_top10": max_top,
        "same_top10": same,
        "differing_queries": differ[:20],
    }


def same_top(docs: np.ndarray, expected: np.ndarray, tolerance: float = 1e-9) -> bool:
    """Whether ``docs`` is a top-10 of ``expected``, ignoring documents tied with the 10th.

    The documents scoring strictly above the 10th best score must all be there, and
    every returned document must score at least that much (ties may go either way).
    Documents with no matching term (score 0) never count.
    """
    order = np.sort(expected)[::-1]
    tenth = max(float(order[min(TOP_K, len(order)) - 1]), 0.0)
    above = set(np.flatnonzero(expected > tenth + tolerance).tolist())
    got = [int(d) for d in docs]
    if len(got) != len(set(got)) or len(got) > TOP_K:
        return False
    if not all(expected[d] >= tenth - tolerance and expected[d] > 0 for d in got):
        return False
    matching = int((expected > 0).sum())
    return above <= set(got) and len(got) == min(TOP_K, matching)


def text_config(dataset: Dataset, n: int) -> Any:
    """The engine configuration for the text corpus (defaults but for the file size cap)."""
    from footnote.config import EngineConfig

    return EngineConfig(
        corpus_dir=dataset.text(n),
        index_dir=dataset.index(TEXT, n),
        max_file_bytes=1 << 30,
    )


def worker_text_build(dataset: Dataset, n: int) -> dict[str, Any]:
    """The embedded build from the JSON Lines files: the whole pipeline from text."""
    try:
        from footnote.retrieval.embedded.build import build
    except ImportError:  # before the build moved out of footnote.retrieval.embedded.index
        from footnote.retrieval.embedded.index import build  # type: ignore[attr-defined,no-redef]

    config = text_config(dataset, n)
    shutil.rmtree(config.index_path, ignore_errors=True)  # a cold, full build
    input_mb = rss_mb()
    with PeakMemory() as memory:
        started = time.perf_counter()
        report = build(config)
        seconds = time.perf_counter() - started
    return {
        "build_s": seconds,
        "input_mb": input_mb,
        "build_peak_mb": memory.peak_mb,
        "build_self_peak_mb": memory.self_peak_mb,
        "index_mb": tree_mb(config.index_path),
        "documents": report.documents,
        "passages": report.passages,
        "dropped": report.dropped,
        "skipped": len(report.skipped),
    }


def worker_text_ask(dataset: Dataset, n: int, n_queries: int, rounds: int) -> dict[str, Any]:
    """Engine.open on the built index, then Engine.ask(question, k=3) end to end."""
    from footnote.engine import Engine

    config = text_config(dataset, n)
    questions = [" ".join(q) for q in load_queries(dataset, n_queries)]
    result: dict[str, Any] = {"base_rss_mb": rss_mb()}
    started = time.perf_counter()
    engine, report = Engine.open(config)
    result["open_ms"] = (time.perf_counter() - started) * 1000
    result["open_rss_mb"] = rss_mb()
    if report is not None:
        raise RuntimeError("Engine.open rebuilt the index: the timing is not an open")

    def search(question: Any) -> tuple[np.ndarray, np.ndarray]:
        answer = engine.ask(question, k=3)
        return np.array([answer.answered]), np.array([m.score for m in answer.passages])

    timing, found = measure(search, questions, rounds)
    result.update(timing)
    result["with_passages"] = sum(1 for _, scores in found if len(scores))
    result["answered"] = sum(1 for answered, _ in found if answered[0])
    result["query_peak_mb"] = peak_rss_mb()
    return result


def time_cli_ask(dataset: Dataset, n: int, runs: int = 3) -> dict[str, Any]:
    """`footnote ask` with one question on the built index, the whole command timed (start,
    imports, open, answer, exit) in a fresh process each run; the median and every run."""
    question = " ".join(load_queries(dataset, 1)[0])
    config = text_config(dataset, n)
    command = [
        sys.executable,
        "-m",
        "footnote",
        "ask",
        f"--corpus={config.corpus_dir}",
        f"--index={config.index_path}",
        # The built index's file size cap: another would make the command rebuild it.
        f"--max-file-mb={config.max_file_bytes / 2**20:g}",
        "--json",
        question,
    ]
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        walls.append((time.perf_counter() - started) * 1000)
        if done.returncode != 0 or done.stderr.strip():
            log(f"footnote ask at {n:,} failed or rebuilt: {done.stderr.strip()[:200]}")
            return {"cli_ask_error": done.stderr.strip()[:200] or f"exit {done.returncode}"}
    log(f"footnote ask at {n:,}: {' / '.join(f'{w:.0f}' for w in walls)} ms")
    return {"cli_ask_ms": float(np.median(walls)), "cli_ask_runs_ms": walls}


def worker_main(argv: Sequence[str]) -> int:
    """Run one phase for one engine and size; print its result as one JSON line."""
    parser = argparse.ArgumentParser(prog="speed.py worker")
    parser.add_argument("--engine", required=True, choices=[*ENGINES, TEXT, "parity"])
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--phase", required=True, choices=["build", "query"])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)
    dataset = Dataset(args.data)
    engine, n = args.engine, args.size
    if engine == "parity":
        result = worker_parity(dataset, n, args.queries)
    elif engine == TEXT:
        if args.phase == "build":
            result = worker_text_build(dataset, n)
        else:
            result = worker_text_ask(dataset, n, args.queries, args.rounds)
    elif engine == "rank_bm25":
        result = worker_rank_bm25(dataset, n, args.queries, args.out, args.rounds)
    elif args.phase == "build":
        result = worker_build(engine, dataset, n)
    else:
        result = worker_query(engine, dataset, n, args.queries, args.out, args.rounds)
    print(json.dumps(result), flush=True)
    return 0


# -- the conductor ----------------------------------------------------------------------------


def run_worker(
    engine: str,
    n: int,
    phase: str,
    dataset: Dataset,
    queries: int,
    out: Path | None = None,
    rounds: int = 1,
) -> dict[str, Any]:
    """Run one worker subprocess; its JSON line, or an error entry when it failed."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "worker",
        f"--engine={engine}",
        f"--size={n}",
        f"--phase={phase}",
        f"--queries={queries}",
        f"--data={dataset.root}",
        f"--rounds={rounds}",
    ]
    if out is not None:
        command.append(f"--out={out}")
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - started
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        log(f"{engine} {phase} at {n:,} failed (exit {done.returncode})")
        return {"error": f"{phase} failed with exit status {done.returncode}"}
    log(f"{engine} {phase} at {n:,}: done in {wall:.1f} s")
    if phase == "build":
        # Write the new index to disk before it is opened: otherwise the kernel flushes the
        # build's dirty pages while the queries are timed, and the engine that writes the
        # larger index pays for it on these two CPUs (footnote at 1M, two runs: p50 1.06 ms
        # without the sync, 0.40 ms with it).
        settled = time.perf_counter()
        os.sync()
        log(f"{engine} at {n:,}: build written to disk in {time.perf_counter() - settled:.1f} s")
    return json.loads(lines[-1])


def available(engine: str) -> bool:
    """Whether an engine's package is installed (bm25s-numba also needs numba)."""
    modules = {
        "footnote": ["footnote"],
        TEXT: ["footnote"],
        "rank_bm25": ["rank_bm25"],
        "bm25s": ["bm25s"],
        "bm25s-numba": ["bm25s", "numba"],
        "tantivy": ["tantivy"],
    }[engine]
    from importlib.util import find_spec

    return all(find_spec(m) is not None for m in modules)


PASS_FIGURES = ("open_ms", "first_query_ms", "open_rss_mb", "p50_ms", "p99_ms", "mean_ms", "qps")


def median_of_passes(passes: list[dict[str, Any]]) -> dict[str, Any]:
    """One engine's query figures: each the median over its passes (an error if all failed)."""
    done = [p for p in passes if "error" not in p]
    if not done:
        return {"error": passes[-1]["error"]}
    merged = dict(done[-1])
    for key in PASS_FIGURES:
        values = [p[key] for p in done if p.get(key) is not None]
        if values:
            merged[key] = float(np.median(values))
    merged["p50_ms_passes"] = [p.get("p50_ms") for p in done]
    merged["p99_ms_passes"] = [p.get("p99_ms") for p in done]
    return merged


def query_count(engine: str, n: int, args: argparse.Namespace) -> int:
    """How many queries an engine answers at a size (fewer for slow or huge cases)."""
    if engine == "rank_bm25" and n >= 100_000:
        return min(args.queries, args.rank_bm25_queries)
    if n >= 1_000_000:
        return min(args.queries, args.queries_1m)
    return args.queries


def overlap(a: Path, b: Path) -> dict[str, Any]:
    """How often two engines' top-10 agree (ties with the 10th aside) and mean overlap."""
    first, second = np.load(a), np.load(b)
    rows = min(len(first["docs"]), len(second["docs"]))
    same, shared = 0, []
    for i in range(rows):
        da, sa = first["docs"][i], first["scores"][i]
        db, sb = second["docs"][i], second["scores"][i]
        da, sa, db, sb = da[da >= 0], sa[da >= 0], db[db >= 0], sb[db >= 0]
        same += _strict(da, sa) == _strict(db, sb)
        shared.append(len(set(da.tolist()) & set(db.tolist())) / max(len(da), 1))
    return {"queries": rows, "same_top10": same, "mean_overlap": float(np.mean(shared))}


def _strict(docs: np.ndarray, scores: np.ndarray) -> set[int]:
    """The documents of a top-10 scoring clearly above its 10th (on the engine's own scale)."""
    tenth = float(scores[TOP_K - 1]) if len(scores) >= TOP_K else 0.0
    tolerance = 1e-5 * max(abs(tenth), 1.0)  # float32 scores (bm25s) round at ~1e-7
    return set(docs[scores > tenth + tolerance].tolist())


def environment() -> dict[str, Any]:
    """The machine, the packages and footnote's git revision."""
    import psutil

    versions = {}
    for package in ("footnote", "numpy", "rank-bm25", "bm25s", "numba", "tantivy", "PyStemmer"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
            ).stdout.strip()
        except OSError:
            return ""

    dirty = bool(git("status", "--porcelain", "--", "src"))
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "packages": versions,
        "footnote_commit": git("rev-parse", "--short", "HEAD") + (" + local changes" * dirty),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Generate the corpora, run every engine in its own subprocess, write the reports."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["worker"]:
        return worker_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--queries", type=int, default=1000, help="queries per engine and size")
    parser.add_argument("--queries-1m", type=int, default=500, help="cap at 1M passages and up")
    parser.add_argument("--rank-bm25-queries", type=int, default=50, help="cap from 100k on")
    parser.add_argument("--parity-queries-100k", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; best per query")
    parser.add_argument(
        "--passes",
        type=int,
        default=3,
        help="query processes per engine, taking turns with the other engines; median kept",
    )
    parser.add_argument("--only", nargs="+", choices=[*ENGINES, TEXT], help="engines to run")
    parser.add_argument("--skip-text", action="store_true", help="skip footnote from text")
    parser.add_argument("--skip-parity", action="store_true")
    parser.add_argument("--keep-indexes", action="store_true", help="keep built indexes")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument(
        "--report-only", action="store_true", help="redraw speed.md and latency.png from speed.json"
    )
    parser.add_argument(
        "--append",
        action="store_true",
        help="merge into the results dir's speed.json: replace only the engines and sizes run",
    )
    args = parser.parse_args(argv)
    if args.report_only:
        results = with_runs(json.loads((args.results_dir / "speed.json").read_text()))
        write_reports(results, args.results_dir)
        return 0

    selected = [e for e in (args.only or [*ENGINES, TEXT]) if not (args.skip_text and e == TEXT)]
    missing = [e for e in selected if not available(e)]
    for engine in missing:
        log(f"{engine} is not installed; skipped (pip install -e '.[bench]')")
    corpus = {
        "seed": args.seed,
        "generator_version": GENERATOR_VERSION,
        "vocabulary": VOCAB_SIZE,
        "zipf_exponent": ZIPF_EXPONENT,
        "words_per_passage": [MEDIAN_WORDS, SIGMA_WORDS, MIN_WORDS, MAX_WORDS],
        "query_words": list(QUERY_WORDS),
        "query_skip_ranks": QUERY_SKIP_RANKS,
    }
    previous = load_previous(args.results_dir, corpus) if args.append else None
    dataset = dataset_for(args.data_dir, args.seed)
    run_dir = dataset.root / "runs" / time.strftime("%Y%m%dT%H%M%S")
    run_dir.mkdir(parents=True, exist_ok=True)
    env = environment()
    command = " ".join(["python benchmarks/speed.py", *argv])
    date = time.strftime("%Y-%m-%d %H:%M %Z")
    run_id = 1 + max((r["id"] for r in previous["runs"]), default=0) if previous else 1
    run = {
        "id": run_id,
        "date": date,
        "command": command,
        "footnote_commit": env["footnote_commit"],
        "load_average_at_start": env["load_average_at_start"],
        "rounds": args.rounds,
        "passes": args.passes,
        "packages": env["packages"],
    }
    results: dict[str, Any] = {
        "command": command,
        "date": date,
        "environment": env,
        "corpus": corpus,
        "rounds": args.rounds,
        "passes": args.passes,
        "runs": [run],
        "rows": [],
        "parity": [],
        "agreement": [],
    }
    log("making the vocabulary and the queries")
    results["corpus"]["vetting"] = prepare_vocabulary(dataset, args.seed, args.queries)
    partial = args.results_dir / "speed.json.tmp"
    args.results_dir.mkdir(parents=True, exist_ok=True)
    total_mb = machine_memory_mb()

    def record(row: dict[str, Any]) -> None:
        row["run"] = run_id
        results["rows"].append(row)
        partial.write_text(json.dumps(results, indent=1))

    def skip(engine: str, n: int, reason: str) -> None:
        log(f"{engine} not run at {n:,} passages: {reason}")
        record({"engine": engine, "size": n, "not_run": reason})

    for n in args.sizes:
        prepare_corpus(dataset, n, args.seed)
        lengths = np.load(dataset.corpus(n) / "lengths.npy")
        words = int(lengths.sum(dtype=np.int64))
        results["corpus"][str(n)] = {"words": words, "mean": float(lengths.mean())}
        del lengths
        for engine in missing:
            skip(engine, n, "not installed (pip install -e '.[bench]')")
        tops: dict[str, Path] = {}
        rows: dict[str, dict[str, Any]] = {}
        for engine in [e for e in ENGINES if e in selected and e not in missing]:
            # Estimates come from this run's rows and, with --append, the earlier ones.
            known = [*results["rows"], *(previous["rows"] if previous else [])]
            reason = skip_reason(engine, n, known, words, total_mb)
            if reason is not None:
                skip(engine, n, reason)
                continue
            queries = query_count(engine, n, args)
            out = run_dir / f"top-{engine}-{n}.npz"
            row: dict[str, Any] = {"engine": engine, "size": n}
            rows[engine] = row
            if engine == "rank_bm25":
                log(f"rank_bm25 at {n:,}: build and {queries} queries in one process")
                row.update(run_worker(engine, n, "query", dataset, queries, out, args.rounds))
            else:
                log(f"{engine} at {n:,}: build")
                row.update(run_worker(engine, n, "build", dataset, queries))
        # The query passes of the engines take turns, `passes` times over, and each engine's
        # figures are the median of its passes: on a shared machine a neighbour's burst of
        # work then lands on every engine alike instead of on whichever ran at that moment.
        for turn in range(args.passes):
            for engine, row in rows.items():
                if engine == "rank_bm25" or "error" in row:
                    continue
                queries = query_count(engine, n, args)
                out = run_dir / f"top-{engine}-{n}.npz"
                log(f"{engine} at {n:,}: open and {queries} queries (pass {turn + 1})")
                timing = run_worker(engine, n, "query", dataset, queries, out, args.rounds)
                row.setdefault("passes", []).append(timing)
        for engine, row in rows.items():
            if row.get("passes"):
                row.update(median_of_passes(row["passes"]))
            if engine != "rank_bm25" and not args.keep_indexes:
                shutil.rmtree(dataset.index(engine, n), ignore_errors=True)
            out = run_dir / f"top-{engine}-{n}.npz"
            if out.exists():
                tops[engine] = out
            record(row)
        for peer in PEERS:
            if "footnote" in tops and peer in tops:
                agreement = overlap(tops["footnote"], tops[peer])
                results["agreement"].append({"size": n, "peer": peer, "run": run_id, **agreement})
        if "footnote" in rows and "rank_bm25" in rows and not args.skip_parity:
            limit = args.queries if n <= 20_000 else args.parity_queries_100k
            log(f"parity with rank_bm25 at {n:,} over {limit} queries")
            parity = run_worker("parity", n, "query", dataset, limit)
            results["parity"].append({"size": n, "run": run_id, **parity})
        if TEXT in selected and TEXT not in missing:
            prepare_text(dataset, n, args.seed)
            queries = query_count(TEXT, n, args)
            row = {"engine": TEXT, "size": n}
            log(f"footnote from text at {n:,}: build")
            row.update(run_worker(TEXT, n, "build", dataset, queries))
            if "error" not in row:
                log(f"footnote from text at {n:,}: open and {queries} questions")
                row.update(run_worker(TEXT, n, "query", dataset, queries, None, args.rounds))
            if "error" not in row:
                row.update(time_cli_ask(dataset, n))
            if not args.keep_indexes:
                shutil.rmtree(dataset.index(TEXT, n), ignore_errors=True)
            record(row)

    load_at_end = [round(x, 2) for x in os.getloadavg()]
    results["environment"]["load_average_at_end"] = load_at_end
    run["load_average_at_end"] = load_at_end
    if previous is not None:
        results = merge(previous, results)
    write_reports(results, args.results_dir)
    partial.unlink(missing_ok=True)
    shutil.rmtree(run_dir, ignore_errors=True)
    return 0


def write_reports(results: dict[str, Any], folder: Path) -> None:
    """Write speed.json, speed.md and latency.png to a folder; print the Markdown."""
    markdown = render(results)
    (folder / "speed.json").write_text(json.dumps(results, indent=1) + "\n")
    (folder / "speed.md").write_text(markdown)
    chart(results, folder / "latency.png")
    print(markdown)


# -- skipping and merging runs -----------------------------------------------------------------


def machine_memory_mb() -> float:
    """The machine's total memory, in MiB."""
    import psutil

    return psutil.virtual_memory().total / MIB


def list_gb(n: int, words: int) -> float:
    """About how much memory ``n`` passages of ``words`` words in all take as Python lists."""
    # A list object per passage plus its slot in the outer list, and a pointer per word:
    # the strings themselves are the vocabulary's, shared.
    return (words * 8 + n * (sys.getsizeof([]) + 8)) / 1024**3


def estimated_build_peak(
    engine: str, n: int, rows: list[dict[str, Any]]
) -> tuple[float, dict[str, Any]] | None:
    """An engine's build peak at ``n`` passages (MiB), scaled linearly by passages from its
    largest measured size; with that measurement, or None when there is none."""
    measured = [r for r in rows if r["engine"] == engine and r.get("build_peak_mb")]
    if not measured:
        return None
    base = max(measured, key=lambda r: r["size"])
    return base["build_peak_mb"] * n / base["size"], base


def skip_reason(
    engine: str, n: int, rows: list[dict[str, Any]], words: int, total_mb: float
) -> str | None:
    """Why an engine is not run at a size (None: it is run), given the rows measured so far."""
    if engine == "rank_bm25" and n > RANK_BM25_MAX_SIZE:
        return (
            "it scores every passage in Python for each query, hours at this size "
            f"(run up to {RANK_BM25_MAX_SIZE:,} passages)"
        )
    if engine.startswith("bm25s") and n > BM25S_CHECKED_ABOVE:
        estimate = estimated_build_peak(engine, n, rows)
        if estimate is None:
            return (
                "needs the whole corpus as Python lists (about "
                f"{list_gb(n, words):.1f} GB at this size) plus its own arrays"
            )
        peak_mb, base = estimate
        if peak_mb > MEMORY_SHARE * total_mb:
            return (
                f"estimated build peak {peak_mb / 1024:.1f} GB (its "
                f"{base['build_peak_mb'] / 1024:.1f} GB at {base['size']:,} passages, scaled "
                f"by passages), over {MEMORY_SHARE:.0%} of this machine's "
                f"{total_mb / 1024:.1f} GB"
            )
    return None


def with_runs(results: dict[str, Any]) -> dict[str, Any]:
    """The results with a list of runs, every row tied to one (a file from before --append
    existed becomes run 1); changed in place and returned."""
    if "runs" not in results:
        env = results.get("environment", {})
        results["runs"] = [
            {
                "id": 1,
                "date": results.get("date"),
                "command": results.get("command"),
                "footnote_commit": env.get("footnote_commit"),
                "load_average_at_start": env.get("load_average_at_start"),
                "load_average_at_end": env.get("load_average_at_end"),
                "rounds": results.get("rounds"),
                "passes": results.get("passes"),
                "packages": env.get("packages"),
            }
        ]
    for entry in [*results["rows"], *results["parity"], *results["agreement"]]:
        entry.setdefault("run", results["runs"][0]["id"])
    return results


def load_previous(folder: Path, corpus: dict[str, Any]) -> dict[str, Any] | None:
    """The results to append to, if any; exits when they were made from another corpus."""
    path = folder / "speed.json"
    if not path.exists():
        log(f"--append: no {path} yet, so this run's results stand alone")
        return None
    previous = with_runs(json.loads(path.read_text()))
    differ = [k for k, v in corpus.items() if previous["corpus"].get(k) != v]
    if differ:
        raise SystemExit(
            f"--append: {path} was made from another corpus ({', '.join(differ)} differ); "
            "use another --results-dir or drop --append"
        )
    return previous


def _measured(row: dict[str, Any]) -> bool:
    """Whether a row holds figures (it was neither skipped nor failed)."""
    return "error" not in row and "not_run" not in row


def _row_order(row: dict[str, Any]) -> tuple[int, int]:
    return row["size"], ORDER.index(row["engine"]) if row["engine"] in ORDER else len(ORDER)


def merge(previous: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The new run's results laid over earlier ones: each engine and size it ran replaces the
    earlier row, and the parity and agreement lines it remade replace theirs."""
    # A row saying an engine was not run does not hide a measurement an earlier run made.
    kept_old = {
        (r["engine"], r["size"])
        for r in previous["rows"]
        if _measured(r)
        and any(
            s["engine"] == r["engine"] and s["size"] == r["size"] and "not_run" in s
            for s in new["rows"]
        )
    }
    new_rows = [r for r in new["rows"] if (r["engine"], r["size"]) not in kept_old]
    ran = {(r["engine"], r["size"]) for r in new_rows}
    rows = [r for r in previous["rows"] if (r["engine"], r["size"]) not in ran] + new_rows
    parity_sizes = {p["size"] for p in new["parity"]}
    parity = [p for p in previous["parity"] if p["size"] not in parity_sizes] + new["parity"]
    pairs = {(a["size"], a["peer"]) for a in new["agreement"]}
    agreement = [a for a in previous["agreement"] if (a["size"], a["peer"]) not in pairs] + new[
        "agreement"
    ]
    used = {e["run"] for e in [*rows, *parity, *agreement]}
    merged = dict(new)
    merged["rows"] = sorted(rows, key=_row_order)
    merged["parity"] = sorted(parity, key=lambda p: p["size"])
    merged["agreement"] = sorted(
        agreement, key=lambda a: (a["size"], PEERS.index(a["peer"]) if a["peer"] in PEERS else 9)
    )
    merged["corpus"] = {**previous["corpus"], **new["corpus"]}
    merged["runs"] = [r for r in [*previous["runs"], *new["runs"]] if r["id"] in used]
    return merged


# -- reports ----------------------------------------------------------------------------------


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _size(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k"


def _runs_note(entry: dict[str, Any], several: bool) -> str:
    """ " (run N)" after a line when the report merges several runs, else nothing."""
    return f" (run {entry['run']})" if several and "run" in entry else ""


def _not_run(row: dict[str, Any]) -> str:
    """What a row without figures says: why the engine was not run, or how it failed."""
    return f"not run: {row['not_run']}" if "not_run" in row else str(row.get("error"))


def render(results: dict[str, Any]) -> str:
    """The Markdown report: main table, ratios, parity, from-text rows, targets, runs."""
    results = with_runs(results)
    env = results["environment"]
    pkgs = ", ".join(f"{k} {v}" for k, v in env["packages"].items() if v)
    corpus = results["corpus"]
    vetting = corpus.get("vetting", {})
    runs = results["runs"]
    several = len(runs) > 1
    machine = (
        f"{env['cpus']} CPUs ({env['cpu']}), {env['memory_gb']} GB, {env['system']}, "
        f"Python {env['python']}"
    )
    if several:
        where = (
            f"Merged from {len(runs)} runs of `benchmarks/speed.py --append` on one machine "
            f"(the run column; each run's command, date, footnote revision and load average "
            f"are under [Runs](#runs)), the latest on {results['date']}: {machine}; "
            f"packages of the latest run: {pkgs}. Other work on the machine shows up as "
            "noise, mostly in p99."
        )
    else:
        where = (
            f"`{results['command']}` on {results['date']}: {machine}; {pkgs}; "
            f"footnote at {env['footnote_commit']}. Load average (1, 5, 15 min) "
            f"{env['load_average_at_start']} at the start, {env.get('load_average_at_end')} "
            "at the end: other work on the machine shows up as noise, mostly in p99."
        )
    rows = sorted((r for r in results["rows"] if r["engine"] != TEXT), key=_row_order)
    apis: dict[str, list[str]] = {}
    for r in rows:
        if r["engine"] == "footnote" and "api" in r:
            apis.setdefault(r["api"], []).append(_size(r["size"]))
    built = "; ".join(f"`{api}` at {', '.join(sizes)}" for api, sizes in apis.items())
    legacy = any("build_s" in r and "input" not in r for r in rows)
    # Merged runs may have used other numbers of rounds and passes: then the Runs table says.
    rounds = _same(runs, "rounds", results.get("rounds"), "timed rounds")
    passes = _same(runs, "passes", results.get("passes", 1), "passes")
    lines = [
        "# Speed: footnote beside rank_bm25, bm25s and tantivy",
        "",
        where,
        "",
        f"Corpus: seed {corpus['seed']}, {corpus['vocabulary']:,} pseudo-words with Zipf "
        f"exponent {corpus['zipf_exponent']}, log-normal passage lengths (mean "
        + ", ".join(
            f"{_size(int(k))} {v['mean']:.1f}"
            for k, v in sorted(((k, v) for k, v in corpus.items() if k.isdigit()), key=_by_size)
        )
        + " words); every word is its own term for footnote's analyzer (checked on all "
        + f"{vetting.get('checked', 0):,} candidates, {vetting.get('rejected', 0):,} rejected). "
        + "Queries: 2-6 distinct words, Zipf-drawn, never among the 100 most "
        f"frequent. Top 10, one query at a time on one thread, after {WARMUP} warm-up queries; "
        f"each query's time is its best of {rounds}; page cache warm. "
        f"Each engine's query figures are the median of {passes} "
        "(a fresh process each), the engines taking turns, so a neighbour's burst of work on "
        "this shared machine lands on all of them alike; the JSON keeps every pass.",
        "",
        "Input: footnote and tantivy take any iterable of token lists, so they are given a "
        "generator that decodes each passage from the cached word ids on disk as the engine "
        "asks for it (`streamed`): the decoding is inside their build time, alike for both, "
        "and the whole corpus is never held as lists. bm25s and rank_bm25 take a list, so "
        "theirs is made before their build's timer starts (`list`): its time is not in "
        "their build s, its memory is in their input MB and build peak MB. Input MB is the "
        "process's RSS just before the build starts; build peak MB is the most it held "
        "during the build, children included."
        + (
            " Rows measured before the generator was used say `list`: every engine was then "
            "given one."
            if legacy
            else ""
        )
        + (f" Footnote's index is built by {built}." if built else ""),
        "",
        "An engine that is not run at a size says why: rank_bm25 above "
        f"{RANK_BM25_MAX_SIZE:,} passages (it scores every passage in Python for each query), "
        f"and bm25s above {BM25S_CHECKED_ABOVE:,} when its build peak, scaled linearly by "
        "passages from its largest measured size, would pass "
        f"{MEMORY_SHARE:.0%} of the machine's memory (or when no smaller size was measured).",
        "",
    ]
    header = [
        "engine",
        "passages",
        "input",
        "build s",
        "input MB",
        "build peak MB",
        "index MB",
        "open ms",
        "1st query ms",
        "RSS after open MB",
        "p50 ms",
        "p99 ms",
        "queries/s",
        "queries",
    ] + ["run"] * several
    lines += _table_head(header, left=(0, 2))
    for r in rows:
        run = f" {r.get('run', '')} |" if several else ""
        if not _measured(r):
            lines.append(
                f"| {r['engine']} | {r['size']:,} | {_not_run(r)} |"
                + " |" * (len(header) - 3 - several)
                + run
            )
            continue
        lines.append(
            f"| {r['engine']} | {r['size']:,} | {r.get('input', 'list')} "
            f"| {_fmt(r.get('build_s'), 2)} "
            f"| {_fmt(r.get('input_mb'), 0)} | {_fmt(r.get('build_peak_mb'), 0)} "
            f"| {_fmt(r.get('index_mb'), 0)} | {_fmt(r.get('open_ms'), 1)} "
            f"| {_fmt(r.get('first_query_ms'), 1)} "
            f"| {_fmt(r.get('open_rss_mb'), 0)} | {_fmt(r.get('p50_ms'), 3)} "
            f"| {_fmt(r.get('p99_ms'), 3)} | {_fmt(r.get('qps'), 0)} | {r.get('queries', '')} |"
            + run
        )
    ratios = ratio_lines(rows)
    if ratios:
        lines += ["", *ratios]
    parity = parity_lines(results, several)
    if parity:
        lines += ["", "## Same answers", "", *parity]
    lines.append("")
    text_rows = sorted((r for r in results["rows"] if r["engine"] == TEXT), key=_row_order)
    if text_rows:
        lines += [
            "## Footnote end to end, from text",
            "",
            "The same passages written as JSON Lines articles (~10 paragraphs each, words as "
            "sentences), built cold by footnote's own build (`build(EngineConfig(...))`, what "
            "`footnote index` runs; peak RSS includes its worker processes), opened with "
            "`Engine.open`, asked with `Engine.ask(question, k=3)` (analyze + search + "
            "compose). Long paragraphs are cut at the default 200-token budget, so there are "
            "more passages than paragraphs. `footnote ask` ms: the whole command with one "
            "question (interpreter start, imports, open, answer, exit), median of 3 fresh "
            "processes; it answers through numpy rather than load the compiled kernels.",
            "",
        ]
        text_header = [
            "paragraphs",
            "passages",
            "build s",
            "build peak MB",
            "index MB",
            "open ms",
            "1st ask ms",
            "`footnote ask` ms",
            "RSS after open MB",
            "ask p50 ms",
            "ask p99 ms",
            "questions/s",
            "questions",
        ] + ["run"] * several
        lines += _table_head(text_header, left=())
        for r in text_rows:
            run = f" {r.get('run', '')} |" if several else ""
            if not _measured(r):
                lines.append(
                    f"| {r['size']:,} | {_not_run(r)} |"
                    + " |" * (len(text_header) - 2 - several)
                    + run
                )
                continue
            lines.append(
                f"| {r['size']:,} | {_fmt(r.get('passages'))} | {_fmt(r.get('build_s'), 1)} "
                f"| {_fmt(r.get('build_peak_mb'), 0)} | {_fmt(r.get('index_mb'), 0)} "
                f"| {_fmt(r.get('open_ms'), 1)} | {_fmt(r.get('first_query_ms'), 1)} "
                f"| {_fmt(r.get('cli_ask_ms'), 0)} | {_fmt(r.get('open_rss_mb'), 0)} "
                f"| {_fmt(r.get('p50_ms'), 3)} | {_fmt(r.get('p99_ms'), 3)} "
                f"| {_fmt(r.get('qps'), 0)} | {r.get('queries', '')} |" + run
            )
        lines.append("")
    lines += [*target_lines(results), "", *run_lines(results), ""]
    return "\n".join(lines)


def _same(runs: list[dict[str, Any]], key: str, default: Any, noun: str) -> str:
    """A count shared by every run ("3 passes"), or a pointer to the Runs table."""
    values = {run.get(key, default) for run in runs}
    return f"{values.pop()} {noun}" if len(values) == 1 else f"its run's {noun} (see Runs)"


def _by_size(item: tuple[str, Any]) -> int:
    return int(item[0])


def _table_head(columns: list[str], left: tuple[int, ...]) -> list[str]:
    """A Markdown table's header and rule; the columns numbered in ``left`` aligned left."""
    rule = "|".join("---" if i in left else "---:" for i in range(len(columns)))
    return ["| " + " | ".join(columns) + " |", f"|{rule}|"]


def _row(results: dict[str, Any], engine: str, n: int) -> dict[str, Any] | None:
    for r in results["rows"]:
        if r["engine"] == engine and r["size"] == n and _measured(r):
            return r
    return None


def ratio_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Footnote's latency and build over each peer's (below 1 means footnote is faster)."""
    by = {(r["engine"], r["size"]): r for r in rows if _measured(r)}
    sizes = sorted({r["size"] for r in rows})
    latency, build = [], []
    for n in sizes:
        ours = by.get(("footnote", n))
        if ours is None:
            continue
        for peer in PEERS:
            theirs = by.get((peer, n))
            if theirs is None:
                continue
            if "p50_ms" in ours and "p50_ms" in theirs:
                latency.append(
                    f"| {n:,} | {peer} | {ours['p50_ms'] / theirs['p50_ms']:.2f} "
                    f"| {ours['p99_ms'] / theirs['p99_ms']:.2f} "
                    f"| {ours['qps'] / theirs['qps']:,.1f}x |"
                )
            if ours.get("build_s") and theirs.get("build_s"):
                build.append(
                    f"| {n:,} | {peer} | {ours.get('input', 'list')} / "
                    f"{theirs.get('input', 'list')} "
                    f"| {ours['build_s'] / theirs['build_s']:.2f} "
                    f"| {ours['build_peak_mb'] / theirs['build_peak_mb']:.2f} |"
                )
    if not latency and not build:
        return []
    lines = ["## Ratios", ""]
    if latency:
        lines += [
            "Footnote's latency divided by the peer's (below 1.00: footnote is faster), and "
            "footnote's throughput over the peer's.",
            "",
            "| passages | peer | p50 footnote / peer | p99 footnote / peer "
            "| queries/s footnote / peer |",
            "|---:|---|---:|---:|---:|",
            *latency,
            "",
        ]
    if build:
        lines += [
            "Footnote's build time and build peak RSS divided by the peer's (below 1.00: "
            "footnote is faster or smaller). The input column says how each was given the "
            "token lists: a peer given a `list` has it in its peak but not in its time.",
            "",
            "| passages | peer | input footnote / peer | build s footnote / peer "
            "| build peak footnote / peer |",
            "|---:|---|---|---:|---:|",
            *build,
            "",
        ]
    return lines[:-1]


def parity_lines(results: dict[str, Any], several: bool = False) -> list[str]:
    """Score parity with rank_bm25 and top-10 agreement with the peers."""
    lines = []
    for p in results["parity"]:
        run = _runs_note(p, several)
        if "error" in p:
            lines.append(f"- {p['size']:,} passages: parity check failed ({p['error']}){run}")
            continue
        lines.append(
            f"- footnote `okapi` vs rank_bm25 `BM25Okapi`, {p['size']:,} passages, "
            f"{p['queries']} queries: max |score difference| {p['max_abs_diff']:.2e} over all "
            f"documents ({p['max_abs_diff_top10']:.2e} in the top 10); same top 10 (ties with "
            f"the 10th aside) in {p['same_top10']} of {p['queries']}{run}."
        )
    for a in results["agreement"]:
        note = {
            "rank_bm25": "lucene vs Okapi idf, informative",
            "tantivy": "tantivy's k1 is fixed at 1.2, informative",
        }.get(a["peer"], "same formula")
        lines.append(
            f"- footnote `lucene` vs {a['peer']}, {a['size']:,} passages ({note}): same top 10 "
            f"(ties aside) in {a['same_top10']} of {a['queries']}, mean overlap "
            f"{a['mean_overlap']:.1%}{_runs_note(a, several)}."
        )
    return lines


def target_lines(results: dict[str, Any]) -> list[str]:
    """The issue's targets, each with the measured value and whether it is met."""
    lines = [
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
    ]

    def add(target: str, measured: str, met: bool | None) -> None:
        verdict = "not measured" if met is None else "yes" if met else "**no**"
        lines.append(f"| {target} | {measured} | {verdict} |")

    def at_most(target: str, engine: str, n: int, stat: str, limit: float, unit: str) -> None:
        row = _row(results, engine, n)
        if row is None or stat not in row:
            add(target, f"no {engine} row at {_size(n)}", None)
            return
        scale = 1024 if unit == "GB" else 1
        shown = f"{row[stat] / scale:.2f} {unit}" if unit != "ms" else f"{row[stat]:.3f} ms"
        add(target, shown, row[stat] <= limit)

    def against_tantivy(target: str, n: int, stat: str, factor: float = 1.0) -> None:
        ours, theirs = _row(results, "footnote", n), _row(results, "tantivy", n)
        missing = [e for e, r in (("footnote", ours), ("tantivy", theirs)) if r is None]
        if ours is None or theirs is None or stat not in ours or stat not in theirs:
            add(target, f"no {' or '.join(missing) or stat} row at {_size(n)}", None)
            return
        unit, scale, digits = {
            "build_s": ("s", 1.0, 1),
            "build_peak_mb": ("GB", 1024.0, 2),
        }.get(stat, ("ms", 1.0, 3))
        inputs = ""
        if stat.startswith("build") and ours.get("input", "list") != theirs.get("input", "list"):
            inputs = (
                f" (footnote {ours.get('input', 'list')}, tantivy {theirs.get('input', 'list')})"
            )
        add(
            target,
            f"{ours[stat] / scale:.{digits}f} {unit} vs tantivy {theirs[stat] / scale:.{digits}f} "
            f"{unit}{inputs}",
            ours[stat] <= factor * theirs[stat],
        )

    ten, one = 10_000_000, 1_000_000
    at_most(
        "build at 10M from token lists: peak RSS <= 4 GB",
        "footnote",
        ten,
        "build_peak_mb",
        4 * 1024,
        "GB",
    )
    at_most(
        "build at 10M from text (footnote-text): peak RSS <= 4 GB",
        TEXT,
        ten,
        "build_peak_mb",
        4 * 1024,
        "GB",
    )
    against_tantivy("build at 10M <= tantivy's, same token lists", ten, "build_s")
    row = _row(results, "footnote", ten)
    if row is None or "open_ms" not in row:
        add("open at 10M < 1 s", "no footnote row at 10M", None)
    else:
        add("open at 10M < 1 s", f"{row['open_ms']:.0f} ms", row["open_ms"] < 1000)
    against_tantivy("top-10 p50 at 10M <= tantivy's", ten, "p50_ms")
    against_tantivy("top-10 p99 at 10M <= tantivy's", ten, "p99_ms")
    text = _row(results, TEXT, ten)
    if text is None or "p50_ms" not in text:
        add("ask end to end at 10M (footnote-text): p50 < 10 ms", f"no {TEXT} row at 10M", None)
    else:
        add(
            "ask end to end at 10M (footnote-text): p50 < 10 ms",
            f"{text['p50_ms']:.2f} ms",
            text["p50_ms"] < 10,
        )
    against_tantivy("build at 1M <= tantivy's, same token lists", one, "build_s")
    against_tantivy("build peak RSS at 1M <= 1.5x tantivy's", one, "build_peak_mb", 1.5)
    return lines


def run_lines(results: dict[str, Any]) -> list[str]:
    """Which run each row comes from: its command, date, footnote revision and load."""
    lines = [
        "## Runs",
        "",
        "| run | date | footnote at | load average at start / end | rounds, passes | measured "
        "| command |",
        "|---:|---|---|---|---|---|---|",
    ]
    for run in results["runs"]:
        measured: dict[int, list[str]] = {}
        for r in sorted(results["rows"], key=_row_order):
            if r.get("run") == run["id"]:
                measured.setdefault(r["size"], []).append(r["engine"])
        what = "; ".join(f"{_size(n)}: {', '.join(e)}" for n, e in measured.items())
        load = f"{run.get('load_average_at_start')} / {run.get('load_average_at_end')}"
        lines.append(
            f"| {run['id']} | {run.get('date')} | {run.get('footnote_commit')} | {load} "
            f"| {run.get('rounds')}, {run.get('passes')} | {what} | `{run.get('command')}` |"
        )
    return lines


def _ms_label(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}" if value >= 1 else f"{value:.2g}"


def _spread(values: list[float], gap: float = 0.1) -> list[float]:
    """Label heights (log10) at least ``gap`` apart, kept in the values' order."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    placed = [0.0] * len(values)
    last = -np.inf
    for i in order:
        placed[i] = max(float(np.log10(values[i])), last + gap)
        last = placed[i]
    return placed


def chart(results: dict[str, Any], path: Path) -> None:
    """Log-log p50 latency against corpus size, one line per engine, values labelled."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    styles = {
        "footnote": ("#d62728", "o", "-"),
        TEXT: ("#d62728", "o", ":"),
        "rank_bm25": ("#7f7f7f", "s", "-"),
        "bm25s": ("#1f77b4", "^", "-"),
        "bm25s-numba": ("#17becf", "v", "-"),
        "tantivy": ("#2ca02c", "D", "-"),
    }
    names = {
        "footnote": "footnote (top_k)",
        TEXT: "footnote ask, end to end (k=3; x = paragraphs)",
    }
    figure, axes = plt.subplots(figsize=(8, 5.2), dpi=150)
    labels: dict[int, list[tuple[float, str]]] = {}
    for engine, (color, marker, line) in styles.items():
        points = sorted(
            (r["size"], r["p50_ms"])
            for r in results["rows"]
            if r["engine"] == engine and "p50_ms" in r
        )
        if not points:
            continue
        x, y = zip(*points, strict=True)
        name = names.get(engine, engine)
        axes.plot(x, y, marker=marker, linestyle=line, color=color, label=name)
        for xi, yi in points:
            labels.setdefault(xi, []).append((yi, color))
    for xi, items in labels.items():
        heights = _spread([y for y, _ in items])
        for (yi, color), height in zip(items, heights, strict=True):
            axes.annotate(
                _ms_label(yi),
                (xi, yi),
                xytext=(xi * 1.18, 10**height),
                textcoords="data",
                va="center",
                fontsize=7,
                color=color,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
            )
    sizes = sorted(labels)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlim(sizes[0] / 1.4, sizes[-1] * 1.7)
    axes.set_xticks(sizes, [_size(n) for n in sizes])
    axes.minorticks_off()
    axes.set_xlabel("passages")
    axes.set_ylabel("p50 latency, ms (log scale)")
    axes.set_title(
        f"Top-10 query latency, p50: one query at a time, one thread "
        f"(best of {results.get('rounds', 1)} rounds)",
        fontsize=10,
    )
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(fontsize=8, loc="upper left")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


if __name__ == "__main__":
    sys.exit(main())
