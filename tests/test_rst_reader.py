"""reStructuredText through docutils: a Sphinx page's words, without its markup."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import corpus_of

from footnote import cli
from footnote.ingest.corpus import CorpusFile, read_file
from footnote.ingest.readers.rst import read_rst, shown_text

PAGE = """\
Application Setup
=================

.. currentmodule:: flask

A :class:`~flask.Flask` application is created by the :func:`create_app <factory>`
function; see :ref:`the tutorial <tutorial>` and :unknownrole:`mystery text`.

.. versionadded:: 2.0
    Async views are supported with :meth:`Flask.ensure_sync`.

.. This comment holds internal notes nobody should read.

.. toctree::
   :maxdepth: 2

   quickstart

Settings
--------

- ``DEBUG`` turns the debugger on.
- ``TESTING`` propagates exceptions.

.. list-table::
   :header-rows: 1

   * - Command
     - What it does
   * - ``flask run``
     - starts the development server

.. code-block:: python

    app = Flask(__name__)

.. note:: Never run the debugger in production.

.. include:: ../CHANGES.rst
"""


def test_headings_paragraphs_lists_tables_and_code() -> None:
    """Each block reads as a reader sees the rendered page, in order."""
    title, blocks = read_rst(PAGE)
    assert title == "Application Setup"
    assert [(b.kind, b.text) for b in blocks] == [
        ("heading", "Application Setup"),
        (
            "paragraph",
            "A Flask application is created by the create_app function; see the tutorial "
            "and mystery text.",
        ),
        ("paragraph", "2.0 Async views are supported with Flask.ensure_sync."),
        ("heading", "Settings"),
        ("paragraph", "- DEBUG turns the debugger on.\n- TESTING propagates exceptions."),
        ("paragraph", "Command | What it does\nflask run: starts the development server"),
        ("code", "app = Flask(__name__)"),
        ("paragraph", "Never run the debugger in production."),
    ]
    assert [b.language for b in blocks if b.kind == "code"] == ["python"]


def test_comments_navigation_and_includes_are_never_text() -> None:
    """A comment, a toctree and an include (never read from disk) leave no words."""
    text = " ".join(b.text for b in read_rst(PAGE)[1])
    for hidden in ("internal notes", "maxdepth", "quickstart", "CHANGES", ".."):
        assert hidden not in text


@pytest.mark.parametrize(
    ("written", "shown"),
    [("Flask", "Flask"), ("~flask.Flask.run", "run"), ("the tutorial <tut>", "the tutorial"),
     ("!Flask", "Flask"), ("<target>", "target")],
)  # fmt: skip
def test_cross_references_show_what_sphinx_shows(written: str, shown: str) -> None:
    """Titles, shortened paths and bare targets read as Sphinx renders them."""
    assert shown_text(written) == shown


def test_broken_markup_is_read_not_raised(tmp_path: Path) -> None:
    """Unbalanced markup and an unknown directive still give the document's words."""
    path = tmp_path / "broken.rst"
    path.write_text("Title\n=====\n\nSome *unclosed emphasis and ``code.\n\n.. nosuch::\n\n   x\n")
    result = read_file(CorpusFile(path, "broken.rst", path.stat().st_size, 0))
    assert not result.skipped
    assert "unclosed emphasis" in " ".join(b.text for b in result.documents[0].blocks)


def test_a_sphinx_page_answers_with_its_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`footnote ask` over a folder of .rst finds the table row under its section."""
    where = (*corpus_of(tmp_path, {"setup.rst": PAGE}), "--json")
    assert cli.main(["ask", *where, "which command starts the development server?"]) == 0
    best = json.loads(capsys.readouterr().out)["passages"][0]
    assert "flask run: starts the development server" in best["text"]
    assert best["section"] == "Settings" and best["document"]["id"] == "setup"


def test_contents_footnote_marks_line_blocks_and_fields_read_as_a_page_shows_them() -> None:
    """A table of contents gives nothing, a footnote mark no "[1]", an unknown substitution
    its word, a line block one line each, a field list "name: value" lines."""
    source = (
        "Title\n=====\n\n.. contents::\n\nA footnote [#]_ and |product| here.\n\n"
        "| line one\n| line two\n\n:Author: Sam\n:Version: 2.0\n\n.. [#] The note itself.\n"
    )
    assert [(b.kind, b.text) for b in read_rst(source)[1]] == [
        ("heading", "Title"),
        ("paragraph", "A footnote and product here."),
        ("paragraph", "line one\nline two"),
        ("paragraph", "Author: Sam\nVersion: 2.0"),
        ("paragraph", "The note itself."),
    ]
