"""Writing passages into OpenSearch: bulk requests, a document at a time replaced or deleted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from footnote.errors import IndexError_
from footnote.retrieval.base import IndexedDocument, PassageRef
from footnote.retrieval.opensearch.client import Client, line
from footnote.retrieval.opensearch.schema import document_id, passage_id, passage_source

# Bulk requests of about this many bytes: large enough to keep the cluster busy, small
# enough for its default 100 MB request limit and a node's heap.
BULK_BYTES = 4 * 1024 * 1024


class OpenSearchWriter:
    """Adds, replaces and deletes documents of one passage index and its meta index."""

    def __init__(
        self,
        client: Client,
        index: str,
        meta: str,
        lengths: tuple[float, float] = (1.0, 0.0),
        known: dict[str, int] | None = None,
        advance: Callable[[int], None] | None = None,
    ) -> None:
        self.client = client
        self.index, self.meta = index, meta
        self.average, self.b = lengths  # the build's average passage length, BM25's b
        self.known = dict(known or {})  # each document's passage count in the index now
        self.advance = advance or (lambda n: None)
        self._lines: list[str] = []
        self._bytes = 0
        self._passages = 0

    def replace(self, document: IndexedDocument) -> None:
        """Add a document's passages, in place of any it had (a shorter new version's
        extra old passages are deleted)."""
        doc = document.document
        for item in document.passages:
            source = passage_source(item, doc, self.average, self.b)
            self._add(
                {"index": {"_index": self.index, "_id": passage_id(item.passage.ref)}}, source
            )
        for n in range(len(document.passages), self.known.get(doc.id, 0)):
            self._add({"delete": {"_index": self.index, "_id": passage_id(PassageRef(doc.id, n))}})
        data = {
            "id": doc.id,
            "title": doc.title,
            "url": doc.url,
            "published": doc.published,
            "source": doc.source,
            "path": doc.path,
            "format": document.format,
            "passages": doc.passages,
            "headings": document.headings(),
        }
        self._add(
            {"index": {"_index": self.meta, "_id": document_id(doc.id)}},
            {"kind": "document", "order": doc.index, "file": document.file, "data": data},
        )
        self.known[doc.id] = len(document.passages)
        self._passages += len(document.passages)

    def delete(self, doc_id: str) -> None:
        """Remove a document and its passages."""
        for n in range(self.known.pop(doc_id, 0)):
            self._add({"delete": {"_index": self.index, "_id": passage_id(PassageRef(doc_id, n))}})
        self._add({"delete": {"_index": self.meta, "_id": document_id(doc_id)}})

    def delete_meta(self, kind: str, file: str) -> None:
        """Remove the meta documents of a kind that came from one file (its dropped
        paragraphs); found by a search, as _delete_by_query needs a module not every
        cluster loads."""
        query = {"bool": {"filter": [{"term": {"kind": kind}}, {"term": {"file": file}}]}}
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {"size": 1000, "query": query, "sort": [{"order": "asc"}]}
            if after is not None:
                body["search_after"] = after
            body["_source"] = False
            hits = self.client.request("POST", f"/{self.meta}/_search", body)["hits"]["hits"]
            for hit in hits:
                self._add({"delete": {"_index": self.meta, "_id": hit["_id"]}})
            if len(hits) < 1000:
                return
            after = hits[-1]["sort"]

    def put_meta(self, doc_id: str, source: dict[str, Any]) -> None:
        """Add or replace a document of the meta index (dropped paragraphs, the build)."""
        self._add({"index": {"_index": self.meta, "_id": doc_id}}, source)

    def _add(self, action: dict[str, Any], source: dict[str, Any] | None = None) -> None:
        for value in (action, source) if source is not None else (action,):
            encoded = line(value)  # once: its length counts toward the request's size
            self._lines.append(encoded)
            self._bytes += len(encoded) + 1
        if self._bytes >= BULK_BYTES:
            self.flush()

    def flush(self) -> None:
        """Send what is queued, in one bulk request; raise on the first item refused."""
        if not self._lines:
            return
        lines, self._lines, self._bytes = self._lines, [], 0
        answer = self.client.request("POST", "/_bulk", ndjson=lines)
        if answer.get("errors"):
            for item in answer.get("items", []):
                result = next(iter(item.values()))
                error = result.get("error")
                if error and not (result.get("status") == 404 and "delete" in item):
                    raise IndexError_(
                        f"The search cluster refused a passage of the index "
                        f"({error.get('type', 'error')}: {error.get('reason', '')})."
                    )
        self.advance(self._passages)
        self._passages = 0

    def commit(self) -> None:
        """Send what is queued and make every change visible to searches."""
        self.flush()
        self.client.request("POST", f"/{self.index},{self.meta}/_refresh")
