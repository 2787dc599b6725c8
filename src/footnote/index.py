"""The persisted corpus index: manifest, BM25 arrays and passage store, rebuilt atomically."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from footnote.analysis import Analyzer
from footnote.bm25 import BM25Index
from footnote.boilerplate import repeat_threshold, repeated_keys
from footnote.config import EngineConfig
from footnote.corpus import Document, Skipped, file_key, find_files, fingerprint, read_file
from footnote.errors import CorpusError, IndexBusy, IndexCorrupt, IndexError_
from footnote.passages import SplitStats, document_passages

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
STORE = "passages.sqlite"
# Indexes up to this size are checksummed in full on every open; larger ones are checked
# by size on open (checksums with `footnote index --check`), to open in well under a second.
VERIFY_FULLY_BELOW = 64 * 1024 * 1024


@dataclass(frozen=True)
class StoredPassage:
    """A passage read back from the store, with its document's metadata."""

    index: int
    doc_index: int
    doc_id: str
    title: str
    url: str | None
    path: str
    paragraph: int
    part: int
    section: str | None
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class StoredDocument:
    """A document of the index: metadata and how many passages it gave."""

    index: int
    id: str
    title: str
    url: str | None
    published: str | None
    source: str | None
    path: str
    passages: int


@dataclass
class BuildReport:
    """What a build read, dropped, skipped and changed."""

    documents: int = 0
    passages: int = 0
    furniture_dropped: int = 0
    repeated_dropped: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    directory: str = ""

    @property
    def dropped(self) -> int:
        """Paragraphs dropped as boilerplate."""
        return self.furniture_dropped + self.repeated_dropped


# -- locking and atomic swaps -------------------------------------------------------------


