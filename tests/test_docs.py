"""The README and docs/: every relative link resolves, every command shown parses."""

from __future__ import annotations

import itertools
import shlex
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from footnote.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
PAGES = [
    ROOT / "README.md",
    ROOT / "benchmarks" / "README.md",
    *sorted((ROOT / "docs").rglob("*.md")),
]
MARKDOWN = MarkdownIt("commonmark").enable("table")


def _tokens(page: Path) -> list[Token]:
    return MARKDOWN.parse(page.read_text(encoding="utf-8"))


def _inline_children(tokens: list[Token]) -> list[Token]:
    return [child for token in tokens if token.type == "inline" for child in token.children or []]


def links(page: Path) -> list[str]:
    """Every link target and image source on a Markdown page."""
    targets = []
    for child in _inline_children(_tokens(page)):
        if child.type == "link_open":
            targets.append(str(child.attrs["href"]))
        elif child.type == "image":
            targets.append(str(child.attrs["src"]))
    return targets


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation gone, spaces as '-'."""
    kept = (
        ch for ch in heading.strip().lower() if ch in " -_" or unicodedata.category(ch)[0] in "LN"
    )
    return "".join(kept).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of a page's headings."""
    tokens = _tokens(page)
    found = set()
    for opening, inline in itertools.pairwise(tokens):
        if opening.type == "heading_open":
            text = "".join(c.content for c in inline.children or [] if c.type != "softbreak")
            found.add(slug(text))
    return found


def relative_links() -> list[tuple[Path, str]]:
    """(page, target) for each link that points inside the project."""
    return [
        (page, target)
        for page in PAGES
        for target in links(page)
        if not urlsplit(target).scheme and not target.startswith("//")
    ]


def test_the_pages_have_links_to_check() -> None:
    """The README links to every page of docs/, so a broken docs tree shows here."""
    targets = {target for page, target in relative_links() if page.name == "README.md"}
    for page in (ROOT / "docs").glob("*.md"):
        assert any(t.split("#")[0] == f"docs/{page.name}" for t in targets), page.name


@pytest.mark.parametrize(
    ("page", "target"),
    relative_links(),
    ids=lambda value: value.name if isinstance(value, Path) else value,
)
def test_every_relative_link_points_at_a_file_that_exists(page: Path, target: str) -> None:
    """A relative link in README.md or docs/ names a file (and heading) that exists."""
    parts = urlsplit(target)
    destination = (page.parent / unquote(parts.path)).resolve() if parts.path else page
    assert destination.exists(), f"{page.relative_to(ROOT)} links to missing {target}"
    assert destination.is_relative_to(ROOT), f"{target} leaves the project"
    if parts.fragment and destination.suffix == ".md":
        assert parts.fragment in anchors(destination), f"no heading #{parts.fragment}"


def shown_commands() -> list[tuple[str, list[str]]]:
    """The `footnote ...` commands in the shell blocks of README.md and docs/."""
    commands = []
    for page in PAGES:
        for token in _tokens(page):
            if token.type != "fence" or token.info.strip() not in {"sh", "bash", "console"}:
                continue
            for line in token.content.splitlines():
                for part in line.split("#")[0].split("&&"):
                    words = shlex.split(part)
                    if words and Path(words[0]).name == "footnote":
                        commands.append((page.name, words[1:]))
    return commands


@pytest.mark.parametrize(
    ("page", "arguments"), shown_commands(), ids=lambda v: " ".join(v) if isinstance(v, list) else v
)
def test_every_footnote_command_shown_is_one_the_parser_takes(
    page: str, arguments: list[str]
) -> None:
    """Each `footnote` command in a shell block parses: its command and options exist."""
    parser = build_parser()
    try:
        parser.parse_args(arguments)
    except SystemExit as exit_:  # argparse exits on a bad command line
        pytest.fail(f"{page}: `footnote {' '.join(arguments)}` does not parse ({exit_})")


def test_the_readme_stays_short() -> None:
    """The README is for users and fits in a few screens; the rest lives in docs/."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 210, len(lines)
