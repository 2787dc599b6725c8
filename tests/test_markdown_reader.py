"""Markdown as a reader sees it: code verbatim, lists and tables line by line, no markup,
nothing hidden (comments, template tags) ever indexed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import corpus_of

from footnote import cli
from footnote.ingest.corpus import CorpusFile, read_file
from footnote.ingest.readers.markdown import TABLE_GROUP_CHARS, read_markdown

GUIDE = """\
---
title: Running your bot
permalink: /guides/running/
---
# Running your bot <span class="badge">new</span> {#running}

Guard the entry point with `if __name__ == "__main__":` so that **importing** the module
does not start the bot. See [the docs](https://docs.example.org/start) for _more_.
{: .note}

<!-- internal: remember to update the changelog before release -->

{% include warning.html %}
{{< youtube id="abc" >}}

## Rules

- Be kind to *everyone*.
- No spam:
  1. no invite links
  2. no ads

## Commands

| Command | What it does |
|---|---|
| `!mute` | mutes a member for an hour |
| `!ban` | bans a member for good |

```python
bot.run(TOKEN)
```

<div class="card"><h3>Need help?</h3><p>Ask in <b>#help</b>.</p><script>track()</script></div>
"""


def blocks(source: str, mdx: bool = False) -> list[tuple[str, str]]:
    """(kind, text) of each block of a Markdown source."""
    return [(b.kind, b.text) for b in read_markdown(source, mdx=mdx).blocks]


def test_inline_code_is_verbatim_and_emphasis_goes() -> None:
    """Underscores inside code stay; emphasis marks, template tags and attribute lists go."""
    paragraph = blocks(GUIDE)[1][1]
    assert paragraph == (
        'Guard the entry point with if __name__ == "__main__": so that importing the module '
        "does not start the bot. See the docs for more."
    )


def test_headings_lose_their_html_and_ids() -> None:
    """A heading's inline HTML tags and {#id} never reach the section title."""
    assert blocks(GUIDE)[0] == ("heading", "Running your bot new")


def test_comments_and_template_tags_are_never_text() -> None:
    """An HTML comment, a Liquid include and a Hugo shortcode leave no words at all."""
    text = " ".join(t for _, t in blocks(GUIDE))
    for hidden in ("internal", "changelog", "include", "warning.html", "youtube", "abc", "{%"):
        assert hidden not in text


def test_lists_keep_one_item_a_line_with_markers() -> None:
    """Each item is its own line, with its bullet or number; nested items are indented."""
    assert (
        "paragraph",
        "- Be kind to everyone.\n- No spam:\n  1. no invite links\n  2. no ads",
    ) in (blocks(GUIDE))


def test_a_table_row_reads_as_a_sentence_under_its_header() -> None:
    """Rows become "command: what it does" lines below the header line."""
    assert (
        "paragraph",
        "Command | What it does\n!mute: mutes a member for an hour\n!ban: bans a member for good",
    ) in blocks(GUIDE)


def test_a_long_table_keeps_its_header_with_every_group_of_rows() -> None:
    """A table longer than one group is cut between rows, each group under the header."""
    rows = "".join(f"| `!cmd{i}` | does thing number {i} of many, at length |\n" for i in range(40))
    source = "| Command | Effect |\n|---|---|\n" + rows
    groups = [text for kind, text in blocks(source)]
    assert len(groups) > 1
    assert all(g.startswith("Command | Effect\n") for g in groups)
    assert all(len(g) <= TABLE_GROUP_CHARS + 120 for g in groups)
    assert sum(g.count("\n") for g in groups) == 40


def test_code_blocks_are_code_with_their_language() -> None:
    """A fenced block is a code block, its lines and language kept."""
    code = [b for b in read_markdown(GUIDE).blocks if b.kind == "code"]
    assert [(b.text, b.language) for b in code] == [("bot.run(TOKEN)", "python")]


def test_raw_html_becomes_its_text_without_scripts() -> None:
    """A <div> card gives its heading and paragraph text; its script never shows."""
    assert blocks(GUIDE)[-2:] == [("heading", "Need help?"), ("paragraph", "Ask in #help.")]
    assert all("track" not in text and "<" not in text for _, text in blocks(GUIDE))


def test_link_targets_are_kept_beside_the_text() -> None:
    """The link's words stay in the text; its address is in the block's links."""
    paragraph = read_markdown(GUIDE).blocks[1]
    assert paragraph.links == ("https://docs.example.org/start",)
    assert "https" not in paragraph.text


def test_mdx_imports_and_components_are_not_text() -> None:
    """In MDX, import and export lines and JSX tags are code for the page, not prose."""
    source = (
        "import Tabs from '@theme/Tabs';\n\nexport const meta = {a: 1};\n\n"
        "<Tabs>\n\nPick the tab for your system.\n\n</Tabs>\n"
    )
    assert blocks(source, mdx=True) == [("paragraph", "Pick the tab for your system.")]


@pytest.mark.parametrize("suffix", [".md", ".markdown", ".mdown", ".mkd", ".mdx"])
def test_every_markdown_suffix_is_read(tmp_path: Path, suffix: str) -> None:
    """Jekyll's .markdown, .mdown, .mkd and MDX are Markdown too, with their front matter."""
    path = tmp_path / f"guide{suffix}"
    path.write_text(GUIDE, encoding="utf-8")
    result = read_file(CorpusFile(path, path.name, path.stat().st_size, 0))
    assert not result.skipped and result.documents[0].title == "Running your bot"


def test_questions_meet_code_and_never_hidden_comments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`__name__` finds its paragraph; a question about the hidden comment finds nothing."""
    where = (*corpus_of(tmp_path, {"running.md": GUIDE}), "--json")

    def ask(question: str) -> dict:
        assert cli.main(["ask", *where, question]) == 0
        return json.loads(capsys.readouterr().out)

    answer = ask('what does if __name__ == "__main__" do?')
    assert '__name__ == "__main__"' in answer["passages"][0]["text"]
    hidden = ask("what must be updated in the changelog before release?")
    assert all("changelog" not in p["text"] for p in hidden["passages"])
    muted = ask("how long does !mute mute someone?")
    assert "!mute: mutes a member for an hour" in muted["passages"][0]["text"]


def test_code_joins_the_explanation_before_it(tmp_path: Path) -> None:
    """A code block follows its section's paragraph in one passage; alone, it stands alone."""
    path = tmp_path / "guide.md"
    path.write_text(
        "# Run\n\nStart the bot with its token:\n\n```python\nbot.run(TOKEN)\n```\n\n"
        "# Snippets\n\n```sh\npip install discord.py\n```\n",
        encoding="utf-8",
    )
    (document,) = read_file(CorpusFile(path, path.name, path.stat().st_size, 0)).documents
    joined = [b for b in document.blocks if b.code_at is not None]
    assert [(b.kind, b.text[: b.code_at], b.text[b.code_at :], b.language) for b in joined] == [
        ("paragraph", "Start the bot with its token:\n\n", "bot.run(TOKEN)", "python"),
        ("code", "", "pip install discord.py", "sh"),
    ]


def test_an_answer_shows_the_explanation_then_the_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The terminal fences the code after the prose; --json says where the code starts."""
    page = "# Running\n\nStart the bot with the token from the portal:\n\n"
    page += "```python\nbot.run(TOKEN)\n```\n"
    where = corpus_of(tmp_path, {"run.md": page})
    assert cli.main(["ask", "--color", "never", *where, "how do I start the bot?"]) == 0
    out = capsys.readouterr().out
    assert "the token from the portal:\n```python\nbot.run(TOKEN)\n```" in out
    assert cli.main(["ask", "--json", *where, "how do I start the bot?"]) == 0
    passage = json.loads(capsys.readouterr().out)["passages"][0]
    assert passage["code"] == {"start": passage["text"].index("bot.run"), "language": "python"}


def test_a_passage_keeps_the_targets_of_its_links(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The words of a link are in the passage; where it points is in ask --json's links."""
    page = "# Help\n\nRead [the support guide](https://example.org/support) before you ask.\n"
    where = (*corpus_of(tmp_path, {"help.md": page}), "--json")
    assert cli.main(["ask", *where, "where is the support guide?"]) == 0
    passage = json.loads(capsys.readouterr().out)["passages"][0]
    assert "the support guide before you ask" in passage["text"]
    assert passage["links"] == ["https://example.org/support"]


def test_a_paragraph_joined_to_the_next_keeps_that_ones_code_at_the_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two matching paragraphs of a section are shown as one, the second's code still last."""
    page = (
        "# Upstream remote\n\nAdding the upstream remote lets your fork follow the main "
        "repository.\n\nThe upstream remote refers to the main repository on GitHub.\n\n"
        "```sh\ngit remote add upstream URL\n```\n"
    )
    where = (*corpus_of(tmp_path, {"git.md": page}), "--json")
    assert (
        cli.main(["ask", *where, "how do I add the upstream remote of the main repository?"]) == 0
    )
    passage = json.loads(capsys.readouterr().out)["passages"][0]
    assert passage["text"].startswith("Adding the upstream remote")
    assert passage["text"][passage["code"]["start"] :] == "git remote add upstream URL"
