"""Building an index: files analysed in parallel, unchanged files reused, one atomic swap."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import multiprocessing
import os
import pickle
import re
import shutil
import sqlite3
import sys
import time
from array import array
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from itertools import chain, repeat
from pathlib import Path

import numpy as np

from footnote.config import EngineConfig
from footnote.errors import CorpusError, IndexCorrupt, IndexError_
from footnote.ingest import chunks as vocabularies
from footnote.ingest.boilerplate import (
    FURNITURE,
    chrome_line,
    furniture_paragraphs,
    paragraph_key,
    repeat_threshold,
    repeated_reason,
)
from footnote.ingest.chunks import SIZE_BITS, SIZE_MASK, ChunkTable
from footnote.ingest.corpus import (
    Block,
    CorpusFile,
    Document,
    Skipped,
    file_key,
    find_files,
    fingerprint,
    read_file,
    single_spaced,
)
from footnote.ingest.passages import map_offsets, paragraph_pieces, word_pieces
from footnote.memory import return_free_memory
from footnote.retrieval.base import (
    TITLE_PREFIX,
    IndexedDocument,
    IndexedPassage,
    PassageRef,
    StoredDocument,
    StoredPassage,
)
from footnote.retrieval.embedded.bm25 import BM25Index
from footnote.retrieval.embedded.index import (
    FORMAT_VERSION,
    MANIFEST,
    STORE,
    CorpusIndex,
    build_lock,
    current_generation_safe,
    current_state,
    fsync_tree,
    generation_folder,
    os_message,
    partial_folder,
    publish,
    remove_old_generations,
    remove_partial_builds,
    sha256_file,
)
from footnote.retrieval.embedded.index_guard import check_index_folder
from footnote.retrieval.embedded.repeats import Pairs, Repeats, name_number
from footnote.retrieval.embedded.runs import Runs, merge_runs
from footnote.retrieval.embedded.segments import LiveIndex, live_files, open_live

log = logging.getLogger(__name__)

# Below this many files (or bytes) a build runs in one process: starting workers costs more.
PARALLEL_MIN_FILES = 8
PARALLEL_MIN_BYTES = 4 * 1024 * 1024

_NO_ROWS = pickle.dumps([])


@dataclass
class BuildReport:
    """What a build read, dropped, skipped, reused and changed."""

    documents: int = 0
    passages: int = 0
    furniture_dropped: int = 0
    repeated_dropped: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    files_reused: int = 0
    files_analysed: int = 0
    # An update's delta has grown past the merge threshold (updates.merge is due).
    merge_due: bool = False
    seconds: float = 0.0
    directory: str = ""
    started: float = field(default_factory=time.perf_counter)

    @property
    def dropped(self) -> int:
        """Paragraphs dropped as boilerplate."""
        return self.furniture_dropped + self.repeated_dropped


@dataclass
class FileAnalysis:
    """One file read, cut into passages and analysed, with its own small vocabulary.

    Term counts are kept as (passage, term, weighted tf) triples, by term then passage (the
    order of the index's lists, with the file's own term ids): the heading's words count
    ``heading_weight`` times, decaying with the passage's distance from its heading (BM25F).
    The passages' rows travel pickled (``packed_rows``): the builder holds every file's until
    the generation is written, and one bytes object costs far less than a million tuples.
    """

    relative: str
    key: str
    documents: list[tuple] = field(default_factory=list)
    packed_rows: bytes = _NO_ROWS
    # Each passage's document and paragraph key (as a number), for the repeat detection.
    row_docs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    row_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    # Whether each passage could be a line of a site's chrome: the only repeats dropped.
    row_short: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    vocabulary: list[str] = field(default_factory=list)
    passage_of: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    term_of: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    tf: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Paragraphs dropped as site furniture: (document id, paragraph number, text), listed
    # by `footnote sources --dropped` so that no dropped word goes unseen.
    furniture: list[tuple[str, int, str]] = field(default_factory=list)
    # From a worker of a parallel build (its pid and the build), term ids are the worker's
    # own and ``vocabulary`` lists only the terms it had not sent before in this build, with
    # their ids in ``vocabulary_ids``: the builder keeps each worker's ids to global ids, so
    # a term's string crosses between processes once per worker, not once per file.
    sender: tuple[int, str] | None = None
    vocabulary_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # Where the builder put the packed rows to wait for the store (file, offset, bytes).
    rows_at: tuple[Path, int, int] | None = None

    @property
    def passages(self) -> int:
        """How many passages the file gave."""
        return len(self.row_docs)

    def rows(self) -> list[tuple]:
        """The passages' rows: (doc, paragraph, part, section, start, end, text, key)."""
        if self.rows_at is not None:
            path, offset, size = self.rows_at
            with path.open("rb") as handle:
                handle.seek(offset)
                return pickle.loads(handle.read(size))
        return pickle.loads(self.packed_rows)

    def set_rows(self, rows: list[tuple]) -> None:
        """Store the passages' rows (packed), with their documents and keys as arrays."""
        self.packed_rows = pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)
        self.rows_at = None
        self.row_docs = np.fromiter((r[0] for r in rows), dtype=np.int32, count=len(rows))
        self.row_keys = _key_numbers([r[7] for r in rows])
        self.row_short = np.fromiter((chrome_line(r[6]) for r in rows), dtype=bool, count=len(rows))


def _key_numbers(keys: list[str]) -> np.ndarray:
    """Paragraph keys (16 hex digits) as unsigned 64-bit numbers, compared without strings."""
    return np.frombuffer(bytes.fromhex("".join(keys)), dtype=">u8").astype(np.uint64)


# A single-spaced paragraph: its block, number and section, its text's UTF-8 bytes, how
# many words it has, and whether it may need cutting.
_Plain = tuple[Block, int, str | None, bytes, int, bool]
# A paragraph cut the general way (odd spacing, a long word): its block, number and section.
_Cut = tuple[Block, int, str | None]


