"""Building, opening and updating Footnote's index on an OpenSearch cluster.

A build writes a new passage index (and its meta index: documents, dropped paragraphs,
the build record) and, once complete, points the aliases at it in one atomic request: a
failed build leaves the previous one serving. An update of the same settings changes only
the documents whose files changed, in place.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from footnote.config import EngineConfig, OpenSearchSettings
from footnote.errors import ConfigError, ForeignIndex, IndexCorrupt, IndexError_
from footnote.ingest.corpus import find_files, fingerprint
from footnote.retrieval.base import IndexedDocument, Retriever
from footnote.retrieval.embedded.build import (
    BuildReport,
    dropped_paragraphs,
    indexed_documents,
    passage_lengths,
    plan_passages,
    progress,
    read_corpus,
    report_changes,
)
from footnote.retrieval.opensearch.client import Client
from footnote.retrieval.opensearch.retriever import OpenSearchRetriever
from footnote.retrieval.opensearch.schema import SCHEMA_VERSION, index_body, meta_body
from footnote.retrieval.opensearch.writer import OpenSearchWriter

log = logging.getLogger(__name__)

BUILD_ID = "build"  # the meta index's record of the build
KEEP_PREVIOUS = 1  # builds kept behind the live one, for engines still serving them


def _settings(config: EngineConfig) -> OpenSearchSettings:
    assert config.opensearch is not None  # EngineConfig checks this for the backend
    if config.bm25.variant != "lucene":
        raise ConfigError(
            f"The opensearch backend ranks with Lucene's BM25 only, not {config.bm25.variant!r}; "
            "use the embedded backend for the other variants."
        )
    return config.opensearch


def meta_alias(settings: OpenSearchSettings) -> str:
    """The alias of the meta index beside the passage alias."""
    return f"{settings.index}.meta"


def _live(
    client: Client, settings: OpenSearchSettings, strict: bool = True
) -> tuple[str, str, dict] | None:
    """The passage index and meta index the aliases point at, and the build record; None
    when there is no build yet (or, unless ``strict``, no usable one)."""
    targets = client.request("GET", f"/_alias/{settings.index}", missing_ok=True)
    if not targets:
        return None
    index = sorted(targets)[-1]
    meta = index + "-meta"
    record = client.request("GET", f"/{meta}/_doc/{BUILD_ID}", missing_ok=True)
    if not record or not record.get("found"):
        if not strict:
            return None
        raise IndexCorrupt(
            f"The search cluster's index {settings.index!r} has no build record; rebuild it "
            "with `footnote index --rebuild`."
        )
    return index, meta, record["_source"]["data"]


def _check_corpus(config: EngineConfig, build: dict[str, Any]) -> None:
    """Refuse a build of another corpus folder (ForeignIndex), as on disk."""
    settings = _settings(config)
    source, named = build.get("corpus_dir"), str(config.corpus_dir.absolute())
    if source and Path(source).resolve() != Path(named).resolve():
        raise ForeignIndex(
            f"The search cluster's index {settings.index!r} was built from the corpus "
            f"{source}, not {named}; pass --rebuild to replace it, or choose another "
            "--opensearch-index (FOOTNOTE_OPENSEARCH_INDEX)."
        )


def open_live(config: EngineConfig) -> Retriever:
    """The build the aliases point at now."""
    settings = _settings(config)
    client = Client(settings)
    live = _live(client, settings)
    if live is None:
        raise IndexCorrupt(
            f"The search cluster has no index {settings.index!r} yet; build it with "
            "`footnote index --backend opensearch`."
        )
    index, meta, build = live
    if build.get("schema") != SCHEMA_VERSION:
        raise IndexCorrupt(
            f"The search cluster's index {settings.index!r} has another format; rebuild it "
            "with `footnote index --rebuild`."
        )
    retriever = OpenSearchRetriever(client, index, meta, build)
    retriever.warm_up()
    return retriever


def published_other(config: EngineConfig, serving: Retriever) -> bool:
    """Whether another build than the one served is live on the cluster now; one of another
    corpus folder is refused (ForeignIndex), as on disk."""
    settings = _settings(config)
    live = _live(Client(settings), settings)
    if live is None or live[2].get("generation") == serving.info().generation:
        return False
    _check_corpus(config, live[2])
    return True


def open_or_build(
    config: EngineConfig, rebuild: bool = False
) -> tuple[Retriever, BuildReport | None]:
    """The live build, made first when missing, of other settings, or the corpus changed."""
    settings = _settings(config)
    client = Client(settings)
    live = None if rebuild else _live(client, settings)
    if live is not None:
        _check_corpus(config, live[2])
        files, _ = find_files(config.corpus_dir)
        build = live[2]
        if (
            build.get("fingerprint") == fingerprint(files, config.reading_settings())
            and build.get("schema") == SCHEMA_VERSION
        ):
            return open_live(config), None
    report = build_index(config, built_by="", rebuild=rebuild)
    return open_live(config), report


def build_index(config: EngineConfig, built_by: str = "", rebuild: bool = False) -> BuildReport:
    """Index the corpus on the cluster: changed files only when the live build has the same
    settings, else a new build made live when complete."""
    settings = _settings(config)
    client = Client(settings)
    live = _live(client, settings, strict=False)
    if live is not None and not rebuild:
        _check_corpus(config, live[2])
    corpus_print, report, assembler = read_corpus(config, None, True)
    plans, files_meta = plan_passages(config, assembler, report)
    for plan in plans:  # each document's passage count: what an update replaces or deletes
        ids = [d[0] for d in plan.analysis.documents]
        files_meta[plan.analysis.relative]["counts"] = dict(zip(ids, plan.per_doc, strict=True))
    report_changes(report, live[2].get("files", {}) if live else {}, assembler)
    same = (
        live is not None
        and not rebuild
        and live[2].get("schema") == SCHEMA_VERSION
        and live[2].get("settings") == json.loads(json.dumps(config.reading_settings()))
    )
    vocabulary = list(assembler.vocabulary)
    if same:
        assert live is not None
        # An update keeps the build's average passage length, so that the passages it
        # leaves alone keep their scores; a rebuild works it out anew.
        index, meta, old = live
        average = float(old["average_length"])
        lengths = (average, config.bm25.b)
        changed = _update(client, index, meta, old, plans, files_meta, vocabulary, lengths)
    else:
        index, meta = _create(client, config, settings)
        total = sum(float(passage_lengths(p.analysis, p.keep).sum()) for p in plans)
        average = total / max(1, report.passages)
        lengths, changed = (average, config.bm25.b), None
    try:
        if not same:
            writer = OpenSearchWriter(
                client,
                index,
                meta,
                lengths,
                advance=progress(report.passages, "indexing", "passage"),
            )
            for plan in plans:
                documents, dropped = _read_plan(plan, vocabulary)
                for document in documents:
                    writer.replace(document)
                _put_dropped(writer, plan, dropped)
            writer.commit()
        record = _record(config, report, corpus_print, files_meta, built_by, index)
        record["average_length"] = average
        recorder = OpenSearchWriter(client, index, meta)
        recorder.put_meta(BUILD_ID, {"kind": "build", "order": 0, "data": record})
        recorder.commit()
        if not same:
            _swap(client, settings, index, meta)
    except BaseException:
        if not same:  # a failed build leaves the previous one serving, and no half index
            client.request("DELETE", f"/{index},{meta}", missing_ok=True)
        raise
    report.seconds = time.perf_counter() - report.started
    report.directory = f"{settings.urls[0]}/{index}"
    if changed is not None:  # every file was read; these were written to the cluster
        report.files_analysed, report.files_reused = changed, len(files_meta) - changed
    return report


def _create(client: Client, config: EngineConfig, settings: OpenSearchSettings) -> tuple[str, str]:
    """A new, empty passage index and meta index, their primaries ready for writes."""
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    index = f"{settings.index}-g{stamp}"
    meta = index + "-meta"
    client.request("PUT", f"/{index}", index_body(config, settings))
    client.request("PUT", f"/{meta}", meta_body(settings))
    client.request("GET", f"/_cluster/health/{index},{meta}?wait_for_status=yellow&timeout=60s")
    return index, meta


def _read_plan(
    plan: Any, vocabulary: list[str]
) -> tuple[list[IndexedDocument], list[tuple[str, str, int, str, str]]]:
    """A file's documents to index and its dropped paragraphs, from its rows read once."""
    rows = plan.analysis.rows()
    return list(indexed_documents(plan, vocabulary, rows)), dropped_paragraphs(plan, rows)


