"""What the bot knows and how it is doing: /sources, /stats and /help (private replies)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot import pages
from bot.servers import engine_of, label

if TYPE_CHECKING:
    from bot.client import FootnoteBot

NO_MENTIONS = discord.AllowedMentions.none()
EXAMPLES = 5


def sources_command(bot: FootnoteBot) -> app_commands.Command:
    """/sources [page] [search]: the documents in the index, paged."""

    @app_commands.command(name="sources", description="The articles I answer from")
    @app_commands.describe(
        page="Which page of the list (10 articles a page)",
        search="Only articles whose title or link holds these words",
    )
    async def sources(
        interaction: discord.Interaction,
        page: app_commands.Range[int, 1, 100_000] = 1,
        search: app_commands.Range[str, 1, 100] = "",
    ) -> None:
        corpus = bot.corpus_of(interaction.guild_id)
        async with engine_of(bot.corpora, corpus) as engine:
            info = engine.info()
            documents = await asyncio.to_thread(engine.sources, search)
        await interaction.response.send_message(
            embed=pages.sources_embed(documents, page, search, info, label(corpus)),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    return sources


def stats_command(bot: FootnoteBot) -> app_commands.Command:
    """/stats: this server's corpus and the questions it asked since start."""

    @app_commands.command(name="stats", description="What I know and how I have been doing")
    async def stats(interaction: discord.Interaction) -> None:
        corpus = bot.corpus_of(interaction.guild_id)
        async with engine_of(bot.corpora, corpus) as engine:
            info = engine.info()
        await interaction.response.send_message(
            embed=pages.stats_embed(info, bot.stats.of(interaction.guild_id), label(corpus)),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    return stats


def help_command(bot: FootnoteBot) -> app_commands.Command:
    """/help: how to ask, with example questions from the corpus."""

    @app_commands.command(name="help", description="How to ask me, with example questions")
    async def help_(interaction: discord.Interaction) -> None:
        corpus = bot.corpus_of(interaction.guild_id)
        async with engine_of(bot.corpora, corpus) as engine:
            examples = await asyncio.to_thread(engine.suggestions().examples, EXAMPLES)
        await interaction.response.send_message(
            pages.help_text(examples, bot.settings.cooldown),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    return help_
