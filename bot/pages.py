"""The bot's other replies as embeds and texts: context, sources, stats, help, rebuilds,
cooldowns. Pure functions, inside Discord's limits, corpus text always escaped."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import discord

from bot.render import (
    COLOR,
    DESCRIPTION_LIMIT,
    NO_ANSWER_COLOR,
    TITLE_LIMIT,
    escape,
    link,
    shorten,
)
from bot.stats import Stats
from footnote.analysis.suggest import Suggestion
from footnote.answering.pipeline import cited_url
from footnote.retrieval.base import IndexInfo, StoredDocument, StoredPassage
from footnote.retrieval.embedded.build import BuildReport

SOURCES_PER_PAGE = 10
LISTED_SKIPPED = 5
FAILED_COLOR = discord.Colour(0xDC2626)


def when(moment: float, style: str = "R") -> str:
    """A Discord timestamp: every reader sees it in their own time zone ("in 12 seconds")."""
    return f"<t:{math.ceil(moment)}:{style}>"


def plain(text: str, limit: int) -> str:
    """Corpus or user text on one line, shortened and escaped."""
    return escape(shorten(" ".join(text.split()), limit))


def context_embed(passages: Sequence[StoredPassage], first: int, last: int) -> discord.Embed:
    """The paragraphs around a quoted passage; the quoted ones marked, with their citation."""
    if not passages:
        return discord.Embed(
            description="That passage is no longer in the index; ask the question again.",
            colour=NO_ANSWER_COLOR,
        )
    room = (DESCRIPTION_LIMIT - 400) // len(passages)
    blocks = []
    for passage in passages:
        quoted = first <= passage.ref.n <= last
        mark = "**▶** " if quoted else ""
        text = escape(shorten(" ".join(passage.text.split()), room - 20), line_start=False)
        blocks.append(f"{mark}`¶{passage.paragraph}` {text}")
    # Cited as the answer cites it: the quoted passage's own section, not the section of a
    # paragraph shown before it.
    quoted = next((p for p in passages if first <= p.ref.n <= last), passages[0])
    paragraphs = sorted({p.paragraph for p in passages})
    span = f"¶{paragraphs[0]}" + (f"–{paragraphs[-1]}" if len(paragraphs) > 1 else "")
    parts = [plain(quoted.title, 120)]
    if quoted.section:
        parts.append(plain(quoted.section, 80))
    cite = " · ".join([*parts, span])
    target = link(cited_url(quoted), quoted.text)
    cite = f"[{cite}]({target})" if target else cite
    embed = discord.Embed(
        title=shorten(f"Context: {' '.join(quoted.title.split())}", TITLE_LIMIT),
        description="\n\n".join(blocks) + f"\n\n{cite}",
        colour=COLOR,
    )
    return embed.set_footer(text="▶ marks the quoted passage")


def sources_embed(
    documents: Sequence[StoredDocument],
    page: int,
    search: str,
    info: IndexInfo,
    corpus: str | None = None,
) -> discord.Embed:
    """One page of the documents in the index: title (linked), passages; and the totals."""
    pages = max(1, math.ceil(len(documents) / SOURCES_PER_PAGE))
    page = min(max(1, page), pages)
    shown = documents[(page - 1) * SOURCES_PER_PAGE : page * SOURCES_PER_PAGE]
    lines = []
    for doc in shown:
        title = plain(doc.title or doc.id, 150)
        target = link(doc.url, "")
        name = f"[{title}]({target})" if target else title
        lines.append(f"• {name} · {doc.passages:,} passage{'s' * (doc.passages != 1)}")
    if not lines:
        lines = [f"No document matches “{plain(search, 100)}”." if search else "No documents."]
    heading = (
        f"Sources matching “{shorten(' '.join(search.split()), 100)}”" if search else "Sources"
    )
    embed = discord.Embed(
        title=shorten(f"{heading} · page {page} of {pages}", TITLE_LIMIT),
        description="\n".join(lines),
        colour=COLOR,
    )
    counts = info.counts
    return embed.set_footer(
        text=f"{len(documents):,} of {counts.get('documents', 0):,} documents · "
        f"{counts.get('passages', 0):,} passages in the index" + (f" · {corpus}" if corpus else "")
    )


def build_line(info: IndexInfo) -> str:
    """When the served index was built, by whom, and how long it took."""
    by = info.built_by or "the bot, at start (the corpus had changed)"
    seconds = info.build_seconds
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    created = info.created
    try:
        moment = discord.utils.parse_time(created).timestamp() if created else None
    except ValueError:
        moment = None
    at = f"{when(moment, 'f')} ({when(moment)})" if moment else "at an unknown time"
    return f"{at} by {plain(by, 100)}{took}"


def stats_embed(info: IndexInfo, stats: Stats, corpus: str | None = None) -> discord.Embed:
    """Documents, passages, last build, questions since start and answer times; the corpus
    they are about, when named."""
    counts = info.counts
    median, p95 = stats.percentile(0.5), stats.percentile(0.95)
    timing = (
        f"median {median:.0f} ms · p95 {p95:.0f} ms over the last {len(stats.times_ms):,}"
        if median is not None and p95 is not None
        else "no questions yet"
    )
    embed = discord.Embed(title="Footnote stats", colour=COLOR)
    if corpus:
        embed.add_field(name="Corpus", value=plain(corpus, 200), inline=False)
    embed.add_field(name="Documents", value=f"{counts.get('documents', 0):,}")
    embed.add_field(name="Passages", value=f"{counts.get('passages', 0):,}")
    embed.add_field(name="Last build", value=build_line(info), inline=False)
    embed.add_field(
        name=f"Questions since {when(stats.started)}",
        value=f"{stats.answered:,} answered · {stats.declined:,} declined (no good answer)"
        f" · {stats.cooled_down:,} asked to wait",
        inline=False,
    )
    embed.add_field(name="Answer time", value=timing, inline=False)
    return embed


def help_text(examples: Sequence[Suggestion], cooldown: tuple[int, float] | None) -> str:
    """How to ask, with example questions taken from the corpus itself."""
    lines = [
        "**Ask** with `/ask`, by mentioning me with your question, or in a DM. I answer with the "
        "passages of the articles that answer it, quoted and cited.",
        "**Follow up** by replying to one of my answers, or in the thread of one: a short "
        "question like “who leads them?” takes the earlier question as context.",
        "**More** under an answer shows the next passages; **Context** shows the paragraphs "
        "around a quoted one.",
        "**👍 / 👎** under an answer tells whether it helped; `/forget-me` deletes every "
        "question and vote of yours that I keep.",
        "`/sources` lists the articles I know; `/stats` shows how I am doing.",
    ]
    if cooldown:
        lines.append(f"Each person can ask {cooldown[0]} questions every {cooldown[1]:g} seconds.")
    if examples:
        lines += ["", "**Try asking about**"]
        lines += [f"• {plain(e.text, 150)}" for e in examples]
    return "\n".join(lines)


def reindex_report(report: BuildReport, by: str, corpus: str | None = None) -> discord.Embed:
    """What a rebuild changed: documents added, updated, removed; passages; drops; skips;
    and the corpus, when named."""

    def names(ids: list[str]) -> str:
        shown = ", ".join(plain(i, 60) for i in ids[:5])
        return f"{len(ids)}" + (f" ({shown}{', …' if len(ids) > 5 else ''})" if ids else "")

    lines = [
        f"Documents: {report.documents:,} · added {names(report.added)} · updated "
        f"{names(report.updated)} · removed {names(report.removed)}",
        f"Passages: {report.passages:,}",
        f"Boilerplate dropped: {report.dropped:,} paragraph{'s' * (report.dropped != 1)} "
        f"({report.furniture_dropped:,} site furniture, {report.repeated_dropped:,} repeated)",
        f"Files skipped: {len(report.skipped)}",
    ]
    lines += [
        f"• {plain(s.path, 80)}: {plain(s.reason, 160)}" for s in report.skipped[:LISTED_SKIPPED]
    ]
    if len(report.skipped) > LISTED_SKIPPED:
        lines.append(f"• … and {len(report.skipped) - LISTED_SKIPPED} more")
    embed = discord.Embed(
        title="Index rebuilt", description="\n".join(lines)[:DESCRIPTION_LIMIT], colour=COLOR
    )
    where = f" · {corpus}" if corpus else ""
    return embed.set_footer(text=f"Took {report.seconds:.1f} s · asked by {by}{where}")


def reindex_failed(reason: str) -> discord.Embed:
    """A rebuild failed: why, and that the old index still answers."""
    return discord.Embed(
        title="The rebuild failed",
        description=f"{escape(shorten(reason, 1500))}\n\nThe previous index keeps answering.",
        colour=FAILED_COLOR,
    )


def reindex_busy(by: str, started: float) -> str:
    """A second /reindex while one runs."""
    return (
        f"A rebuild started by {by} {when(started)} is still running; you will see its "
        "report there. Try again when it is done."
    )


def cooldown_text(limit: int, window: float, retry_after: float) -> str:
    """The friendly message for someone asking faster than the cooldown allows."""
    return (
        f"You're asking quickly: each person can ask {limit} questions every {window:g} "
        f"seconds. Try again {when(time.time() + retry_after)}."
    )
