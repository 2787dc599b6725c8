"""Fuzzing the Discord renderer: any answer stays inside the embed limits and stays inert.

tests/bot/test_render.py fuzzes whole answers with nasty words; this goes after the seams:
mentions and masked links split by highlights, cuts and escapes, and any URL in a citation.
Fixed, derandomized examples so CI is reproducible.
"""

from __future__ import annotations

import re

import discord
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot import render
from footnote.answering.answer import Answer, Citation, Match

settings.register_profile(
    "footnote-render-fuzz",
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUZZ = settings.get_profile("footnote-render-fuzz")

# Pieces of mentions, links and markup, so that highlights and cuts can fall between them.
PIECES = st.sampled_from(
    ["@", "everyone", "here", "<@", "<@!", "<@&", "123456789012345678", ">", "[", "]", "(",
     ")", "](", "https://evil.example/x", "http://e.x", "javascript:alert(1)", "\\", "\\\\",
     "*", "**", "_", "__", "~~", "||", "`", "```", "> ", "# ", "-# ", "- ", "1. ", "\n",
     "\n\n", " ", ". ", "…", "\u200b", "😀", "👍🏽", "שלום", "x" * 300, "word"]
)  # fmt: skip
TEXT = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=80).map("".join),
    st.tuples(st.lists(PIECES, max_size=20).map("".join), st.integers(0, 7000)).map(
        lambda p: p[0] + "A sentence about the embassy. " * (p[1] // 30)
    ),
)
URLS = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.sampled_from(["https://x.org/a", "http://x.org/a#frag", "https://x.org/)[a](b"]),
    st.tuples(st.sampled_from(["https://x.org/", "javascript:", "ftp://x/"]), TEXT).map("".join),
)
OFFSET = st.integers(-10, 8000)


@st.composite
def matches(draw: st.DrawFn, rank: int) -> Match:
    """A passage with hostile text, highlights anywhere (also reversed or out of range)."""
    text = draw(TEXT)
    if text and draw(st.booleans()):  # highlights that split the text at every character
        highlights = [(i, i + 1) for i in range(0, min(len(text), 400), 2)]
    else:
        highlights = draw(st.lists(st.tuples(OFFSET, OFFSET), max_size=12))
    citation = Citation(
        doc_id=draw(TEXT),
        title=draw(TEXT),
        section=draw(st.one_of(st.none(), TEXT)),
        paragraph=draw(st.integers(0, 10**9)),
        url=draw(URLS),
        path=draw(TEXT),
        last_paragraph=draw(st.one_of(st.none(), st.integers(0, 10**9))),
    )
    return Match(rank, draw(st.floats(allow_nan=False)), text, highlights, citation, rank)


@st.composite
def answers(draw: st.DrawFn) -> Answer:
    """An answered or unanswered Answer with up to 12 passages."""
    passages = [draw(matches(rank)) for rank in range(1, draw(st.integers(0, 12)) + 1)]
    return Answer(
        question=draw(TEXT),
        answered=bool(passages) and draw(st.booleans()),
        passages=passages,
        took_ms=draw(st.floats(0, 1e9)),
        searched=draw(st.integers(0, 10**12)),
        reason=draw(st.one_of(st.none(), TEXT)),
    )


LIVE_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>")
# A "[" not escaped by a backslash (preceded by an even number of them) opens a masked link.
OPEN_BRACKET = re.compile(r"(?<!\\)(?:\\\\)*\[")


def unescaped_brackets(text: str) -> list[int]:
    """Where the text has a '[' that Discord would read as the start of a masked link."""
    return [m.end() - 1 for m in OPEN_BRACKET.finditer(text)]


def check_limits(embeds: list[discord.Embed]) -> None:
    """Discord's limits: 10 embeds, title 256, description 4096, footer 2048, 6000 in all."""
    assert 1 <= len(embeds) <= 10
    assert sum(len(e) for e in embeds) <= 6000
    for embed in embeds:
        assert len(embed.title or "") <= 256
        assert len(embed.description or "") <= 4096
        assert len(embed.footer.text or "") <= 2048
        for text in (embed.title or "", embed.description or "", embed.footer.text or ""):
            assert not LIVE_MENTION.search(text), text


@FUZZ
@given(answers(), st.integers(1, 12))
def test_answer_embeds_stay_in_limits_without_mentions_or_corpus_links(
    answer: Answer, results: int
) -> None:
    """Any answer: inside every limit, no live mention, no masked link but the citation's."""
    embeds = render.answer_embeds(answer, results)
    check_limits(embeds)
    if not answer.answered:
        assert not unescaped_brackets(embeds[0].description or "")
        return
    for embed in embeds:
        assert not unescaped_brackets(embed.title or "")
        quote, _, cite = (embed.description or "").rpartition("\n\n")
        assert quote.startswith("> ")
        assert not unescaped_brackets(quote), quote
        # The citation may be one masked link, to an http(s) URL, and nothing else.
        assert unescaped_brackets(cite) in ([], [0]), cite
        if cite.startswith("["):
            assert re.fullmatch(r"\[.*\]\(https?://[^\s()<>\[\]]+\)", cite, re.DOTALL), cite


@FUZZ
@given(answers())
def test_no_answer_embed_stays_in_limits_and_inert(answer: Answer) -> None:
    """The no-answer embed, for any titles and reason: in limits, no mention, no link."""
    embed = render.no_answer_embed(answer)
    check_limits([embed])
    assert not unescaped_brackets(embed.description or "")
    assert not unescaped_brackets(embed.title or "")


@FUZZ
@given(TEXT, st.lists(st.tuples(OFFSET, OFFSET), max_size=12))
@example("@everyone, @here, <@1>, <@!2>, <@&3> and [a](https://e.x)", [(0, 1), (13, 15), (60, 61)])
def test_emphasis_keeps_every_character_and_adds_no_mention(
    text: str, highlights: list[tuple[int, int]]
) -> None:
    """Bolding highlights never loses a visible character nor builds a mention or link from
    pieces (bidi overrides and control characters are dropped on purpose)."""
    shown = render.emphasised(text, highlights)
    assert not LIVE_MENTION.search(shown)
    assert not unescaped_brackets(shown)
    unbolded = shown.replace("**", "").replace("\u200b", "")
    plain = re.sub(r"\\(.)", r"\1", unbolded)
    assert plain == render.visible(re.sub(r"\s", " ", text)).replace("\u200b", "")
