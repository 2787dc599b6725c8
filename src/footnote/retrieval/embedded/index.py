"""The persisted corpus index: generations on disk, the pointer swap, the lock, opening."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

import numpy as np

from footnote.errors import IndexBusy, IndexCorrupt
from footnote.ingest.corpus import Skipped
from footnote.retrieval.base import Dropped, PassageRef, StoredDocument, StoredPassage
from footnote.retrieval.embedded.bm25 import BM25Index, sha256_file

log = logging.getLogger(__name__)

# 2: the store lists dropped paragraphs; 3: passages know their page, code and links;
# 4: exact length totals, paragraph repeats kept for updates, a pointer naming a delta too
FORMAT_VERSION = 4
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
LOCK = ".lock"
# Held by a merge for its whole run (builds and updates take LOCK only for their swaps).
MERGE_LOCK = ".merge-lock"
STORE = "passages.sqlite"
# Map the whole passage store (SQLite caps this at its own limit, 2 GB in most builds).
MMAP_BYTES = 1 << 40
# The names a build gives what it writes into an index folder; nothing else there is removed.
_GENERATION = re.compile(r"gen-\d{8}T\d{12}")
_DELTA = re.compile(r"delta-\d{8}T\d{12}")
_PARTIAL = re.compile(r"\.partial-\d+-\d+")
_POINTER_DRAFT = re.compile(rf"\.{CURRENT}\.\d+\.tmp")
# Indexes up to this size are checksummed in full on every open; larger ones are checked
# by size on open (checksums with `footnote index --check`), to open in well under a second.
VERIFY_FULLY_BELOW = 64 * 1024 * 1024


class Layout(NamedTuple):
    """An index's documents in corpus order, the row each one's passages start at (and one
    past the last), and each document id's number."""

    documents: list[StoredDocument]
    firsts: np.ndarray
    numbers: dict[str, int]


# -- locking and atomic swaps -------------------------------------------------------------


@contextlib.contextmanager
def build_lock(root: Path, name: str = LOCK) -> Iterator[None]:
    """Hold the index's build lock (or the merge lock), or raise IndexBusy naming the holder."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / name
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
        _note_holder(handle, f"pid {os.getpid()}")
        yield
    finally:
        _note_holder(handle, "")
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _note_holder(handle: object, text: str) -> None:
    """Write who holds the lock into the lock file; only informative, so a full disk is fine."""
    try:
        handle.seek(0)  # type: ignore[attr-defined]
        handle.truncate()  # type: ignore[attr-defined]
        handle.write(text)  # type: ignore[attr-defined]
        handle.flush()  # type: ignore[attr-defined]
    except OSError:
        pass


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(path: Path) -> None:
    for file in path.rglob("*"):
        if file.is_file():
            with file.open("rb") as handle:
                os.fsync(handle.fileno())
    for directory in [path, *[p for p in path.rglob("*") if p.is_dir()]]:
        _fsync_dir(directory)


def current_generation(root: Path) -> Path | None:
    """The folder of the live index's base generation, or None when there is none."""
    state = current_state(root)
    return state[0] if state is not None else None


def current_state(root: Path) -> tuple[Path, Path | None] | None:
    """The live base generation and the delta served beside it (if any), or None.

    The pointer holds the generation's name, and on a second line the delta's.
    """
    try:
        text = (root / CURRENT).read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise IndexCorrupt(f"The index pointer in {root} cannot be read ({exc.strerror}).") from exc
    except ValueError:  # not UTF-8: overwritten with garbage
        text = ""
    names = text.split()
    if not (
        1 <= len(names) <= 2
        and _GENERATION.fullmatch(names[0]) is not None
        and (len(names) == 1 or _DELTA.fullmatch(names[1]) is not None)
    ):
        raise IndexCorrupt(f"The index pointer in {root} is damaged; rebuild the index.")
    return root / names[0], (root / names[1] if len(names) == 2 else None)


def state_name(root: Path) -> str:
    """The live state's names (generation, and delta if any) as one string, or ""."""
    try:
        state = current_state(root)
    except IndexCorrupt:
        return ""
    return "" if state is None else " ".join(p.name for p in state if p is not None)


def publish(root: Path, generation: Path, delta: Path | None = None) -> None:
    """Make a finished generation (and a delta beside it) live in one atomic rename of the
    pointer file."""
    pointer = root / f".{CURRENT}.{os.getpid()}.tmp"
    text = generation.name + ("\n" + delta.name if delta is not None else "")
    pointer.write_text(text + "\n", encoding="utf-8")
    with pointer.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(pointer, root / CURRENT)
    _fsync_dir(root)


