"""Faults under a running index: files damaged under it, kill -9 mid-build, a full disk."""

from __future__ import annotations

import errno
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from test_index import config_for, write, write_articles

import footnote.retrieval.embedded.bm25
import footnote.retrieval.embedded.build
from footnote.config import EngineConfig
from footnote.engine import Engine
from footnote.errors import IndexError_
from footnote.retrieval.embedded.build import build
from footnote.retrieval.embedded.index import CorpusIndex, build_lock, current_generation
from footnote.retrieval.embedded.retriever import EmbeddedRetriever

QUESTION = "why does the ash ground flights?"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Three small articles on unrelated subjects."""
    root = write_articles(tmp_path / "corpus")
    write(root / "bees.md", "# Hives\n\nHoney bees dance to tell the hive where flowers are.\n")
    return root


def shown(engine: Engine, question: str = QUESTION) -> tuple[bool, list[tuple]]:
    """What a person sees of an answer: answered or not, and each passage with its citation."""
    answer = engine.ask(question)
    return answer.answered, [(m.text, m.highlights, m.citation) for m in answer.passages]


def damage(root: Path, how: str) -> None:
    """Delete the index folder, truncate every file in it, or overwrite each with garbage."""
    if how == "delete":
        shutil.rmtree(root)
        return
    rng = random.Random(7)
    for path in root.rglob("*"):
        if path.is_file():
            size = path.stat().st_size
            with path.open("r+b") as handle:
                handle.truncate(0)
                if how == "garbage":
                    handle.write(rng.randbytes(max(size, 64)))


# -- in-memory serving --------------------------------------------------------------------


@pytest.mark.parametrize("how", ["delete", "truncate", "garbage"])
def test_in_memory_index_keeps_answering_when_its_folder_is_damaged(
    corpus: Path, tmp_path: Path, how: str
) -> None:
    """An in-memory engine answers as before after its index folder is damaged under it."""
    config = config_for(corpus, tmp_path, in_memory=True)
    engine, _ = Engine.open(config)
    assert engine.retriever.index.in_memory and not engine.retriever.index.bm25.memory_mapped
    before = shown(engine)
    assert before[0] and "jet engines" in before[1][0][0]
    damage(config.index_path, how)
    assert shown(engine) == before
    assert len(engine.retriever.index.documents()) == 3
    restarted, report = Engine.open(config)
    assert report is not None, "the damaged index is rebuilt on restart"
    assert shown(restarted) == before


def test_in_memory_index_answers_from_other_threads(corpus: Path, tmp_path: Path) -> None:
    """The shared in-memory store serves questions asked from many threads at once."""
    from concurrent.futures import ThreadPoolExecutor

    engine, _ = Engine.open(config_for(corpus, tmp_path, in_memory=True))
    before = shown(engine)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: shown(engine), range(64)))
    assert all(result == before for result in results)


def test_on_disk_index_is_memory_mapped_by_default(corpus: Path, tmp_path: Path) -> None:
    """Without in_memory the arrays stay memory-mapped (the default for the command line)."""
    engine, _ = Engine.open(config_for(corpus, tmp_path))
    assert not engine.retriever.index.in_memory and engine.retriever.index.bm25.memory_mapped


@pytest.mark.parametrize("name", ["with#hash", "with%25percent", "with?query", "with space"])
def test_index_folder_with_uri_characters_opens(corpus: Path, tmp_path: Path, name: str) -> None:
    """An index folder whose name has '#', '%', '?' or a space opens (its SQLite URI is quoted)."""
    config = EngineConfig(corpus_dir=corpus, index_dir=tmp_path / name)
    engine, report = Engine.open(config)
    assert report is not None
    assert shown(engine)[0]
    _, again = Engine.open(config)
    assert again is None, "the second open reuses the index instead of rebuilding it"


# -- kill -9 during `footnote index` ------------------------------------------------------


def big_corpus(root: Path, files: int = 40, paragraphs: int = 90) -> None:
    """Thousands of paragraphs of varied text: a rebuild takes a couple of seconds."""
    rng = random.Random(11)
    syllables = ["ka", "lo", "mi", "ne", "su", "ra", "te", "vo", "zu", "pi", "da", "go"]
    words = sorted({"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(6000)})
    for f in range(files):
        paragraphs_text = (
            " ".join(rng.choices(words, k=rng.randint(40, 120))).capitalize() + "."
            for _ in range(paragraphs)
        )
        write(root / f"bulk-{f:03d}.txt", "\n\n".join(paragraphs_text) + "\n")


def footnote_index(config: EngineConfig) -> list[str]:
    """The `footnote index` command line for this config, run by this interpreter."""
    return [sys.executable, "-m", "footnote.cli", "index", "--corpus", str(config.corpus_dir),
            "--index", str(config.index_path)]  # fmt: skip


def cli_env(config: EngineConfig) -> dict[str, str]:
    """The environment the command line reads, pointing at the test's corpus and index."""
    return {
        **os.environ,
        "FOOTNOTE_CORPUS_DIR": str(config.corpus_dir),
        "FOOTNOTE_INDEX_DIR": str(config.index_path),
    }


