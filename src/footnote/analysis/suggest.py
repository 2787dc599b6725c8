"""Questions the corpus can answer: its question-shaped headings, section and article titles.

They feed autocomplete ("suggest as a person types") and the example questions of a help
text; both must come from the corpus itself, never from a list written for one corpus.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from footnote.analysis.analyzer import Analyzer
from footnote.ingest.corpus import looks_like_question_heading

QUESTION, SECTION, ARTICLE = 0, 1, 2
KIND_NAMES = ("question", "section", "article")
MAX_CANDIDATES = 200_000  # a huge corpus suggests from its first headings only
WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


@dataclass(frozen=True)
class Suggestion:
    """One thing a person could ask: its text, its kind and the document it comes from."""

    text: str
    kind: int
    document: str

    @property
    def kind_name(self) -> str:
        """ "question", "section" or "article"."""
        return KIND_NAMES[self.kind]


class Suggestions:
    """The corpus's suggestions, matched against what a person has typed so far."""

    def __init__(self, entries: Iterable[Suggestion], analyzer: Analyzer) -> None:
        seen: set[str] = set()
        self.entries: list[Suggestion] = []
        for entry in sorted(entries, key=lambda e: e.kind):  # stable: corpus order within
            key = " ".join(entry.text.casefold().split())
            if key and key not in seen and len(self.entries) < MAX_CANDIDATES:
                seen.add(key)
                self.entries.append(entry)
        self.analyzer = analyzer
        self._words = [_words(e.text) for e in self.entries]
        # Inverted lists, so a keystroke looks up a few words instead of scanning every entry.
        by_word: dict[str, list[int]] = {}
        for i, words in enumerate(self._words):
            for word in dict.fromkeys(words):
                by_word.setdefault(word, []).append(i)
        self._by_word = by_word
        self._sorted_words = sorted(by_word)
        by_term: dict[str, list[int]] = {}
        for i, entry in enumerate(self.entries):
            for term in dict.fromkeys(analyzer.terms(entry.text)):
                by_term.setdefault(term, []).append(i)
        self._by_term = by_term

    @classmethod
    def from_headings(
        cls, headings: Iterable[tuple[str, str | None]], titles: Iterable[tuple[str, str]],
        analyzer: Analyzer,
    ) -> Suggestions:  # fmt: skip
        """From (document, section heading) pairs and (document, title) pairs, in corpus order."""

        def entries() -> Iterator[Suggestion]:
            for document, heading in headings:
                text = " ".join((heading or "").split())
                if text:
                    kind = QUESTION if looks_like_question_heading(text) else SECTION
                    yield Suggestion(text, kind, document)
            for document, title in titles:
                if " ".join(title.split()):
                    yield Suggestion(" ".join(title.split()), ARTICLE, document)

        return cls(entries(), analyzer)

    def __len__(self) -> int:
        return len(self.entries)

    def matching(self, typed: str, limit: int = 25) -> list[Suggestion]:
        """Up to `limit` suggestions for the text typed so far, the closest first.

        Every typed word must begin a word of the suggestion (the last one may be half
        typed); when fewer match that way, suggestions sharing the typed words' terms (other
        forms of the same words) follow, those sharing more first.
        """
        wanted = _words(typed)
        if not wanted:
            return self.entries[:limit]
        found: set[int] | None = None
        for part in dict.fromkeys(wanted):
            having = self._beginning_with(part)
            found = having if found is None else found & having
            if not found:
                break
        ordered = sorted(found or (), key=lambda i: (not _begins(self._words[i], wanted), i))
        chosen = ordered[:limit]
        if len(chosen) < limit:
            chosen += self._sharing_terms(typed, set(chosen), limit - len(chosen))
        return [self.entries[i] for i in chosen]

    def _beginning_with(self, part: str) -> set[int]:
        """The entries with a word that begins with `part`."""
        found: set[int] = set()
        start = bisect.bisect_left(self._sorted_words, part)
        for word in itertools.islice(self._sorted_words, start, None):
            if not word.startswith(part):
                break
            found.update(self._by_word[word])
        return found

    def _sharing_terms(self, typed: str, taken: set[int], room: int) -> list[int]:
        """Suggestions sharing analyzed terms with the typed text, most shared first."""
        terms = set(self.analyzer.terms(typed))
        if not terms:
            return []
        shared = Counter(i for t in terms for i in self._by_term.get(t, ()) if i not in taken)
        return [i for i, _ in sorted(shared.items(), key=lambda item: (-item[1], item[0]))[:room]]

    def examples(self, n: int) -> list[Suggestion]:
        """Up to n suggestions spread over the documents, question-shaped headings first."""
        chosen: list[Suggestion] = []
        used_documents: set[str] = set()
        for entry in self.entries:  # first one per document, best kind first
            if len(chosen) == n:
                return chosen
            if entry.document not in used_documents:
                used_documents.add(entry.document)
                chosen.append(entry)
        for entry in self.entries:  # fewer documents than wanted: fill from the rest
            if len(chosen) == n:
                break
            if entry not in chosen:
                chosen.append(entry)
        return chosen


def _begins(words: list[str], wanted: list[str]) -> bool:
    """Whether the words start with the typed ones (the last typed word may be half done)."""
    n = len(wanted)
    return len(words) >= n and words[: n - 1] == wanted[:-1] and words[n - 1].startswith(wanted[-1])


def _words(text: str) -> list[str]:
    return [w.casefold() for w in WORD.findall(text)]
