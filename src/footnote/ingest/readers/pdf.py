"""PDF read by pypdf: each page's text, running headers, footers and page numbers dropped,
words broken at line ends joined, paragraphs and headings recovered, each with its page.

A PDF holds positioned text, not paragraphs, so the paragraph structure is rebuilt here from
the lines pypdf extracts; no library does this for arbitrary PDFs.
"""

from __future__ import annotations

import io
import re
from collections import Counter

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from footnote.errors import CorpusError
from footnote.ingest.corpus import looks_like_heading
from footnote.ingest.readers import Piece

# A line that repeats at the top or bottom of this share of the pages is a running header
# or footer (a title, a chapter name, "Page 3 of 9").
RUNNING_SHARE = 0.5
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"(?:page\s*)?\d+(?:\s*(?:/|of)\s*\d+)?", re.IGNORECASE)
_SENTENCE_END = (".", "!", "?", ":", '"', "”", ")")


def read_pdf(data: bytes) -> tuple[str | None, list[Piece]]:
    """The PDF's title (from its metadata) and its blocks; CorpusError when unreadable."""
    try:
        reader = PdfReader(io.BytesIO(data))
        # Many PDFs are encrypted only against editing: they open with an empty password.
        if reader.is_encrypted and not reader.decrypt(""):
            raise CorpusError("it is an encrypted PDF; save a copy without a password")
        pages = [_lines(_page_text(page)) for page in reader.pages]
        title = (reader.metadata or {}).get("/Title") if reader.metadata else None
    except PdfReadError as exc:
        raise CorpusError(f"it is not a readable PDF ({exc})") from exc
    if not any(pages):
        raise CorpusError("it has no text layer (a scanned PDF needs OCR first)")
    pages = _without_running_lines(pages)
    title_text = " ".join(str(title).split()) if title else None
    return title_text or None, list(_blocks(pages))


def _page_text(page: object) -> str:
    """A page's text with its layout's vertical gaps as blank lines (paragraph breaks)."""
    try:
        return page.extract_text(  # type: ignore[attr-defined]
            extraction_mode="layout", layout_mode_space_vertically=True
        )
    except Exception:  # layout mode fails on some fonts: the plain text still reads
        return page.extract_text() or ""  # type: ignore[attr-defined]


def _lines(text: str) -> list[str]:
    """A page's lines, stripped, without empty ones at the ends."""
    lines = [" ".join(line.split()) for line in text.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _shape(line: str) -> str:
    """A line with its numbers as one mark: "Page 3" and "Page 4" have one shape."""
    return _DIGITS.sub("#", line.casefold())


def _without_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """The pages without lines repeated at their top or bottom, and bare page numbers."""
    if len(pages) >= 3:
        edges: Counter[str] = Counter()
        for lines in pages:
            edges.update({_shape(line) for line in lines[:2] + lines[-2:]})
        running = {shape for shape, n in edges.items() if n >= RUNNING_SHARE * len(pages)}
    else:
        running = set()
    cleaned = []
    for lines in pages:
        kept = list(lines)
        for end in (0, -1):  # the first two and last two lines are where running lines stand
            for _ in range(2):
                if kept and (_shape(kept[end]) in running or _PAGE_NUMBER.fullmatch(kept[end])):
                    kept.pop(end)
        cleaned.append(kept)
    return cleaned


def _blocks(pages: list[list[str]]) -> list[Piece]:
    """Paragraphs (and headings) from the pages' lines: a blank line ends a paragraph; on a
    page without blank lines, so does a line ending a sentence well short of the margin."""
    blocks: list[Piece] = []
    current: list[str] = []
    start_page = 1

    def flush() -> None:
        if current:
            text = _joined(current)
            kind = "heading" if looks_like_heading(text) and len(current) == 1 else "paragraph"
            blocks.append(Piece(kind, text, page=start_page))
            current.clear()

    for number, lines in enumerate(pages, start=1):
        width = max((len(line) for line in lines), default=0)
        gaps = "" in lines
        for line in lines:
            if not line:
                flush()
                continue
            if not gaps and len(current) == 1 and looks_like_heading(current[0]):
                flush()  # a title line standing above its text, with no gap to end it
            if not current:
                start_page = number
            current.append(line)
            if not gaps and line.endswith(_SENTENCE_END) and len(line) < 0.75 * width:
                flush()  # the last line of a paragraph stops short of the margin
    flush()
    return blocks


def _joined(lines: list[str]) -> str:
    """A paragraph's lines joined: a word broken by a hyphen at a line end is one word."""
    text = lines[0]
    for line in lines[1:]:
        if text.endswith("-") and line[:1].islower() and len(text) > 1 and text[-2].isalpha():
            text = text[:-1] + line
        else:
            text = f"{text} {line}"
    return text
