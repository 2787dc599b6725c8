"""/gaps and /feedback (admins): what the server asks that the writing does not answer, and
how members rated the answers. Read from the bot's store off the event loop, grouped and
counted by footnote.answerlog (as `footnote gaps` and `footnote feedback` do), paged like
/sources and always private."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.admin import admins_only
from bot.ask import answer_in_time, reply_privately
from bot.pages import plain, when
from bot.render import COLOR, DESCRIPTION_LIMIT, NO_ANSWER_COLOR, TITLE_LIMIT, shorten
from footnote.answerlog.gaps import GapGroup, gap_groups, page_of
from footnote.answerlog.store import DAY, REASONS, AnswerRecord, Vote
from footnote.answerlog.summary import FeedbackSummary, RatedAnswer, feedback_summary

if TYPE_CHECKING:
    from bot.client import FootnoteBot

NO_MENTIONS = discord.AllowedMentions.none()
DEFAULT_DAYS = 30
GROUPS_PER_PAGE = 8
WORST_PER_PAGE = 5
EXAMPLE_CHARS = 120
FIELD_LIMIT = 1024  # Discord's limit on an embed field's value


def period(days: int, keep_days: int) -> str:
    """The days a page covers, noting when the store keeps fewer."""
    if keep_days and days > keep_days:
        return f"the last {keep_days} days (answers are kept {keep_days} days)"
    return "the last day" if days == 1 else f"the last {days} days"


def nothing_kept() -> discord.Embed:
    """The page for a bot that keeps no answers."""
    return discord.Embed(
        description="This bot keeps no answers (FOOTNOTE_KEEP_DAYS=0), so it has nothing to "
        "report; set FOOTNOTE_KEEP_DAYS to a number of days to start keeping them.",
        colour=NO_ANSWER_COLOR,
    )


def gaps_embed(groups: list[GapGroup], page: int, days: int, keep_days: int) -> discord.Embed:
    """One page of the gap groups: label, counts, examples; totals in the footer."""
    shown, page, pages = page_of(groups, page, GROUPS_PER_PAGE)
    span = period(days, keep_days)
    if not groups:
        return discord.Embed(
            title="Gaps",
            description=f"No question of {span} was declined or voted down.",
            colour=COLOR,
        )
    room = (DESCRIPTION_LIMIT - 100) // len(shown)
    blocks = []
    first = (page - 1) * GROUPS_PER_PAGE
    for number, group in enumerate(shown, start=first + 1):
        parts = [f"{group.declined} declined"] if group.declined else []
        if group.voted_down:
            parts.append(f"{group.voted_down} voted down")
        asked = "question" if group.questions == 1 else "questions"
        head = (
            f"**{number}. {plain(group.label, 100)}** · {group.questions} {asked} "
            f"({', '.join(parts)}) · last {when(group.last_asked)}"
        )
        examples = [f"> {plain(e, EXAMPLE_CHARS)}" for e in group.examples]
        blocks.append(shorten("\n".join([head, *examples]), room))
    total = sum(g.questions for g in groups)
    embed = discord.Embed(
        title=shorten(f"Gaps · {span} · page {page} of {pages}", TITLE_LIMIT),
        description="\n\n".join(blocks),
        colour=COLOR,
    )
    return embed.set_footer(
        text=f"{total:,} question{'s' * (total != 1)} declined or voted down, in "
        f"{len(groups):,} group{'s' * (len(groups) != 1)}, biggest first: what the writing "
        "is missing"
    )


def rated_field(number: int, rated: RatedAnswer) -> tuple[str, str]:
    """An answer voted down as an embed field: votes; question, first passage, reasons."""
    page = f" · More, from [{rated.first_rank}]" if rated.first_rank > 1 else ""
    name = f"{number}. {rated.down} 👎 · {rated.up} 👍{page}"
    lines = [f"“{plain(rated.question, 200)}”"]
    if rated.citation:
        lines.append(f"showed: {plain(rated.citation, 200)}")
    if rated.reasons:
        lines.append("why: " + ", ".join(f"{REASONS[k]} {n}" for k, n in rated.reasons.items()))
    return name, shorten("\n".join(lines), FIELD_LIMIT)


def feedback_embed(summary: FeedbackSummary, page: int, days: int, keep_days: int) -> discord.Embed:
    """The counts of a period, then one page of the answers most voted down."""
    worst, page, pages = page_of(list(summary.worst), page, WORST_PER_PAGE)
    span = period(days, keep_days)
    embed = discord.Embed(
        title=shorten(f"Feedback · {span} · page {page} of {pages}", TITLE_LIMIT), colour=COLOR
    )
    embed.add_field(
        name="Questions",
        value=f"{summary.questions:,} asked · {summary.answered:,} answered · "
        f"{summary.declined:,} declined",
        inline=False,
    )
    reasons = ", ".join(f"{REASONS[k]} {n}" for k, n in summary.reasons.items() if n)
    embed.add_field(
        name="Votes",
        value=f"{summary.votes_up:,} 👍 · {summary.votes_down:,} 👎 on "
        f"{summary.answers_voted:,} answer{'s' * (summary.answers_voted != 1)}"
        + (f"\nwhy 👎: {reasons}" if reasons else ""),
        inline=False,
    )
    first = (page - 1) * WORST_PER_PAGE
    if not worst:
        embed.add_field(name="Most voted down", value="No answer has more 👎 than 👍.")
    for number, rated in enumerate(worst, start=first + 1):
        name, value = rated_field(number, rated)
        embed.add_field(name=name, value=value, inline=False)
    return embed.set_footer(
        text=f"{len(summary.worst):,} answer{'s' * (len(summary.worst) != 1)} with more 👎 "
        "than 👍, most first · /gaps groups the questions declined or voted down"
    )


Page = Callable[[list[AnswerRecord], list[Vote], int, int, int], discord.Embed]


def gaps_page(
    answers: list[AnswerRecord], votes: list[Vote], page: int, days: int, keep: int
) -> discord.Embed:
    """The /gaps page of a server's answers and votes."""
    return gaps_embed(gap_groups(answers, votes), page, days, keep)


