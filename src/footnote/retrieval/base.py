"""The retrieval seam: what every backend offers the answering stage, and what it stores.

A backend ranks passages by BM25 over terms Footnote's own analyzer made, and hands back
passages by PassageRef: a document and a passage within it, which means the same thing on
every backend and across rebuilds that leave the document unchanged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from footnote.ingest.corpus import Skipped


@dataclass(frozen=True, order=True)
class PassageRef:
    """A passage: its document's id and its number within the document (0 is the first)."""

    doc: str
    n: int

    @property
    def doc_key(self) -> str:
        """Twelve hex digits naming the document, short enough for a button's custom id."""
        return document_key(self.doc)


def document_digest(doc_id: str) -> str:
    """The SHA-256 of a document id, in hex: a name for it of fixed length and alphabet."""
    return hashlib.sha256(doc_id.encode("utf-8", "surrogatepass")).hexdigest()


def document_key(doc_id: str) -> str:
    """Twelve hex digits naming a document by its id."""
    return document_digest(doc_id)[:12]


class Field(StrEnum):
    """The fields a passage is searched in."""

    BODY = "body"  # the passage's words, with its section title's words at their weight
    TITLE = "title"  # its article's title: terms of their own, with their own idf


# Footnote ranks a passage as one BM25 document holding all its fields (BM25F): the body's
# terms, the section title's at their weight, and the article title's as terms of their
# own, written under this prefix (no analyzer term has it). So title words get their own
# document frequencies (a title shared by every passage of the only article adds nothing)
# while every field shares one length. Every backend indexes and queries these tokens.
TITLE_PREFIX = "\x01"


def field_token(field: Field, term: str) -> str:
    """The token a term of a field is indexed and searched as."""
    return term if field is Field.BODY else TITLE_PREFIX + term


@dataclass(frozen=True)
class Fields:
    """How the fields weigh, as data every backend applies the same way.

    A passage's section title counts in its body at ``section`` for the first passage of
    the section, then ``section / (1 + section_decay * position)``; the article title is a
    field of its own, searched at ``title`` times the weight of each question term.
    """

    section: float = 1.5
    section_decay: float = 1.0
    title: float = 0.6

    def section_weight(self, position: int) -> float:
        """How much the section title's words count in the body of its position-th passage."""
        return self.section / (1 + self.section_decay * position)


@dataclass(frozen=True)
class Query:
    """Weighted terms, each searched in one field."""

    terms: tuple[tuple[Field, str, float], ...]

    @classmethod
    def of(
        cls, body: Sequence[tuple[str, float]], title: Sequence[tuple[str, float]] = ()
    ) -> Query:
        """A query from body terms and title terms, each with its weight."""
        return cls(
            tuple((Field.BODY, t, w) for t, w in body)
            + tuple((Field.TITLE, t, w) for t, w in title)
        )

    def tokens(self) -> tuple[list[str], list[float]]:
        """The query's tokens (field_token) and their weights, in order."""
        return [field_token(f, t) for f, t, _ in self.terms], [w for _, _, w in self.terms]


@dataclass(frozen=True)
class Filters:
    """Which passages may be found: of these documents, from these sources, published when."""

    documents: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    published_from: str | None = None  # ISO 8601 date, inclusive
    published_to: str | None = None

    def __bool__(self) -> bool:
        return bool(self.documents or self.sources or self.published_from or self.published_to)

    def admits(self, doc_id: str, source: str | None, published: str | None) -> bool:
        """Whether a document of this id, source and publication date may be found."""
        if self.documents and doc_id not in self.documents:
            return False
        if self.sources and source not in self.sources:
            return False
        if self.published_from or self.published_to:
            day = (published or "")[:10]
            if not day:
                return False
            if self.published_from and day < self.published_from[:10]:
                return False
            if self.published_to and day > self.published_to[:10]:
                return False
        return True


