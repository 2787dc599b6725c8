"""Adding a file, an uploaded file's bytes or a web page to a corpus folder, and removing a
document from it; the index is updated at once and the folder stays the source of truth.

A file is written under a hidden name, flushed to disk, read back by the corpus reader (a
file it cannot read is refused and never appears in the folder), then renamed into place,
and the index updated; if the update fails the folder is put back as it was, so the folder
and the index agree. An upload whose name is already in the folder replaces that file (the
report says so).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from footnote.config import EngineConfig
from footnote.editing.fetching import FetchPolicy, fetch
from footnote.editing.files import corpus_lock, discard, keep_copy, sync_folder, write_hidden
from footnote.editing.naming import READABLE_SUFFIXES, check_upload, safe_name, url_stem
from footnote.editing.pages import page_file
from footnote.engine import Engine
from footnote.errors import EditError
from footnote.ingest.corpus import CorpusFile, Document, find_files, read_file
from footnote.retrieval import backends
from footnote.retrieval.base import Retriever
from footnote.retrieval.embedded.build import BuildReport

# What add_url asks a server for: pages first, then the files Footnote reads.
ACCEPT = (
    "text/html,application/xhtml+xml;q=0.9,text/markdown;q=0.8,text/plain;q=0.7,"
    "application/pdf;q=0.7,*/*;q=0.5"
)
SOURCES_HINT = "`footnote sources` lists the documents and their ids"


class Corpus(Protocol):
    """What adding and removing need of an Engine: its config, its index, and an update."""

    config: EngineConfig

    @property
    def retriever(self) -> Retriever: ...

    def update(self, changed: Sequence[str], built_by: str = "") -> BuildReport: ...


@dataclass(frozen=True)
class AddedDocument:
    """A document a file added: its id, title, passages indexed and paragraphs dropped as
    boilerplate."""

    id: str
    title: str
    passages: int
    dropped: int


@dataclass(frozen=True)
class Added:
    """A file written into the corpus folder (its path there) and the documents it gave."""

    path: str
    documents: list[AddedDocument]
    replaced: bool
    report: BuildReport = field(repr=False)


@dataclass(frozen=True)
class Removed:
    """A document removed, and the corpus file it was in (deleted, or rewritten without it)."""

    id: str
    title: str
    path: str
    report: BuildReport = field(repr=False)


class NewCorpus:
    """A corpus folder with no article yet, standing in for its Engine: the first add
    builds its index (an Engine cannot open a folder without an article)."""

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self.engine: Engine | None = None

    @property
    def retriever(self) -> Retriever:
        """The index built by the first add."""
        if self.engine is None:
            raise EditError(f"The corpus folder {self.config.corpus_dir} has no article yet.")
        return self.engine.retriever

    def update(self, changed: Sequence[str], built_by: str = "") -> BuildReport:
        """Build the index of the folder and open it."""
        report = backends.build(self.config, built_by=built_by)
        self.engine = Engine(self.config, backends.open_live(self.config))
        return report


def open_for_adding(config: EngineConfig, rebuild: bool = False) -> Engine | NewCorpus:
    """The Engine of a corpus folder, or a NewCorpus when the folder (created if missing)
    has no file to read yet."""
    config.corpus_dir.mkdir(parents=True, exist_ok=True)
    files, _ = find_files(config.corpus_dir)
    if not files:
        return NewCorpus(config)
    return Engine.open(config, rebuild)[0]


def add_bytes(engine: Corpus, name: str, data: bytes, built_by: str = "") -> Added:
    """Add a file's bytes under its (made safe) name; a file of that name is replaced."""
    safe = safe_name(name)
    check_upload(safe, len(data), engine.config.max_file_bytes)
    return publish(engine, safe, data, built_by, replace_namesakes=False)


def add_path(engine: Corpus, source: Path, built_by: str = "") -> Added:
    """Add a file from anywhere on disk (copied into the corpus folder)."""
    safe_name(source.name)  # a type Footnote does not read is refused first
    try:
        size = source.stat().st_size
    except OSError as exc:
        raise EditError(f"{source} cannot be read ({exc.strerror}); check the path.") from exc
    if not source.is_file():
        raise EditError(f"{source} is not a file; give the path of one article.")
    check_upload(source.name, size, engine.config.max_file_bytes)
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise EditError(f"{source} cannot be read ({exc.strerror}); check the path.") from exc
    return add_bytes(engine, source.name, data, built_by)


def add_url(engine: Corpus, url: str, policy: FetchPolicy, built_by: str = "") -> Added:
    """Fetch a page (within the policy) and add its article, or the file it is; adding the
    same address again replaces it."""
    fetched = fetch(url, policy, accept=ACCEPT)
    suffix, data = page_file(fetched)
    name = url_stem(url) + suffix
    check_upload(name, len(data), engine.config.max_file_bytes)
    return publish(engine, name, data, built_by, replace_namesakes=True)


