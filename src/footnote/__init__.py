"""Footnote: answers questions from a corpus of articles with cited, verbatim passages."""

from footnote.answer import Answer, Citation, Match
from footnote.bm25 import BM25Index
from footnote.build import BuildReport
from footnote.config import EngineConfig
from footnote.engine import Engine
from footnote.errors import FootnoteError

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