class _FileReader:
    """Cuts one file's documents into passages and collects their rows and term ids.

    The same passages as ``document_passages`` (with no repeated keys), but each paragraph
    is split into words once: its token count, its term ids and its key all come from that.
    A file's plain paragraphs (single-spaced, no word near the budget alone) are looked up
    together, their token counts summed with numpy; the others go the general way.
    """

    def __init__(self, config: EngineConfig, compiled: bool = False) -> None:
        self.config = config
        self.fields = config.fields
        # A word that could be over the budget alone: over a quarter of it in characters.
        self.long_word = re.compile(f"[^ ]{{{config.token_budget // 4 + 1}}}")
        self.chunks = vocabularies.vocabulary(config.analyzer)
        self.chunks.forget_uncached()
        self.table: ChunkTable | None = vocabularies.table(self.chunks) if compiled else None
        self.furniture: list[tuple[str, int, str]] = []
        self.rows: list[tuple] = []
        # Per passage: its heading's term ids (and weight), the title's, the body's chunks;
        # expanded with numpy at the end. Arrays of machine integers: numpy takes them fast.
        self.heading_terms = array("q")
        self.heading_counts: list[int] = []
        self.heading_weights: list[float] = []
        self.title_terms = array("q")
        self.title_counts: list[int] = []
        self.body_chunks: list[np.ndarray] = []  # the passages' chunk numbers, in order
        self.body_counts: list[int] = []

    def postings(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(term, passage, weight) of every term of every passage, headings' first.

        Summed per passage and term, the weights come out as they did when each passage's
        heading, title and body terms stood together: headings still come first.
        """
        passages = np.arange(len(self.body_counts), dtype=np.int64)
        chunks = np.concatenate(self.body_chunks) if self.body_chunks else np.zeros(0, np.int64)
        body, per_chunk = self.chunks.expand(chunks)
        body_passages = np.repeat(np.repeat(passages, self.body_counts), per_chunk)
        heading_weights = np.asarray(self.heading_weights, dtype=np.float64)
        terms = np.concatenate(
            [np.array(self.heading_terms, np.int64), np.array(self.title_terms, np.int64), body]
        )
        of = np.concatenate(
            [
                np.repeat(passages, self.heading_counts),
                np.repeat(passages, self.title_counts),
                body_passages,
            ]
        )
        weights = np.concatenate(
            [
                np.repeat(heading_weights, self.heading_counts),
                np.ones(len(self.title_terms) + len(body), dtype=np.float64),
            ]
        )
        return terms, of, weights

    def read(self, documents: list[Document]) -> list[int]:
        """Add every document's passages; how many each gave.

        Every paragraph is sorted first (furniture, plain, or cut the general way), so the
        plain ones' words of the whole file are looked up at once: the words seen for the
        first time are analysed in one run, with their code and tables warm in the CPU's
        caches, rather than one here and one there between a million lookups.
        """
        layouts = [self._layout(document) for document in documents]
        plain = [item for layout in layouts for item in layout if len(item) == 6]
        words = sum(p[4] for p in plain)  # type: ignore[misc]
        if self.table is not None:
            entries = self.table.entries([p[3] for p in plain], words)  # type: ignore[misc]
        else:
            entries = np.fromiter(
                map(self.chunks.__getitem__, chain.from_iterable(p[0].text.split() for p in plain)),
                dtype=np.int64,
                count=words,
            )
        counts, at = [], 0
        for local_doc, (document, layout) in enumerate(zip(documents, layouts, strict=True)):
            count, at = self._document(local_doc, document, layout, entries, at)
            counts.append(count)
        return counts

    def _layout(self, document: Document) -> list[_Plain | _Cut]:
        """A document's paragraphs but furniture, in order: plain, or to be cut in general."""
        budget = self.config.token_budget
        countable = self.chunks.counter is not None and budget < SIZE_MASK
        layout: list[_Plain | _Cut] = []
        section: str | None = None
        number = 0
        furniture = (
            set()
            if self.config.keep_boilerplate
            else furniture_paragraphs(
                [b.text for b in document.blocks if b.kind != "heading"], document.format
            )
        )
        for block in document.blocks:
            if block.kind == "heading":
                section = block.text
                continue
            number += 1
            text = block.text
            if number - 1 in furniture:
                self.furniture.append((document.id, number, text))
                continue
            encoded = text.encode("utf-8", "surrogatepass")
            long = len(encoded) > budget  # see paragraph_pieces
            # The fast way needs single spaces and, when the paragraph may be cut, token
            # counts (and a budget) that fit their packed bits and no word that could be over
            # the budget alone (a token is at most 4 bytes: one character's).
            if single_spaced(text) and not (
                long and (not countable or self.long_word.search(text))
            ):
                layout.append((block, number, section, encoded, text.count(" ") + 1, long))
            else:
                layout.append((block, number, section))
        return layout

    def _document(
        self,
        local_doc: int,
        document: Document,
        layout: list[_Plain | _Cut],
        entries: np.ndarray,
        at: int,
    ) -> tuple[int, int]:
        """Add one document's passages, its plain paragraphs' entries from ``at`` on; how
        many passages it gave, and where the next document's entries start."""
        chunks = self.chunks
        self.title = (
            [chunks.term_id(TITLE_PREFIX + t) for t in chunks.analyzer.terms(document.title)]
            if self.config.title_weight > 0
            else []
        )
        self.heading_ids: dict[str | None, list[int]] = {}
        self.position, self.previous = 0, object()
        self.where = (local_doc, document)
        run: list[_Plain] = []
        count = 0
        for item in layout:
            if len(item) == 6:
                run.append(item)  # type: ignore[arg-type]
                continue
            added, at = self._plain(run, entries, at)  # passages stay in paragraph order
            count += added + self._cut_paragraph(*item)  # type: ignore[arg-type]
        added, at = self._plain(run, entries, at)
        return count + added, at

    def _plain(self, paragraphs: list[_Plain], entries: np.ndarray, at: int) -> tuple[int, int]:
        """Add the passages of single-spaced paragraphs whose words' entries start at ``at``
        in ``entries``; how many passages, and where the next paragraphs' entries start."""
        if not paragraphs:
            return 0, at
        counts = [p[4] for p in paragraphs]
        stop = at + sum(counts)
        entries = entries[at:stop]
        sizes = entries & SIZE_MASK
        firsts = np.zeros(len(counts), dtype=np.int64)
        np.cumsum(counts[:-1], out=firsts[1:])
        # Each paragraph's tokens, but for its first word's (counted without a space below).
        rest = (np.add.reduceat(sizes, firsts) - sizes[firsts]).tolist()
        # Every word is a passage's, in order: the pieces of a paragraph cover its words.
        self.body_chunks.append(entries >> SIZE_BITS)
        budget, counter = self.config.token_budget, self.chunks.counter
        added = 0
        for (block, number, section, _, n_words, long), first, tail in zip(
            paragraphs, firsts.tolist(), rest, strict=True
        ):
            text = block.text
            if not long or counter.bare(text.split(" ", 1)[0]) + tail <= budget:  # type: ignore[union-attr]
                key = paragraph_key(text, spaced=True)
                self._passage(block, number, 0, section, 0, len(text), text, n_words, key)
                added += 1
                continue
            paragraph_sizes = sizes[first : first + n_words].tolist()
            pieces = word_pieces(text, paragraph_sizes, budget, counter)  # type: ignore[arg-type]
            assert pieces is not None, "no word is over the budget alone (checked above)"
            for part, (start_word, end_word, start, end) in enumerate(
                pieces, start=1 if len(pieces) > 1 else 0
            ):
                piece = text if len(pieces) == 1 else text[start:end]
                key = paragraph_key(piece, spaced=True)
                n_body = end_word - start_word
                self._passage(block, number, part, section, start, end, piece, n_body, key)
            added += len(pieces)
        paragraphs.clear()
        return added, stop

    def _cut_paragraph(self, block: Block, number: int, section: str | None) -> int:
        """Add the passages of a paragraph cut the general way (odd spacing, long words)."""
        pieces = paragraph_pieces(block.text, self.config.token_budget)
        get = self.chunks.__getitem__
        for part, (start, end) in enumerate(pieces, start=1 if len(pieces) > 1 else 0):
            piece = block.text[start:end]
            body = np.fromiter(map(get, piece.split()), dtype=np.int64) >> SIZE_BITS
            self.body_chunks.append(body)
            key = paragraph_key(piece)
            self._passage(block, number, part, section, start, end, piece, len(body), key)
        return len(pieces)

    def _heading(self, section: str | None) -> list[int]:
        """The term ids of a section title, found once per document."""
        heading = self.heading_ids.get(section)
        if heading is None:
            heading = self.heading_ids[section] = self.chunks.of(section or "")
        return heading

    def _passage(
        self,
        block: Block,
        number: int,
        part: int,
        section: str | None,
        start: int,
        end: int,
        text: str,
        n_body: int,
        key: str,
    ) -> None:
        """Add one passage: its row, and its heading's and title's terms and body's size.

        The caller has added the body's ``n_body`` chunk numbers to ``body_chunks``.
        """
        self.position = self.position + 1 if section == self.previous else 0
        self.previous = section
        heading = self._heading(section)
        self.heading_terms.extend(heading)
        self.heading_counts.append(len(heading))
        self.heading_weights.append(self.fields.section_weight(self.position))
        # The article's title, as terms of their own (own idf), in each passage.
        self.title_terms.extend(self.title)
        self.title_counts.append(len(self.title))
        self.body_counts.append(n_body)
        local_doc, document = self.where
        code_at = None
        if block.code_at is not None and block.code_at < end:  # the piece holds code
            code_at = max(block.code_at - start, 0)
        language = block.language if code_at is not None else None
        start, end = map_offsets(document, block, start, end)
        links = json.dumps(block.links) if block.links else None  # the targets of its links
        place = (local_doc, number, part, section, start, end)
        self.rows.append((*place, text, key, block.page, code_at, language, links))


def analyse_file(
    file: CorpusFile, config: EngineConfig, compiled: bool = False, build_id: str | None = None
) -> FileAnalysis:
    """Read one file into passages and count each passage's (weighted) terms.

    ``compiled`` looks words up in the compiled table (same result, faster on big corpora);
    ``build_id`` names the parallel build this worker reads for (see ``FileAnalysis.sender``).
    """
    read = read_file(file, config.max_file_bytes, config.base_url)
    result = FileAnalysis(
        file.relative, file_key(file), skipped=read.skipped, warnings=read.warnings
    )
    reader = _FileReader(config, compiled)
    for document, count in zip(read.documents, reader.read(read.documents), strict=True):
        result.documents.append(
            (document.id, document.title, document.url, document.published, document.source,
             document.path, document.format, count)
        )  # fmt: skip
    result.furniture = reader.furniture
    result.set_rows(reader.rows)
    passage_of, term_of, result.tf = _term_counts(*reader.postings())
    result.passage_of = passage_of.astype(np.int32)
    terms = reader.chunks.terms
    if build_id is not None:
        new = reader.chunks.unsent(term_of, build_id)
        result.sender, result.vocabulary_ids = (os.getpid(), build_id), new
        result.vocabulary = [terms[i] for i in new.tolist()]
        result.term_of = term_of.astype(np.int32)
        return result
    # The process's vocabulary spans every file it read: keep only this file's terms.
    used, local = _used_terms(term_of, len(terms))
    result.vocabulary = [terms[i] for i in used.tolist()]
    result.term_of = local.astype(np.int32)
    return result


def _used_terms(term_of: np.ndarray, n_terms: int) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(term_of, return_inverse=True) without sorting: ids are below n_terms."""
    seen = np.zeros(n_terms, dtype=bool)
    seen[term_of] = True
    rank = np.cumsum(seen) - 1
    return np.flatnonzero(seen), rank[term_of]


def _term_counts(
    terms: np.ndarray, passages: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(passage, term, summed weight) for every distinct term of every passage.

    By term, then passage: the order of the index's posting lists, so the builder merges
    the files' lists without sorting them again. The weights of a passage's term are summed
    in the order given (headings first).
    """
    if not len(terms):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    width = int(passages.max()) + 1
    keys, inverse = np.unique(terms * width + passages, return_inverse=True)
    tf = np.bincount(inverse, weights=weights).astype(np.float32)
    return keys % width, keys // width, tf


def _analyse_star(job: tuple[CorpusFile, EngineConfig, bool, str | None]) -> FileAnalysis:
    analysis = analyse_file(*job)
    return_free_memory()  # what reading the file took, before the worker reads the next
    return analysis


def _analyse_all(
    files: list[CorpusFile], config: EngineConfig, advance: Callable[[int], None]
) -> Iterator[FileAnalysis]:
    """Analyses in file order; in worker processes when the corpus is big enough to pay."""
    workers = min(os.cpu_count() or 1, 8)
    big = len(files) >= PARALLEL_MIN_FILES and sum(f.size for f in files) >= PARALLEL_MIN_BYTES
    # Loaded (importing numba, half a second) before the workers fork, which inherit it.
    compiled = big and vocabularies.compiled_table() is not None
    if workers < 2 or not big:
        for file in files:
            yield analyse_file(file, config, compiled)
            advance(1)
        return
    build_id = f"{os.getpid()}-{time.time_ns()}"
    jobs = [(file, config, compiled, build_id) for file in files]
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    # An executor, not a Pool: a worker killed by the OOM killer or a crash in a parser's C
    # code breaks the executor (an error here) where a Pool would wait for it forever.
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        try:
            for analysis in pool.map(_analyse_star, jobs):
                yield analysis
                advance(1)
        except BrokenProcessPool as exc:
            raise IndexError_(
                "A worker process reading the corpus died (out of memory, or killed); the "
                "previous index is kept. Free some memory and rebuild."
            ) from exc


def progress(total: int, desc: str, unit: str = "file") -> Callable[[int], None]:
    """A tqdm bar on stderr for long builds; silent when stderr is not a terminal."""
    if total < 20 or not sys.stderr.isatty():
        return lambda n: None
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False)

    def update(n: int) -> None:
        bar.update(n)
        if bar.n >= total:
            bar.close()

    return update


