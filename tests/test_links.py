"""Citations that link on a docs site: each file's page address and its sections' anchors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.render import link
from footnote import cli
from footnote.ingest.links import heading_anchor, page_url, section_url

BASE = "https://docs.example.org/"


@pytest.mark.parametrize(
    ("path", "meta", "expected"),
    [
        ("guide/setup.md", {}, "https://docs.example.org/guide/setup/"),
        ("guide/index.md", {}, "https://docs.example.org/guide/"),
        ("guide/README.md", {}, "https://docs.example.org/guide/"),
        ("index.md", {}, "https://docs.example.org/"),
        ("guide/setup.md", {"permalink": "/start/here/"}, "https://docs.example.org/start/here/"),
        ("guide/setup.md", {"url": "/elsewhere/"}, "https://docs.example.org/elsewhere/"),
        (
            "guide/setup.md",
            {"slug": "getting-started"},
            "https://docs.example.org/guide/getting-started/",
        ),
        ("guide/setup.md", {"url": "https://other.org/x"}, "https://other.org/x"),
        ("guide/my page.md", {}, "https://docs.example.org/guide/my%20page/"),
    ],
)
def test_page_addresses_follow_the_docs_site_conventions(
    path: str, meta: dict, expected: str
) -> None:
    """Paths map as MkDocs publishes them; permalink, url and slug win; index and README
    stand for their folder."""
    assert page_url(path, meta, BASE) == expected


def test_without_a_base_url_only_an_absolute_url_links() -> None:
    """No base URL: a relative permalink cannot be opened, so there is no link."""
    assert page_url("a.md", {"permalink": "/a/"}, None) is None
    assert page_url("a.md", {"url": "https://x.org/a"}, None) == "https://x.org/a"


def test_section_anchors_are_the_ones_github_and_mkdocs_make() -> None:
    """Lower case, punctuation dropped, spaces as hyphens; a page's own fragment is kept."""
    assert heading_anchor("How do I sync slash commands?") == "how-do-i-sync-slash-commands"
    assert heading_anchor("The `bot.run()` call") == "the-botrun-call"
    assert section_url("https://x.org/p/", "Set up") == "https://x.org/p/#set-up"
    assert section_url("https://x.org/p/#top", "Set up") == "https://x.org/p/#top"


def test_the_bots_link_keeps_the_section_and_adds_the_passage() -> None:
    """On Discord, the link opens at the section's anchor, then scrolls to the passage."""
    target = link("https://x.org/p/#set-up", "Run the installer first.")
    assert target is not None and target.startswith("https://x.org/p/#set-up:~:text=Run")


def test_ask_cites_the_page_and_section_of_a_docs_corpus(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--base-url gives every Markdown citation its page, opened at the section quoted."""
    corpus = tmp_path / "docs"
    (corpus / "guide").mkdir(parents=True)
    (corpus / "guide" / "install.md").write_text(
        "# Installing\n\n## On Windows\n\nRun the installer and restart the computer.\n"
    )
    where = ("--corpus", str(corpus), "--index", str(tmp_path / "index"))
    assert cli.main(["ask", "--json", *where, "--base-url", BASE, "how to install on windows"]) == 0
    document = json.loads(capsys.readouterr().out)["passages"][0]["document"]
    assert document["url"] == "https://docs.example.org/guide/install/#on-windows"


def test_a_base_url_that_is_not_one_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--base-url docs.example.org (no scheme) exits 2 with one line showing a good one."""
    status = cli.main(["ask", "--corpus", str(tmp_path), "--base-url", "docs.example.org", "x"])
    err = capsys.readouterr().err
    assert status == 2 and "https://" in err and len(err.strip().splitlines()) == 1
