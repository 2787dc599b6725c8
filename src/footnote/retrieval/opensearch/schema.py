"""What Footnote keeps in OpenSearch: index settings, mappings, and passages as documents.

Footnote's analyzer stays in charge: a passage is sent as its pre-analysed tokens, each with
its weighted count, in one whitespace-tokenized field (`terms`) that OpenSearch does not
analyse further (the delimited_term_freq filter reads each count).

Two steps make Lucene's BM25 rank exactly as Footnote's:
- Counts are fractional (a section title's words count 1.5, then less, further from it) and
  Lucene's are whole numbers: counts are sent multiplied by SCALE, and k1 alike, which
  multiplies every score by one constant (score_factor, undone on the way back).
- Lucene keeps a passage's length in one byte (about two significant digits), enough to
  swap passages whose scores lie within a few percent. So each count is sent already
  divided by its passage's length normalisation, 1 - b + b * length / average length, and
  the index's b is 0: BM25's tf * (k1 + 1) / (tf + k1 * norm) equals (tf / norm) * (k1 + 1) /
  (tf / norm + k1). Only float32 and the counts' rounding to 1/SCALE remain.
"""

from __future__ import annotations

from typing import Any

from footnote.config import EngineConfig, OpenSearchSettings
from footnote.retrieval.base import (
    IndexedPassage,
    PassageRef,
    StoredDocument,
    StoredPassage,
    document_digest,
)

SCALE = 10_000
# Between a token and its count: a control character no analyzer term holds.
DELIMITER = "\u0002"
# Longer tokens are not indexed (Lucene's whitespace tokenizer would cut them, and the
# count with them); no analyzer term of real text is this long.
MAX_TOKEN = 4000
# Room in the sort key for a document's passages: order = document * STRIDE + passage.
STRIDE = 1 << 24
SCHEMA_VERSION = 1


def length_norm(length: float, average: float, b: float) -> float:
    """BM25's length normalisation of a passage: 1 - b + b * length / average length."""
    return 1 - b + b * length / average if average > 0 else 1.0


def score_factor(k1: float) -> float:
    """OpenSearch's score over Footnote's for the same passage: (SCALE*k1 + 1) / (k1 + 1)."""
    return (SCALE * k1 + 1) / (k1 + 1)


def index_body(config: EngineConfig, settings: OpenSearchSettings) -> dict[str, Any]:
    """The settings and mappings of a passage index for this configuration."""
    return {
        "settings": {
            "index": {
                "number_of_shards": settings.shards,
                "number_of_replicas": settings.replicas,
                "similarity": {
                    "footnote_bm25": {
                        "type": "BM25",
                        "k1": config.bm25.k1 * SCALE,
                        "b": 0.0,  # the counts are sent normalised by length (above)
                    }
                },
                "max_result_window": 100_000,
            },
            "analysis": {
                "tokenizer": {
                    "footnote_tokens": {"type": "whitespace", "max_token_length": MAX_TOKEN + 16}
                },
                "filter": {
                    "footnote_counts": {"type": "delimited_term_freq", "delimiter": DELIMITER}
                },
                "analyzer": {
                    "footnote_weighted": {
                        "type": "custom",
                        "tokenizer": "footnote_tokens",
                        "filter": ["footnote_counts"],
                    },
                    "footnote_plain": {"type": "custom", "tokenizer": "footnote_tokens"},
                },
            },
        },
        "mappings": {
            "dynamic": "strict",
            "_meta": {"footnote_schema": SCHEMA_VERSION, "settings": config.reading_settings()},
            "properties": {
                "terms": {
                    "type": "text",
                    "analyzer": "footnote_weighted",
                    "search_analyzer": "footnote_plain",
                    "similarity": "footnote_bm25",
                    "index_options": "freqs",
                    "norms": False,
                },
                "doc": {"type": "keyword"},
                "n": {"type": "integer"},
                "order": {"type": "long"},
                "source": {"type": "keyword"},
                "published": {"type": "keyword"},
                "show": {"type": "object", "enabled": False},
            },
        },
    }


def meta_body(settings: OpenSearchSettings) -> dict[str, Any]:
    """The settings and mappings of the index beside it: documents, build, dropped words."""
    return {
        "settings": {"index": {"number_of_shards": 1, "number_of_replicas": settings.replicas}},
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "kind": {"type": "keyword"},
                "order": {"type": "long"},
                "file": {"type": "keyword"},
                "data": {"type": "object", "enabled": False},
            },
        },
    }


def passage_id(ref: PassageRef) -> str:
    """A passage's document id in OpenSearch: its document's full hash and its number."""
    return f"{document_digest(ref.doc)}-{ref.n}"


def document_id(doc_id: str) -> str:
    """A document's id in the meta index."""
    return "doc-" + document_digest(doc_id)


def encoded_terms(tokens: list[str], counts: list[float], norm: float = 1.0) -> str:
    """Tokens with their counts, normalised by length and scaled, as `terms` takes them."""
    scale = SCALE / norm
    return " ".join(
        f"{t}{DELIMITER}{max(1, round(c * scale))}"
        for t, c in zip(tokens, counts, strict=True)
        if len(t) <= MAX_TOKEN
    )


def stored_passage(source: dict[str, Any]) -> StoredPassage:
    """A passage read back from its OpenSearch document."""
    show = source["show"]
    return StoredPassage(
        PassageRef(source["doc"], int(source["n"])),
        show["title"],
        show.get("url"),
        show["path"],
        show["paragraph"],
        show["part"],
        show.get("section"),
        show["start"],
        show["end"],
        show["text"],
        show.get("format", "text"),
        show.get("page"),
        show.get("code_at"),
        show.get("language"),
        show.get("links"),
    )


def passage_source(
    item: IndexedPassage, document: StoredDocument, average: float, b: float
) -> dict[str, Any]:
    """A passage as its OpenSearch document (``average``: the build's average length)."""
    p = item.passage
    norm = length_norm(sum(item.counts), average, b)
    return {
        "terms": encoded_terms(item.tokens, item.counts, norm),
        "doc": p.ref.doc,
        "n": p.ref.n,
        "order": document.index * STRIDE + p.ref.n,
        "source": document.source,
        "published": document.published,
        "show": {
            "title": p.title,
            "url": p.url,
            "path": p.path,
            "format": p.format,
            "paragraph": p.paragraph,
            "part": p.part,
            "section": p.section,
            "start": p.start,
            "end": p.end,
            "text": p.text,
            "page": p.page,
            "code_at": p.code_at,
            "language": p.language,
            "links": p.link_targets,
        },
    }
