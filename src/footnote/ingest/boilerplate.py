"""Boilerplate: site furniture (cookie notices, newsletter prompts, share lines) and repeats."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable

# Phrases that belong to a site's furniture, not to an article. A paragraph needs two of
# them, or one in a short imperative line, and it must address the reader (you / our site),
# so an article that is *about* cookie law or newsletters is kept.
_FURNITURE = re.compile(
    r"\bcookies?\b|\bconsent\b|\bprivacy (?:policy|notice|settings)\b|\bterms of (?:use|service)\b"
    r"|\baccept(?: all)?\b|\bby clicking\b|\bnewsletters?\b|\bsubscri(?:be|ption)\b|\bsign up\b"
    r"|\bsign in\b|\blog in\b|\bfollow us\b|\bshare (?:this|on)\b|\ball rights reserved\b"
    r"|\bjavascript\b|\byour browser\b|\bad ?blocker\b|\bthis (?:web)?site\b|\bour (?:web)?site\b"
    r"|\bclick here\b|\bread more\b|\brelated (?:articles|stories|topics)\b|\bpreferences\b"
    r"|\bunsubscribe\b|\binbox\b|\bdownload (?:our|the) app\b|©|\bcopyright\b",
    re.IGNORECASE,
)
_ADDRESSES_READER = re.compile(r"\b(?:you|your|we|our)\b|\bus\b(?!-)", re.IGNORECASE)
_US_COUNTRY = re.compile(r"\bUS\b|\bU\.S\.")
# A line of site furniture (a footer, a nav line, "Share this article") is this short.
SHORT_LINE_WORDS = 12
# Why a paragraph was dropped, as `footnote sources --dropped` says it.
FURNITURE = "site furniture"


# Substrings one of which every furniture phrase holds: most paragraphs hold none, and
# checking them is far cheaper than running the phrase pattern.
_CLUES = (
    "cookie", "consent", "privacy", "terms of", "accept", "clicking", "newsletter", "subscri",
    "sign ", "log in", "follow us", "share ", "reserved", "javascript", "browser", "blocker",
    "site", "click here", "read more", "related ", "preferences", "inbox", "download", "©",
    "copyright",
)  # fmt: skip


def furniture_hits(text: str) -> int:
    """How many site-furniture phrases the text holds."""
    lowered = text.lower()
    for clue in _CLUES:  # a loop, not any(): no generator to run for every paragraph
        if clue in lowered:
            return len(_FURNITURE.findall(text))
    return 0


def is_furniture(text: str) -> bool:
    """Whether a paragraph is site furniture rather than article text."""
    hits = furniture_hits(text)
    if hits == 0:
        return False
    stripped = _US_COUNTRY.sub("", text)
    addresses = bool(_ADDRESSES_READER.search(stripped))
    words = len(text.split())
    if words <= SHORT_LINE_WORDS and (
        addresses or (hits >= 1 and not text.rstrip().endswith((".", "?")))
    ):
        return True
    return hits >= 2 and addresses


def chrome_line(text: str) -> bool:
    """Whether a paragraph could be a line of a site's chrome if it repeats across documents:
    short, and no sentence (a nav line, a byline) or holding a furniture phrase (a copyright).

    A repeated sentence is text that versions or copies of a page share: it is kept.
    """
    if text.count(" ") >= SHORT_LINE_WORDS:  # single-spaced text: words, counted in C
        return False
    return not text.rstrip().endswith((".", "!", "?", '"', "”")) or furniture_hits(text) > 0


def furniture_paragraphs(paragraphs: list[str], document_format: str) -> set[int]:
    """Which of a document's paragraphs (by position) are site furniture to drop.

    A web page's chrome can stand anywhere among its paragraphs. Plain text holds furniture
    only where it was pasted from a page with its banners: in a run at its start or its end
    (the seed article ends with a cookie notice). Markdown, reST, PDF and Word documents are
    written, not scraped: a paragraph there that says "sign in" or "subscribe" is prose.
    """
    if document_format == "html":
        return {i for i, text in enumerate(paragraphs) if is_furniture(text)}
    if document_format != "text":
        return set()
    found: set[int] = set()
    for order in (range(len(paragraphs)), range(len(paragraphs) - 1, -1, -1)):
        for i in order:
            if not is_furniture(paragraphs[i]):
                break
            found.add(i)
    return found


_DIGITS = re.compile(r"\d+")
_ASCII_DIGITS = re.compile(rb"\d+")  # a bytes pattern: 0-9 only, as \d is in ASCII text
_DIGIT_BYTES = b"0123456789"


def paragraph_key(text: str, spaced: bool = False) -> str:
    """A key equal for paragraphs that differ only in case, spacing or numbers.

    ``spaced`` tells that the text is words joined by single spaces (no other whitespace).
    """
    if not text.isascii():
        folded = _DIGITS.sub("0", " ".join(text.casefold().split())).encode()
    else:
        # The same key, faster: in ASCII, case folding is lowering, and deleting the digits
        # (in C) tells whether the slower digit pattern has anything to replace.
        lowered = text.lower() if spaced else " ".join(text.lower().split())
        folded = lowered.encode()
        if len(folded.translate(None, _DIGIT_BYTES)) != len(folded):
            folded = _ASCII_DIGITS.sub(b"0", folded)
    return hashlib.blake2b(folded, digest_size=8).hexdigest()


def repeated_keys(paragraphs_per_document: Iterable[Iterable[str]], min_documents: int) -> set[str]:
    """Keys of paragraphs that stand in at least ``min_documents`` different documents."""
    return repeated_among(
        ({paragraph_key(p) for p in paragraphs} for paragraphs in paragraphs_per_document),
        min_documents,
    )


def repeated_among(keys_per_document: Iterable[set[str]], min_documents: int) -> set[str]:
    """The keys found in at least ``min_documents`` of the documents' key sets."""
    counts: Counter[str] = Counter()
    for keys in keys_per_document:
        counts.update(keys)
    return {key for key, n in counts.items() if n >= min_documents}


def repeated_reason(documents: int) -> str:
    """Why a repeated paragraph was dropped: the number of documents holding it."""
    return f"repeated in {documents} documents"


def repeat_threshold(n_documents: int) -> int:
    """How many documents a paragraph must repeat in to count as boilerplate."""
    return max(3, n_documents // 200)