def feedback_page(
    answers: list[AnswerRecord], votes: list[Vote], page: int, days: int, keep: int
) -> discord.Embed:
    """The /feedback page of a server's answers and votes."""
    return feedback_embed(feedback_summary(answers, votes, len(answers)), page, days, keep)


def history_command(
    bot: FootnoteBot, name: str, description: str, what: str, render: Page
) -> app_commands.Command:
    """An admin command showing one page about this server's answers of the last days."""

    @app_commands.command(name=name, description=description)
    @app_commands.describe(
        days=f"How many days back to look (default {DEFAULT_DAYS})", page=f"Which page of {what}"
    )
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @admins_only(bot.settings)
    async def command(
        interaction: discord.Interaction,
        days: app_commands.Range[int, 1, 3650] = DEFAULT_DAYS,
        page: app_commands.Range[int, 1, 100_000] = 1,
    ) -> None:
        assert interaction.guild is not None  # guild_only, and checked by admins_only
        keep, guild = bot.settings.keep_days, interaction.guild.id
        if not keep:
            await reply_privately(interaction, embed=nothing_kept())
            return

        async def rendered() -> discord.Embed:
            answers, votes = await bot.store.history(time.time() - days * DAY, guild)
            return await asyncio.to_thread(render, answers, votes, page, days, keep)

        # A busy store file can hold a read for a moment: defer rather than time out.
        await reply_privately(
            interaction, embed=await answer_in_time(interaction, rendered(), True)
        )

    return command


def gaps_command(bot: FootnoteBot) -> app_commands.Command:
    """/gaps [days] [page]: the questions declined or voted down, grouped by subject."""
    return history_command(
        bot,
        "gaps",
        "Questions my writing did not answer, grouped (admins)",
        f"the groups ({GROUPS_PER_PAGE} a page)",
        gaps_page,
    )


def feedback_command(bot: FootnoteBot) -> app_commands.Command:
    """/feedback [days] [page]: answered, declined, votes, the answers most voted down."""
    return history_command(
        bot,
        "feedback",
        "How members rated my answers (admins)",
        f"the answers most voted down ({WORST_PER_PAGE} a page)",
        feedback_page,
    )