def _put_dropped(
    writer: OpenSearchWriter, plan: Any, dropped: list[tuple[str, str, int, str, str]]
) -> None:
    """A file's dropped paragraphs, kept in the meta index so none goes unseen."""
    for i, (path, document, paragraph, reason, text) in enumerate(dropped):
        writer.put_meta(
            f"dropped-{plan.doc_base}-{i}-{secrets.token_hex(4)}",
            {
                "kind": "dropped",
                "order": plan.doc_base * 1_000_000 + i,
                "file": path,
                "data": {
                    "path": path,
                    "document": document,
                    "paragraph": paragraph,
                    "reason": reason,
                    "text": text,
                },
            },
        )


def _update(
    client: Client,
    index: str,
    meta: str,
    old: dict[str, Any],
    plans: list[Any],
    files_meta: dict[str, dict],
    vocabulary: list[str],
    lengths: tuple[float, float],
) -> int:
    """Write the documents of the files that changed since the live build (and remove
    those of files gone) into it, in place; how many files were written."""
    before = old.get("files", {})
    known = {d: n for meta_ in before.values() for d, n in meta_.get("counts", {}).items()}
    writer = OpenSearchWriter(client, index, meta, lengths, known)
    written = 0
    for plan in plans:
        relative = plan.analysis.relative
        now, then = files_meta[relative], before.get(relative)
        if then is not None and _same_file(now, then):
            continue
        written += 1
        writer.delete_meta(kind="dropped", file=relative)
        documents, dropped = _read_plan(plan, vocabulary)
        for gone in set((then or {}).get("documents", [])) - {d.document.id for d in documents}:
            writer.delete(gone)
        for document in documents:
            writer.replace(document)
        _put_dropped(writer, plan, dropped)
    for relative, then in before.items():
        if relative not in files_meta:
            for gone in then.get("documents", []):
                writer.delete(gone)
    writer.commit()
    return written


