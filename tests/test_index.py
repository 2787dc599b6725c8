"""The persisted index: built on first use, rebuilt when stale or damaged, swapped atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from footnote.analysis import AnalyzerSettings
from footnote.build import build, open_or_build
from footnote.config import EngineConfig
from footnote.engine import Engine
from footnote.errors import CorpusError, IndexBusy
from footnote.index import CorpusIndex, build_lock, current_generation


def write(path: Path, text: str) -> Path:
    """Write a file, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A two-article corpus."""
    root = tmp_path / "corpus"
    write(
        root / "volcano.md",
        "---\ntitle: Volcanoes\nurl: https://example.org/volcano\n---\n"
        "# Eruptions\n\nMagma rises through the crust and erupts as lava.\n\n"
        "Ash clouds can ground flights for days.\n",
    )
    write(
        root / "tides.txt",
        "The moon pulls the oceans and makes the tides.\n\n"
        "Spring tides happen at full and new moon.\n",
    )
    return root


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
    answer = Engine(config, index).ask("does pumice float?")
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
    assert Engine(config, index).ask("what makes the tides?").answered


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
    assert manifest["format_version"] == 1
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
    assert isinstance(index.bm25.docs, np.memmap)
    [passage] = index.passages([1])
    assert passage.doc_id == "tides" and passage.paragraph == 2


def test_corpus_folder_is_never_modified(corpus: Path, tmp_path: Path) -> None:
    """Building reads the corpus and writes nothing into it."""
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in corpus.rglob("*")}
    build(config_for(corpus, tmp_path))
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in corpus.rglob("*")} == before
