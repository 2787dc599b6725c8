"""FootnoteBot: the Discord client; gets its settings and engine, syncs /ask, answers."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands

from bot import errors, render
from bot.ask import ask_command, question_in, where
from bot.settings import Settings
from footnote.answer import Answer
from footnote.engine import Engine

log = logging.getLogger("footnote.bot")
NO_MENTIONS = discord.AllowedMentions.none()


def intents_for(settings: Settings, message_content: bool = True) -> discord.Intents:
    """Guilds, guild messages and DMs; message content only when question channels need it."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = message_content and bool(settings.ask_channel_ids)
    return intents


def intent_names(intents: discord.Intents) -> str:
    """The enabled intents, by name, for the log."""
    return ", ".join(name for name, on in intents if on) or "none"


class FootnoteBot(discord.Client):
    """Answers questions from its engine with /ask, mentions, question channels and DMs."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        message_content: bool = True,
        **options: Any,
    ) -> None:
        options.setdefault("intents", intents_for(settings, message_content))
        super().__init__(allowed_mentions=NO_MENTIONS, **options)
        self.settings = settings
        self.engine = engine
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = errors.on_interaction_error  # type: ignore[method-assign]
        self.tree.add_command(ask_command(self))
        self.synced: list[app_commands.AppCommand] = []
        self._announced = False

    async def setup_hook(self) -> None:
        """Sync the commands: to the development guild when one is set, else globally."""
        if self.settings.guild_id is not None:
            guild = discord.Object(self.settings.guild_id)
            self.tree.copy_global_to(guild=guild)
            self.synced = await self.tree.sync(guild=guild)
        else:
            self.synced = await self.tree.sync()

    async def on_ready(self) -> None:
        """Log the start-up summary once."""
        if self._announced:
            return
        self._announced = True
        index = self.engine.index
        scope = f"to guild {self.settings.guild_id}" if self.settings.guild_id else "globally"
        commands = ", ".join(f"/{c.name}" for c in self.synced) or "none"
        log.info(
            "ready as %s: corpus %s (%d documents, %d passages); commands synced %s: %s; "
            "intents: %s; question channels: %d",
            self.user,
            self.settings.corpus_dir,
            len(index.documents()),
            len(index),
            scope,
            commands,
            intent_names(self.intents),
            len(self.settings.ask_channel_ids),
        )

    async def answer(self, question: str, k: int, via: str) -> Answer:
        """Ask the engine off the event loop, so heartbeats go on; log without the text."""
        answer = await asyncio.to_thread(self.engine.ask, question, k)
        log.info(
            "question via %s: answered=%s passages=%d took=%.1fms",
            via,
            answer.answered,
            len(answer.passages),
            answer.took_ms,
        )
        log.debug("question text: %r", question)
        return answer

    async def on_message(self, message: discord.Message) -> None:
        """Answer mentions, DMs and messages in question channels; ignore bots and itself."""
        if self.user is None:
            return
        question = question_in(message, self.user, self.settings.ask_channel_ids)
        if question is None:
            return
        try:
            if not question:
                await message.reply(
                    render.HOW_TO, mention_author=False, allowed_mentions=NO_MENTIONS
                )
                return
            answer = await self.answer(question, self.settings.results, where(message, self.user))
            await message.reply(
                embeds=render.answer_embeds(answer, self.settings.results),
                mention_author=False,
                allowed_mentions=NO_MENTIONS,
            )
        except Exception as error:  # the one handler decides what the person sees
            await errors.on_message_error(message, error)

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        """Any other failing event: logged with an error id; the bot keeps running."""
        log.error("error %s in %s", errors.error_id(), event_method, exc_info=True)