def _same_file(now: dict[str, Any], then: dict[str, Any]) -> bool:
    """Whether a file gives the same passages as in the live build."""
    keys = ("key", "documents", "repeated", "counts")
    return all(now.get(k) == then.get(k) for k in keys)


def _record(
    config: EngineConfig,
    report: BuildReport,
    corpus_print: str,
    files_meta: dict[str, dict],
    built_by: str,
    index: str,
) -> dict[str, Any]:
    """The build record kept in the meta index."""
    settings = _settings(config)
    return {
        "schema": SCHEMA_VERSION,
        "alias": settings.index,
        "index": index,
        "generation": secrets.token_hex(4),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "built_by": built_by,
        "build_seconds": round(time.perf_counter() - report.started, 3),
        "corpus_dir": str(config.corpus_dir.absolute()),
        "fingerprint": corpus_print,
        "settings": config.reading_settings(),
        "bm25_k1": config.bm25.k1,
        "counts": {
            "documents": report.documents,
            "passages": report.passages,
            "furniture_dropped": report.furniture_dropped,
            "repeated_dropped": report.repeated_dropped,
            "skipped": len(report.skipped),
        },
        "files": files_meta,
        "skipped": [[s.path, s.reason] for s in report.skipped],
    }


def _swap(client: Client, settings: OpenSearchSettings, index: str, meta: str) -> None:
    """Point both aliases at the new build in one request, then drop builds older than the
    one it replaces (an engine may still be serving that one)."""
    alias, meta_name = settings.index, meta_alias(settings)
    pattern = f"{alias}-g*"
    client.request(
        "POST",
        "/_aliases",
        {
            "actions": [
                {"remove": {"index": pattern, "alias": alias, "must_exist": False}},
                {"remove": {"index": pattern, "alias": meta_name, "must_exist": False}},
                {"add": {"index": index, "alias": alias}},
                {"add": {"index": meta, "alias": meta_name}},
            ]
        },
    )
    names = client.request("GET", f"/_cat/indices/{pattern}?format=json&h=index") or []
    builds = sorted(n["index"] for n in names if not n["index"].endswith("-meta"))
    for old in builds[: -(KEEP_PREVIOUS + 1)]:
        try:
            client.request("DELETE", f"/{old},{old}-meta", missing_ok=True)
        except IndexError_ as exc:  # the new build serves; an old one left behind is no harm
            log.warning("could not remove the old build %s: %s", old, exc)
