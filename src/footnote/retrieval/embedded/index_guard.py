"""The index folder's guard: a build never writes over a file, someone's files or another corpus."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from footnote.errors import ForeignIndex, IndexError_
from footnote.retrieval.embedded.index import (
    CURRENT,
    LOCK,
    MANIFEST,
    MERGE_LOCK,
    current_generation_safe,
    is_generation,
    is_partial_build,
    is_pointer_draft,
)

# What build_lock leaves in its lock file: who holds it, or nothing once released.
_LOCK_TEXT = re.compile(r"(pid \d+)?")
# Enough of a pointer or lock file to tell whose it is.
_PEEK_BYTES = 300


def check_index_folder(root: Path, corpus_dir: Path, chosen: bool, rebuild: bool) -> None:
    """Refuse an index path where a build would lose something: a file, files, another corpus.

    ``chosen`` says the folder was named (--index, FOOTNOTE_INDEX_DIR); the default folder
    beside the corpus moves with it, so it belongs to whatever corpus lives there now.
    ``rebuild`` (--rebuild) allows replacing an index of another corpus, never other files.
    """
    blocking = _file_in_the_way(root)
    if blocking is not None:
        where = f"{root} is" if blocking == root else f"{root} is inside {blocking}, which is"
        raise IndexError_(
            f"The index path {where} a file, not a folder; pass a folder for the index with "
            "--index DIR (FOOTNOTE_INDEX_DIR), which is created if missing."
        )
    if not root.is_dir():
        return
    try:
        entries = list(root.iterdir())
    except OSError as exc:
        raise IndexError_(f"The index folder {root} cannot be read ({exc.strerror}).") from exc
    others = sorted(e.name for e in entries if not _written_by_a_build(e))
    if others and len(others) == len(entries):
        raise ForeignIndex(
            f"The folder {root} holds other files (such as {others[0]}) and no Footnote index; "
            "pass an empty or new folder with --index DIR (FOOTNOTE_INDEX_DIR)."
        )
    if chosen and not rebuild:
        check_corpus(root, current_generation_safe(root), corpus_dir)


def check_corpus(root: Path, generation: Path | None, corpus_dir: Path) -> None:
    """Raise ForeignIndex when ``generation`` was built from another corpus folder.

    Folders are compared resolved, so `corpus` and /abs/path/corpus are one corpus; an index
    that names no corpus (built before they were recorded) is taken as this corpus's own.
    """
    source = recorded_corpus(generation) if generation is not None else None
    if source is None or _real(source) == _real(corpus_dir):
        return
    named = os.path.abspath(corpus_dir)
    raise ForeignIndex(
        f"The index in {root} was built from the corpus {source}, not {named}; pass --rebuild "
        f"to replace it with an index of {named}, or choose another --index folder "
        "(FOOTNOTE_INDEX_DIR)."
    )


def recorded_corpus(generation: Path) -> Path | None:
    """The corpus folder a generation's manifest says it was built from, when it says."""
    try:
        manifest = json.loads((generation / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # a damaged index: opening it says so, and a build replaces it
    corpus = manifest.get("corpus_dir") if isinstance(manifest, dict) else None
    return Path(corpus) if isinstance(corpus, str) and corpus else None


def _real(path: Path) -> Path:
    """The folder a path names, links followed (as named when a link loops)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def _file_in_the_way(root: Path) -> Path | None:
    """The file standing where the index folder, or a folder above it, has to be."""
    for path in (root, *root.parents):
        if path.exists():
            return None if path.is_dir() else path
    return None


def _written_by_a_build(entry: Path) -> bool:
    """Whether an entry of the index folder is one a build writes, by name and content."""
    if entry.name == CURRENT:
        text = _peek(entry)
        return text is not None and text.startswith("gen-")
    if entry.name in (LOCK, MERGE_LOCK):
        text = _peek(entry)
        return text is not None and _LOCK_TEXT.fullmatch(text) is not None
    return is_generation(entry) or is_partial_build(entry) or is_pointer_draft(entry)


def _peek(entry: Path) -> str | None:
    """The start of a plain file as text, stripped; None for a folder, a link or binary."""
    if entry.is_symlink() or not entry.is_file():
        return None
    try:
        with entry.open("rb") as handle:
            return handle.read(_PEEK_BYTES).decode("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