@contextlib.contextmanager
def build_lock(root: Path) -> Iterator[None]:
    """Hold the index's build lock, or raise IndexBusy naming the holder."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / ".lock"
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise IndexBusy(
            f"Another build of the index in {root} is running ({holder}); wait for it to finish."
        ) from exc
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield
    finally:
        handle.seek(0)
        handle.truncate()
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    for file in path.rglob("*"):
        if file.is_file():
            with file.open("rb") as handle:
                os.fsync(handle.fileno())
    for directory in [path, *[p for p in path.rglob("*") if p.is_dir()]]:
        _fsync_dir(directory)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def current_generation(root: Path) -> Path | None:
    """The folder of the live index, or None when there is none."""
    try:
        name = (root / CURRENT).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise IndexCorrupt(f"The index pointer in {root} cannot be read ({exc.strerror}).") from exc
    if not name or "/" in name or name.startswith("."):
        raise IndexCorrupt(f"The index pointer in {root} is damaged; rebuild the index.")
    return root / name


def _publish(root: Path, generation: Path) -> None:
    """Make a finished generation live in one atomic rename of the pointer file."""
    pointer = root / f".{CURRENT}.{os.getpid()}.tmp"
    pointer.write_text(generation.name + "\n", encoding="utf-8")
    with pointer.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(pointer, root / CURRENT)
    _fsync_dir(root)


def _clean_old(root: Path, keep: set[str]) -> None:
    """Remove generations and partial builds other than ``keep`` (the lock is held)."""
    for entry in root.iterdir():
        if entry.name in keep or not entry.is_dir():
            continue
        if entry.name.startswith(("gen-", ".partial-")):
            shutil.rmtree(entry, ignore_errors=True)
    for entry in root.glob(f".{CURRENT}.*.tmp"):
        entry.unlink(missing_ok=True)


# -- building -----------------------------------------------------------------------------


def _progress(total: int, desc: str) -> Callable[[int], None]:
    """A tqdm bar on stderr for long builds; silent when stderr is not a terminal."""
    if total < 200 or not sys.stderr.isatty():
        return lambda n: None
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit="file", file=sys.stderr, leave=False)

    def update(n: int) -> None:
        bar.update(n)
        if bar.n >= total:
            bar.close()

    return update


def read_corpus(config: EngineConfig) -> tuple[list[Document], list[Skipped], list[str], dict]:
    """Every readable document of the corpus, with skipped files, warnings and file keys."""
    files, skipped = find_files(config.corpus_dir)
    documents: list[Document] = []
    warnings: list[str] = []
    file_docs: dict[str, dict[str, object]] = {}
    seen: set[str] = set()
    advance = _progress(len(files), "reading")
    for file in files:
        result = read_file(file, config.max_file_bytes)
        skipped.extend(result.skipped)
        warnings.extend(result.warnings)
        ids = []
        for document in result.documents:
            if document.id in seen:
                warnings.append(
                    f"{document.path}: document id {document.id!r} is used twice; "
                    "kept the first, skipped this one"
                )
                continue
            seen.add(document.id)
            documents.append(document)
            ids.append(document.id)
        file_docs[file.relative] = {"key": file_key(file), "documents": ids}
        advance(1)
    for item in skipped:
        log.warning("skipped %s: %s", item.path, item.reason)
    for warning in warnings:
        log.warning("%s", warning)
    if not documents:
        detail = (
            f"; {len(skipped)} file(s) skipped, e.g. {skipped[0].path}: {skipped[0].reason}"
            if skipped
            else ""
        )
        raise CorpusError(
            f"The corpus folder {config.corpus_dir} holds no readable article{detail}. "
            "Add .md, .txt, .html or .jsonl files."
        )
    return documents, skipped, warnings, file_docs


def build(config: EngineConfig) -> BuildReport:
    """Build the index from the corpus beside the live one, then swap it in atomically."""
    started = time.perf_counter()
    root = config.index_path
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IndexError_(_os_message(exc, root)) from exc
    with build_lock(root):
        files, _ = find_files(config.corpus_dir)
        corpus_print = fingerprint(files, config.reading_settings())
        documents, skipped, warnings, file_docs = read_corpus(config)
        report = BuildReport(skipped=skipped, warnings=warnings)
        previous = _previous_manifest(root)
        _report_changes(report, previous, file_docs)
        partial = root / f".partial-{os.getpid()}-{time.time_ns()}"
        try:
            _write_generation(config, documents, report, partial, corpus_print, file_docs)
            generation = root / f"gen-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}"
            os.rename(partial, generation)
            _fsync_dir(root)
            old = current_generation_safe(root)
            _publish(root, generation)
        except OSError as exc:
            shutil.rmtree(partial, ignore_errors=True)
            raise IndexError_(_os_message(exc, root)) from exc
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        keep = {generation.name} | ({old.name} if old else set())
        _clean_old(root, keep)
    report.seconds = time.perf_counter() - started
    report.directory = str(generation)
    return report


def current_generation_safe(root: Path) -> Path | None:
    """The live generation, or None when there is none or its pointer is damaged."""
    try:
        return current_generation(root)
    except IndexCorrupt:
        return None


def _os_message(exc: OSError, root: Path) -> str:
    if exc.errno == errno.ENOSPC:
        return (
            f"The disk is full while writing the index in {root}; free some space and "
            "rebuild. The previous index is kept."
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (
            f"No permission to write the index in {root}; choose another --index folder or "
            "fix its permissions. The previous index is kept."
        )
    return (
        f"Writing the index in {root} failed ({exc.strerror or exc}); the previous index is kept."
    )


def _previous_manifest(root: Path) -> dict | None:
    generation = current_generation_safe(root)
    if generation is None:
        return None
    try:
        return json.loads((generation / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _report_changes(report: BuildReport, previous: dict | None, file_docs: dict) -> None:
    """Documents added, updated (their file changed) and removed since the live index."""
    old_files = (previous or {}).get("files", {})
    old_ids = {d: f for f, meta in old_files.items() for d in meta.get("documents", [])}
    new_ids = {d: f for f, meta in file_docs.items() for d in meta["documents"]}
    for doc_id, file in new_ids.items():
        if doc_id not in old_ids:
            report.added.append(doc_id)
        elif old_files[old_ids[doc_id]].get("key") != file_docs[file]["key"]:
            report.updated.append(doc_id)
    report.removed = [d for d in old_ids if d not in new_ids]


def _write_generation(
    config: EngineConfig,
    documents: list[Document],
    report: BuildReport,
    directory: Path,
    corpus_print: str,
    file_docs: dict,
) -> None:
    directory.mkdir(parents=True)
    analyzer = Analyzer(config.analyzer)
    threshold = repeat_threshold(len(documents))
    repeated = (
        repeated_keys(
            ([b.text for b in d.blocks if b.kind == "paragraph"] for d in documents), threshold
        )
        if len(documents) >= threshold
        else set()
    )
    stats = SplitStats()
    vocabulary: dict[str, int] = {}
    add = vocabulary.setdefault
    id_parts: list[np.ndarray] = []
    weight_parts: list[np.ndarray] = []
    lengths: list[int] = []
    connection = _new_store(directory / STORE)
    passage_rows: list[tuple] = []
    doc_rows: list[tuple] = []
    advance = _progress(len(documents), "indexing")
    for doc_index, document in enumerate(documents):
        passages = document_passages(document, config.token_budget, repeated, stats)
        heading_ids: dict[str | None, list[int]] = {}
        position, previous = 0, object()
        for passage in passages:
            position = position + 1 if passage.section == previous else 0
            previous = passage.section
            heading = heading_ids.get(passage.section)
            if heading is None:
                heading = [add(t, len(vocabulary)) for t in analyzer.terms(passage.section or "")]
                heading_ids[passage.section] = heading
            body = [add(t, len(vocabulary)) for t in analyzer.terms(passage.text)]
            # BM25F: the section title is a field of every passage under it, weighted less
            # than the body, and less again the further the passage stands from the heading.
            weight = config.heading_weight / (1 + config.heading_decay * position)
            id_parts.append(np.asarray(heading + body, dtype=np.int32))
            weight_parts.append(
                np.concatenate(
                    [np.full(len(heading), weight, np.float32), np.ones(len(body), np.float32)]
                )
            )
            lengths.append(len(heading) + len(body))
            passage_rows.append(
                (
                    len(passage_rows),
                    doc_index,
                    passage.paragraph,
                    passage.part,
                    passage.section,
                    passage.start,
                    passage.end,
                    passage.text,
                )
            )
        doc_rows.append(
            (
                doc_index,
                document.id,
                document.title,
                document.url,
                document.published,
                document.source,
                document.path,
                document.format,
                len(passages),
            )
        )
        if len(passage_rows) >= 50_000:
            _insert_passages(connection, passage_rows)
        advance(1)
    _insert_passages(connection, passage_rows)
    total_passages = sum(row[-1] for row in doc_rows)
    if total_passages == 0:
        connection.close()
        raise CorpusError(
            f"The corpus folder {config.corpus_dir} has articles but no paragraph of text "
            "survived (all were headings or boilerplate)."
        )
    connection.executemany("INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?)", doc_rows)
    connection.executemany(
        "INSERT INTO skipped VALUES (?,?)", [(s.path, s.reason) for s in report.skipped]
    )
    connection.commit()
    connection.close()
    index = _fielded_index(id_parts, weight_parts, lengths, list(vocabulary), config)
    index.save(directory / "bm25")
    report.documents = len(documents)
    report.passages = total_passages
    report.furniture_dropped = stats.furniture
    report.repeated_dropped = stats.repeated
    store = directory / STORE
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
            "terms": len(vocabulary),
            "postings": len(index.docs),
            "furniture_dropped": stats.furniture,
            "repeated_dropped": stats.repeated,
            "skipped": len(report.skipped),
        },
        "files": file_docs,
        "store": {"bytes": store.stat().st_size, "sha256": _sha256(store)},
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    _fsync_tree(directory)


def _new_store(path: Path) -> sqlite3.Connection:
    """A new, empty passage store (no journal: a failed build throws the file away)."""
    connection = sqlite3.connect(path)
    connection.executescript(
        """
        PRAGMA journal_mode = OFF;
        PRAGMA synchronous = OFF;
        CREATE TABLE documents (
            idx INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT NOT NULL, url TEXT,
            published TEXT, source TEXT, path TEXT NOT NULL, format TEXT NOT NULL,
            passages INTEGER NOT NULL);
        CREATE TABLE passages (
            idx INTEGER PRIMARY KEY, doc INTEGER NOT NULL, paragraph INTEGER NOT NULL,
            part INTEGER NOT NULL, section TEXT, start INTEGER NOT NULL, end INTEGER NOT NULL,
            text TEXT NOT NULL);
        CREATE TABLE skipped (path TEXT NOT NULL, reason TEXT NOT NULL);
        """
    )
    return connection


def _fielded_index(
    id_parts: list[np.ndarray],
    weight_parts: list[np.ndarray],
    lengths: list[int],
    vocabulary: list[str],
    config: EngineConfig,
) -> BM25Index:
    """A BM25 index over weighted term counts: a term's tf is the sum of its weights."""
    n_docs = len(lengths)
    term_ids = np.concatenate(id_parts).astype(np.int64)
    weights = np.concatenate(weight_parts).astype(np.float64)
    docs = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
    doc_len = np.bincount(docs, weights=weights, minlength=n_docs)
    keys, inverse = np.unique(term_ids * n_docs + docs, return_inverse=True)
    tf = np.bincount(inverse, weights=weights)
    terms = keys // n_docs
    docs_sorted = (keys - terms * n_docs).astype(np.int32)
    return BM25Index.from_postings(terms, docs_sorted, tf, doc_len, vocabulary, config.bm25)


