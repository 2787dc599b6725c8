"""Word documents read by python-docx: headings from paragraph styles, lists, tables, in order."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import docx
from docx.document import Document as WordDocument
from docx.table import Table
from docx.text.paragraph import Paragraph

from footnote.errors import CorpusError
from footnote.ingest.readers import Piece, row_sentence


def read_docx(data: bytes) -> tuple[str | None, str | None, list[Piece]]:
    """The document's title, its creation date (ISO) and its blocks."""
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise CorpusError(f"it is not a readable Word document ({exc})") from exc
    blocks = list(_blocks(document))
    properties = document.core_properties
    title = " ".join((properties.title or "").split()) or None
    if title is None:
        title = next((b.text for b in blocks if b.kind == "heading" and b.level == 1), None)
    created = properties.created.date().isoformat() if properties.created else None
    return title, created, blocks


def _blocks(document: WordDocument) -> Iterator[Piece]:
    """Paragraphs and tables in body order; a list keeps one item a line."""
    items: list[str] = []
    for element in document.iter_inner_content():
        if isinstance(element, Paragraph) and _list_style(element):
            text = " ".join(element.text.split())
            if text:
                items.append(f"- {text}")
            continue
        if items:
            yield Piece("paragraph", "\n".join(items))
            items = []
        if isinstance(element, Table):
            yield from _table(element)
        else:
            yield from _paragraph(element)
    if items:
        yield Piece("paragraph", "\n".join(items))


def _style(paragraph: Paragraph) -> str:
    return (paragraph.style.name if paragraph.style is not None else "") or ""


def _list_style(paragraph: Paragraph) -> bool:
    """A paragraph of a bulleted or numbered list (by style, or by numbering properties)."""
    if _style(paragraph).startswith("List"):
        return True
    properties = paragraph._p.pPr  # python-docx exposes list numbering only on the XML
    return properties is not None and properties.numPr is not None


def _paragraph(paragraph: Paragraph) -> Iterator[Piece]:
    text = " ".join(paragraph.text.split())
    if not text:
        return
    style = _style(paragraph)
    if style == "Title":
        yield Piece("heading", text, 1)
    elif style.startswith("Heading"):
        level = style.removeprefix("Heading").strip()
        yield Piece("heading", text, int(level) if level.isdigit() else 1)
    else:
        yield Piece("paragraph", text)


def _table(table: Table) -> Iterator[Piece]:
    """A table's rows as sentences under its first row, the header."""
    rows = [[" ".join(cell.text.split()) for cell in row.cells] for row in table.rows]
    rows = [row for row in rows if any(row)]
    if not rows:
        return
    header, body = rows[0], rows[1:]
    lines = [row_sentence(row, header) for row in body] if body else [" | ".join(header)]
    head = " | ".join(header)
    yield Piece("paragraph", "\n".join([head, *lines] if body else lines))
