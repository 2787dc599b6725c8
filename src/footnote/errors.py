"""Errors the engine raises; every message says what is wrong and how to fix it."""

from __future__ import annotations


class FootnoteError(Exception):
    """An error whose message is safe to show to a user as one sentence."""


class ConfigError(FootnoteError):
    """A setting has a value the engine cannot use."""


class CorpusError(FootnoteError):
    """The corpus folder is missing, unreadable or holds no readable article."""


class QuestionError(FootnoteError):
    """The question cannot be answered as asked (empty, or no searchable words)."""


class IndexError_(FootnoteError):
    """The index cannot be built, written or opened."""


class IndexCorrupt(IndexError_):
    """The index on disk is damaged, foreign or from another format version."""


class ForeignIndex(IndexError_):
    """The index folder holds an index of another corpus, or files that are no index."""


class IndexBusy(IndexError_):
    """Another build holds the index lock."""


class StaleIndex(IndexError_):
    """A reference into an index (a passage number) that has since been rebuilt."""


class EncodingUnavailable(FootnoteError):
    """The tokenizer's encoding for the passage budget cannot be loaded offline."""


class EvaluationError(FootnoteError):
    """A test collection is missing or malformed."""


class SearchUnavailable(FootnoteError):
    """The search cluster cannot be reached, or cannot answer for part of the index."""


class EditError(FootnoteError):
    """Writing cannot be added or removed as asked (an unreadable file, a refused link)."""