# -- reusing the live index --------------------------------------------------------------


class _Previous:
    """The live state, for reusing the analysis of files that did not change: the base
    generation's, and the delta's (its files' analyses, kept whole)."""

    def __init__(self, root: Path, config: EngineConfig, load_delta: bool = False) -> None:
        self.index: CorpusIndex | None = None
        self.files: dict[str, dict] = {}  # the live state's files (for the report)
        self.base_files: dict[str, dict] = {}
        # The delta's files: (key, pickled analysis), read now when ``load_delta`` (a merge
        # reads them later, after updates may have replaced the delta), else when asked.
        self.delta_files: dict[str, tuple[str, Path | bytes]] = {}
        try:
            state = current_state(root)
        except IndexCorrupt:
            return
        if state is None:
            return
        try:
            index = CorpusIndex.open_folder(state[0])
        except (IndexCorrupt, OSError):
            return
        if index.manifest.get("settings") != config.reading_settings():
            index.close()
            return  # analysed differently: nothing can be reused
        self.index = index
        self.files = self.base_files = index.manifest.get("files", {})
        if state[1] is not None:
            self._take_delta(state[1], load_delta)

    def _take_delta(self, delta: Path, load: bool) -> None:
        try:
            manifest = json.loads((delta / MANIFEST).read_text(encoding="utf-8"))
            self.files = live_files(self.base_files, manifest)
            for relative, meta in manifest["files"].items():
                path = delta / "analyses" / meta["analysis"]
                self.delta_files[relative] = (meta["key"], path.read_bytes() if load else path)
        except (OSError, ValueError, KeyError, TypeError):
            self.files, self.delta_files = self.base_files, {}

    def close(self) -> None:
        """Close the base's store connection."""
        if self.index is not None:
            self.index.close()

    def reusable(self, file: CorpusFile) -> bool:
        """Whether the live index holds this very version of the file, every paragraph of it.

        A file with paragraphs dropped as repeated is read again from the base (its store
        keeps no terms for them, and they must come back as passages once they stop
        repeating); a delta keeps its files' analyses whole.
        """
        key = file_key(file)
        if self.delta_files.get(file.relative, ("",))[0] == key:
            return True
        meta = self.base_files.get(file.relative)
        return (
            self.index is not None
            and meta is not None
            and meta.get("key") == key
            and not meta.get("repeated")
        )

    def analysis(self, file: CorpusFile) -> FileAnalysis:
        """The file's passages and term counts, taken from the live index."""
        assert self.index is not None
        kept = self.delta_files.get(file.relative)
        if kept is not None and kept[0] == file_key(file):
            packed = kept[1]
            return pickle.loads(packed if isinstance(packed, bytes) else packed.read_bytes())
        meta = self.base_files[file.relative]
        first, count = meta["passages"]
        doc_first, doc_count = meta["document_range"]
        connection = self.index.connection()
        documents = connection.execute(
            "SELECT id, title, url, published, source, path, format, passages FROM documents "
            "WHERE idx >= ? AND idx < ? ORDER BY idx",
            (doc_first, doc_first + doc_count),
        ).fetchall()
        rows = connection.execute(
            "SELECT doc - ?, paragraph, part, section, start, end, text, key, page, code_at, "
            "language, links FROM passages "
            "WHERE idx >= ? AND idx < ? ORDER BY idx",
            (doc_first, first, first + count),
        ).fetchall()
        bm25 = self.index.bm25
        docs = np.asarray(bm25.docs)
        # The file's postings, found a slice at a time (a mask or term of every posting at
        # once would cost gigabytes at ten million passages); each one's term from indptr.
        step = 1 << 24
        inside = np.concatenate([
            lo + np.flatnonzero((part >= first) & (part < first + count))
            for lo in range(0, len(docs), step)
            for part in (docs[lo : lo + step],)
        ] or [np.zeros(0, np.int64)])  # fmt: skip
        old_terms = np.searchsorted(np.asarray(bm25.indptr), inside, side="right") - 1
        used, local_terms = np.unique(old_terms, return_inverse=True)
        analysis = FileAnalysis(file.relative, file_key(file))
        analysis.documents = [tuple(d) for d in documents]
        analysis.set_rows([tuple(r) for r in rows])
        analysis.vocabulary = [bm25.vocabulary[t] for t in used.tolist()]
        analysis.passage_of = (docs[inside] - first).astype(np.int32)
        analysis.term_of = local_terms.astype(np.int32)
        analysis.tf = np.asarray(bm25.tf)[inside].astype(np.float32)
        analysis.skipped = [Skipped(p, r) for p, r in meta.get("skipped", [])]
        analysis.furniture = [
            (str(d), int(n), str(t))
            for d, n, t in connection.execute(
                "SELECT document, paragraph, text FROM dropped WHERE path = ? AND reason = ? "
                "ORDER BY rowid",
                (file.relative, FURNITURE),
            )
        ]
        return analysis


