"""Pages the bot shows besides answers, built from a real engine's passages."""

from __future__ import annotations

from pathlib import Path

from bot.insights import GROUPS_PER_PAGE, feedback_embed, gaps_embed
from bot.pages import context_embed
from footnote.answerlog.gaps import GapGroup
from footnote.answerlog.summary import FeedbackSummary, RatedAnswer
from footnote.config import EngineConfig
from footnote.engine import Engine

GUIDE = """---
title: Harbour guide
url: https://docs.example.org/guide/
---

# Harbour guide

## Tides

The tide turns twice a day at the harbour mouth.

## Locks

The lock opens at high water for ships leaving the harbour.

The lock keeper logs every ship that passes.
"""


def test_context_cites_the_quoted_passage_not_the_paragraph_before_it(tmp_path: Path) -> None:
    """A quoted passage that opens a section is cited with its own section (as the answer
    cites it), though the paragraph shown before it belongs to the section before."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "guide.md").write_text(GUIDE, encoding="utf-8")
    engine, _ = Engine.open(EngineConfig(corpus_dir=corpus, index_dir=tmp_path / "index"))
    match = engine.ask("When does the lock open for ships?", 1).passages[0]
    assert match.citation.section == "Locks"
    ref = match.passage
    around = engine.context_of(ref.doc_key, ref.n, ref.n, 1)
    assert [p.section for p in around] == ["Tides", "Locks", "Locks"]
    embed = context_embed(around, ref.n, ref.n).to_dict()
    cite = embed["description"].rsplit("\n\n", 1)[-1]
    assert "Harbour guide · Locks · ¶1–3" in cite
    assert "Tides" not in cite
    assert "https://docs.example.org/guide/#locks" in cite  # opened at its section


def test_gaps_and_feedback_pages_stay_inside_discords_limits() -> None:
    """Many groups and answers, with questions far longer than /ask allows and markup in
    them: every page is within Discord's embed limits and shows no live mention or heading."""
    long = "@everyone # why " + "very " * 400 + "long?"
    groups = [
        GapGroup(("why", "long"), 50 - n, 25, 25, (long, long + "!", "**bold**"), 1.0e9)
        for n in range(30)
    ]
    rated = tuple(
        RatedAnswer(f"{n:012x}", long, 1.0e9, 1, 9, "T · " + long, {"out-of-date": 9}, 4)
        for n in range(30)
    )
    summary = FeedbackSummary(10, 20, 1, 270, {"out-of-date": 270}, 0, 30, rated)
    pages = [gaps_embed(groups, page, 30, 90) for page in (1, 2, 4, 99)]
    pages += [feedback_embed(summary, page, 400, 90) for page in (1, 6, 99)]
    for embed in pages:
        data = embed.to_dict()
        assert len(embed) <= 6000 and len(data.get("description", "")) <= 4096
        assert len(data["title"]) <= 256 and len(data.get("fields", [])) <= 25
        assert all(
            len(f["value"]) <= 1024 and len(f["name"]) <= 256 for f in data.get("fields", [])
        )
        assert "@everyone" not in str(data)
    assert pages[3].title == pages[2].title == "Gaps · the last 30 days · page 4 of 4"
    assert pages[0].description.count("\n\n") == GROUPS_PER_PAGE - 1
    assert pages[4].title.startswith("Feedback · the last 90 days (answers are kept 90 days)")
