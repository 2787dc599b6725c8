"""Updates of the embedded index in a second: a delta written beside the base generation,
and merges of the two into a new base in the background.

An update compares every corpus file with the base generation (by name, size, time and id)
and writes a new delta holding every file that differs from the base: the files added or
changed, and the unchanged files whose passages change because a paragraph crossed the
boilerplate threshold (a build drops a paragraph repeated across enough documents, so a
document added or removed elsewhere can change theirs). The delta replaces the previous
one: its files' analyses are taken from it (or read when new), so an update costs in
proportion to the delta, which a merge keeps small. It is written into a partial folder,
renamed, and made live by the atomic rename of the pointer, under the build lock: a kill
at any moment leaves the old state or the new one served.

A merge is a full build from the analyses of the live state (no unchanged file is read
again), written without holding the build lock so updates go on meanwhile; it then takes
the lock, writes whatever changed in the corpus since it began as a delta over its new base,
and swaps both in at once.

What a delta cannot keep exact falls back to a full build: BM25 variants whose idf depends
on the whole vocabulary (okapi's floor is a fraction of the mean idf) or whose scores give
terms a passage lacks a share (BM25+), a document id used twice in the corpus, and an index
whose base is of an older format or other settings.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import pickle
import shutil
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from footnote.config import EngineConfig
from footnote.errors import IndexCorrupt, IndexError_
from footnote.ingest.corpus import CorpusFile, Skipped, file_key, find_files, fingerprint
from footnote.retrieval.embedded import build as builder
from footnote.retrieval.embedded.bm25 import BM25Index, exact_length_total
from footnote.retrieval.embedded.build import BuildReport, FileAnalysis
from footnote.retrieval.embedded.index import (
    FORMAT_VERSION,
    MANIFEST,
    MERGE_LOCK,
    STORE,
    CorpusIndex,
    build_lock,
    current_state,
    fsync_tree,
    generation_folder,
    os_message,
    partial_folder,
    publish,
    remove_old_generations,
    remove_partial_builds,
)
from footnote.retrieval.embedded.index_guard import check_index_folder
from footnote.retrieval.embedded.repeats import (
    Pairs,
    Repeats,
    key_states,
    name_number,
    threshold_for,
)
from footnote.retrieval.embedded.segments import (
    DELETED_DF,
    DELETED_TERMS,
    DELTA_FORMAT,
    LiveIndex,
    live_files,
    read_delta_manifest,
)

log = logging.getLogger(__name__)

# Variants a delta scores exactly: per-term idf, and nothing for a term a passage lacks.
SEGMENT_VARIANTS = ("lucene", "bm25l")
# A merge is due once the delta holds (or takes out of the base) more passages than this
# fraction of the base, and at least MERGE_MIN_PASSAGES: each update rewrites the delta.
MERGE_FRACTION = 0.02
MERGE_MIN_PASSAGES = 2000
ANALYSES = "analyses"


class _FullBuild(Exception):
    """The change cannot be made as a delta: a full build makes it."""


def update(
    config: EngineConfig,
    changed: list[str] | tuple[str, ...] = (),
    built_by: str = "",
    serving: CorpusIndex | LiveIndex | None = None,
) -> BuildReport:
    """Bring the index in line with the corpus folder as a delta beside its base.

    ``changed`` names the files added, replaced or removed (corpus-relative), but every file
    is compared with the index, so one changed behind its back is taken in too. ``serving``
    is the index open in this process (its base is reused rather than opened again). Falls
    back to a full build when no delta can be exact (see the module's doc).
    """
    del changed  # every file is compared: the list is what the caller knows, not all
    root = config.index_path
    check_index_folder(root, config.corpus_dir, config.index_dir is not None, False)
    if config.bm25.variant in SEGMENT_VARIANTS:
        try:
            with build_lock(root):
                remove_partial_builds(root)
                return _update_locked(config, built_by, serving)
        except _FullBuild as reason:
            log.info("updating by a full build: %s", reason)
    return builder.build(config, built_by=built_by)


def merge(config: EngineConfig, built_by: str = "") -> BuildReport:
    """Merge the delta into a new base generation (a full build from the live state's
    analyses) while updates go on, then swap it in with whatever changed meanwhile.

    Raises IndexBusy when another merge runs.
    """
    root = config.index_path
    check_index_folder(root, config.corpus_dir, config.index_dir is not None, False)
    with build_lock(root, MERGE_LOCK):
        with build_lock(root):  # a snapshot: the delta's analyses are read before it can go
            previous = builder._Previous(root, config, load_delta=True)
        spool = builder.new_spool(root)
        partial = partial_folder(root)
        try:
            corpus_print, report, assembler = builder.read_corpus(config, previous, spool=spool)
            builder.report_changes(report, previous.files, assembler)
            builder._write_generation(config, assembler, report, partial, corpus_print, built_by)
            fsync_tree(partial)
        except BaseException as exc:
            shutil.rmtree(partial, ignore_errors=True)
            if isinstance(exc, OSError):
                raise IndexError_(os_message(exc, root)) from exc
            raise
        finally:
            previous.close()
            shutil.rmtree(spool, ignore_errors=True)
        with build_lock(root):
            generation = generation_folder(root)
            os.rename(partial, generation)
            try:
                caught_up = _update_locked(config, built_by, None, generation)
            except _FullBuild:
                caught_up = None
                publish(root, generation)
        if caught_up is None:  # the corpus changed meanwhile in a way only a build takes in
            return builder.build(config, built_by=built_by)
    report.documents, report.passages = caught_up.documents, caught_up.passages
    report.seconds = time.perf_counter() - report.started
    report.directory = str(generation)
    return report


def merge_due(root: Path) -> bool:
    """Whether the live delta has grown past the merge threshold."""
    try:
        state = current_state(root)
        if state is None or state[1] is None:
            return False
        return bool(read_delta_manifest(state[1]).get("merge_due"))
    except IndexCorrupt:
        return False


# -- the update ---------------------------------------------------------------------------


@dataclass
class _Base:
    """The base generation an update writes a delta against."""

    folder: Path
    index: CorpusIndex
    files: dict[str, dict]  # its files' descriptions, in corpus order
    repeats: Repeats
    owned: bool  # opened here (closed when done)

    def close(self) -> None:
        if self.owned:
            self.index.close()


def _open_base(
    config: EngineConfig, folder: Path, serving: CorpusIndex | LiveIndex | None
) -> _Base:
    base = serving.base if isinstance(serving, LiveIndex) else serving
    owned = base is None or base.directory != folder
    if owned:
        try:
            base = CorpusIndex.open_folder(folder)
        except (IndexCorrupt, OSError) as exc:
            raise _FullBuild(f"the base generation cannot be opened ({exc})") from exc
    assert base is not None
    manifest = base.manifest
    repeats = Repeats.load(folder)
    if (
        manifest.get("settings") != config.reading_settings()
        or manifest.get("duplicate_ids") is not False
        or base.bm25.length_total is None
        or repeats is None
    ):
        if owned:
            base.close()
        raise _FullBuild("the base was built with other settings, or has duplicate ids")
    return _Base(folder, base, dict(manifest.get("files", {})), repeats, owned)


def _analysis_name(relative: str) -> str:
    return hashlib.sha256(relative.encode("utf-8", "surrogatepass")).hexdigest()[:32] + ".pickle"


@dataclass
class _Member:
    """A file of the delta: its analysis (pickled, before assembling) and where it came from."""

    file: CorpusFile
    packed: bytes
    fresh: bool

    def analysis(self) -> FileAnalysis:
        return pickle.loads(self.packed)


def _members(
    config: EngineConfig,
    files: list[CorpusFile],
    wanted: set[str],
    earlier: dict[str, _Member],
    old_delta: tuple[Path, dict] | None,
) -> dict[str, _Member]:
    """The analyses of the files in ``wanted``: taken from ``earlier`` or the old delta when
    that holds this version of the file, read otherwise."""
    members: dict[str, _Member] = {}
    for file in files:
        if file.relative not in wanted:
            continue
        if file.relative in earlier:
            members[file.relative] = earlier[file.relative]
            continue
        key = file_key(file)
        packed = None
        if old_delta is not None:
            meta = old_delta[1]["files"].get(file.relative)
            if meta is not None and meta.get("key") == key:
                with contextlib.suppress(OSError):
                    packed = (old_delta[0] / ANALYSES / meta["analysis"]).read_bytes()
        fresh = packed is None
        if packed is None:
            packed = pickle.dumps(builder.analyse_file(file, config), pickle.HIGHEST_PROTOCOL)
        members[file.relative] = _Member(file, packed, fresh)
    return members


def _pairs_of(analyses: list[FileAnalysis], first_doc: int) -> Pairs:
    """The (key, document) pairs of these analyses, documents numbered from ``first_doc``."""
    keys, docs, names, short = [], [], [], []
    base = first_doc
    for analysis in analyses:
        numbers = np.array([name_number(d[0]) for d in analysis.documents], dtype=np.uint64)
        keys.append(analysis.row_keys)
        docs.append(analysis.row_docs.astype(np.int64) + base)
        names.append(
            numbers[analysis.row_docs] if len(analysis.row_docs) else np.zeros(0, np.uint64)
        )
        short.append(analysis.row_short)
        base += len(analysis.documents)
    if not keys:
        return Pairs.of_rows(
            np.zeros(0, np.uint64), np.zeros(0, np.int64), np.zeros(0, np.uint64), np.zeros(0, bool)
        )
    return Pairs.of_rows(
        np.concatenate(keys), np.concatenate(docs), np.concatenate(names), np.concatenate(short)
    )


def _ranges_mask(size: int, ranges: list[tuple[int, int]]) -> np.ndarray:
    mask = np.zeros(size, dtype=bool)
    for first, count in ranges:
        mask[first : first + count] = True
    return mask


def _update_locked(
    config: EngineConfig,
    built_by: str,
    serving: CorpusIndex | LiveIndex | None,
    base_folder: Path | None = None,
) -> BuildReport:
    """Write and publish the delta of the corpus now against the live base (or the given
    new one, from a merge); the build lock is held. Raises _FullBuild when it cannot."""
    started = time.perf_counter()
    root = config.index_path
    state = current_state_or_none(root)
    if base_folder is None:
        if state is None:
            raise _FullBuild("there is no index yet")
        base_folder = state[0]
    old_state = state
    old_delta = None
    if state is not None and state[1] is not None and state[0] == base_folder:
        try:
            old_delta = (state[1], read_delta_manifest(state[1]))
        except IndexCorrupt:
            old_delta = None
    base = _open_base(config, base_folder, serving)
    try:
        return _write_delta(config, built_by, base, old_state, old_delta, started)
    finally:
        base.close()


def current_state_or_none(root: Path) -> tuple[Path, Path | None] | None:
    """The live state, or None when there is none or its pointer is damaged."""
    try:
        return current_state(root)
    except IndexCorrupt:
        return None


def _write_delta(
    config: EngineConfig,
    built_by: str,
    base: _Base,
    old_state: tuple[Path, Path | None] | None,
    old_delta: tuple[Path, dict] | None,
    started: float,
) -> BuildReport:
    """Work out the delta of the corpus now against the base, write it and publish it."""
    root = config.index_path
    files, found_skipped = find_files(config.corpus_dir)
    corpus_print = fingerprint(files, config.reading_settings())
    present = {f.relative for f in files}
    changed = {
        f.relative for f in files if base.files.get(f.relative, {}).get("key") != file_key(f)
    }
    gone = [rel for rel in base.files if rel not in present]
    base_docs = base.index.counts.get("documents", 0)
    base_file_of_doc = np.zeros(base_docs, dtype=np.int64)
    base_order = list(base.files)
    for position, meta in enumerate(base.files.values()):
        first, count = meta["document_range"]
        base_file_of_doc[first : first + count] = position
    members: dict[str, _Member] = {}
    wanted = set(changed)
    counts_now: dict[str, int] = {}
    # The delta's files: those changed, then the unchanged ones whose passages change
    # because a paragraph crossed the boilerplate threshold (their files join the delta).
    while True:
        members = _members(config, files, wanted, members, old_delta)
        analyses = [members[f.relative].analysis() for f in files if f.relative in members]
        out_files = [rel for rel in base_order if rel in wanted or rel not in present]
        docs_out = _ranges_mask(
            base_docs, [tuple(base.files[r]["document_range"]) for r in out_files]
        )
        n_docs = base_docs - int(docs_out.sum()) + sum(len(a.documents) for a in analyses)
        threshold = threshold_for(n_docs, config.keep_boilerplate)
        delta_pairs = _pairs_of(analyses, base_docs)
        live_base = base.repeats.pairs.without_docs(docs_out)
        if not config.keep_boilerplate:
            before = threshold_for(base_docs, False)
            candidates = np.unique(
                np.concatenate([
                    base.repeats.pairs.keys[docs_out[base.repeats.pairs.docs]],
                    delta_pairs.keys,
                    base.repeats.keys_near(min(before, threshold), max(before, threshold)),
                ])
            )  # fmt: skip
            values, documents, dropped = key_states(
                live_base.select(candidates).plus(delta_pairs.select(candidates)), threshold
            )
            flipped = values[dropped != base.repeats.base_dropped(values)]
            # A dropped paragraph's reason names how many documents hold it: those counts.
            counts_now = {
                f"{int(k):016x}": int(n)
                for k, n in zip(values[dropped].tolist(), documents[dropped].tolist(), strict=True)
            }
            touched = live_base.select(flipped).docs
            more = {base_order[i] for i in np.unique(base_file_of_doc[touched]).tolist()}
            more -= wanted
            if more:
                wanted |= more
                continue
        break
    if not wanted and not gone and _same_skipped(base.index, found_skipped, base.files):
        return _publish_base(config, base, old_state, built_by, started)
    # The documents of the delta's files, assembled (their own vocabulary) and planned.
    assembler = builder._Assembler()
    for analysis in analyses:
        assembler.add(analysis)
    live_ids = {
        doc
        for rel, meta in base.files.items()
        if rel not in wanted and rel in present
        for doc in meta.get("documents", [])
    }
    if assembler.skipped or live_ids & assembler.seen_ids:
        raise _FullBuild("a document id is used twice in the corpus")
    delta_keys = np.unique(delta_pairs.keys)
    values, documents, dropped = key_states(
        live_base.select(delta_keys).plus(delta_pairs), threshold
    )
    repeated = (values[dropped], documents[dropped])
    report = BuildReport(started=started)
    plans, files_meta = builder._plan_files(assembler.analyses, repeated, report)
    out_rows = sum(base.files[r]["passages"][1] for r in out_files)
    if report.documents + base_docs - int(docs_out.sum()) == 0 or (
        report.passages + len(base.index) - out_rows == 0
    ):
        raise _FullBuild("no passage is left: the build says why")
    partial = partial_folder(root)
    try:
        partial.mkdir()
        manifest = _write_delta_folder(
            config, base, partial, plans, files_meta, assembler, members, files, wanted, gone,
            out_files, found_skipped, corpus_print, built_by, started, counts_now, old_delta,
        )  # fmt: skip
        fsync_tree(partial)
        delta = generation_folder(root, "delta")
        os.rename(partial, delta)
        publish(root, base.folder, delta)
    except BaseException as exc:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(exc, OSError):
            raise IndexError_(os_message(exc, root)) from exc
        if isinstance(exc, sqlite3.OperationalError):
            raise IndexError_(os_message(builder._as_os_error(exc), root)) from exc
        raise
    keep = {base.folder.name, delta.name} | {p.name for p in old_state or () if p is not None}
    remove_old_generations(root, keep)
    return _report(report, old_state, old_delta, base, manifest, members, started, delta)


def _same_skipped(index: CorpusIndex, found: list[Skipped], base_files: dict) -> bool:
    """Whether the files skipped now are those the base lists (no delta is needed then)."""
    now = [(s.path, s.reason) for s in found]
    now += [tuple(s) for meta in base_files.values() for s in meta.get("skipped", [])]
    return [(s.path, s.reason) for s in index.skipped()] == now


def _publish_base(
    config: EngineConfig,
    base: _Base,
    old_state: tuple[Path, Path | None] | None,
    built_by: str,
    started: float,
) -> BuildReport:
    """The corpus is as the base has it: serve the base alone."""
    root = config.index_path
    publish(root, base.folder)
    remove_old_generations(
        root, {base.folder.name} | {p.name for p in old_state or () if p is not None}
    )
    counts = base.index.counts
    report = BuildReport(
        documents=counts.get("documents", 0), passages=counts.get("passages", 0),
        furniture_dropped=counts.get("furniture_dropped", 0),
        repeated_dropped=counts.get("repeated_dropped", 0), skipped=base.index.skipped(),
        started=started,
    )  # fmt: skip
    _changes(report, *_documents_changed(old_state, base, None))
    report.seconds = time.perf_counter() - started
    report.directory = str(base.folder)
    return report


def _write_delta_folder(
    config: EngineConfig,
    base: _Base,
    folder: Path,
    plans: list[builder.FilePlan],
    files_meta: dict[str, dict],
    assembler: builder._Assembler,
    members: dict[str, _Member],
    files: list[CorpusFile],
    wanted: set[str],
    gone: list[str],
    out_files: list[str],
    found_skipped: list[Skipped],
    corpus_print: str,
    built_by: str,
    started: float,
    repeat_counts: dict[str, int],
    old_delta: tuple[Path, dict] | None,
) -> dict:
    """Write the delta's store, postings, analyses and manifest into ``folder``."""
    (folder / ANALYSES).mkdir()
    for rel, member in members.items():
        (folder / ANALYSES / _analysis_name(rel)).write_bytes(member.packed)
    store_meta = builder._write_store(folder / STORE, plans, [])
    lengths = [builder.passage_lengths(p.analysis, p.keep) for p in plans]
    doc_len = np.concatenate(lengths) if lengths else np.zeros(0, np.float64)
    parts = [builder._file_postings(p.analysis, p.keep, p.new_index) for p in plans]
    delta_index = builder._bm25_from_parts(parts, doc_len, list(assembler.vocabulary), config)
    delta_index.save(folder / "bm25")
    # What the base loses: its passages of the files taken out, their terms and lengths.
    bm25 = base.index.bm25
    deleted_rows = [tuple(base.files[r]["passages"]) for r in out_files]
    deleted_docs = [tuple(base.files[r]["document_range"]) for r in out_files]
    rows_out = _ranges_mask(len(bm25), deleted_rows)
    terms_out, df_out = _terms_taken_out(bm25, rows_out, deleted_rows, out_files, old_delta)
    np.save(folder / DELETED_TERMS, terms_out, allow_pickle=False)
    np.save(folder / DELETED_DF, df_out, allow_pickle=False)
    length_total = (
        int(bm25.length_total or 0)
        - sum(exact_length_total(bm25.doc_len[a : a + n]) for a, n in deleted_rows)
        + int(delta_index.length_total or 0)
    )
    n_live = len(bm25) - int(rows_out.sum()) + len(delta_index)
    # Where each delta file stands: before the first base file kept after it.
    kept_positions = {rel: i for i, rel in enumerate(base.files) if rel not in out_files}
    before, after = {}, len(base.files)
    for file in reversed(files):
        if file.relative in kept_positions:
            after = kept_positions[file.relative]
        elif file.relative in files_meta:
            before[file.relative] = after
    for rel, meta in files_meta.items():
        meta["before"] = before[rel]
        meta["analysis"] = _analysis_name(rel)
    # Every file's skipped entries, in corpus order, as a build lists them.
    skipped = [(s.path, s.reason) for s in found_skipped]
    for file in files:
        meta = files_meta.get(file.relative) or base.files.get(file.relative, {})
        skipped += [tuple(s) for s in meta.get("skipped", [])]
    live_files = [base.files[r] for r in base.files if r not in out_files] + list(
        files_meta.values()
    )
    df_now = _live_df(bm25, terms_out, df_out, delta_index)
    counts = {
        "documents": base.index.counts.get("documents", 0)
        - sum(c for _, c in deleted_docs)
        + len(delta_index_documents(files_meta)),
        "passages": n_live,
        "terms": int((df_now > 0).sum()),
        "postings": int(df_now.sum()),
        "furniture_dropped": sum(int(m.get("furniture", 0)) for m in live_files),
        "repeated_dropped": sum(len(m.get("repeated", [])) for m in live_files),
        "skipped": len(skipped),
    }
    delta_passages = len(delta_index)
    due = delta_passages + int(rows_out.sum()) > max(MERGE_MIN_PASSAGES, MERGE_FRACTION * len(bm25))
    created = datetime.now(UTC).isoformat(timespec="seconds")
    manifest = {
        "format": DELTA_FORMAT,
        "format_version": FORMAT_VERSION,
        "base": base.folder.name,
        "created": created,
        "settings": config.reading_settings(),
        "counts": {"documents": len(delta_index_documents(files_meta)), "passages": delta_passages},
        "store": store_meta,
        "files": files_meta,
        "removed": out_files,
        "deleted_rows": deleted_rows,
        "deleted_docs": deleted_docs,
        "skipped": skipped,
        "length_total": str(length_total),
        "repeat_counts": repeat_counts,
        "merge_due": due,
        "live": {
            "created": created,
            "fingerprint": corpus_print,
            "counts": counts,
            "built_by": built_by,
            "build_seconds": round(time.perf_counter() - started, 3),
        },
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    del wanted, gone
    return manifest


def delta_index_documents(files_meta: dict[str, dict]) -> list[str]:
    """The delta's document ids, in corpus order."""
    return [d for meta in files_meta.values() for d in meta["documents"]]


def _terms_taken_out(
    bm25: BM25Index,
    rows_out: np.ndarray,
    ranges: list[tuple[int, int]],
    out_files: list[str],
    old_delta: tuple[Path, dict] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """The base's terms held by the passages taken out, and in how many of them each (the
    old delta's, when it took out the same files: a scan reads every posting)."""
    if not ranges or not rows_out.any():
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if old_delta is not None and old_delta[1].get("removed") == out_files:
        with contextlib.suppress(OSError, ValueError):
            return (
                np.load(old_delta[0] / DELETED_TERMS, allow_pickle=False),
                np.load(old_delta[0] / DELETED_DF, allow_pickle=False),
            )
    docs = np.asarray(bm25.docs)
    step = 1 << 24  # a chunk at a time: the mask of a billion postings would not fit
    positions = [
        np.flatnonzero(rows_out[docs[lo : lo + step]]) + lo for lo in range(0, len(docs), step)
    ]
    hits = np.concatenate(positions)
    terms = np.searchsorted(np.asarray(bm25.indptr), hits, side="right") - 1
    values, counts = np.unique(terms, return_counts=True)
    return values.astype(np.int64), counts.astype(np.int64)


def _live_df(
    bm25: BM25Index, terms_out: np.ndarray, df_out: np.ndarray, delta: BM25Index
) -> np.ndarray:
    """Every term's document frequency in the live state (base terms first, then the
    delta's own)."""
    df = np.diff(np.asarray(bm25.indptr)).astype(np.int64)
    df[terms_out] -= df_out
    delta_df = np.diff(np.asarray(delta.indptr)).astype(np.int64)
    ids = np.fromiter(
        (bm25.term_ids.get(t, -1) for t in delta.vocabulary), np.int64, len(delta.vocabulary)
    )
    shared = ids >= 0
    df[ids[shared]] += delta_df[shared]
    return np.concatenate([df, delta_df[~shared]])


def _documents_changed(
    old_state: tuple[Path, Path | None] | None, base: _Base, new: dict | None
) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """The documents (with their file and its key) of the files that differ between the old
    live state and the new one (the base with the ``new`` delta's manifest, if any): only
    files either delta holds or takes out, when both are over the same base."""
    old_delta = None
    if old_state is not None and old_state[1] is not None:
        with contextlib.suppress(IndexCorrupt):
            old_delta = read_delta_manifest(old_state[1])
    if old_state is None or old_state[0] != base.folder:  # a merge's new base: every file
        old_files = _state_files(old_state, old_delta)
        new_files = live_files(base.files, new) if new is not None else base.files
        return _documents_of(old_files), _documents_of(new_files)
    touched: set[str] = set()
    for manifest in (old_delta, new):
        if manifest is not None:
            touched |= set(manifest["files"]) | set(manifest["removed"])

    def view(manifest: dict | None) -> dict[str, dict]:
        files = {}
        for rel in touched:
            if manifest is not None and rel in manifest["files"]:
                files[rel] = manifest["files"][rel]
            elif rel in base.files and (manifest is None or rel not in manifest["removed"]):
                files[rel] = base.files[rel]
        return files

    return _documents_of(view(old_delta)), _documents_of(view(new))


def _state_files(state: tuple[Path, Path | None] | None, delta: dict | None) -> dict[str, dict]:
    """Every file of a live state, read from its manifests."""
    if state is None:
        return {}
    try:
        base = json.loads((state[0] / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = dict(base.get("files", {}))
    return live_files(files, delta) if delta is not None else files


def _documents_of(files: dict[str, dict]) -> dict[str, tuple[str, str]]:
    return {d: (rel, meta.get("key", "")) for rel, meta in files.items() for d in meta["documents"]}


def _changes(
    report: BuildReport,
    old: dict[str, tuple[str, str]],
    new: dict[str, tuple[str, str]],
) -> None:
    """Documents added, updated (their file changed) and removed between two states."""
    for doc, (rel, key) in new.items():
        if doc not in old:
            report.added.append(doc)
        elif old[doc][1] != key or old[doc][0] != rel:
            report.updated.append(doc)
    report.removed = [d for d in old if d not in new]


def _report(
    report: BuildReport,
    old_state: tuple[Path, Path | None] | None,
    old_delta: tuple[Path, dict] | None,
    base: _Base,
    manifest: dict,
    members: dict[str, _Member],
    started: float,
    delta: Path,
) -> BuildReport:
    counts = manifest["live"]["counts"]
    result = BuildReport(
        documents=counts["documents"], passages=counts["passages"],
        furniture_dropped=counts["furniture_dropped"], repeated_dropped=counts["repeated_dropped"],
        skipped=[Skipped(p, r) for p, r in manifest["skipped"]], warnings=report.warnings,
        started=started, merge_due=manifest["merge_due"],
    )  # fmt: skip
    _changes(result, *_documents_changed(old_state, base, manifest))
    result.files_analysed = sum(1 for m in members.values() if m.fresh)
    result.files_reused = len(base.files) - len(manifest["removed"]) + len(members)
    result.files_reused -= result.files_analysed
    result.seconds = time.perf_counter() - started
    result.directory = str(delta)
    return result
