"""Footnote: answers questions from a corpus of articles with cited, verbatim passages."""

from footnote.answering.answer import Answer, Citation, Match
from footnote.config import EngineConfig
from footnote.engine import Engine
from footnote.errors import FootnoteError
from footnote.retrieval.embedded.bm25 import BM25Index
from footnote.retrieval.embedded.build import BuildReport

__all__ = [
    "Answer",
    "BM25Index",
    "BuildReport",
    "Citation",
    "Engine",
    "EngineConfig",
    "FootnoteError",
    "Match",
]
__version__ = "0.1.0"