def test_kill_9_during_footnote_index_keeps_the_last_index_and_the_next_build_cleans_up(
    corpus: Path, tmp_path: Path
) -> None:
    """SIGKILL mid-build: the old index serves, the lock is free, the next build cleans up."""
    config = config_for(corpus, tmp_path)
    build(config)
    live = current_generation(config.index_path)
    before = shown(Engine(config, EmbeddedRetriever(CorpusIndex.open(config.index_path))))
    big_corpus(corpus)
    write(corpus / "pumice.md", "# Pumice\n\nPumice is a volcanic rock that floats on water.\n")

    process = subprocess.Popen(
        footnote_index(config), env=cli_env(config), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not list(config.index_path.glob(".partial-*")):
        assert process.poll() is None, "the build finished before it could be killed"
        assert time.monotonic() < deadline, "the build never started writing"
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait()

    leftovers = list(config.index_path.glob(".partial-*"))
    assert leftovers, "the killed build left its partial folder"
    assert current_generation(config.index_path) == live
    old = CorpusIndex.open(config.index_path, verify=True)
    assert {d.id for d in old.documents()} == {"volcano", "tides", "bees"}
    assert shown(Engine(config, EmbeddedRetriever(old))) == before
    with build_lock(config.index_path):  # raises IndexBusy if a dead build still held it
        pass

    finished = subprocess.run(
        footnote_index(config), env=cli_env(config), capture_output=True, text=True, timeout=120
    )
    assert finished.returncode == 0, finished.stderr
    assert not list(config.index_path.glob(".partial-*"))
    assert not any(path.exists() for path in leftovers)
    engine = Engine(config, EmbeddedRetriever(CorpusIndex.open(config.index_path, verify=True)))
    assert len(engine.retriever.index.documents()) == 44
    answer = engine.ask("which rock floats on water?")
    assert answer.answered and answer.passages[0].citation.doc_id == "pumice"


def test_build_removes_partial_folders_of_dead_builds(corpus: Path, tmp_path: Path) -> None:
    """A `.partial-*` folder left by a dead process is removed by the next build, first thing."""
    config = config_for(corpus, tmp_path)
    build(config)
    stale = write(config.index_path / ".partial-999999-1" / "passages.sqlite", "half written")
    build(config)
    assert not stale.parent.exists()


# -- a full disk ----------------------------------------------------------------------------


def store_fills_the_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """The passage store hits SQLite's "database or disk is full" once its tables fill a page."""
    new_store = footnote.retrieval.embedded.build._new_store

    def tiny(path: Path) -> sqlite3.Connection:
        connection = new_store(path)
        (pages,) = connection.execute("PRAGMA page_count").fetchone()
        connection.execute(f"PRAGMA max_page_count = {pages}")
        return connection

    monkeypatch.setattr(footnote.retrieval.embedded.build, "_new_store", tiny)


def arrays_fill_the_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Saving the BM25 arrays writes part of a file, then fails with ENOSPC."""

    def save(file: object, array: np.ndarray, **kwargs: object) -> None:
        Path(str(file)).write_bytes(b"\x93NUMPY half")
        raise OSError(errno.ENOSPC, "No space left on device", str(file))

    monkeypatch.setattr(footnote.retrieval.embedded.bm25.np, "save", save)


FILLERS = {"store": store_fills_the_disk, "arrays": arrays_fill_the_disk}


@pytest.mark.parametrize("where", sorted(FILLERS))
def test_disk_full_during_a_build_is_one_clear_sentence_and_keeps_the_old_index(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """A full disk while writing the store or the arrays: one sentence, old index kept."""
    config = config_for(corpus, tmp_path)
    engine, _ = Engine.open(config)
    live = current_generation(config.index_path)
    before = shown(engine)
    pumice = "Pumice is a volcanic rock full of gas bubbles that floats on water.\n\n"
    write(corpus / "pumice.md", "# Pumice\n\n" + pumice * 400)  # over a 16 KiB page
    FILLERS[where](monkeypatch)
    with pytest.raises(IndexError_) as caught:
        build(config)
    message = str(caught.value)
    assert message.startswith(f"The disk is full at {config.index_path}")
    assert "free some space or point the index elsewhere" in message
    assert "(the previous index is kept)" in message
    assert "\n" not in message
    assert current_generation(config.index_path) == live
    assert not list(config.index_path.glob(".partial-*"))
    assert shown(engine) == before
    assert (
        shown(Engine(config, EmbeddedRetriever(CorpusIndex.open(config.index_path, verify=True))))
        == before
    )


def test_disk_full_on_a_first_build_claims_no_previous_index(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no index yet, a full disk says so without saying a previous index was kept."""
    config = config_for(corpus, tmp_path)
    arrays_fill_the_disk(monkeypatch)
    with pytest.raises(IndexError_) as caught:
        build(config)
    message = str(caught.value)
    assert message.startswith(f"The disk is full at {config.index_path}")
    assert "kept" not in message and "previous" not in message
    assert current_generation(config.index_path) is None


PATCHED_CLI = """
import errno, sys
import footnote.retrieval.embedded.bm25, footnote.cli

def save(file, array, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device", str(file))

footnote.retrieval.embedded.bm25.np.save = save
sys.exit(footnote.cli.main(sys.argv[1:]))
"""


def test_disk_full_through_the_command_line_is_one_line_and_exit_2(
    corpus: Path, tmp_path: Path
) -> None:
    """`footnote index` on a full disk prints one line on stderr and exits 2; no traceback."""
    config = config_for(corpus, tmp_path)
    build(config)
    live = current_generation(config.index_path)
    write(corpus / "pumice.md", "# Pumice\n\nPumice is a volcanic rock that floats on water.\n")
    command = [sys.executable, "-c", PATCHED_CLI, *footnote_index(config)[3:]]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "disk is full" in lines[0] and str(config.index_path) in lines[0]
    assert current_generation(config.index_path) == live
    assert not list(config.index_path.glob(".partial-*"))


def _die(job: object) -> None:
    """A worker process killed mid-file (the OOM killer, a crash in a parser's C code)."""
    os._exit(9)


def test_a_worker_that_dies_fails_the_build_cleanly_instead_of_hanging(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A parallel build whose worker dies says so in one sentence; the old index answers."""
    config = config_for(corpus, tmp_path)
    engine, _ = Engine.open(config)
    before = shown(engine)
    for i in range(footnote.retrieval.embedded.build.PARALLEL_MIN_FILES):
        write(corpus / f"extra-{i}.md", f"# Extra {i}\n\nA paragraph about the number {i}.\n")
    monkeypatch.setattr(footnote.retrieval.embedded.build, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(
        footnote.retrieval.embedded.build, "_analyse_star", _die
    )  # forked workers inherit it
    with pytest.raises(IndexError_, match="A worker process reading the corpus died"):
        build(config)
    assert shown(engine) == before
    assert CorpusIndex.open(config.index_path).counts["documents"] == 3