@dataclass(frozen=True)
class StoredPassage:
    """A passage as a backend stores it: its words, place and citation data."""

    ref: PassageRef
    title: str
    url: str | None
    path: str
    paragraph: int
    part: int
    section: str | None
    start: int
    end: int
    text: str
    format: str = "text"  # its document's format (markdown, html, ...)
    page: int | None = None  # the page it starts on, in a PDF
    code_at: int | None = None  # where the code it shows starts in its text
    language: str | None = None  # that code's language, when its block names one
    link_targets: str | None = None  # the targets of the links in its text, a JSON list

    @property
    def doc_id(self) -> str:
        """Its document's id."""
        return self.ref.doc

    @property
    def links(self) -> tuple[str, ...]:
        """The targets of the links in the passage's paragraph, in order."""
        return tuple(json.loads(self.link_targets)) if self.link_targets else ()


@dataclass(frozen=True)
class StoredDocument:
    """A document of the index: metadata and how many passages it gave."""

    index: int  # its place in corpus order
    id: str
    title: str
    url: str | None
    published: str | None
    source: str | None
    path: str
    passages: int


@dataclass(frozen=True)
class Dropped:
    """A paragraph left out of the index as boilerplate: where it was, why, and its words."""

    path: str
    document: str
    paragraph: int
    reason: str
    text: str


@dataclass(frozen=True)
class IndexInfo:
    """What the bot's /stats and `footnote index` show of the index served."""

    backend: str  # "embedded" or "opensearch"
    location: str  # a folder, or a cluster's index name
    generation: str  # names this build; changes with every rebuild
    created: str = ""  # ISO 8601, UTC
    built_by: str = ""
    build_seconds: float | None = None
    counts: dict[str, int] = field(default_factory=dict)


@runtime_checkable
class Retriever(Protocol):
    """A searchable index of passages: ranks, counts and hands back passages by reference."""

    def search(
        self, query: Query, k: int, filters: Filters | None = None
    ) -> list[tuple[PassageRef, float]]:
        """The best k passages for the query, best first, with their BM25 scores."""
        ...

    def doc_freqs(self, terms: Sequence[str]) -> list[int]:
        """How many passages hold each term in their body."""
        ...

    def __len__(self) -> int:
        """How many passages the index holds."""
        ...

    def passages(self, refs: Sequence[PassageRef]) -> list[StoredPassage]:
        """The passages of these refs that exist, in the order asked."""
        ...

    def neighbours(self, first: PassageRef, last: PassageRef, around: int) -> list[StoredPassage]:
        """Passages first..last of one document with up to `around` more on each side."""
        ...

    def documents(self) -> list[StoredDocument]:
        """Every document, in corpus order."""
        ...

    def document(self, doc_id: str) -> StoredDocument | None:
        """The document of this id, or None when the index has none."""
        ...

    def headings(self) -> list[tuple[str, str]]:
        """Each document's section headings as (document id, heading), in corpus order."""
        ...

    def info(self) -> IndexInfo:
        """The index's name, build and counts."""
        ...

    def skipped(self) -> list[Skipped]:
        """The files the build skipped, with reasons."""
        ...

    def dropped(self, path: str | None = None) -> list[Dropped]:
        """Every paragraph the build dropped as boilerplate (of one corpus file, when `path`
        names it), in corpus order, with the reason."""
        ...

    def warm_up(self) -> None:
        """Make the first question as quick as the rest."""
        ...

    def close(self) -> None:
        """Let go of files and connections."""
        ...


@dataclass(frozen=True)
class IndexedPassage:
    """A passage as a writer takes it: stored data, and its tokens (field_token) each with
    its weighted count, as Footnote's analyzer made them."""

    passage: StoredPassage
    tokens: list[str]
    counts: list[float]


@dataclass(frozen=True)
class IndexedDocument:
    """A document and its passages, as a writer takes them."""

    document: StoredDocument
    file: str  # the corpus file it came from
    format: str
    passages: list[IndexedPassage]

    def headings(self) -> list[str]:
        """Its section headings, each once, in order."""
        return list(dict.fromkeys(p.passage.section for p in self.passages if p.passage.section))


@runtime_checkable
class IndexWriter(Protocol):
    """Changes to an index, made visible together by commit."""

    def replace(self, document: IndexedDocument) -> None:
        """Add a document's passages, in place of any it had."""
        ...

    def delete(self, doc_id: str) -> None:
        """Remove a document and its passages."""
        ...

    def commit(self) -> None:
        """Make every change since the last commit visible."""
        ...
