"""Names for files written into a corpus folder: safe on every file system, never outside it."""

from __future__ import annotations

import hashlib
import unicodedata
from urllib.parse import urlsplit, urlunsplit

from footnote.errors import EditError
from footnote.ingest.corpus import SUFFIXES

# Every suffix the corpus reader takes, from its own table.
READABLE_SUFFIXES: frozenset[str] = frozenset(SUFFIXES)
# Bytes of UTF-8 a name may take: well under the 255 of common file systems, leaving room
# for the temporary name it is written under first.
MAX_NAME_BYTES = 120
# Characters Windows refuses in a name (the corpus folder may be shared with it).
_FORBIDDEN = frozenset('<>:"/\\|?*')
# Names Windows keeps for devices, whatever their extension.
_DEVICES = frozenset(
    ["con", "prn", "aux", "nul"] + [f"com{n}" for n in range(10)] + [f"lpt{n}" for n in range(10)]
)


def readable_list() -> str:
    """The readable suffixes as a sentence lists them: ".docx, .htm, ... or .txt"."""
    ordered = sorted(READABLE_SUFFIXES)
    return ", ".join(ordered[:-1]) + " or " + ordered[-1]


def safe_name(name: str) -> str:
    """A file name from an uploaded one that stays inside the corpus folder: its last path
    part, Unicode normalised, without control characters, leading dots (hidden names) or
    device names, its extension one the reader takes, at most MAX_NAME_BYTES long."""
    text = unicodedata.normalize("NFKC", name)
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    # Controls (NUL included), format characters, surrogates and unassigned code points.
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = "".join("-" if ch in _FORBIDDEN else ch for ch in text)
    text = " ".join(text.split()).rstrip(". ")  # Windows drops trailing dots and spaces
    stem, dot, suffix = text.rpartition(".")
    if not dot or not suffix:
        raise EditError(
            f"The file name {_quoted(name)} has no extension, so its format is unknown; "
            f"name it with one of {readable_list()}."
        )
    suffix = "." + suffix.lower()
    if suffix not in READABLE_SUFFIXES:
        raise EditError(f"Footnote does not read {suffix} files; add one of {readable_list()}.")
    stem = stem.strip(". -")
    if not stem:
        raise EditError(
            f"The file name {_quoted(name)} has no usable characters before its extension; "
            "rename it, e.g. notes.md."
        )
    if stem.split(".", 1)[0].casefold() in _DEVICES:
        stem = "_" + stem
    room = MAX_NAME_BYTES - len(suffix.encode())
    stem = stem.encode()[:room].decode("utf-8", "ignore").strip(". -")
    return stem + suffix


def check_upload(name: str, size: int, max_bytes: int) -> None:
    """Refuse a file by its name and size before it is downloaded (one sentence why)."""
    shown = safe_name(name)
    if size <= 0:
        raise EditError(f"{shown} is empty; there is nothing in it to add.")
    if size > max_bytes:
        raise EditError(
            f"{shown} is {megabytes(size)}, over the limit of {megabytes(max_bytes)}; "
            "split it or add a smaller file."
        )


def megabytes(n_bytes: int) -> str:
    """A size in MB (1 MB = 1024 * 1024 bytes), as the limits are set."""
    return f"{n_bytes / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


def normal_url(url: str) -> str:
    """A URL as it names a page: scheme and host in lower case, without its fragment."""
    parts = urlsplit(url.strip())
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, "")
    )


def url_stem(url: str) -> str:
    """A stable file name (without extension) for a page: its host and path as words, and a
    hash of the whole address, so adding the same address again replaces the same file."""
    normal = normal_url(url)
    parts = urlsplit(normal)
    words = f"{parts.hostname or 'page'} {parts.path}"
    slug = "".join(ch if ch.isalnum() else " " for ch in unicodedata.normalize("NFKC", words))
    slug = "-".join(slug.casefold().split())
    digest = hashlib.sha256(normal.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    slug = slug.encode()[: MAX_NAME_BYTES - 30].decode("utf-8", "ignore").strip("-")
    return f"{slug}-{digest}"


def _quoted(name: str) -> str:
    """A name shown in a message: printable, and not longer than a line."""
    shown = "".join(ch if ch.isprintable() else "?" for ch in name)
    return repr(shown if len(shown) <= 60 else shown[:59] + "…")
