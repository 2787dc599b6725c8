"""Writing into a corpus folder so that a crash leaves either the old file or the new one,
and a failed index update can put the old one back."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
import threading
from pathlib import Path

# Hidden names: the corpus reader skips names starting with a dot, so a file being written
# (or one left by a crash) is never read as an article.
TEMP_PREFIX = ".footnote-add-"
KEPT_PREFIX = ".footnote-old-"

_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


def corpus_lock(folder: Path) -> threading.Lock:
    """The lock one process's edits of a corpus folder take, one edit at a time."""
    key = folder.resolve()
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def write_hidden(folder: Path, suffix: str, data: bytes) -> Path:
    """The bytes written and flushed to disk under a hidden temporary name in folder."""
    descriptor, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=suffix, dir=folder)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return Path(name)


def keep_copy(path: Path) -> Path:
    """A hidden copy of a file beside it, to put back if the change is undone: a hard link
    where the file system has them (no bytes copied), else a copy."""
    kept = path.parent / f"{KEPT_PREFIX}{secrets.token_hex(8)}{path.suffix}"
    try:
        os.link(path, kept)
    except OSError:
        shutil.copy2(path, kept)
    return kept


def sync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename into it) to disk, where the system allows it."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:  # some file systems and Windows cannot sync a folder
        pass
    finally:
        os.close(descriptor)


def discard(path: Path | None) -> None:
    """Remove a file if it is there."""
    if path is not None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
