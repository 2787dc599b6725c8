"""Asking: the /ask command, and which messages are questions (mentions, channels, DMs)."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands

from bot import render
from bot.servers import engine_of
from bot.settings import MAX_RESULTS
from bot.store import Asked
from footnote.analysis.suggest import Suggestion

if TYPE_CHECKING:
    from bot.client import FootnoteBot

log = logging.getLogger("footnote.bot")
T = TypeVar("T")
MAX_QUESTION = 300
MAX_CHOICES = 25  # Discord's limits on autocomplete
MAX_CHOICE = 100
# Answers take milliseconds; when one does not come this quickly the interaction is deferred,
# well inside Discord's 3 seconds. Answering directly otherwise keeps an error reply private
# even when the answer was to be public (a deferred public response cannot turn private).
DEFER_AFTER = 1.0
DEFER_BY = 2.0  # seconds after the interaction was created: a second to spare for the request
NO_MENTIONS = discord.AllowedMentions.none()


def question_in(
    message: discord.Message, me: discord.abc.User, ask_channels: frozenset[int]
) -> str | None:
    """The question a message asks the bot ("" for a bare mention), or None if it asks none."""
    if message.author.bot or message.author.id == me.id:
        return None
    mentioned = any(user.id == me.id for user in message.mentions)
    if mentioned:
        return " ".join(re.sub(rf"<@!?{me.id}>", " ", message.content).split())
    if message.guild is None or message.channel.id in ask_channels:
        return " ".join(message.content.split()) or None
    return None


def where(message: discord.Message, me: discord.abc.User) -> str:
    """How a message reached the bot, for the log."""
    if message.guild is None:
        return "dm"
    return "mention" if any(u.id == me.id for u in message.mentions) else "channel"


def asked_by(interaction: discord.Interaction, via: str) -> Asked:
    """Who asked through an interaction, where and when, for the answer's row."""
    return Asked(
        interaction.user.id,
        interaction.guild_id,
        interaction.channel_id,
        interaction.created_at.timestamp(),
        via,
    )


async def respond(
    interaction: discord.Interaction,
    embeds: list[discord.Embed],
    ephemeral: bool,
    view: discord.ui.View | None = None,
) -> int | None:
    """Send the answer as the response, or as the follow-up when the interaction was deferred;
    the id of the message it became (None if Discord did not say)."""
    extra = {"view": view} if view is not None and view.children else {}
    if interaction.response.is_done():
        sent = await interaction.followup.send(
            embeds=embeds, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS, wait=True, **extra
        )
        return sent.id
    response = await interaction.response.send_message(
        embeds=embeds, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS, **extra
    )
    return response.message_id if response is not None else None


async def answer_in_time(
    interaction: discord.Interaction, work: Awaitable[T], ephemeral: bool, thinking: bool = True
) -> T:
    """Await the work, deferring the interaction if it takes longer than DEFER_AFTER, or than
    what is left of DEFER_BY since Discord created it (under a backlog the event itself may
    arrive late). Without `thinking`, a component's message is to be edited, not replied to."""
    pending = asyncio.ensure_future(work)
    age = (discord.utils.utcnow() - interaction.created_at).total_seconds()
    done, _ = await asyncio.wait({pending}, timeout=max(0.0, min(DEFER_AFTER, DEFER_BY - age)))
    if not done:
        await interaction.response.defer(ephemeral=ephemeral, thinking=thinking)
    return await pending


async def reply_privately(
    interaction: discord.Interaction,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
) -> None:
    """A private reply, as the response or, once deferred, as the follow-up."""
    extra: dict[str, Any] = {"embed": embed} if embed is not None else {}
    if view is not None:
        extra["view"] = view
    if interaction.response.is_done():
        await interaction.followup.send(
            content, ephemeral=True, allowed_mentions=NO_MENTIONS, **extra
        )
    else:
        await interaction.response.send_message(
            content, ephemeral=True, allowed_mentions=NO_MENTIONS, **extra
        )


def choices(suggestions: list[Suggestion]) -> list[app_commands.Choice[str]]:
    """Autocomplete choices: at most 25, names and values at most 100 characters, distinct."""
    seen: dict[str, app_commands.Choice[str]] = {}
    for suggestion in suggestions:
        text = render.shorten(" ".join(suggestion.text.split()), MAX_CHOICE)
        if text and text not in seen:
            seen[text] = app_commands.Choice(name=text, value=text)
    return list(seen.values())[:MAX_CHOICES]


def ask_command(bot: FootnoteBot) -> app_commands.Command:
    """The /ask command, answering from the bot's engine, with suggestions as one types."""

    @app_commands.command(
        name="ask", description="Ask the articles a question; get the passages that answer it"
    )
    @app_commands.describe(
        question="Your question, in your own words",
        results=f"How many passages to show (1-{MAX_RESULTS})",
        private="Show the answer only to you",
    )
    async def ask(
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, MAX_QUESTION],
        results: app_commands.Range[int, 1, MAX_RESULTS] | None = None,
        private: bool = False,
    ) -> None:
        await bot.answer_interaction(
            interaction, question, results or bot.settings.results, private
        )

    @ask.autocomplete("question")
    async def suggest(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        # Never an error: a failed suggestion shows no choices, and the log says why.
        try:
            async with engine_of(bot.corpora, bot.corpus_of(interaction.guild_id)) as engine:
                found = await asyncio.to_thread(engine.suggest, current[:MAX_QUESTION], MAX_CHOICES)
        except Exception:
            log.exception("suggestions failed")
            return []
        return choices(found)

    return ask