def partial_folder(root: Path) -> Path:
    """A new folder name for a build to write into before it is complete."""
    return root / f".partial-{os.getpid()}-{time.time_ns()}"


def generation_folder(root: Path, kind: str = "gen") -> Path:
    """A new folder name for a complete build (or a delta), ordered by when it was made."""
    for _ in range(1000):
        folder = root / f"{kind}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}"
        if not folder.exists():  # two updates within a microsecond get distinct names
            return folder
        time.sleep(1e-5)
    return folder


def is_generation(entry: Path) -> bool:
    """Whether ``entry`` is a generation or delta folder a build made (generation_folder)."""
    return (
        _GENERATION.fullmatch(entry.name) is not None or _DELTA.fullmatch(entry.name) is not None
    ) and _is_real_dir(entry)


def is_partial_build(entry: Path) -> bool:
    """Whether ``entry`` is what a build wrote before it was complete (as partial_folder)."""
    return _PARTIAL.fullmatch(entry.name) is not None and not entry.is_symlink()


def is_pointer_draft(entry: Path) -> bool:
    """Whether ``entry`` is a pointer file written by publish that was never renamed."""
    return _POINTER_DRAFT.fullmatch(entry.name) is not None and not entry.is_symlink()


def _is_real_dir(entry: Path) -> bool:
    return entry.is_dir() and not entry.is_symlink()


def merging(root: Path) -> bool:
    """Whether a merge is running on this index (it holds MERGE_LOCK, writing a partial
    folder outside the build lock)."""
    path = root / MERGE_LOCK
    if not path.exists():
        return False
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def remove_partial_builds(root: Path) -> None:
    """Remove the half-written folders of builds that died (the lock is held, so none runs;
    while a merge writes its own outside the lock, they wait for a later build)."""
    if merging(root):
        return
    for entry in root.iterdir():
        if not is_partial_build(entry):
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def remove_old_generations(root: Path, keep: set[str]) -> None:
    """Remove generations and partial builds other than ``keep`` (the lock is held).

    Only names a build gives are removed: anything else in the folder is someone's own.
    """
    partials = not merging(root)
    for entry in root.iterdir():
        if entry.name in keep:
            continue
        if is_generation(entry) or (partials and is_partial_build(entry) and _is_real_dir(entry)):
            shutil.rmtree(entry, ignore_errors=True)
        elif is_pointer_draft(entry):
            entry.unlink(missing_ok=True)


def current_generation_safe(root: Path) -> Path | None:
    """The live generation, or None when there is none or its pointer is damaged."""
    try:
        return current_generation(root)
    except IndexCorrupt:
        return None


def os_message(exc: OSError, root: Path) -> str:
    """One sentence for a failed index write: what went wrong and how to fix it."""
    # Said only when true: a first build, or one into a folder of a damaged index, keeps nothing.
    kept = current_generation_safe(root) is not None
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"The disk is full at {root}, so the index could not be written"
            f"{' (the previous index is kept)' if kept else ''}; free some space or point the "
            "index elsewhere with --index (FOOTNOTE_INDEX_DIR), then rebuild."
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (
            f"No permission to write the index in {root}; choose another --index folder or "
            f"fix its permissions.{' The previous index is kept.' if kept else ''}"
        )
    return (
        f"Writing the index in {root} failed ({exc.strerror or exc})"
        f"{'; the previous index is kept' if kept else ''}."
    )


# -- opening ------------------------------------------------------------------------------


