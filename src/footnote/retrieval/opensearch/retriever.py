"""The OpenSearch backend behind the retrieval seam: one build of a passage index, searched
on the cluster with statistics gathered across its shards."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

from footnote.errors import SearchUnavailable
from footnote.ingest.corpus import Skipped
from footnote.retrieval.base import (
    Dropped,
    Filters,
    IndexInfo,
    PassageRef,
    Query,
    StoredDocument,
    StoredPassage,
)
from footnote.retrieval.opensearch.client import Client, line
from footnote.retrieval.opensearch.schema import passage_id, score_factor, stored_passage

PASSAGE_CACHE = 4096  # passages read by recent searches, served again without a request
TERM_CACHE = 200_000  # document frequencies remembered
PAGE = 1000  # documents of the meta index read per request
MAX_CLAUSES = 1000


class OpenSearchRetriever:
    """A build of the passage index on an OpenSearch cluster."""

    backend = "opensearch"

    def __init__(self, client: Client, index: str, meta: str, build: dict[str, Any]) -> None:
        self.client = client
        self.index, self.meta = index, meta
        self.build = build
        self._factor = score_factor(float(build["bm25_k1"]))
        self._lock = threading.Lock()
        self._passages: OrderedDict[PassageRef, StoredPassage] = OrderedDict()
        self._freqs: dict[str, int] = {}
        self._documents: list[StoredDocument] | None = None
        self._by_id: tuple[list[StoredDocument], dict[str, StoredDocument]] | None = None
        self._headings: list[tuple[str, str]] | None = None

    def __len__(self) -> int:
        return int(self.build["counts"]["passages"])

    @property
    def generation(self) -> str:
        """Eight hex digits naming this build (a new one for each update)."""
        return str(self.build["generation"])

    def search(
        self, query: Query, k: int, filters: Filters | None = None
    ) -> list[tuple[PassageRef, float]]:
        """The best k passages for the query, best first, with Footnote's BM25 scores."""
        tokens, weights = query.tokens()
        summed: dict[str, float] = {}  # a term asked twice counts twice, as one clause
        for token, weight in zip(tokens, weights, strict=True):
            summed[token] = summed.get(token, 0.0) + weight
        # A cluster takes at most 1,024 clauses a query by default: a question past that
        # (thousands of characters) keeps its weightiest terms.
        kept = sorted(summed.items(), key=lambda item: -item[1])[:MAX_CLAUSES]
        should = [{"term": {"terms": {"value": t, "boost": w}}} for t, w in kept if w > 0]
        if not should or k <= 0:
            return []
        body: dict[str, Any] = {
            "size": k,
            "query": {"bool": {"should": should, "minimum_should_match": 1}},
            # Ties go to the earlier passage in corpus order, as on the embedded backend.
            "sort": [{"_score": "desc"}, {"order": "asc"}],
            "track_scores": True,
            "track_total_hits": False,
        }
        if filters:
            body["query"]["bool"]["filter"] = filter_clauses(filters)
        answer = self.client.request(
            "POST", f"/{self.index}/_search?search_type=dfs_query_then_fetch", body
        )
        self._check_shards(answer)
        found = []
        with self._lock:
            for hit in answer["hits"]["hits"]:
                passage = stored_passage(hit["_source"])
                self._remember(passage)
                found.append((passage.ref, float(hit["_score"]) / self._factor))
        return found

    def _check_shards(self, answer: dict[str, Any]) -> None:
        shards = answer.get("_shards", {})
        if shards.get("failed"):
            raise SearchUnavailable(
                f"Part of the index is on a search node that is down ({shards['failed']} of "
                f"{shards.get('total', '?')} shards did not answer) and no copy of it is "
                "serving; ask again once the cluster has recovered."
            )

    def _remember(self, passage: StoredPassage) -> None:
        self._passages[passage.ref] = passage
        self._passages.move_to_end(passage.ref)
        while len(self._passages) > PASSAGE_CACHE:
            self._passages.popitem(last=False)

    def doc_freqs(self, terms: Sequence[str]) -> list[int]:
        """How many passages hold each term, counted by the cluster (remembered after)."""
        with self._lock:
            missing = list(dict.fromkeys(t for t in terms if t not in self._freqs))
        if missing:
            lines: list[str] = []
            for term in missing:
                lines += [
                    line({"index": self.index}),
                    line({"size": 0, "track_total_hits": True, "query": {"term": {"terms": term}}}),
                ]
            answer = self.client.request("POST", "/_msearch", ndjson=lines)
            counts = []
            for response in answer["responses"]:
                if "error" in response:
                    raise SearchUnavailable(
                        "The search cluster could not count a word's passages "
                        f"({response['error'].get('reason', 'no reason given')}); ask again."
                    )
                self._check_shards(response)
                counts.append(int(response["hits"]["total"]["value"]))
            with self._lock:
                if len(self._freqs) > TERM_CACHE:
                    self._freqs.clear()
                self._freqs.update(zip(missing, counts, strict=True))
        with self._lock:
            return [self._freqs[t] for t in terms]

    def passages(self, refs: Sequence[PassageRef]) -> list[StoredPassage]:
        """The passages of these refs that exist, in the order asked."""
        with self._lock:
            known = {r: self._passages[r] for r in refs if r in self._passages}
        wanted = [r for r in dict.fromkeys(refs) if r not in known]
        if wanted:
            answer = self.client.request(
                "POST", f"/{self.index}/_mget", {"ids": [passage_id(r) for r in wanted]}
            )
            with self._lock:
                for doc in answer["docs"]:
                    if doc.get("found"):
                        passage = stored_passage(doc["_source"])
                        known[passage.ref] = passage
                        self._remember(passage)
        return [known[r] for r in refs if r in known]

    def neighbours(self, first: PassageRef, last: PassageRef, around: int) -> list[StoredPassage]:
        """Passages first..last of one document with up to `around` more on each side."""
        if first.doc != last.doc:
            return []
        low = max(0, first.n - around)
        found = self.passages([PassageRef(first.doc, n) for n in range(low, last.n + around + 1)])
        return found if any(p.ref == first for p in found) else []

    def _meta_pages(self, kind: str) -> Iterator[dict[str, Any]]:
        """Every document of one kind in the meta index, in order."""
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {
                "size": PAGE,
                "query": {"term": {"kind": kind}},
                "sort": [{"order": "asc"}],
            }
            if after is not None:
                body["search_after"] = after
            hits = self.client.request("POST", f"/{self.meta}/_search", body)["hits"]["hits"]
            for hit in hits:
                yield hit["_source"]
            if len(hits) < PAGE:
                return
            after = hits[-1]["sort"]

    def documents(self) -> list[StoredDocument]:
        """Every document, in corpus order (read once per build)."""
        if self._documents is None:
            documents, headings = [], []
            for source in self._meta_pages("document"):
                d = source["data"]
                documents.append(
                    StoredDocument(
                        int(source["order"]),
                        d["id"],
                        d["title"],
                        d.get("url"),
                        d.get("published"),
                        d.get("source"),
                        d["path"],
                        int(d["passages"]),
                    )
                )
                headings += [(d["id"], h) for h in d.get("headings", [])]
            self._documents, self._headings = documents, headings
        return self._documents

    def document(self, doc_id: str) -> StoredDocument | None:
        """The document of this id, or None when the build has none."""
        if self._by_id is None or self._by_id[0] is not self.documents():
            documents = self.documents()
            self._by_id = (documents, {d.id: d for d in documents})
        return self._by_id[1].get(doc_id)

    def headings(self) -> list[tuple[str, str]]:
        """Each document's section headings as (document id, heading), in corpus order."""
        self.documents()
        return list(self._headings or [])

    def info(self) -> IndexInfo:
        """The cluster's index, this build and its counts."""
        build = self.build
        return IndexInfo(
            backend=self.backend,
            location=f"{self.client.urls[0]}/{build['alias']}",
            generation=self.generation,
            created=str(build.get("created", "")),
            built_by=str(build.get("built_by") or ""),
            build_seconds=build.get("build_seconds"),
            counts=dict(build["counts"]),
        )

    def skipped(self) -> list[Skipped]:
        """The files the build skipped, with reasons."""
        return [Skipped(p, r) for p, r in self.build.get("skipped", [])]

    def dropped(self, path: str | None = None) -> list[Dropped]:
        """Every paragraph the build dropped as boilerplate (of one corpus file, when `path`
        names it), in corpus order, with the reason."""
        return [
            Dropped(str(d["path"]), str(d["document"]), int(d["paragraph"]), d["reason"], d["text"])
            for source in self._meta_pages("dropped")
            for d in [source["data"]]
            if path is None or d["path"] == path
        ]

    def warm_up(self) -> None:
        """Read the documents and headings, so the first question does not wait for them."""
        self.documents()

    def close(self) -> None:
        """Close this thread's connections to the cluster."""
        self.client.close()


def filter_clauses(filters: Filters) -> list[dict[str, Any]]:
    """The filter clauses that admit only the passages `filters` admits."""
    clauses: list[dict[str, Any]] = []
    if filters.documents:
        clauses.append({"terms": {"doc": list(filters.documents)}})
    if filters.sources:
        clauses.append({"terms": {"source": list(filters.sources)}})
    if filters.published_from or filters.published_to:
        span: dict[str, str] = {}
        if filters.published_from:
            span["gte"] = filters.published_from[:10]
        if filters.published_to:
            # A date is the first ten characters of a published value: one of that day sorts
            # after the day alone, so the bound is the next character up.
            span["lt"] = filters.published_to[:10] + "\uffff"
        clauses.append({"range": {"published": span}})
    return clauses
