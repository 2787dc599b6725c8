"""Text to terms: the one analyzer shared by the index and the questions."""

from __future__ import annotations

import functools
import hashlib
import json
import re
import threading
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from itertools import chain

import Stemmer

from footnote.errors import ConfigError

# 3: British spellings are analysed as their American ones (the `spelling` setting).
ANALYZER_VERSION = 3

# NLTK's English stop-word list (public domain), the most widely shared list for English
# search; "us" is deliberately absent from it, which keeps "US" (United States) searchable.
# fmt: off
ENGLISH_STOPWORDS = frozenset((
    "i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you", "your", "yours",
    "yourself", "yourselves", "he", "him", "his", "himself", "she", "her", "hers", "herself",
    "it", "its", "itself", "they", "them", "their", "theirs", "themselves", "what", "which",
    "who", "whom", "this", "that", "these", "those", "am", "is", "are", "was", "were", "be",
    "been", "being", "have", "has", "had", "having", "do", "does", "did", "doing", "a", "an",
    "the", "and", "but", "if", "or", "because", "as", "until", "while", "of", "at", "by",
    "for", "with", "about", "against", "between", "into", "through", "during", "before",
    "after", "above", "below", "to", "from", "up", "down", "in", "out", "on", "off", "over",
    "under", "again", "further", "then", "once", "here", "there", "when", "where", "why",
    "how", "all", "any", "both", "each", "few", "more", "most", "other", "some", "such", "no",
    "nor", "not", "only", "own", "same", "so", "than", "too", "very", "s", "t", "can", "will",
    "just", "don", "should", "now", "d", "ll", "m", "o", "re", "ve", "y", "ain", "aren",
    "couldn", "didn", "doesn", "hadn", "hasn", "haven", "isn", "ma", "mightn", "mustn",
    "needn", "shan", "shouldn", "wasn", "weren", "won", "wouldn",
))
# fmt: on

# A token is a run of letters/digits, optionally joined by apostrophes, hyphens or dots
# ("Iran's", "tear-gas", "U.S.", "3.5", "1,000"); the parts are split apart below.
TOKEN_PATTERN = re.compile(r"\d+(?:[.,]\d+)+|\w+(?:['’\-.]\w+)*")
CHUNK = re.compile(r"\S+")  # what str.split() splits on, with positions
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})


@dataclass(frozen=True)
class AnalyzerSettings:
    """What the analyzer does; recorded with the index so a change triggers a rebuild."""

    language: str = "english"
    stem: bool = True
    stopwords: bool = True
    demonyms: bool = True
    spelling: bool = True
    version: int = ANALYZER_VERSION
    normalization: str = "NFKC+casefold+strip-accents"

    def fingerprint(self) -> str:
        """A short stable hash of these settings."""
        return _fingerprint(self)