def _insert_passages(connection: sqlite3.Connection, rows: list[tuple]) -> None:
    connection.executemany("INSERT INTO passages VALUES (?,?,?,?,?,?,?,?)", rows)
    rows.clear()


# -- opening ------------------------------------------------------------------------------


class CorpusIndex:
    """An opened index: BM25 arrays memory-mapped, passages read from SQLite on demand."""

    def __init__(self, directory: Path, manifest: dict, bm25: BM25Index) -> None:
        self.directory = directory
        self.manifest = manifest
        self.bm25 = bm25
        self._local = threading.local()

    @classmethod
    def open(cls, root: Path, verify: bool | None = None) -> CorpusIndex:
        """Open the live index in ``root``; raise IndexCorrupt when it is damaged or foreign."""
        generation = current_generation(root)
        if generation is None:
            raise IndexCorrupt(f"There is no index in {root} yet; build it with `footnote index`.")
        try:
            manifest = json.loads((generation / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexCorrupt(
                f"The index manifest in {generation} is unreadable; rebuild it."
            ) from exc
        if (
            manifest.get("format") != "footnote-index"
            or manifest.get("format_version") != FORMAT_VERSION
        ):
            raise IndexCorrupt(f"The index in {generation} has another format; rebuild it.")
        store = generation / STORE
        store_meta = manifest.get("store", {})
        size = store.stat().st_size if store.exists() else -1
        if size != store_meta.get("bytes"):
            raise IndexCorrupt(f"{store} is missing or has the wrong size; rebuild the index.")
        if verify is None:
            verify = size + _tree_size(generation / "bm25") < VERIFY_FULLY_BELOW
        if verify and _sha256(store) != store_meta.get("sha256"):
            raise IndexCorrupt(f"{store} does not match its checksum; rebuild the index.")
        bm25 = BM25Index.load(generation / "bm25", mmap=True, verify=verify)
        index = cls(generation, manifest, bm25)
        if len(bm25) != manifest["counts"]["passages"]:
            raise IndexCorrupt(f"The index in {generation} is inconsistent; rebuild it.")
        try:
            index._connection().execute("SELECT count(*) FROM documents").fetchone()
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(f"The passage store in {generation} is damaged ({exc}).") from exc
        return index

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            uri = f"file:{(self.directory / STORE).absolute()}?mode=ro&immutable=1"
            connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self._local.connection = connection
        return connection

    @property
    def created(self) -> str:
        """When the index was built (ISO 8601, UTC)."""
        return str(self.manifest.get("created", ""))

    @property
    def counts(self) -> dict[str, int]:
        """Documents, passages, terms, dropped and skipped counts."""
        return dict(self.manifest.get("counts", {}))

    def __len__(self) -> int:
        return len(self.bm25)

    _PASSAGE_SQL = (
        "SELECT p.idx, p.doc, d.id, d.title, d.url, d.path, p.paragraph, p.part, p.section, "
        "p.start, p.end, p.text FROM passages p JOIN documents d ON d.idx = p.doc "
    )

    def passages(self, indices: list[int]) -> list[StoredPassage]:
        """The passages with these indices, in the order asked."""
        if not indices:
            return []
        marks = ",".join("?" * len(indices))
        rows = (
            self._connection()
            .execute(self._PASSAGE_SQL + f"WHERE p.idx IN ({marks})", [int(i) for i in indices])
            .fetchall()
        )
        by_index = {row[0]: StoredPassage(*row) for row in rows}
        return [by_index[i] for i in indices if i in by_index]

    def neighbours(self, index: int, before: int = 1, after: int = 1) -> list[StoredPassage]:
        """The passages around one passage in the same document, in order."""
        row = (
            self._connection()
            .execute("SELECT doc FROM passages WHERE idx = ?", (index,))
            .fetchone()
        )
        if row is None:
            return []
        rows = (
            self._connection()
            .execute(
                self._PASSAGE_SQL + "WHERE p.doc = ? AND p.idx BETWEEN ? AND ? ORDER BY p.idx",
                (row[0], index - before, index + after),
            )
            .fetchall()
        )
        return [StoredPassage(*r) for r in rows]

    def documents(self) -> list[StoredDocument]:
        """Every document of the index, in corpus order."""
        rows = (
            self._connection()
            .execute(
                "SELECT idx, id, title, url, published, source, path, passages "
                "FROM documents ORDER BY idx"
            )
            .fetchall()
        )
        return [StoredDocument(*row) for row in rows]

    def skipped(self) -> list[Skipped]:
        """The files the build skipped, with reasons."""
        rows = self._connection().execute("SELECT path, reason FROM skipped").fetchall()
        return [Skipped(*row) for row in rows]

    def close(self) -> None:
        """Close this thread's store connection."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None


def _tree_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def is_current(index: CorpusIndex, config: EngineConfig) -> bool:
    """Whether the index was built from the corpus as it is now, with these settings."""
    files, _ = find_files(config.corpus_dir)
    return index.manifest.get("fingerprint") == fingerprint(files, config.reading_settings())


def open_or_build(config: EngineConfig) -> tuple[CorpusIndex, BuildReport | None]:
    """Open the index, building it first when missing, stale, damaged or foreign."""
    root = config.index_path
    try:
        index = CorpusIndex.open(root)
    except IndexCorrupt as exc:
        if current_generation_safe(root) is not None or (root / CURRENT).exists():
            log.warning("rebuilding the index: %s", exc)
        report = build(config)
        return CorpusIndex.open(root), report
    if is_current(index, config):
        return index, None
    index.close()
    report = build(config)
    return CorpusIndex.open(root), report
