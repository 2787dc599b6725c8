"""The persisted index: built on first use, rebuilt when stale or damaged, swapped atomically."""

from __future__ import annotations

import errno
import json
import logging
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from footnote.analysis.analyzer import AnalyzerSettings
from footnote.config import EngineConfig
from footnote.engine import Engine
from footnote.errors import CorpusError, IndexBusy, IndexError_
from footnote.retrieval.base import PassageRef
from footnote.retrieval.embedded import runs
from footnote.retrieval.embedded.build import build, open_or_build
from footnote.retrieval.embedded.index import (
    FORMAT_VERSION,
    CorpusIndex,
    build_lock,
    current_generation,
)
from footnote.retrieval.embedded.retriever import EmbeddedRetriever


def write(path: Path, text: str) -> Path:
    """Write a file, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_articles(root: Path) -> Path:
    """Two small articles on unrelated subjects, one with front matter and a heading."""
    write(
        root / "volcano.md",
        "---\ntitle: Volcanoes\nurl: https://example.org/volcano\n---\n"
        "# Eruptions\n\nMagma rises through the crust and erupts as lava.\n\n"
        "Volcanic ash grounds flights for days because it melts inside jet engines.\n",
    )
    write(
        root / "tides.txt",
        "The moon pulls the oceans and makes the tides.\n\n"
        "Spring tides happen at full and new moon.\n",
    )
    return root


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A two-article corpus."""
    return write_articles(tmp_path / "corpus")


def config_for(corpus: Path, tmp_path: Path, **changes: object) -> EngineConfig:
    """A config whose index lives in the test's folder."""
    return EngineConfig(corpus_dir=corpus, index_dir=tmp_path / "index", **changes)


def test_ask_builds_the_index_on_first_use(corpus: Path, tmp_path: Path) -> None:
    """The first question builds the index; the second opens it without rebuilding."""
    config = config_for(corpus, tmp_path)
    _, report = Engine.open(config)
    assert report is not None and report.documents == 2 and report.passages == 4
    _, again = Engine.open(config)
    assert again is None


def test_corpus_change_triggers_a_rebuild_and_is_reported(corpus: Path, tmp_path: Path) -> None:
    """Adding, changing and removing files is noticed and reported per document."""
    config = config_for(corpus, tmp_path)
    open_or_build(config)
    write(corpus / "rivers.md", "Rivers carve valleys over millions of years.\n")
    (corpus / "tides.txt").unlink()
    volcano = corpus / "volcano.md"
    volcano.write_text(volcano.read_text() + "\nPumice floats on water.\n")
    os.utime(volcano, ns=(1, 1))
    index, report = open_or_build(config)
    assert report is not None
    assert (report.added, report.updated, report.removed) == (["rivers"], ["volcano"], ["tides"])
    answer = Engine(config, EmbeddedRetriever(index)).ask("does pumice float?")
    assert answer.answered and "Pumice floats" in answer.passages[0].text


def test_analyzer_settings_change_triggers_a_rebuild(corpus: Path, tmp_path: Path) -> None:
    """An index built with other analyzer settings is not served."""
    open_or_build(config_for(corpus, tmp_path))
    _, report = open_or_build(config_for(corpus, tmp_path, analyzer=AnalyzerSettings(stem=False)))
    assert report is not None


def test_failed_build_leaves_the_old_index_serving(corpus: Path, tmp_path: Path) -> None:
    """When the corpus loses every article, the build fails and the old index still answers."""
    config = config_for(corpus, tmp_path)
    engine, _ = Engine.open(config)
    live = current_generation(config.index_path)
    for file in corpus.iterdir():
        file.unlink()
    with pytest.raises(CorpusError, match="no readable article"):
        engine.rebuild()
    assert current_generation(config.index_path) == live
    assert engine.ask("what makes the tides?").answered
    assert CorpusIndex.open(config.index_path).counts["documents"] == 2


def test_interrupted_build_leaves_no_trace_in_the_live_index(corpus: Path, tmp_path: Path) -> None:
    """A partial build folder left by a killed build is ignored and cleaned by the next build."""
    config = config_for(corpus, tmp_path)
    open_or_build(config)
    partial = config.index_path / ".partial-999-1"
    write(partial / "manifest.json", "{not json")
    assert CorpusIndex.open(config.index_path).counts["passages"] == 4
    build(config)
    assert not partial.exists()


@pytest.mark.parametrize("damage", ["truncate", "garbage", "delete", "pointer"])
def test_damaged_index_is_detected_and_rebuilt(corpus: Path, tmp_path: Path, damage: str) -> None:
    """A truncated, overwritten or missing file is never served: the index is rebuilt."""
    config = config_for(corpus, tmp_path)
    open_or_build(config)
    generation = current_generation(config.index_path)
    assert generation is not None
    target = generation / "bm25" / "weights.npy"
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[:-8])
    elif damage == "garbage":
        data = bytearray(target.read_bytes())
        data[-1] ^= 0xFF
        target.write_bytes(bytes(data))
    elif damage == "delete":
        (generation / "passages.sqlite").unlink()
    else:
        (config.index_path / "CURRENT").write_text("../../etc")
    index, report = open_or_build(config)
    assert report is not None
    assert Engine(config, EmbeddedRetriever(index)).ask("what makes the tides?").answered


