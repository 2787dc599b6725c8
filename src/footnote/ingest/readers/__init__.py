"""Readers of the formats a corpus holds, each turning one file's content into blocks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Piece:
    """A heading, paragraph or code block as a reader made it, before it has a place in a
    document's text (footnote.ingest.corpus.joined_blocks gives it one)."""

    kind: str  # "heading", "paragraph" or "code"
    text: str
    level: int = 0
    language: str | None = None  # a code block's language, when named
    page: int | None = None  # the page it starts on, in a paged document (PDF)


def row_sentence(cells: list[str], header: list[str]) -> str:
    """A table row as a sentence: the first cell, then the others, named by their header
    when there are more than two columns."""
    first, rest = cells[0] if cells else "", cells[1:]
    if not rest:
        return first
    if len(rest) == 1:
        return f"{first}: {rest[0]}" if first else rest[0]
    named = [
        f"{header[i + 1]}: {cell}" if i + 1 < len(header) and header[i + 1] else cell
        for i, cell in enumerate(rest)
        if cell
    ]
    return f"{first}: " + "; ".join(named) if first else "; ".join(named)
