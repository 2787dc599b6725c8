"""The Discord picture's page shows every part of a real answer's payload, Markdown rendered."""

from __future__ import annotations

import importlib.util
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bot.pages import stats_embed
from bot.stats import Stats
from footnote.config import EngineConfig
from footnote.engine import Engine

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    """tools/discord_screenshot.py, loaded as a module (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "discord_screenshot", ROOT / "tools/discord_screenshot.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the default corpus, so its index is built away from the project."""
    target = tmp_path_factory.mktemp("discord") / "corpus"
    shutil.copytree(ROOT / "corpus", target)
    return target


class Visible(HTMLParser):
    """The text a browser shows of a page (not its <head>), that of each embed (<article>),
    and how often each tag opens."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.embeds: list[list[str]] = []
        self.tags: dict[str, int] = {}
        self._hidden = self._in_embed = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Count the tag; note entering the head or an embed."""
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self._hidden |= tag == "head"
        if tag == "article":
            self._in_embed = True
            self.embeds.append([])

    def handle_endtag(self, tag: str) -> None:
        """Note leaving the head or an embed."""
        self._hidden &= tag != "head"
        self._in_embed &= tag != "article"

    def handle_data(self, data: str) -> None:
        """Keep the shown text, and the embed's."""
        if not self._hidden:
            self.text.append(data)
        if self._in_embed:
            self.embeds[-1].append(data)


def shown(page: str) -> Visible:
    """The page parsed as a browser would read it."""
    parser = Visible()
    parser.feed(page)
    parser.close()
    return parser


def test_every_part_of_a_real_answer_is_drawn_with_its_markdown_rendered(
    tool: ModuleType, corpus: Path
) -> None:
    """Title, field names, footer and button labels show; bold is bold; no `**`, `\\[` or `>`."""
    payload: dict[str, Any] = tool.answer_payload(tool.QUESTION, corpus)
    page = shown(tool.page_html(payload, tool.QUESTION))
    text = " ".join(" ".join(page.text).split())
    embeds = payload["embeds"]
    assert embeds and embeds[0]["title"] == tool.QUESTION
    assert tool.QUESTION in text
    for embed in embeds:
        for field in embed.get("fields", []):
            assert field["name"] in text
    assert embeds[-1]["footer"]["text"] in text
    labels = [b["label"] for row in payload["components"] for b in row["components"]]
    assert labels and "More" in labels
    for label in labels:
        assert label in text
    assert len(page.embeds) == len(embeds)
    for rank, shown_embed in enumerate(page.embeds, start=1):
        assert f"[{rank}] " in "".join(shown_embed)  # the citation, escaped brackets rendered
    bold = sum(e["description"].count("**") // 2 for e in embeds)
    assert bold > 0 and page.tags.get("strong") == bold
    assert page.tags.get("blockquote") == len(embeds)
    for marker in ("**", "\\[", "\\]", "> "):
        assert marker not in text


def test_fields_and_timestamps_of_a_real_stats_embed_are_drawn(
    tool: ModuleType, corpus: Path
) -> None:
    """Each field's name and value shows; Discord timestamps read as times, never `<t:`."""
    engine, _ = Engine.open(EngineConfig(corpus_dir=corpus))
    stats = Stats()
    stats.record(True, 3.0)
    embed = stats_embed(engine.info(), stats).to_dict()
    page = shown(tool.page_html({"embeds": [embed]}, "stats"))
    text = " ".join(" ".join(page.text).split())
    for field in embed["fields"]:
        name = field["name"].split("<t:")[0].strip()
        assert name in text
    # The bot rounds the start up to a whole second: it may still be a moment ahead.
    assert re.search(r"Questions since (in )?a few seconds( ago)? 1 answered", text)
    assert "1 answered · 0 declined" in text
    assert "<t:" not in text


def test_a_component_it_cannot_draw_is_refused(tool: ModuleType) -> None:
    """A select menu is refused with a sentence, not drawn as something else."""
    select = {"type": 1, "components": [{"type": 3, "custom_id": "pick", "options": []}]}
    with pytest.raises(ValueError, match="buttons only, not component type 3"):
        tool.page_html({"embeds": [], "components": [select]}, "q")


def test_inline_fields_share_rows_of_three_as_on_discord(tool: ModuleType) -> None:
    """Inline fields fill rows of up to three; a full-width field breaks the row."""
    fields = [{"inline": True}] * 4 + [{"inline": False}] + [{"inline": True}] * 2
    assert tool.field_spans(fields) == [4, 4, 4, 12, 12, 6, 6]
