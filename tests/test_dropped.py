"""Boilerplate is never lost silently: every dropped paragraph is listed, and can be kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from footnote import cli

BANNER = "We use cookies on our site; by clicking Accept you consent to our privacy policy."
FOOTER = "Written by the Harbour Gazette team, Kingsport."
ARTICLES = {
    "tides": "The spring tide rises seven metres at the harbour mouth.",
    "ferries": "The morning ferry leaves the north pier at six.",
    "lighthouse": "The lighthouse keeper climbs one hundred steps each night.",
}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Three articles, each with the same footer; one with a cookie banner pasted in."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in ARTICLES.items():
        extra = f"\n\n{BANNER}" if name == "tides" else ""
        body = f"# {name.title()}\n\n{text}{extra}\n\n{FOOTER}\n"
        (folder / f"{name}.md").write_text(body, encoding="utf-8")
    return folder


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """A footnote command through the real command line: its status and stdout."""
    status = cli.main(list(args))
    return status, capsys.readouterr().out


def test_sources_dropped_lists_each_paragraph_with_its_file_and_reason(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The banner is site furniture in its file; the footer is repeated in three files."""
    where = ("--corpus", str(corpus), "--index", str(tmp_path / "index"))
    status, out = run(capsys, "index", *where)
    assert status == 0 and "dropped 4 boilerplate paragraph(s)" in out
    assert "footnote sources --dropped" in out
    status, out = run(capsys, "sources", *where, "--dropped")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].startswith("4 paragraph(s) dropped")
    tides = lines.index("  tides.md")
    assert "(site furniture): We use cookies" in lines[tides + 1] + lines[tides + 2]
    footers = [line for line in lines if "(repeated in 3 documents): Written by" in line]
    assert len(footers) == 3


def test_index_verbose_lists_them_too(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`footnote index -v` prints the same list after its summary."""
    status, out = run(
        capsys, "index", "-v", "--corpus", str(corpus), "--index", str(tmp_path / "i")
    )
    assert status == 0 and "(site furniture): We use cookies" in out
    assert out.count("(repeated in 3 documents)") == 3


def test_keep_boilerplate_indexes_everything_and_lists_nothing(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --keep-boilerplate the footer answers a question and nothing is dropped."""
    where = ("--corpus", str(corpus), "--index", str(tmp_path / "index"), "--keep-boilerplate")
    status, out = run(capsys, "ask", "--json", *where, "Harbour Gazette team in Kingsport")
    assert status == 0 and "Written by the Harbour Gazette team" in out
    status, out = run(capsys, "sources", *where, "--dropped")
    assert out.strip() == "No paragraph was dropped as boilerplate."


def test_the_environment_turns_keeping_on(
    corpus: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """FOOTNOTE_KEEP_BOILERPLATE=1 does what --keep-boilerplate does, and rebuilds to do it."""
    where = ("--corpus", str(corpus), "--index", str(tmp_path / "index"))
    run(capsys, "index", *where)
    monkeypatch.setenv("FOOTNOTE_KEEP_BOILERPLATE", "1")
    status, out = run(capsys, "sources", *where, "--dropped")
    assert status == 0 and out.strip() == "No paragraph was dropped as boilerplate."


def test_the_list_survives_rebuilds_that_reuse_unchanged_files(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rebuild after one file changes still lists the unchanged file's dropped banner."""
    (corpus / "tides.md").write_text(f"# Tides\n\n{ARTICLES['tides']}\n\n{BANNER}\n")
    where = ("--corpus", str(corpus), "--index", str(tmp_path / "index"))
    run(capsys, "index", *where)  # the footer now stands in two files: not boilerplate
    (corpus / "ferries.md").write_text("# Ferries\n\nThe ferry leaves at seven.\n")
    status, out = run(capsys, "index", *where)
    assert status == 0 and "2 reused" in out
    status, out = run(capsys, "sources", *where, "--dropped")
    assert "(site furniture): We use cookies" in out and "(repeated" not in out


def test_a_paragraph_comes_back_when_it_stops_repeating(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Files whose footer was dropped as repeated are read again, so the footer returns."""
    where = ("--corpus", str(corpus), "--index", str(tmp_path / "index"))
    status, out = run(capsys, "ask", "--json", *where, "Harbour Gazette team in Kingsport")
    assert status == 0 and "Written by the Harbour Gazette team" not in out
    (corpus / "lighthouse.md").unlink()
    status, out = run(capsys, "ask", "--json", *where, "Harbour Gazette team in Kingsport")
    assert status == 0 and "Written by the Harbour Gazette team" in out
