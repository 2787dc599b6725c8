"""Nothing in the folder is lost silently: every file not read is named, and ids never clash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from footnote import cli


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """A footnote command through the real command line: its status and stdout."""
    status = cli.main(list(args))
    return status, capsys.readouterr().out


def test_two_files_with_one_stem_both_load_with_distinct_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """notes.md and notes.txt are two documents, notes.md and notes.txt; neither is lost."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notes.md").write_text("# Notes\n\nThe kettle is in the blue cupboard.\n")
    (corpus / "notes.txt").write_text("The spare keys hang behind the green door.\n")
    (corpus / "other.md").write_text("# Other\n\nNothing of note.\n")
    where = ("--corpus", str(corpus), "--index", str(tmp_path / "index"))
    status, out = run(capsys, "index", *where)
    assert status == 0 and "indexed 3 document(s)" in out and "skipped 0 file(s)" in out
    status, out = run(capsys, "ask", "--json", *where, "where are the spare keys?")
    assert json.loads(out)["passages"][0]["document"]["id"] == "notes.txt"
    status, out = run(capsys, "ask", "--json", *where, "where is the kettle?")
    assert json.loads(out)["passages"][0]["document"]["id"] == "notes.md"
    status, out = run(capsys, "sources", *where)
    assert "  other  Other" in out  # an id with no twin keeps its plain form


def test_a_document_whose_id_is_taken_is_counted_as_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two files claiming one front-matter id: the second is skipped, counted and named."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("a", "b"):
        (corpus / f"{name}.md").write_text(f"---\nid: same\n---\n# {name}\n\nText of {name}.\n")
    where = ("--corpus", str(corpus), "--index", str(tmp_path / "index"))
    status, out = run(capsys, "index", *where)
    assert status == 0 and "skipped 1 file(s)" in out
    assert "b.md: its document id 'same' is already used" in out


def test_files_of_types_footnote_does_not_read_are_listed_and_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An image and a YAML file are counted by `footnote index` and named by `sources`."""
    corpus = tmp_path / "corpus"
    (corpus / "img").mkdir(parents=True)
    (corpus / "guide.md").write_text("# Guide\n\nPress the red button twice.\n")
    (corpus / "img" / "logo.png").write_bytes(b"\x89PNG\r\n")
    (corpus / "config.yml").write_text("a: 1\n")
    (corpus / "LICENSE").write_text("MIT\n")
    where = ("--corpus", str(corpus), "--index", str(tmp_path / "index"))
    status, out = run(capsys, "index", *where)
    assert status == 0 and "skipped 3 file(s)" in out
    assert "3 file(s) of types Footnote does not read" in out
    assert "logo.png" not in out  # named by sources, not listed one by one here
    status, out = run(capsys, "sources", *where)
    assert "img/logo.png: Footnote does not read .png files" in out
    assert "config.yml: Footnote does not read .yml files" in out
    assert "LICENSE: Footnote does not read files without an extension" in out
