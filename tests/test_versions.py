"""Versions of the same docs keep their words: one answer, with the copies named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from footnote import cli

PAGE = """\
# Installing

Download the installer from the releases page and run it as an administrator.

Restart the computer before you start the program for the first time.

Written by the docs team.

Docs | Blog | Releases
"""


@pytest.fixture
def versions(tmp_path: Path) -> Path:
    """Three versions of one docs folder; v1.2 also has a page of its own."""
    corpus = tmp_path / "docs"
    for version in ("v1.0", "v1.1", "v1.2"):
        (corpus / version).mkdir(parents=True)
        (corpus / version / "install.md").write_text(PAGE, encoding="utf-8")
    (corpus / "v1.2" / "upgrade.md").write_text("# Upgrading\n\nBack up your settings first.\n")
    return corpus


def test_three_versions_of_a_folder_build_and_answer_once_with_the_copies(
    versions: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The repeated page is indexed; an answer shows it once, saying where else it stands."""
    where = ("--corpus", str(versions), "--index", str(tmp_path / "index"))
    assert cli.main(["index", *where]) == 0
    out = capsys.readouterr().out
    assert "dropped 3 boilerplate" in out  # only the nav line, a line of the site in each
    assert cli.main(["ask", "--json", "-k", "3", *where, "how do I run the installer?"]) == 0
    passages = json.loads(capsys.readouterr().out)["passages"]
    texts = [p["text"] for p in passages]
    assert texts.count(texts[0]) == 1 and "run it as an administrator" in texts[0]
    first = passages[0]
    copies = {first["document"]["id"], *first["also_in"]}
    assert copies == {"v1.0/install", "v1.1/install", "v1.2/install"}


def test_the_terminal_names_the_copies_under_the_citation(
    versions: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`footnote ask` prints "also in:" with the other versions' ids."""
    where = ("--corpus", str(versions), "--index", str(tmp_path / "index"))
    assert cli.main(["ask", "--color", "never", "-k", "1", *where, "run the installer"]) == 0
    out = capsys.readouterr().out
    assert "also in: v1." in out and out.count("as an administrator") == 1