def publish(
    engine: Corpus, name: str, data: bytes, built_by: str, replace_namesakes: bool
) -> Added:
    """Write the file into the corpus folder if the reader reads it, update the index, and
    undo the write if the update fails."""
    folder = engine.config.corpus_dir
    target = folder / name
    with corpus_lock(folder):
        namesakes = _namesakes(folder, name)
        if namesakes and not replace_namesakes:
            raise EditError(
                f"{name} would share the document id {_stem(name)} with {namesakes[0]}, "
                "already in the corpus; remove that document first or rename the file."
            )
        if target.is_dir() or target.is_symlink():
            raise EditError(f"{name} is a folder or a link in the corpus; rename the file.")
        hidden = write_hidden(folder, target.suffix, data)
        kept: dict[Path, Path] = {}
        try:
            read = _check_readable(hidden, name, engine.config)
            for path in [target, *(folder / n for n in namesakes)]:
                if path.exists():
                    kept[path] = keep_copy(path)
            os.replace(hidden, target)
            for other in namesakes:
                (folder / other).unlink()
            sync_folder(folder)
        except BaseException:
            discard(hidden)
            _put_back(kept, target, folder)
            raise
        try:
            report = engine.update([name, *namesakes], built_by=built_by)
        except BaseException:
            _put_back(kept, target, folder)
            raise
        documents = _documents_of(engine, name, [d.id for d in read])
        if not documents:  # the build skipped it after all: leave no file the index lacks
            _put_back(kept, target, folder)
            with contextlib.suppress(Exception):
                engine.update([name, *namesakes], built_by=built_by)
            reason = next((s.reason for s in report.skipped if s.path == name), "it gave no text")
            raise EditError(f"{name} was not added: {reason}.")
        replaced = target in kept
        for copy in kept.values():
            discard(copy)
    return Added(name, documents, replaced, report)


def _put_back(kept: dict[Path, Path], target: Path, folder: Path) -> None:
    """Undo a publish: the new file gone, the files it replaced back in place."""
    if target not in kept:
        discard(target)
    for path, copy in kept.items():
        os.replace(copy, path)
    sync_folder(folder)


def _namesakes(folder: Path, name: str) -> list[str]:
    """Other readable files of the folder with the same name but another extension: their
    document would share the id."""
    stem = _stem(name)
    found = []
    with os.scandir(folder) as entries:
        for entry in entries:
            other = entry.name
            if other == name or other.startswith(".") or "." not in other:
                continue
            suffix = "." + other.rsplit(".", 1)[1].lower()
            if _stem(other) == stem and suffix in READABLE_SUFFIXES and entry.is_file():
                found.append(other)
    return sorted(found)


def _stem(name: str) -> str:
    return name.rsplit(".", 1)[0]


def _check_readable(path: Path, name: str, config: EngineConfig) -> list[Document]:
    """The documents the corpus reader reads from the file; EditError (its reason) if none."""
    stat = path.stat()
    file = CorpusFile(path, name, stat.st_size, stat.st_mtime_ns, _stem(name))
    result = read_file(file, config.max_file_bytes, config.base_url)
    if not result.documents:
        reason = result.skipped[0].reason if result.skipped else "it has no text"
        raise EditError(f"{name} was not added: {reason}.")
    return result.documents


def _documents_of(engine: Corpus, path: str, ids: list[str]) -> list[AddedDocument]:
    """The documents the index holds from one corpus file (the reader gave these ids), with
    their dropped paragraphs; looked up by id, as listing them all costs 0.1 s a million
    passages."""
    retriever = engine.retriever
    mine = [d for i in ids if (d := retriever.document(i)) is not None and d.path == path]
    dropped = Counter(d.document for d in retriever.dropped(path)) if mine else {}
    return [AddedDocument(d.id, d.title, d.passages, dropped.get(d.id, 0)) for d in mine]


# -- removing ---------------------------------------------------------------------------


def remove_document(engine: Corpus, doc_id: str, built_by: str = "") -> Removed:
    """Remove a document: its file deleted, or a JSON Lines file rewritten without it."""
    folder = engine.config.corpus_dir
    with corpus_lock(folder):
        found = engine.retriever.document(doc_id)
        if found is None:
            raise EditError(f"No document has the id {doc_id!r}; {SOURCES_HINT}.")
        if engine.retriever.info().counts.get("documents", 0) <= 1:
            # An index needs an article to answer from; refused before anything is touched.
            raise EditError(
                f"{found.title!r} is the only document left, and answers need at least one; "
                "add another first, then remove it."
            )
        relative = Path(found.path)
        if relative.is_absolute() or ".." in relative.parts:
            raise EditError(f"{found.path} is not inside the corpus folder; remove it by hand.")
        path = folder / relative
        kept: dict[Path, Path] = {}
        if path.exists():
            kept[path] = keep_copy(path)
            try:
                if path.suffix.lower() == ".jsonl":
                    _rewrite_without(path, found.path, doc_id)
                else:
                    path.unlink()
                sync_folder(path.parent)
            except BaseException:
                _put_back(kept, path, path.parent)
                raise
        try:
            report = engine.update([found.path], built_by=built_by)
        except BaseException:
            _put_back(kept, path, path.parent)
            raise
        for copy in kept.values():
            discard(copy)
    return Removed(found.id, found.title, found.path, report)


def _rewrite_without(path: Path, relative: str, doc_id: str) -> None:
    """A JSON Lines file rewritten (atomically) with the document's record as an empty line,
    so the records after it keep their line numbers (an id-less record's id); deleted when
    no record is left."""
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig", "surrogateescape")
    if "\r" in text.replace("\r\n", ""):  # lone CRs end lines for the reader: number as it does
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    stem = _stem(relative)
    removed = False
    for number, line in enumerate(lines, start=1):
        if line.strip() and _record_id(line, stem, number) == doc_id:
            lines[number - 1] = ""
            removed = True
    if not removed:
        raise EditError(
            f"The record of {doc_id!r} is no longer in {relative}; rebuild the index "
            "(footnote index) and try again."
        )
    if not any(line.strip() for line in lines):
        path.unlink()
        return
    data = ("\ufeff" if bom else "") + "\n".join(lines)
    hidden = write_hidden(path.parent, path.suffix, data.encode("utf-8", "surrogateescape"))
    os.replace(hidden, path)


def _record_id(line: str, stem: str, number: int) -> str | None:
    """A JSON Lines record's document id as the reader gives it; None for a line that is
    not a record."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    given = record.get("id")
    if given in (None, ""):
        return f"{stem}#{number}"
    return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in str(given))
