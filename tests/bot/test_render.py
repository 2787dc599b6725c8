"""Answers become embeds inside every Discord limit, inert, each passage with its citation."""

from __future__ import annotations

import re

import discord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_render_fuzz import answers  # hostile Answers, shared with the fuzz tests

from bot import render
from footnote.answering.answer import Answer, Citation, Match

RAW_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>")
UNESCAPED_LINK = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\((?!https?://)")


def visible(embed: discord.Embed) -> list[str]:
    """Every text of an embed a person reads."""
    return [embed.title or "", embed.description or "", embed.footer.text or ""]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers(), st.integers(1, 5))
def test_embeds_never_break_a_limit_or_ping(answer: Answer, results: int) -> None:
    """Titles, descriptions, totals and counts stay in limits; no raw mention or masked link."""
    embeds = render.answer_embeds(answer, results)
    assert 1 <= len(embeds) <= 10
    assert sum(len(e) for e in embeds) <= 6000
    for embed in embeds:
        assert len(embed.title or "") <= 256
        assert len(embed.description or "") <= 4096
        assert len(embed.footer.text or "") <= 2048
        for text in visible(embed):
            assert not RAW_MENTION.search(text)
            assert not UNESCAPED_LINK.search(text)
    assert embeds[-1].footer.text and "Searched" in embeds[-1].footer.text


@settings(max_examples=100, deadline=None)
@given(answers(), st.integers(1, 5))
def test_every_passage_comes_with_its_citation(answer: Answer, results: int) -> None:
    """An answered question shows min(results, passages) quotes, each with its [n] citation."""
    embeds = render.answer_embeds(answer, results)
    if not answer.answered:
        assert "no good answer" in (embeds[0].description or "")
        return
    assert len(embeds) == min(results, len(answer.passages))
    for rank, embed in enumerate(embeds, start=1):
        quote, cite = (embed.description or "").rsplit("\n\n", 1)
        assert quote.startswith("> ")
        assert re.match(rf"\[?\\\[{rank}\\\] ", cite)
        assert f"¶{answer.passages[rank - 1].citation.paragraph}" in cite


def answer_with(text: str, highlights: list[tuple[int, int]], **cite: object) -> Answer:
    """A one-passage answered Answer."""
    fields: dict = {"doc_id": "d", "title": "An article", "section": "Why", "paragraph": 4}
    fields.update(url=None, path="d.txt")
    fields.update(cite)
    match = Match(1, 2.0, text, highlights, Citation(**fields), 0)
    return Answer("why?", True, [match], 0.42, 99)


def test_matched_words_are_bold_and_the_citation_links_to_the_passage() -> None:
    """Highlights become **bold**; the citation links to the URL with a text fragment."""
    answer = answer_with(
        "Protesters attacked the embassy - again.", [(11, 19), (24, 31)], url="https://x.org/a"
    )
    (embed,) = render.answer_embeds(answer, 3)
    assert embed.title == "why?"
    assert embed.description == (
        "> Protesters **attacked** the **embassy** - again.\n\n"
        "[\\[1\\] An article · Why · ¶4](https://x.org/a#:~:text="
        "Protesters%20attacked%20the%20embassy%20%2D%20again.)"
    )
    assert embed.footer.text == "Searched 99 passages in 0.4 ms"


def test_every_character_of_a_passage_is_kept() -> None:
    """Highlights (even blank or overlapping ones) never drop text; they only add bold."""
    text = "alpha beta  gamma"
    shown = render.emphasised(text, [(5, 6), (10, 12), (0, 5), (3, 8), (100, 120)])
    assert shown.replace("**", "") == text
    assert shown == "**alpha be**ta  gamma"


def test_long_passages_are_cut_at_a_sentence_with_an_ellipsis() -> None:
    """A passage over its room ends at a sentence boundary with an ellipsis."""
    assert render.shorten("One two three four. Five six seven.", 28) == "One two three four. …"
    assert render.shorten("alpha beta gamma delta", 15) == "alpha beta …"
    assert render.shorten("x" * 50, 10) == "x" * 9 + "…"
    assert render.shorten("short", 10) == "short"


def test_markdown_and_mentions_in_corpus_text_are_inert() -> None:
    """Masked links, formatting and mentions are escaped, even split by a highlight."""
    assert render.escape("[a](https://e.x) @everyone <@123>") == (
        "\\[a\\](https://e.x) @\u200beveryone <@\u200b123>"
    )
    answer = answer_with("see [click](https://evil.example) now", [(5, 10)])
    (embed,) = render.answer_embeds(answer, 1)
    assert "\\[**click\\]**" in (embed.description or "") or "\\[**click**\\]" in (
        embed.description or ""
    )


def test_no_answer_names_the_closest_articles() -> None:
    """Not answered: says so, lists the closest article titles once, suggests rephrasing."""
    base = answer_with("text", [])
    answer = Answer("q?", False, base.passages * 2, 1.0, 5, reason="No passage covers it.")
    (embed,) = render.answer_embeds(answer, 3)
    description = embed.description or ""
    assert "no good answer" in description and description.count("An article") == 1
    assert "rephras" in description


def test_two_paragraphs_shown_as_one_answer_stay_two_quoted_paragraphs() -> None:
    """A joined answer is quoted as two paragraphs, bold in the second, cited ¶4–5."""
    text = "Ash fell on the town.\n\nThe airport closed."
    answer = answer_with(text, [(0, 3), (27, 34)], last_paragraph=5)
    (embed,) = render.answer_embeds(answer, 3)
    assert embed.description == (
        "> **Ash** fell on the town.\n>\n> The **airport** closed.\n\n"
        "\\[1\\] An article · Why · ¶4–5"
    )


def test_a_citation_stays_on_one_line_whatever_the_file_is_called() -> None:
    """A title-less file whose name holds newlines is cited on one line, spaces collapsed."""
    cite = Citation("notes\n\nfrom  monday", "", None, 3, None, "notes\n\nfrom  monday.md")
    match = Match(1, 1.0, "The meeting moved.", [], cite, passage=0)
    assert render.citation(match) == "\\[1\\] notes from monday · ¶3"


def test_a_list_or_table_passage_keeps_each_line_inside_the_quote() -> None:
    """Every line of a multi-line passage is quoted; a line starting with # is no heading."""
    citation = Citation("doc", "Rules", None, 1, None, "rules.md")
    match = Match(1, 1.0, "- Be kind.\n- No spam.\n#help is for questions.", [], citation, 1)
    quote = render.quoted(match, 1000)
    assert quote.splitlines() == ["> \\- Be kind.", "> \\- No spam.", "> \\#help is for questions."]


def test_code_in_a_passage_is_a_code_block_after_the_quoted_explanation() -> None:
    """The prose is quoted with its matches; the code follows in a fenced block, a fence
    inside the code kept from closing it, and a long block cut at a line within the limit."""
    citation = Citation("doc", "Guide", None, 1, None, "guide.md")
    code = "print('```')\n" + "\n".join(f"step_{i}()" for i in range(400))
    text = "Run this:\n\n" + code
    match = Match(1, 1.0, text, [(0, 3)], citation, 1, code_at=len("Run this:\n\n"), language="py")
    shown = render.quoted(match, 1000)
    assert len(shown) <= 1000
    head, fence = shown.split("\n", 1)
    assert head == "> **Run** this:"
    assert fence.startswith("```py\nprint('`\u200b``')\n") and fence.endswith("…\n```")
    assert fence.count("```") == 2
