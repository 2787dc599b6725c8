"""Admin commands: /reindex and /settings, for Manage Server or the configured admins only.

Both are registered with Manage Server as their default permission, and the bot checks again
when they run: a server can change who sees a command, and DMs have no server to manage.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import discord
from discord import app_commands

from bot import errors, pages
from bot.memory import settle_memory
from bot.servers import label
from bot.settings import Settings
from footnote.errors import FootnoteError
from footnote.retrieval.embedded.build import BuildReport

if TYPE_CHECKING:
    from bot.client import FootnoteBot


log = logging.getLogger("footnote.bot.admin")
T = TypeVar("T")
NO_MENTIONS = discord.AllowedMentions.none()


def is_admin(interaction: discord.Interaction, settings: Settings) -> bool:
    """Manage Server (or Administrator) in this server, an admin role, or an admin user."""
    if interaction.guild is None:
        return False
    if interaction.user.id in settings.admin_user_ids:
        return True
    permissions = interaction.permissions
    if permissions.manage_guild or permissions.administrator:
        return True
    roles = getattr(interaction.user, "roles", [])
    return any(role.id in settings.admin_role_ids for role in roles)


def admins_only(settings: Settings) -> Callable[[T], T]:
    """A check refusing everyone but admins, with a sentence saying who may."""

    def check(interaction: discord.Interaction) -> bool:
        if interaction.guild is None:
            raise app_commands.CheckFailure("This command works in a server, not in DMs.")
        if not is_admin(interaction, settings):
            name = interaction.command.name if interaction.command else "this command"
            raise app_commands.CheckFailure(
                f"Only members with the Manage Server permission, or the admins the bot is "
                f"configured with, can use /{name}."
            )
        return True

    return app_commands.check(check)


def who(user: discord.abc.User) -> str:
    """A person as a mention (which never pings: mentions are off) and their name."""
    return f"{user.mention} ({user.name})"


@dataclass
class Rebuild:
    """The /reindex that is running: who started it and when."""

    by: str
    started: float


class Reindexer:
    """Runs one rebuild of each corpus at a time off the event loop; the old index answers
    until it is done, and other corpora are never held up."""

    def __init__(self, bot: FootnoteBot) -> None:
        self.bot = bot
        self.running: dict[str, Rebuild] = {}  # by corpus name

    def _rebuild(self, corpus: str, built_by: str) -> BuildReport:
        """Rebuild one corpus under its lock (its adds and updates wait; questions do not)."""
        corpora = self.bot.corpora
        with corpora.writing(corpus), corpora.using(corpus) as engine:
            return engine.rebuild(built_by)

    async def run(self, interaction: discord.Interaction) -> None:
        """Rebuild the server's corpus for an admin's /reindex and report what changed, or
        why it failed."""
        corpus = self.bot.corpus_of(interaction.guild_id)
        running = self.running.get(corpus)
        if running is not None:
            await interaction.response.send_message(
                pages.reindex_busy(running.by, running.started),
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return
        by = who(interaction.user)
        self.running[corpus] = Rebuild(by, time.time())  # before any await: a second sees it
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
            log.info(
                "rebuild of corpus %s started by %s (%d)",
                corpus,
                interaction.user.name,
                interaction.user.id,
            )
            built_by = f"{interaction.user.name} (/reindex)"
            try:
                report = await asyncio.to_thread(self._rebuild, corpus, built_by)
            except FootnoteError as error:
                log.warning("rebuild failed, the previous index keeps answering: %s", error)
                embed = pages.reindex_failed(str(error))
            except Exception as error:
                ident = errors.error_id()
                log.error("error %s in /reindex", ident, exc_info=error)
                embed = pages.reindex_failed(
                    f"Something unexpected went wrong (error id `{ident}`)."
                )
            else:
                settle_memory()
                log.info(
                    "rebuilt: %d documents, %d passages in %.2fs",
                    report.documents,
                    report.passages,
                    report.seconds,
                )
                embed = pages.reindex_report(report, by, label(corpus))
            await interaction.followup.send(
                embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS
            )
        finally:
            del self.running[corpus]


def reindex_command(bot: FootnoteBot) -> app_commands.Command:
    """/reindex: rebuild the index of the server's corpus from its folder, without downtime."""

    @app_commands.command(
        name="reindex", description="Rebuild the index from the corpus folder (admins)"
    )
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @admins_only(bot.settings)
    async def reindex(interaction: discord.Interaction) -> None:
        await bot.reindexer.run(interaction)

    return reindex


def settings_command(bot: FootnoteBot) -> app_commands.Command:
    """/settings: this server's choices (answering mention-questions in threads)."""

    @app_commands.command(name="settings", description="This server's Footnote settings (admins)")
    @app_commands.describe(
        answer_in_threads="Answer questions that mention me in a new thread, to keep channels tidy"
    )
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @admins_only(bot.settings)
    async def settings(
        interaction: discord.Interaction, answer_in_threads: bool | None = None
    ) -> None:
        assert interaction.guild is not None  # guild_only, and checked by admins_only
        guild = interaction.guild.id
        if answer_in_threads is not None:
            await bot.store.set_threads(guild, answer_in_threads)
            log.info("threads %s in guild %d", "on" if answer_in_threads else "off", guild)
        on = bot.store.threads(guild)
        await interaction.response.send_message(
            "Questions that mention me are answered "
            + ("in a new thread." if on else "as a reply in the channel."),
            ephemeral=True,
        )

    return settings