# -- writing a generation -----------------------------------------------------------------


def _new_store(path: Path) -> sqlite3.Connection:
    """A new, empty passage store (no journal: a failed build throws the file away).

    Pages of 16 KiB rather than 4: the build appends a million rows of about 400 bytes 1.3 to
    1.6 times as fast into a tenth smaller file, and a question reads its passages as fast.
    """
    connection = sqlite3.connect(path)
    connection.executescript(
        """
        PRAGMA page_size = 16384;
        PRAGMA journal_mode = OFF;
        PRAGMA synchronous = OFF;
        CREATE TABLE documents (
            idx INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT NOT NULL, url TEXT,
            published TEXT, source TEXT, path TEXT NOT NULL, format TEXT NOT NULL,
            passages INTEGER NOT NULL);
        CREATE TABLE passages (
            idx INTEGER PRIMARY KEY, doc INTEGER NOT NULL, paragraph INTEGER NOT NULL,
            part INTEGER NOT NULL, section TEXT, start INTEGER NOT NULL, end INTEGER NOT NULL,
            text TEXT NOT NULL, key TEXT NOT NULL, page INTEGER, code_at INTEGER,
            language TEXT, links TEXT);
        CREATE TABLE skipped (path TEXT NOT NULL, reason TEXT NOT NULL);
        CREATE TABLE dropped (
            path TEXT NOT NULL, document TEXT NOT NULL, paragraph INTEGER NOT NULL,
            reason TEXT NOT NULL, text TEXT NOT NULL);
        -- A reused file's furniture is looked up by its path: no scan of every row per file.
        CREATE INDEX dropped_path ON dropped (path);
        """
    )
    return connection


