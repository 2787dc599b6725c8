"""Boilerplate is never lost silently: every dropped paragraph is listed, and can be kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from footnote import cli
from footnote.retrieval.embedded.index import FORMAT_VERSION

BANNER = "We use cookies on our site; by clicking Accept you consent to our privacy policy."
FOOTER = "© Harbour Gazette, Kingsport. All rights reserved."  # a line of the site's chrome
ARTICLES = {
    "tides": "The spring tide rises seven metres at the harbour mouth.",
    "ferries": "The morning ferry leaves the north pier at six.",
    "lighthouse": "The lighthouse keeper climbs one hundred steps each night.",
}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Three articles, each with the same footer; one is plain text copied from a web page
    with its cookie banner at the end."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in ARTICLES.items():
        if name == "tides":
            body = f"Tides\n\n{text}\n\n{FOOTER}\n\n{BANNER}\n"
            (folder / "tides.txt").write_text(body, encoding="utf-8")
        else:
            body = f"# {name.title()}\n\n{text}\n\n{FOOTER}\n"
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
    tides = lines.index("  tides.txt")
    assert "(site furniture): We use cookies" in lines[tides + 1] + lines[tides + 2]
    footers = [line for line in lines if "(repeated in 3 documents): © Harbour Gazette" in line]
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
    status, out = run(capsys, "ask", "--json", *where, "Harbour Gazette of Kingsport")
    assert status == 0 and "© Harbour Gazette, Kingsport" in out
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
    (corpus / "tides.txt").write_text(f"Tides\n\n{ARTICLES['tides']}\n\n{BANNER}\n")
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
    status, out = run(capsys, "ask", "--json", *where, "Harbour Gazette of Kingsport")
    assert status == 0 and "© Harbour Gazette, Kingsport" not in out
    (corpus / "lighthouse.md").unlink()
    status, out = run(capsys, "ask", "--json", *where, "Harbour Gazette of Kingsport")
    assert status == 0 and "© Harbour Gazette, Kingsport" in out


@pytest.fixture
def where(corpus: Path, tmp_path: Path) -> tuple[str, ...]:
    """The --corpus and --index options of the test corpus and its index."""
    return ("--corpus", str(corpus), "--index", str(tmp_path / "index"))


def test_a_bad_keep_boilerplate_value_is_one_line(
    where: tuple[str, ...],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """FOOTNOTE_KEEP_BOILERPLATE=maybe exits 2 naming the variable; --no-keep-boilerplate wins."""
    monkeypatch.setenv("FOOTNOTE_KEEP_BOILERPLATE", "maybe")
    assert cli.main(["sources", *where]) == 2
    assert capsys.readouterr().err == (
        "footnote: FOOTNOTE_KEEP_BOILERPLATE must be on or off (1 or 0), not 'maybe'.\n"
    )
    monkeypatch.setenv("FOOTNOTE_KEEP_BOILERPLATE", "1")
    status, out = run(capsys, "index", *where, "--no-keep-boilerplate")
    assert status == 0 and "dropped 4 boilerplate paragraph(s)" in out


def test_the_summary_says_how_to_see_and_keep_them(
    where: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    """The summary's hint names both commands; with nothing dropped there is no hint."""
    _, out = run(capsys, "index", *where)
    assert "(see them: footnote sources --dropped; keep them: --keep-boilerplate)" in out
    _, out = run(capsys, "index", *where, "--keep-boilerplate")
    assert "dropped 0 boilerplate paragraph(s)" in out and "see them" not in out


def test_toggling_keep_boilerplate_reads_every_file_again(
    where: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    """Keep-boilerplate is a reading setting: turning it on or off reuses no file."""
    run(capsys, "index", *where)
    status, out = run(capsys, "index", *where, "--keep-boilerplate")
    assert status == 0 and "3 file(s) read, 0 reused" in out
    status, out = run(capsys, "index", *where)
    assert status == 0 and "3 file(s) read, 0 reused" in out
    status, out = run(capsys, "sources", *where, "--dropped")
    assert out.count("(repeated in 3 documents)") == 3


def test_a_changed_file_shows_its_banner_at_its_new_paragraph(
    corpus: Path, where: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    """After an edit moves the banner down a paragraph, the list gives its new number."""
    run(capsys, "index", *where)
    tides = corpus / "tides.txt"
    tides.write_text(tides.read_text().replace("Tides\n\n", "Tides\n\nA new opening.\n\n"))
    run(capsys, "index", *where)
    _, out = run(capsys, "sources", *where, "--dropped")
    tides_lines = out.split("  tides.txt\n")[1].splitlines()
    assert tides_lines[0].startswith("    ¶4 (site furniture): We use cookies")


def test_an_index_without_the_list_is_rebuilt(
    where: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    """An index of format 1 (before the list) is rebuilt on opening, then lists the banner."""
    run(capsys, "index", *where)
    (manifest,) = Path(where[3]).glob("gen-*/manifest.json")
    written = f'"format_version": {FORMAT_VERSION}'
    manifest.write_text(manifest.read_text().replace(written, '"format_version": 1'))
    assert cli.main(["sources", *where, "--dropped"]) == 0
    captured = capsys.readouterr()
    assert "3 file(s) read, 0 reused" in captured.err
    assert "(site furniture): We use cookies" in captured.out
