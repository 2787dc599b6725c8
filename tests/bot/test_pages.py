"""Pages the bot shows besides answers, built from a real engine's passages."""

from __future__ import annotations

from pathlib import Path

from bot.pages import context_embed
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