class _Assembler:
    """Puts the files' analyses together: global ids, repeated paragraphs, the BM25 arrays.

    With a ``spool`` folder, memory stays bounded whatever the corpus's size: each file's
    postings go into sorted runs (``runs.Runs``, spilled there past a budget) numbered by
    passage in reading order, and its rows (the passages' text) to a file there, both as
    the file arrives; what stays in memory is a few numbers per passage and document.
    """

    def __init__(self, spool: Path | None = None) -> None:
        self.vocabulary: dict[str, int] = {}
        self.senders: dict[tuple[int, str], np.ndarray] = {}  # a worker's term ids -> global
        self.analyses: list[FileAnalysis] = []
        self.seen_ids: set[str] = set()
        self.skipped: list[Skipped] = []  # documents whose id an earlier one had
        self.runs: Runs | None = None
        self.lengths: list[np.ndarray] = []  # with runs: each file's passages' lengths
        self._rows: Path | None = None
        self._passages = 0  # with runs: passages taken in so far
        if spool is not None:
            self.runs = Runs(spool / "runs.tmp")
            self._rows = spool / "rows.tmp"

    def add(self, analysis: FileAnalysis) -> None:
        """Take one file's analysis, dropping documents whose id an earlier file used."""
        ids = self._global_ids(analysis.vocabulary)
        if analysis.sender is None:
            remap = ids
        else:  # the worker's ids: those it sent now join those it sent with earlier files
            remap = self.senders.get(analysis.sender, np.zeros(0, np.int32))
            size = max(len(remap), int(analysis.vocabulary_ids.max(initial=-1)) + 1)
            if size > len(remap):
                remap = np.concatenate([remap, np.full(size - len(remap), -1, np.int32)])
            remap[analysis.vocabulary_ids] = ids
            self.senders[analysis.sender] = remap
        duplicate = [d for d, doc in enumerate(analysis.documents) if doc[0] in self.seen_ids]
        for d in duplicate:
            self.skipped.append(
                Skipped(
                    analysis.documents[d][5],
                    f"its document id {analysis.documents[d][0]!r} is already used by another "
                    "document; give it another id (front matter 'id') to include it",
                )
            )
        if duplicate:
            _drop_documents(analysis, set(duplicate))
        self.seen_ids.update(doc[0] for doc in analysis.documents)
        # From here on term_of holds global ids; the file's own vocabulary is not needed.
        analysis.term_of = remap[analysis.term_of] if len(remap) else analysis.term_of
        analysis.vocabulary = []
        if self.runs is not None:
            self._spool(analysis)
            return_free_memory()  # the file's postings and rows, now in the spool
        self.analyses.append(analysis)

    def _spool(self, analysis: FileAnalysis) -> None:
        """Hand the file's postings to the runs and its rows to the spool file."""
        assert self.runs is not None and self._rows is not None
        # As float32, the index's type for weighted lengths: each converted as it would be
        # at the end, at half the memory meanwhile.
        lengths = passage_lengths(analysis, np.ones(analysis.passages, bool))
        self.lengths.append(lengths.astype(np.float32))
        base = self._passages
        self._passages += analysis.passages
        self.runs.add_postings(
            analysis.term_of, analysis.passage_of.astype(np.int64) + base, analysis.tf,
            len(self.vocabulary),
        )  # fmt: skip
        analysis.passage_of = analysis.term_of = np.zeros(0, np.int32)
        analysis.tf = np.zeros(0, np.float32)
        with self._rows.open("ab") as handle:
            offset = handle.tell()
            handle.write(analysis.packed_rows)
        analysis.rows_at = (self._rows, offset, len(analysis.packed_rows))
        analysis.packed_rows = _NO_ROWS

    def close(self) -> None:
        """Remove what waited in the spool (the folder itself is the caller's)."""
        if self.runs is not None:
            self.runs.close()
        if self._rows is not None:
            self._rows.unlink(missing_ok=True)

    def _global_ids(self, terms: list[str]) -> np.ndarray:
        """The global ids of distinct terms, numbering the new ones in the order given."""
        vocabulary = self.vocabulary
        # Most terms are known from earlier files: looked up in C, and only the new ones
        # numbered. No Python loop over the terms: a million-passage build takes in millions.
        ids = np.fromiter(map(vocabulary.get, terms, repeat(-1)), np.int64, len(terms))
        new = np.flatnonzero(ids < 0)
        if len(new):
            base = len(vocabulary)
            ids[new] = np.arange(base, base + len(new))
            added = [terms[i] for i in new.tolist()]
            vocabulary.update(zip(added, ids[new].tolist(), strict=True))
        return ids.astype(np.int32)

    def repeated(self, threshold: int) -> tuple[np.ndarray, np.ndarray]:
        """Paragraph keys to drop as repeated, as sorted numbers, and how many documents
        hold each: those found in at least ``threshold`` documents, unless every one of
        those documents is a copy of one page (the same name, in version folders) and the
        paragraph is no line of a site's chrome. Copies of a page keep their words.

        Counts (key, document) pairs as ``repeated_among`` does, with numpy, one range of
        keys at a time (see _key_parts).
        """
        names: dict[str, int] = {}
        files, base = [], 0
        for analysis in self.analyses:
            # A page's name: its document id's last part (v1.0/install and v1.1/install).
            doc_names = np.array(
                [names.setdefault(d[0].rsplit("/", 1)[-1], len(names)) for d in analysis.documents],
                dtype=np.int64,
            )
            files.append((analysis, doc_names, base))
            base += int(analysis.row_docs.max()) + 1 if analysis.passages else 0
        values_parts, documents_parts = [], []
        for rows in _key_parts(files):
            key, group, name, line = rows
            values, documents = _distinct_per_key(key, group)
            _, page_names = _distinct_per_key(key, name)
            chrome_keys = np.unique(key[line])
            drop = (documents >= threshold) & ((page_names > 1) | np.isin(values, chrome_keys))
            values_parts.append(values[drop])
            documents_parts.append(documents[drop])
        if not values_parts:
            return np.zeros(0, np.uint64), np.zeros(0, np.int64)
        return np.concatenate(values_parts), np.concatenate(documents_parts)


# The repeat detection and the pairs an update needs sort every passage's paragraph key:
# at ten million passages, all at once, that took over a gigabyte. Keys are hashes, so their
# top bits split them into ranges of about equal size, each sorted on its own; the ranges
# one after another are in key order.
KEY_PART_BITS = 3