class CorpusIndex:
    """An opened index: BM25 arrays memory-mapped, passages read from SQLite on demand.

    Opened ``in_memory``, both are copied into RAM instead, so the index keeps answering
    when its files are deleted or overwritten under it (a truncated memory map is a SIGBUS).
    """

    def __init__(
        self,
        directory: Path,
        manifest: dict,
        bm25: BM25Index,
        store: sqlite3.Connection | None = None,
    ) -> None:
        self.directory = directory
        self.manifest = manifest
        self.bm25 = bm25
        self._local = threading.local()
        # In memory: one connection shared by every thread, one query at a time.
        self._shared = store
        self._shared_lock = threading.Lock()
        self._layout: Layout | None = None

    @property
    def in_memory(self) -> bool:
        """Whether the index was copied into RAM and no longer reads its files."""
        return self._shared is not None

    @classmethod
    def open(
        cls,
        root: Path,
        verify: bool | None = None,
        in_memory: bool = False,
        compiled: bool = True,
    ) -> CorpusIndex:
        """Open the live index in ``root``; raise IndexCorrupt when it is damaged or foreign.

        ``compiled`` lets queries load and use the compiled kernels (BM25Index.load).
        """
        generation = current_generation(root)
        if generation is None:
            raise IndexCorrupt(f"There is no index in {root} yet; build it with `footnote index`.")
        return cls.open_folder(generation, verify, in_memory, compiled)

    @classmethod
    def open_folder(
        cls,
        generation: Path,
        verify: bool | None = None,
        in_memory: bool = False,
        compiled: bool = True,
        kind: str = "footnote-index",
    ) -> CorpusIndex:
        """Open one generation (or delta, of ``kind`` "footnote-delta") folder."""
        try:
            manifest = json.loads((generation / MANIFEST).read_text(encoding="utf-8"))
            if not isinstance(manifest, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as exc:
            raise IndexCorrupt(
                f"The index manifest in {generation} is unreadable; rebuild it."
            ) from exc
        if manifest.get("format") != kind or manifest.get("format_version") != FORMAT_VERSION:
            raise IndexCorrupt(f"The index in {generation} has another format; rebuild it.")
        store = generation / STORE
        store_meta = manifest.get("store", {})
        size = store.stat().st_size if store.exists() else -1
        if size != store_meta.get("bytes"):
            raise IndexCorrupt(f"{store} is missing or has the wrong size; rebuild the index.")
        if verify is None:
            verify = size + _tree_size(generation / "bm25") < VERIFY_FULLY_BELOW
        shared = _load_store(store, store_meta, verify) if in_memory else None
        if verify and not in_memory and sha256_file(store) != store_meta.get("sha256"):
            raise IndexCorrupt(f"{store} does not match its checksum; rebuild the index.")
        bm25 = BM25Index.load(
            generation / "bm25", mmap=not in_memory, verify=verify, compiled=compiled
        )
        index = cls(generation, manifest, bm25, shared)
        if len(bm25) != manifest.get("counts", {}).get("passages"):
            raise IndexCorrupt(f"The index in {generation} is inconsistent; rebuild it.")
        try:
            index._query("SELECT count(*) FROM documents")
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(f"The passage store in {generation} is damaged ({exc}).") from exc
        return index

    def connection(self) -> sqlite3.Connection:
        """This thread's read-only connection to the passage store (in memory: the shared one).

        The shared connection must only be used by one thread at a time; the query methods
        of this class take care of that.
        """
        if self._shared is not None:
            return self._shared
        connection = getattr(self._local, "connection", None)
        if connection is None:
            # The path is percent-encoded: "#", "?" or "%" in a folder name would end it.
            path = quote(str((self.directory / STORE).absolute()))
            uri = f"file:{path}?mode=ro&immutable=1"
            connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
            # Pages read through a memory map, not a read() call each: a question reads
            # some 30 passages from all over the store, which costs half as long so.
            connection.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
            self._local.connection = connection
        return connection

    def _query(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple]:
        """The rows of one query, run under the lock when the connection is shared."""
        if self._shared is None:
            return self.connection().execute(sql, parameters).fetchall()
        with self._shared_lock:
            return self._shared.execute(sql, parameters).fetchall()

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
        "p.start, p.end, p.text, d.format, p.page, p.code_at, p.language, p.links "
        "FROM passages p "
        "JOIN documents d ON d.idx = p.doc "
    )

    def layout(self) -> Layout:
        """The documents and where each one's rows start (read once: a generation never
        changes)."""
        if self._layout is None:
            rows = self._query(
                "SELECT idx, id, title, url, published, source, path, passages "
                "FROM documents ORDER BY idx"
            )
            documents = [StoredDocument(*row) for row in rows]
            counts = np.array([d.passages for d in documents], dtype=np.int64)
            firsts = np.zeros(len(counts) + 1, dtype=np.int64)
            np.cumsum(counts, out=firsts[1:])
            self._layout = Layout(documents, firsts, {d.id: d.index for d in documents})
        return self._layout

    def refs(self, rows: Sequence[int]) -> list[PassageRef]:
        """The passages in these rows, by reference (no read of the store)."""
        layout = self.layout()
        at = np.asarray(rows, dtype=np.int64)
        docs = (np.searchsorted(layout.firsts, at, side="right") - 1).tolist()
        return [
            PassageRef(layout.documents[d].id, int(row) - int(layout.firsts[d]))
            for d, row in zip(docs, rows, strict=True)
        ]

    def rows(self, indices: Sequence[int]) -> list[StoredPassage]:
        """The passages in these rows of the index, in the order asked."""
        firsts = self.layout().firsts
        by_index: dict[int, StoredPassage] = {}
        for start in range(0, len(indices), 500):  # SQLite caps the parameters of a query
            chunk = [int(i) for i in indices[start : start + 500]]
            marks = ",".join("?" * len(chunk))
            rows = self._query(self._PASSAGE_SQL + f"WHERE p.idx IN ({marks})", chunk)
            by_index.update(
                (row[0], StoredPassage(PassageRef(row[2], row[0] - int(firsts[row[1]])), *row[3:]))
                for row in rows
            )
        return [by_index[i] for i in indices if i in by_index]

    def row_of(self, ref: PassageRef) -> int | None:
        """The row of a passage in this index, or None when it has no such passage."""
        layout = self.layout()
        firsts, doc = layout.firsts, layout.numbers.get(ref.doc)
        if doc is None or not 0 <= ref.n < firsts[doc + 1] - firsts[doc]:
            return None
        return int(firsts[doc]) + ref.n

    def passages(self, refs: Sequence[PassageRef]) -> list[StoredPassage]:
        """The passages of these refs that the index holds, in the order asked."""
        return self.rows([row for ref in refs if (row := self.row_of(ref)) is not None])

    def iter_passages(self, batch: int = 2000) -> Iterator[StoredPassage]:
        """Every passage of the index in index order, read from the store `batch` at a time."""
        for first in range(0, len(self), batch):
            yield from self.rows(list(range(first, min(first + batch, len(self)))))

    def documents(self) -> list[StoredDocument]:
        """Every document of the index, in corpus order."""
        return list(self.layout().documents)

    def document(self, doc_id: str) -> StoredDocument | None:
        """The document of this id, or None when the index has none."""
        layout = self.layout()
        number = layout.numbers.get(doc_id)
        return None if number is None else layout.documents[number]

    def skipped(self) -> list[Skipped]:
        """The files the build skipped, with reasons."""
        return [Skipped(*row) for row in self._query("SELECT path, reason FROM skipped")]

    def dropped(self, path: str | None = None) -> list[Dropped]:
        """Every paragraph the build dropped as boilerplate (of one file, when `path` names
        it), in corpus order, with the reason."""
        where, parameters = ("WHERE path = ? ", (path,)) if path is not None else ("", ())
        rows = self._query(
            f"SELECT path, document, paragraph, reason, text FROM dropped {where}ORDER BY rowid",
            parameters,
        )
        return [Dropped(str(p), str(d), int(n), str(r), str(t)) for p, d, n, r, t in rows]

    def headings(self) -> list[tuple[str, str]]:
        """Each document's section headings as (document id, heading), in corpus order."""
        rows = self._query(
            "SELECT d.id, p.section FROM passages p JOIN documents d ON d.idx = p.doc "
            "WHERE p.section IS NOT NULL AND p.section != '' "
            "GROUP BY p.doc, p.section ORDER BY min(p.idx)"
        )
        return [(str(doc), str(section)) for doc, section in rows]

    def neighbours(self, first: PassageRef, last: PassageRef, around: int) -> list[StoredPassage]:
        """Passages first..last with up to `around` more on each side, from the same document."""
        start, end = self.row_of(first), self.row_of(last)
        if start is None or end is None or first.doc != last.doc:
            return []
        layout = self.layout()
        firsts, doc = layout.firsts, layout.numbers[first.doc]
        ids = range(
            max(int(firsts[doc]), start - around), min(int(firsts[doc + 1]), end + around + 1)
        )
        return self.rows(list(ids))

    def close(self) -> None:
        """Close this thread's store connection (in memory: the shared one)."""
        if self._shared is not None:
            with self._shared_lock:
                self._shared.close()
            return
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None


def _load_store(store: Path, meta: dict, verify: bool) -> sqlite3.Connection:
    """The passage store copied into an in-memory database, checked as read."""
    try:
        data = store.read_bytes()
    except OSError as exc:
        raise IndexCorrupt(f"{store} cannot be read ({exc.strerror}); rebuild the index.") from exc
    # Checked on the bytes loaded, not the file, which may change between two reads.
    if len(data) != meta.get("bytes") or (
        verify and hashlib.sha256(data).hexdigest() != meta.get("sha256")
    ):
        raise IndexCorrupt(f"{store} does not match its checksum; rebuild the index.")
    connection = sqlite3.connect(":memory:", check_same_thread=False)
    try:
        connection.deserialize(data)
        connection.execute("PRAGMA query_only = ON")
    except sqlite3.DatabaseError as exc:
        connection.close()
        raise IndexCorrupt(f"The passage store {store} is damaged ({exc}).") from exc
    return connection


def _tree_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