@functools.lru_cache(maxsize=64)
def _fingerprint(settings: AnalyzerSettings) -> str:
    # Every question looks its tables up by this hash: worked out once per settings.
    blob = json.dumps(asdict(settings), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def normalize(token: str) -> str:
    """Unicode-normalise, case-fold and strip accents from one token."""
    folded = unicodedata.normalize("NFKC", token).casefold()
    decomposed = unicodedata.normalize("NFD", folded)
    if decomposed.isascii():
        return decomposed
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def demonym_terms(stem: Callable[[str], str]) -> dict[str, str]:
    """Nationality words as their country's term: "Iraqi(s)" -> iraq, "American" -> us.

    From countryinfo's table of every country's demonym. A multi-word country is reached
    through its initials when those are one of its usual names (US, UK, UAE).
    """
    import countryinfo

    table: dict[str, str] = {}
    for country in countryinfo.all_countries():
        name, demonym = country.name(), country.demonym()
        if not demonym or " " in demonym.strip():
            continue
        words = name.split()
        if len(words) == 1:
            target = stem(normalize(name))
        else:
            initials = "".join(w[0] for w in words if w[:1].isupper())
            if initials not in (country.alt_spellings() or []):
                continue
            target = normalize(initials)
        source = stem(normalize(demonym))
        if source != target:
            table[source] = target
    return table


def spelling_terms(stem: Callable[[str], str]) -> dict[str, str]:
    """British spellings' terms as their American ones: "coloured" -> color, "catalogue" ->
    catalog, "organisation" -> organiz (the term of "organization").

    From breame's table of some 1,700 British spellings and their American forms. Words are
    mapped through their terms, so a form the table leaves out ("colourings") folds too.
    Every entry is kept: the table already leaves out respellings that are other words
    (cheque/check, storey/story, kerb/curb), and where an American spelling's term is shared
    with another word ("tire" and "tired"), American text already has that ambiguity; folding
    gives British text no more of it than its American twin has.
    """
    from breame.data.spelling_constants import BRITISH_ENGLISH_SPELLINGS

    targets: dict[str, Counter[str]] = defaultdict(Counter)
    # Shortest first, so that on a tie the base word's term wins (most_common keeps order).
    for british, american in sorted(BRITISH_ENGLISH_SPELLINGS.items(), key=lambda p: len(p[0])):
        source, target = stem(normalize(british)), stem(normalize(american))
        if source != target:
            targets[source][target] += 1
    # The stemmer can split one British term's American forms ("recognise" -> recogn, but
    # "recognisable" -> recogniz): the term most of its words take stands for it.
    return {source: counts.most_common(1)[0][0] for source, counts in targets.items()}


class _TermCache(dict[str, tuple[str, ...]]):
    """Raw text -> terms, computed once per distinct chunk (the vocabulary cache)."""

    def __init__(self, compute: Callable[[str], tuple[str, ...]]) -> None:
        super().__init__()
        self._compute = compute

    def __missing__(self, raw: str) -> tuple[str, ...]:
        terms = self._compute(raw)
        if len(self) < 4_000_000:
            self[raw] = terms
        return terms


class Analyzer:
    """Turns text into index terms: normalise, tokenise, drop stop words, stem, then fold
    British spellings and nationality words into one term each."""

    def __init__(self, settings: AnalyzerSettings | None = None) -> None:
        self.settings = settings or AnalyzerSettings()
        if self.settings.language not in Stemmer.algorithms():
            raise ConfigError(
                f"Unknown stemmer language {self.settings.language!r}; "
                f"use one of: {', '.join(sorted(Stemmer.algorithms()))}."
            )
        self._stemmer = Stemmer.Stemmer(self.settings.language) if self.settings.stem else None
        if self._stemmer is not None:
            # Its own cache costs more than stemming once purged (millions of words): the
            # stems are cached below instead.
            self._stemmer.maxCacheSize = 0
        self._stem_lock = threading.Lock()
        self._stems: dict[str, str] = {}
        self._stopwords = ENGLISH_STOPWORDS if self.settings.stopwords else frozenset()
        # One table, so a word costs one look-up: British spelling -> American, then
        # nationality -> country ("Briton" is a demonym, "colour" a spelling; none is both).
        demonyms = demonym_terms(self._stem) if self.settings.demonyms else {}
        spellings = spelling_terms(self._stem) if self.settings.spelling else {}
        self._folds = demonyms | {s: demonyms.get(t, t) for s, t in spellings.items()}
        self._tokens = _TermCache(self.token_terms)
        self._lookup = self._tokens.__getitem__
        self._chunks = _TermCache(self._chunk_terms)
        self._chunk_lookup = self._chunks.__getitem__

    def token_terms(self, raw: str) -> tuple[str, ...]:
        """The terms of one raw token (several for "tear-gas", none for a stop word)."""
        if raw.isalpha() and raw.isascii():
            # Most tokens are plain ASCII words: normalising is lowering them, and none of
            # the rules below (numbers, possessives, dots, hyphens) applies.
            word = raw.lower()
            if word in self._stopwords:
                return ()
            stem = self._stem(word)
            return (self._folds.get(stem, stem),)
        token = normalize(raw).translate(_APOSTROPHES)
        if token[:1].isdigit() and re.fullmatch(r"\d+(?:[.,]\d+)+", token):
            # "1,000" and "1000" are the same number; "3.5" keeps its point.
            return (re.sub(r",(?=\d{3}\b)", "", token),)
        if token.endswith("'s"):
            token = token[:-2]
        parts = token.split(".")
        if len(parts) > 1 and all(len(p) == 1 for p in parts if p):
            parts = ["".join(parts)]  # an acronym written with dots: "u.s." -> "us"
        # Contractions split like the stop-word list expects: "don't" -> "don", "t".
        words = [w for p in parts for w in re.split(r"[-']", p) if w]
        if "-" in raw and raw.islower() and len(words) > 1 and all(w.isalpha() for w in words):
            # A compound of common words also stands joined, so "tear-gas" meets "teargas";
            # names joined by a hyphen ("US-Iraq") are not one word.
            words.append("".join(words))
        stems = (self._stem(w) for w in words if w not in self._stopwords)
        return tuple(self._folds.get(t, t) for t in stems)

    def _stem(self, word: str) -> str:
        if self._stemmer is None or word.isdigit():
            return word
        # Tokens are cached as written ("Embassy", "embassy"): their stems once per word.
        stem = self._stems.get(word)
        if stem is None:
            with self._stem_lock:  # PyStemmer objects are not safe to share across threads
                stem = self._stemmer.stemWord(word)
            if len(self._stems) < 4_000_000:
                self._stems[word] = stem
        return stem

    def chunk_terms(self, chunk: str) -> tuple[str, ...]:
        """The terms of a chunk without whitespace, not cached (for callers that cache it)."""
        return self._chunk_terms(chunk)

    def _chunk_terms(self, chunk: str) -> tuple[str, ...]:
        return tuple(chain.from_iterable(map(self._lookup, TOKEN_PATTERN.findall(chunk))))

    def terms(self, text: str) -> list[str]:
        """The terms of a text, in order."""
        # Tokens never span whitespace, so splitting on it first (in C) and caching each
        # chunk ("Iran's", "embassy.") gives the same terms as the regex over the whole
        # text, several times faster.
        return list(chain.from_iterable(map(self._chunk_lookup, text.split())))

    def spans(self, text: str) -> Iterator[tuple[tuple[str, ...], int, int]]:
        """Each raw token's terms with its character range in the text."""
        for match in TOKEN_PATTERN.finditer(text):
            yield self._lookup(match.group()), match.start(), match.end()

    def matching_spans(self, text: str, wanted: set[str]) -> Iterator[tuple[int, int]]:
        """The character ranges of the raw tokens whose terms include a wanted one."""
        # Most whitespace chunks hold no wanted term: their cached terms rule them out
        # without looking at their tokens one by one.
        for chunk in CHUNK.finditer(text):
            if wanted.isdisjoint(self._chunk_lookup(chunk.group())):
                continue
            base = chunk.start()
            for match in TOKEN_PATTERN.finditer(chunk.group()):
                if not wanted.isdisjoint(self._lookup(match.group())):
                    yield base + match.start(), base + match.end()

    def is_stopword(self, word: str) -> bool:
        """Whether a normalised word is dropped as a stop word."""
        return word in self._stopwords