def test_concurrent_builds_are_refused_politely(corpus: Path, tmp_path: Path) -> None:
    """A second build while the lock is held says another build is running."""
    config = config_for(corpus, tmp_path)
    with build_lock(config.index_path), pytest.raises(IndexBusy, match="Another build"):
        build(config)


def test_manifest_records_what_the_index_was_built_with(corpus: Path, tmp_path: Path) -> None:
    """The manifest has format version, analyzer, BM25 parameters, fingerprint and counts."""
    config = config_for(corpus, tmp_path)
    open_or_build(config)
    generation = current_generation(config.index_path)
    manifest = json.loads((generation / "manifest.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["analyzer"]["stem"] is True
    assert manifest["bm25"]["variant"] == "lucene"
    assert len(manifest["fingerprint"]) == 64
    assert manifest["counts"]["documents"] == 2
    for npy in (generation / "bm25").glob("*.npy"):
        np.load(npy, allow_pickle=False)


def test_index_is_memory_mapped_and_reads_passages_lazily(corpus: Path, tmp_path: Path) -> None:
    """Opening maps the postings; asking reads only the passages it returns."""
    config = config_for(corpus, tmp_path)
    open_or_build(config)
    index = CorpusIndex.open(config.index_path)
    assert index.bm25.memory_mapped and isinstance(index.bm25.docs.base, np.memmap)
    [passage] = index.rows([1])
    assert passage.doc_id == "tides" and passage.paragraph == 2


def test_iter_passages_reads_every_passage_once_in_order(corpus: Path, tmp_path: Path) -> None:
    """Iterating in small batches yields each passage once, in index order, with its section."""
    config = config_for(corpus, tmp_path)
    open_or_build(config)
    index = CorpusIndex.open(config.index_path)
    passages = list(index.iter_passages(batch=1))
    counts = {d.id: d.passages for d in index.documents()}
    assert [p.ref for p in passages] == [PassageRef(d, n) for d in counts for n in range(counts[d])]
    assert [p.text for p in passages] == [p.text for p in index.rows(list(range(len(index))))]
    assert any(p.section == "Eruptions" and "Magma rises" in p.text for p in passages)
    assert {p.doc_id for p in passages} == {"volcano", "tides"}


def test_corpus_folder_is_never_modified(corpus: Path, tmp_path: Path) -> None:
    """Building reads the corpus and writes nothing into it."""
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in corpus.rglob("*")}
    build(config_for(corpus, tmp_path))
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in corpus.rglob("*")} == before


def many_files(root: Path, files: int, paragraphs: int) -> Path:
    """A corpus of several files of plain-text articles, no paragraph repeated."""
    rng = random.Random(files * 1000 + paragraphs)
    words = [
        "volcano",
        "magma",
        "crust",
        "lava",
        "tide",
        "moon",
        "ocean",
        "river",
        "valley",
        "glacier",
        "storm",
        "wind",
    ]
    words += [f"{a}{b}" for a in ("ka", "lo", "mi", "ne", "su") for b in ("ra", "te", "vo", "zu")]
    for f in range(files):
        text = "\n\n".join(
            " ".join(rng.choice(words) for _ in range(rng.randint(8, 30))) + "."
            for _ in range(paragraphs)
        )
        write(root / f"article-{f:03d}.txt", f"---\ntitle: Article {f}\n---\n{text}\n")
    return root


def test_incremental_build_reuses_unchanged_files_and_matches_a_full_build(tmp_path: Path) -> None:
    """Editing one file re-reads only it, and the index equals one built from scratch."""
    corpus = many_files(tmp_path / "corpus", files=12, paragraphs=30)
    config = config_for(corpus, tmp_path)
    build(config)
    edited = corpus / "article-005.txt"
    edited.write_text(edited.read_text() + "\nA brand new paragraph about pumice.\n")
    report = build(config)
    assert (report.files_analysed, report.files_reused) == (1, 11)
    assert report.updated == ["article-005"] and not report.added and not report.removed
    incremental = CorpusIndex.open(config.index_path)
    fresh_config = EngineConfig(corpus_dir=corpus, index_dir=tmp_path / "fresh")
    build(fresh_config)
    fresh = CorpusIndex.open(fresh_config.index_path)
    assert incremental.counts == fresh.counts
    for query in (["pumic"], ["volcano", "tide"], ["glacier", "storm", "wind"]):
        np.testing.assert_array_equal(
            incremental.bm25.get_scores(query), fresh.bm25.get_scores(query)
        )
    n = len(fresh)
    assert [p.text for p in incremental.rows(list(range(n)))] == [
        p.text for p in fresh.rows(list(range(n)))
    ]