def _key_parts(
    files: list[tuple[FileAnalysis, np.ndarray, int]],
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Every passage's (key, document, page name, may be chrome), a range of keys at a time,
    in key order; ``files`` gives each analysis, its documents' names and first document."""
    shift = np.uint64(64 - KEY_PART_BITS)
    for part in range(1 << KEY_PART_BITS):
        keys, docs, names, short = [], [], [], []
        for analysis, doc_names, base in files:
            inside = (analysis.row_keys >> shift) == part
            row_docs = analysis.row_docs[inside].astype(np.int64)
            keys.append(analysis.row_keys[inside])
            docs.append(row_docs + base)
            names.append(doc_names[row_docs])
            short.append(analysis.row_short[inside])
        if keys and sum(len(k) for k in keys):
            yield (np.concatenate(keys), np.concatenate(docs), np.concatenate(names),
                   np.concatenate(short))  # fmt: skip


def _distinct_per_key(key: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct key, sorted, and how many distinct values of ``other`` stand with it."""
    order = np.lexsort((other, key))
    key, other = key[order], other[order]
    first = np.ones(len(key), dtype=bool)  # the first of each (key, other) pair
    first[1:] = (key[1:] != key[:-1]) | (other[1:] != other[:-1])
    return np.unique(key[first], return_counts=True)


def _drop_documents(analysis: FileAnalysis, dropped: set[int]) -> None:
    """Remove some documents (and their passages) from a file's analysis."""
    keep_docs = [d for d in range(len(analysis.documents)) if d not in dropped]
    doc_remap = {old: new for new, old in enumerate(keep_docs)}
    rows = analysis.rows()
    keep_rows = [i for i, row in enumerate(rows) if row[0] not in dropped]
    row_remap = np.full(len(rows), -1, dtype=np.int32)
    row_remap[keep_rows] = np.arange(len(keep_rows))
    analysis.set_rows([(doc_remap[r[0]], *r[1:]) for r in (rows[i] for i in keep_rows)])
    analysis.documents = [analysis.documents[d] for d in keep_docs]
    new_passages = row_remap[analysis.passage_of]
    keep = new_passages >= 0
    analysis.passage_of = new_passages[keep]
    analysis.term_of = analysis.term_of[keep]
    analysis.tf = analysis.tf[keep]


@dataclass
class _Postings:
    """One file's kept postings, with global passage numbers, sorted by term then passage."""

    terms: np.ndarray
    passages: np.ndarray
    tf: np.ndarray


@dataclass
class FilePlan:
    """Where one file's kept passages and documents go in the new generation."""

    analysis: FileAnalysis
    keep: np.ndarray  # which of its passages are kept (not repeated boilerplate)
    repeats: np.ndarray  # for each passage not kept, how many documents hold it
    new_index: np.ndarray  # each passage's global number (meaningful where kept)
    doc_base: int
    per_doc: list[int]  # kept passages of each of its documents


def _plan_files(
    analyses: list[FileAnalysis],
    repeated: tuple[np.ndarray, np.ndarray] | None,
    report: BuildReport,
) -> tuple[list[FilePlan], dict[str, dict]]:
    """Number every kept passage and document, and describe each file for the manifest.

    Worked out from the arrays alone (no passage text), so the store and the BM25 arrays
    can then be written side by side.
    """
    plans: list[FilePlan] = []
    files_meta: dict[str, dict] = {}
    doc_base = passage_base = 0
    for analysis in analyses:
        n_documents = len(analysis.documents)
        keep = np.ones(analysis.passages, dtype=bool)
        repeats = np.zeros(0, np.int64)
        if repeated is not None and len(repeated[0]):
            keep = ~np.isin(analysis.row_keys, repeated[0])
            if not keep.all():
                at = np.searchsorted(repeated[0], analysis.row_keys[~keep])
                repeats = repeated[1][at]
        dropped = np.flatnonzero(~keep)
        repeated_here = {
            (int(analysis.row_docs[i]), f"{int(analysis.row_keys[i]):016x}")
            for i in dropped.tolist()
        }
        kept = int(keep.sum())
        new_index = np.cumsum(keep) - 1 + passage_base
        per_doc = np.bincount(analysis.row_docs[keep], minlength=n_documents).tolist()
        plans.append(FilePlan(analysis, keep, repeats, new_index, doc_base, per_doc))
        files_meta[analysis.relative] = {
            "key": analysis.key,
            "documents": [doc[0] for doc in analysis.documents],
            "document_range": [doc_base, n_documents],
            "passages": [passage_base, kept],
            "skipped": [[s.path, s.reason] for s in analysis.skipped],
            "furniture": len(analysis.furniture),
            "repeated": sorted([d, k] for d, k in repeated_here),
        }
        report.furniture_dropped += len(analysis.furniture)
        report.repeated_dropped += len(repeated_here)
        doc_base += n_documents
        passage_base += kept
    report.documents, report.passages = doc_base, passage_base
    return plans, files_meta


def indexed_documents(
    plan: FilePlan, vocabulary: list[str], rows: list[tuple]
) -> Iterator[IndexedDocument]:
    """A file's documents with their kept passages, tokens and weighted counts, in corpus
    order: what a backend other than the embedded one indexes (``vocabulary``: the
    assembler's terms by global id; ``rows``: the file's rows, analysis.rows())."""
    analysis = plan.analysis
    keep = plan.keep.tolist()
    # Each passage's postings: the analysis holds them by term, then passage.
    order = np.argsort(analysis.passage_of, kind="stable")
    bounds = np.searchsorted(analysis.passage_of[order], np.arange(len(rows) + 1)).tolist()
    terms, tf = analysis.term_of[order], analysis.tf[order]
    by_doc: list[list[IndexedPassage]] = [[] for _ in analysis.documents]
    for i, row in enumerate(rows):
        if not keep[i]:
            continue
        local, paragraph, part, section, start, end, text, _, page, code_at, language, links = row
        doc = analysis.documents[local]
        passage = StoredPassage(
            PassageRef(doc[0], len(by_doc[local])), doc[1], doc[2], doc[5], paragraph, part,
            section, start, end, text, doc[6], page, code_at, language, links,
        )  # fmt: skip
        lo, hi = bounds[i], bounds[i + 1]
        tokens = [vocabulary[t] for t in terms[lo:hi].tolist()]
        by_doc[local].append(IndexedPassage(passage, tokens, tf[lo:hi].tolist()))
    for local, doc in enumerate(analysis.documents):
        document = StoredDocument(
            plan.doc_base + local, doc[0], doc[1], doc[2], doc[3], doc[4], doc[5],
            len(by_doc[local]),
        )  # fmt: skip
        yield IndexedDocument(document, analysis.relative, doc[6], by_doc[local])


def dropped_paragraphs(plan: FilePlan, rows: list[tuple]) -> list[tuple[str, str, int, str, str]]:
    """A file's paragraphs dropped as boilerplate: (path, document, paragraph, reason, text)."""
    analysis = plan.analysis
    dropped = [(analysis.relative, d, n, FURNITURE, t) for d, n, t in analysis.furniture]
    if not plan.keep.all():
        repeated_rows = (r for r, k in zip(rows, plan.keep.tolist(), strict=True) if not k)
        dropped += [
            (analysis.relative, analysis.documents[r[0]][0], r[1], repeated_reason(n), r[6])
            for r, n in zip(repeated_rows, plan.repeats.tolist(), strict=True)
        ]
    return dropped


def _write_store(path: Path, plans: list[FilePlan], skipped: list[Skipped]) -> dict[str, object]:
    """Write the passage store (kept passages, documents, skipped files); its size and hash."""
    with contextlib.closing(_new_store(path)) as connection:
        for plan in plans:
            analysis = plan.analysis
            rows = analysis.rows()
            analysis.packed_rows = _NO_ROWS  # written now: free it
            keep, base = plan.keep.tolist(), plan.doc_base
            numbers = plan.new_index[plan.keep].tolist()
            kept_rows = [r for r, k in zip(rows, keep, strict=True) if k] if not all(keep) else rows
            dropped = dropped_paragraphs(plan, rows)
            del rows
            connection.executemany("INSERT INTO dropped VALUES (?,?,?,?,?)", dropped)
            connection.executemany(
                "INSERT INTO passages VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                ((i, base + r[0], *r[1:]) for i, r in zip(numbers, kept_rows, strict=True)),
            )
            del kept_rows
            connection.executemany(
                "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?)",
                ((base + d, *doc[:7], plan.per_doc[d]) for d, doc in enumerate(analysis.documents)),
            )
        connection.executemany(
            "INSERT INTO skipped VALUES (?,?)", [(s.path, s.reason) for s in skipped]
        )
        connection.commit()
    return {"bytes": path.stat().st_size, "sha256": sha256_file(path)}


def _write_generation(
    config: EngineConfig,
    assembler: _Assembler,
    report: BuildReport,
    directory: Path,
    corpus_print: str,
    built_by: str,
) -> None:
    directory.mkdir(parents=True)
    plans, files_meta = plan_passages(config, assembler, report)
    # The store (SQLite, its inserts mostly outside the interpreter lock) is written in a
    # thread while this one builds the BM25 arrays (numpy, likewise): on two cores the two
    # halves of the write overlap instead of following each other.
    store = directory / STORE
    with ThreadPoolExecutor(1, thread_name_prefix="footnote-store") as pool:
        writer = pool.submit(_write_store, store, plans, report.skipped)
        try:
            vocabulary = list(assembler.vocabulary)
            if assembler.runs is not None:
                keep = np.concatenate([p.keep for p in plans])
                renumber = (
                    None
                    if keep.all()
                    else np.concatenate([np.where(p.keep, p.new_index, -1) for p in plans])
                )
                doc_len = np.concatenate(assembler.lengths)[keep]
                index = merge_runs(
                    assembler.runs, vocabulary, doc_len, config.bm25, directory / "bm25",
                    exact_mean=True, renumber=renumber,
                )  # fmt: skip
            else:
                lengths = [passage_lengths(p.analysis, p.keep) for p in plans]
                parts = [_file_postings(p.analysis, p.keep, p.new_index) for p in plans]
                doc_len = np.concatenate(lengths)
                del lengths
                index = _bm25_from_parts(parts, doc_len, vocabulary, config)
                index.save(directory / "bm25")
            repeats_of(plans).save(directory)
        finally:
            store_meta = writer.result()  # the store's own error, if it had one, is raised here
    manifest = {
        "format": "footnote-index",
        "format_version": FORMAT_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "corpus_dir": str(config.corpus_dir.absolute()),
        "fingerprint": corpus_print,
        "settings": config.reading_settings(),
        "analyzer": asdict(config.analyzer),
        "bm25": asdict(config.bm25),
        "token_budget": config.token_budget,
        "counts": {
            "documents": report.documents,
            "passages": report.passages,
            # Terms some passage holds (a term only of dropped paragraphs is not counted).
            "terms": int((np.diff(index.indptr) > 0).sum()),
            "postings": len(index.docs),
            "furniture_dropped": report.furniture_dropped,
            "repeated_dropped": report.repeated_dropped,
            "skipped": len(report.skipped),
        },
        "files": files_meta,
        # A document id used twice: an update cannot tell which one a build keeps.
        "duplicate_ids": bool(assembler.skipped),
        "store": store_meta,
        "build_seconds": round(time.perf_counter() - report.started, 3),
        "built_by": built_by,
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")


def repeats_of(plans: list[FilePlan]) -> Repeats:
    """The (paragraph key, document) pairs of every passage, dropped or not, and the keys
    dropped as repeated: what an update needs to tell which keys cross the threshold."""
    files = [
        (plan.analysis,
         np.array([name_number(d[0]) for d in plan.analysis.documents], dtype=np.uint64),
         plan.doc_base)
        for plan in plans
    ]  # fmt: skip
    dropped = [p.analysis.row_keys[~p.keep] for p in plans]
    dropped_keys = np.unique(np.concatenate(dropped)) if dropped else np.zeros(0, np.uint64)
    parts = [Pairs.of_rows(*rows) for rows in _key_parts(files)]
    return Repeats.of_parts(parts, dropped_keys)


def passage_lengths(analysis: FileAnalysis, keep: np.ndarray) -> np.ndarray:
    """Each kept passage's (weighted) length: the sum of its term frequencies.

    Summed per file in the file's own posting order, which gives the very float64 sums a
    bincount over the whole corpus gave: a passage's postings all lie in its file.
    """
    weights = analysis.tf.astype(np.float64)
    return np.bincount(analysis.passage_of, weights=weights, minlength=len(keep))[keep]


def _file_postings(analysis: FileAnalysis, keep: np.ndarray, new_index: np.ndarray) -> _Postings:
    """A file's kept postings, numbered globally, grouped by term; frees its own."""
    passage_of, terms, tf = analysis.passage_of, analysis.term_of, analysis.tf
    analysis.passage_of = analysis.term_of = np.zeros(0, np.int32)
    analysis.tf = np.zeros(0, np.float32)
    if not keep.all():
        mask = keep[passage_of]
        passage_of, terms, tf = passage_of[mask], terms[mask], tf[mask]
    return _Postings(terms, new_index.astype(np.int32)[passage_of], tf)


def _bm25_from_parts(
    parts: list[_Postings], doc_len: np.ndarray, vocabulary: list[str], config: EngineConfig
) -> BM25Index:
    """The BM25 index from the files' postings, merged term by term (no sort).

    Each file's postings of a term lie together, in passage order (the analysis's order,
    by the file's own term ids), and files hold ascending passage numbers: placing each
    file's run of a term after the earlier files' gives every list in passage order.
    """
    n_terms = len(vocabulary)
    df = np.zeros(n_terms, dtype=np.int64)
    for part in parts:  # counted again below: a count per file and term would cost more
        df += np.bincount(part.terms, minlength=n_terms)
    # Where each file's postings of each term start: after the term's earlier terms, and
    # after the same term's postings in earlier files.
    starts = np.zeros(n_terms, dtype=np.int64)
    np.cumsum(df[:-1], out=starts[1:])
    total = int(df.sum())
    terms = np.empty(total, dtype=np.int32)
    docs = np.empty(total, dtype=np.int32)
    tf = np.empty(total, dtype=np.float32)
    for part in parts:
        count = np.bincount(part.terms, minlength=n_terms)
        if len(part.terms):
            # Each posting's rank in its term's run: runs start where the term changes.
            run_starts = np.flatnonzero(np.diff(part.terms, prepend=-1))
            run_lengths = np.diff(run_starts, append=len(part.terms))
            rank = np.arange(len(part.terms)) - np.repeat(run_starts, run_lengths)
            where = starts[part.terms] + rank
            terms[where], docs[where], tf[where] = part.terms, part.passages, part.tf
        starts += count
        part.terms = part.passages = part.tf = np.zeros(0)  # free as we go
    return BM25Index.from_postings(
        terms, docs, tf, doc_len, vocabulary, config.bm25, exact_mean=True
    )


# -- the build ------------------------------------------------------------------------------


def read_corpus(
    config: EngineConfig,
    previous: _Previous | None = None,
    rebuild: bool = False,
    spool: Path | None = None,
) -> tuple[str, BuildReport, _Assembler]:
    """Read the corpus into passages and term counts, taking files unchanged since the live
    embedded index from ``previous`` unless ``rebuild``: the files' fingerprint, the report
    so far and the assembled analyses (every backend builds from these). With a ``spool``
    folder, postings and rows wait there (see _Assembler), for the embedded index."""
    files, skipped = find_files(config.corpus_dir)
    corpus_print = fingerprint(files, config.reading_settings())
    report = BuildReport(skipped=list(skipped))
    assembler = _Assembler(spool)
    reused = (
        set()
        if rebuild or previous is None
        else {f.relative for f in files if previous.reusable(f)}
    )
    fresh = [f for f in files if f.relative not in reused]
    advance = progress(len(fresh), "reading")
    # Each analysis is taken in as it arrives (in corpus order), while workers read on.
    with contextlib.closing(_analyse_all(fresh, config, advance)) as analysed:
        for file in files:
            analysis = (
                previous.analysis(file)  # type: ignore[union-attr]
                if file.relative in reused
                else next(analysed)
            )
            report.skipped.extend(analysis.skipped)
            report.warnings.extend(analysis.warnings)
            assembler.add(analysis)
    report.files_analysed, report.files_reused = len(fresh), len(files) - len(fresh)
    report.skipped.extend(assembler.skipped)
    for item in report.skipped:
        log.warning("skipped %s: %s", item.path, item.reason)
    for warning in report.warnings:
        log.warning("%s", warning)
    if not assembler.seen_ids:
        detail = (
            f"; {len(report.skipped)} file(s) skipped, e.g. {report.skipped[0].path}: "
            f"{report.skipped[0].reason}"
            if report.skipped
            else ""
        )
        raise CorpusError(
            f"The corpus folder {config.corpus_dir} holds no readable article{detail}. "
            "Add .md, .txt, .html or .jsonl files."
        )
    return corpus_print, report, assembler


def plan_passages(
    config: EngineConfig, assembler: _Assembler, report: BuildReport
) -> tuple[list[FilePlan], dict[str, dict]]:
    """Which passages are kept (repeated boilerplate is not), numbered, with each file's
    description for the manifest; raises CorpusError when none is left."""
    analyses = assembler.analyses
    n_documents = sum(len(a.documents) for a in analyses)
    threshold = repeat_threshold(n_documents)
    repeated = (
        assembler.repeated(threshold)
        if n_documents >= threshold and not config.keep_boilerplate
        else None
    )
    plans, files_meta = _plan_files(analyses, repeated, report)
    if report.passages == 0:
        raise CorpusError(
            f"The corpus folder {config.corpus_dir} has articles but no paragraph of text "
            "survived (all were headings or boilerplate)."
        )
    return plans, files_meta


def build(config: EngineConfig, built_by: str = "", rebuild: bool = False) -> BuildReport:
    """Build the index from the corpus beside the live one, then swap it in atomically.

    ``built_by`` names who asked for the build (a person, or the command line) in the manifest.
    Files unchanged since the live index are taken from it, unless ``rebuild`` (--rebuild)
    says to read every file anew, which also replaces an index of another corpus folder.
    """
    root = config.index_path
    check_index_folder(root, config.corpus_dir, config.index_dir is not None, rebuild)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IndexError_(os_message(exc, root)) from exc
    with build_lock(root):
        # A build killed mid-write (kill -9, power cut) left its folder: free that space first.
        remove_partial_builds(root)
        spool = new_spool(root)
        try:
            generation, report = _build_in(config, root, spool, built_by, rebuild)
        finally:
            shutil.rmtree(spool, ignore_errors=True)
    report.seconds = time.perf_counter() - report.started
    report.directory = str(generation)
    return report


def new_spool(root: Path) -> Path:
    """A folder for a build's postings and rows to wait in, removed like a partial build's
    folder if the build dies."""
    spool = partial_folder(root)
    try:
        spool.mkdir()
    except OSError as exc:
        raise IndexError_(os_message(exc, root)) from exc
    return spool


def _build_in(
    config: EngineConfig, root: Path, spool: Path, built_by: str, rebuild: bool
) -> tuple[Path, BuildReport]:
    """Read the corpus (waiting in ``spool``), write the new generation and publish it."""
    previous = _Previous(root, config)
    try:
        corpus_print, report, assembler = read_corpus(config, previous, rebuild, spool)
    except OSError as exc:
        raise IndexError_(os_message(exc, root)) from exc
    finally:
        previous.close()
    report_changes(report, previous.files, assembler)
    partial = partial_folder(root)
    try:
        _write_generation(config, assembler, report, partial, corpus_print, built_by)
        fsync_tree(partial)
        generation = generation_folder(root)
        os.rename(partial, generation)
        try:
            old = [p for p in current_state(root) or () if p is not None]
        except IndexCorrupt:
            old = []
        publish(root, generation)
    except OSError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise IndexError_(os_message(exc, root)) from exc
    except sqlite3.OperationalError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise IndexError_(os_message(_as_os_error(exc), root)) from exc
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    finally:
        assembler.close()
    remove_old_generations(root, keep={generation.name} | {p.name for p in old})
    return generation, report


def _as_os_error(exc: sqlite3.OperationalError) -> OSError:
    """SQLite's "database or disk is full" (and I/O errors) as the OSError they stand for."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code == sqlite3.SQLITE_FULL or "disk is full" in str(exc):
        return OSError(errno.ENOSPC, "No space left on device")
    if code == sqlite3.SQLITE_READONLY:
        return OSError(errno.EROFS, "Read-only file system")
    return OSError(errno.EIO, str(exc))


def report_changes(report: BuildReport, old_files: dict, assembler: _Assembler) -> None:
    """Documents added, updated (their file changed) and removed since the live index."""
    old_ids = {d: f for f, meta in old_files.items() for d in meta.get("documents", [])}
    new_keys = {a.relative: a.key for a in assembler.analyses}
    for analysis in assembler.analyses:
        for doc in analysis.documents:
            doc_id = doc[0]
            if doc_id not in old_ids:
                report.added.append(doc_id)
            elif old_files[old_ids[doc_id]].get("key") != new_keys.get(old_ids[doc_id]):
                report.updated.append(doc_id)
    report.removed = [d for d in old_ids if d not in assembler.seen_ids]


def is_current(index: CorpusIndex | LiveIndex, config: EngineConfig) -> bool:
    """Whether the index was built from the corpus as it is now, with these settings."""
    files, _ = find_files(config.corpus_dir)
    return index.manifest.get("fingerprint") == fingerprint(files, config.reading_settings())


def open_or_build(
    config: EngineConfig, rebuild: bool = False
) -> tuple[CorpusIndex | LiveIndex, BuildReport | None]:
    """Open the index, building it first when missing, stale or damaged, or when asked.

    An index built from another corpus folder is refused unless ``rebuild`` says to replace it.
    """
    root = config.index_path
    check_index_folder(root, config.corpus_dir, config.index_dir is not None, rebuild)
    if rebuild:
        report = build(config, rebuild=True)
        return open_index(config), report
    try:
        index = open_index(config)
    except IndexCorrupt as exc:
        if current_generation_safe(root) is not None:
            log.warning("rebuilding the index: %s", exc)
        report = build(config)
        return open_index(config), report
    if is_current(index, config):
        return index, None
    index.close()
    report = build(config)
    return open_index(config), report


def open_index(
    config: EngineConfig, reuse: CorpusIndex | LiveIndex | None = None
) -> CorpusIndex | LiveIndex:
    """The live index (its base, with its delta when it has one), opened as the config says
    (in memory or mapped, compiled or not); ``reuse``: an index open here whose base may be
    taken as is."""

    return open_live(
        config.index_path, in_memory=config.in_memory, compiled=config.compiled_queries,
        reuse=reuse,
    )  # fmt: skip