def test_kill_9_during_a_build_leaves_the_last_complete_index(tmp_path: Path) -> None:
    """A build killed while writing leaves the previous index serving, and the next works."""
    corpus = many_files(tmp_path / "corpus", files=40, paragraphs=400)
    config = config_for(corpus, tmp_path)
    build(config)
    live = current_generation(config.index_path)
    (corpus / "article-000.txt").write_text("Only pumice now.\n")
    command = [sys.executable, "-m", "footnote", "index", "--corpus", str(corpus),
               "--index", str(config.index_path)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(config.index_path.glob(".partial-*")) and process.poll() is None:
        assert time.monotonic() < deadline, "the build never started writing"
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert current_generation(config.index_path) == live
    index, report = open_or_build(config)
    assert report is not None, "the changed corpus is noticed and rebuilt"
    assert Engine(config, EmbeddedRetriever(index)).ask("is there pumice?").answered
    assert not list(config.index_path.glob(".partial-*"))


@pytest.mark.parametrize("where", ["index arrays", "spilled postings"])
def test_disk_full_during_a_build_says_so_and_keeps_the_old_index(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """ENOSPC while writing (the index's arrays, or the postings a build spills to disk
    while it reads) becomes a clear IndexError_; the old index keeps answering."""
    config = config_for(corpus, tmp_path)
    engine, _ = Engine.open(config)
    live = current_generation(config.index_path)

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    if where == "index arrays":
        monkeypatch.setattr(runs._NpyFile, "append", full)
    else:
        monkeypatch.setattr(runs, "RUN_POSTINGS", 1)
        monkeypatch.setattr(runs, "RUN_MEMORY", 0)
        monkeypatch.setattr(runs.Runs, "_write", full)
    write(corpus / "new.md", "Pumice floats on water.\n")
    with pytest.raises(IndexError_, match="disk is full"):
        engine.rebuild()
    assert current_generation(config.index_path) == live
    assert not list(config.index_path.glob(".partial-*"))
    assert engine.ask("what makes the tides?").answered


def test_two_builds_at_once_do_not_corrupt_each_other(corpus: Path, tmp_path: Path) -> None:
    """Two `footnote index` processes started together: each succeeds or says another runs."""
    many_files(corpus, files=20, paragraphs=200)
    config = config_for(corpus, tmp_path)
    command = [sys.executable, "-m", "footnote", "index", "--corpus", str(corpus),
               "--index", str(config.index_path)]  # fmt: skip
    processes = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in processes]
    for code, stderr in results:
        assert code == 0 or (code == 2 and "Another build" in stderr), stderr
    assert any(code == 0 for code, _ in results)
    index = CorpusIndex.open(config.index_path, verify=True)
    assert index.counts["documents"] == 22


def test_damaged_index_is_rebuilt_with_a_warning(
    corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Opening a damaged index logs a warning naming the problem, then rebuilds."""
    config = config_for(corpus, tmp_path)
    open_or_build(config)
    generation = current_generation(config.index_path)
    (generation / "bm25" / "docs.npy").write_bytes(b"garbage")
    with caplog.at_level(logging.WARNING):
        _, report = open_or_build(config)
    assert report is not None
    assert any("rebuilding the index" in r.getMessage() for r in caplog.records)


def test_the_title_counts_between_articles_but_not_within_one(tmp_path: Path) -> None:
    """A title word lifts its article's passages over another article's, and nothing else."""
    corpus = tmp_path / "corpus"
    write(corpus / "a.md", "---\ntitle: Glaciers\n---\nIce moves very slowly downhill today.\n")
    write(corpus / "b.md", "---\ntitle: Deserts\n---\nIce moves slowly.\n")
    # Feedback off: two one-line articles would feed each other's words back.
    engine, _ = Engine.open(config_for(corpus, tmp_path, feedback=False))
    plain, _ = Engine.open(config_for(corpus, tmp_path / "plain", title_weight=0.0, feedback=False))
    assert plain.ask("glaciers ice").passages[0].citation.doc_id == "b"  # shorter
    assert engine.ask("glaciers ice").passages[0].citation.doc_id == "a"  # its title
    single = tmp_path / "single"
    write(single / "s.md", "---\ntitle: Ice\n---\nIce melts.\n\nGlaciers hold old ice and rock.\n")
    with_title, _ = Engine.open(config_for(single, tmp_path / "t"))
    without, _ = Engine.open(config_for(single, tmp_path / "u", title_weight=0.0))
    ranked = [[m.text for m in e.ask("ice glaciers").passages] for e in (with_title, without)]
    assert ranked[0] == ranked[1]
