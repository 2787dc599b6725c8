"""Feeds a server follows (admins): /follow, /unfollow and /feeds, and the background task
that checks every followed feed each FOOTNOTE_FEED_MINUTES and adds its new entries to the
server's corpus. A feed's failure is kept with it and shown by /feeds; it never stops the task.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot import errors
from bot.admin import admins_only, is_admin
from bot.ask import MAX_CHOICE, MAX_CHOICES, reply_privately
from bot.pages import plain, when
from bot.render import COLOR, DESCRIPTION_LIMIT, shorten
from bot.servers import label
from bot.store import FeedRecord, StoreError
from footnote.editing import Added, Feed, add_feed_entries, fetch_feed
from footnote.errors import FootnoteError

if TYPE_CHECKING:
    from bot.client import FootnoteBot

log = logging.getLogger("footnote.bot.feeds")
MAX_URL = 2000
ERROR_CHARS = 300  # of a feed's last error, kept and shown
LISTED = 5  # entries named in a reply


class FeedWatcher:
    """Checks the feeds of the servers this process serves, one after another, now and then."""

    def __init__(self, bot: FootnoteBot) -> None:
        self.bot = bot
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start checking every FOOTNOTE_FEED_MINUTES (never, when it is 0)."""
        if self.bot.settings.feed_minutes > 0 and self._task is None:
            self._task = asyncio.create_task(self._run())

    def stop(self) -> None:
        """Stop checking."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        while not self.bot.is_closed():
            await asyncio.sleep(self.bot.settings.feed_minutes * 60)
            try:
                await self.check_all()
            except Exception:  # the task must outlive any surprise; say it, check again later
                log.error("error %s checking the feeds", errors.error_id(), exc_info=True)

    async def check_all(self) -> None:
        """Check each followed feed of the servers this process is in (another process
        checks its own shards' servers)."""
        try:
            followed = await self.bot.store.feeds()
        except StoreError as error:
            log.warning("the feeds could not be read, checking later: %s", error)
            return
        for record in followed:
            if self.bot.is_closed():
                return
            if self.bot.get_guild(record.guild_id) is not None:
                await self.check(record)

    async def check(self, record: FeedRecord, feed: Feed | None = None) -> list[Added]:
        """Fetch a feed (unless given) and add its new entries to its corpus; the check, its
        error and the entries seen are kept. What was added."""
        seen = set(record.seen)
        problems: list[str] = []
        writer = self.bot.writer
        policy = writer.policy
        built_by = "a followed feed"

        def work() -> list[Added]:
            fetched = feed if feed is not None else fetch_feed(record.url, policy)
            return writer.write(
                record.guild_id,
                record.corpus,
                lambda corpus: add_feed_entries(corpus, fetched, seen, policy, built_by, problems),
            )

        added: list[Added] = []
        try:
            added = await asyncio.to_thread(work)
        except FootnoteError as error:
            problems.append(str(error))
        except Exception as error:  # kept with the feed and logged; the next feed goes on
            ident = errors.error_id()
            log.error("error %s checking the feed %s", ident, record.url, exc_info=error)
            problems.append(f"Something unexpected went wrong (error id {ident}).")
        error = shorten(" ".join(problems), ERROR_CHARS) if problems else None
        if added or error:
            log.info(
                "feed %s of server %d: %d entries added%s",
                record.url,
                record.guild_id,
                len(added),
                f"; {error}" if error else "",
            )
        try:
            await self.bot.store.feed_checked(
                record.guild_id, record.url, time.time(), error, sorted(seen)
            )
        except StoreError as failure:
            log.warning("the check of the feed %s was not noted: %s", record.url, failure)
        return added


def entries_text(added: list[Added]) -> str:
    """The entries a check added, by title."""
    titles = [doc.title or doc.id for a in added for doc in a.documents]
    if not titles:
        return "no entry was added"
    shown = ", ".join(f"“{plain(t, 80)}”" for t in titles[:LISTED])
    more = f" and {len(titles) - LISTED} more" if len(titles) > LISTED else ""
    return f"{len(titles)} entr{'y' if len(titles) == 1 else 'ies'} added: {shown}{more}"


def every(minutes: float) -> str:
    """How often feeds are checked, for a reply."""
    if minutes <= 0:
        return "new entries are not checked for automatically (FOOTNOTE_FEED_MINUTES is 0)"
    return f"new entries are checked for every {minutes:g} minute{'s' * (minutes != 1)}"


def feeds_embed(records: list[FeedRecord], minutes: float) -> discord.Embed:
    """The feeds a server follows: address, corpus, last check and last error."""
    if not records:
        return discord.Embed(
            title="Feeds",
            description="This server follows no feed; an admin can add one with /follow.",
            colour=COLOR,
        )
    room = (DESCRIPTION_LIMIT - 100) // len(records)
    blocks = []
    for record in records:
        checked = f"checked {when(record.checked_at)}" if record.checked_at else "not checked yet"
        lines = [
            f"• {plain(record.url, 300)}",
            f"  into {label(record.corpus)} · {checked} · {len(record.seen):,} entries seen",
        ]
        if record.error:
            lines.append(f"  last error: {plain(record.error, ERROR_CHARS)}")
        blocks.append(shorten("\n".join(lines), room))
    embed = discord.Embed(title="Feeds", description="\n".join(blocks), colour=COLOR)
    return embed.set_footer(text=every(minutes)[0].upper() + every(minutes)[1:] + ".")


def follow_command(bot: FootnoteBot) -> app_commands.Command:
    """/follow feed:<url>: its entries added to the server's corpus, now and as they appear."""

    @app_commands.command(
        name="follow", description="Add a feed's articles to this server's corpus (admins)"
    )
    @app_commands.describe(feed="The address of an RSS or Atom feed")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @admins_only(bot.settings)
    async def follow(
        interaction: discord.Interaction, feed: app_commands.Range[str, 1, MAX_URL]
    ) -> None:
        assert interaction.guild_id is not None  # guild_only, and checked by admins_only
        guild, url = interaction.guild_id, feed.strip()
        await interaction.response.defer(ephemeral=True, thinking=True)
        read = await asyncio.to_thread(fetch_feed, url, bot.writer.policy)  # is it a feed?
        corpus = bot.writer.target(guild)
        if not await bot.store.follow(guild, url, corpus, interaction.user.id):
            await reply_privately(
                interaction, f"This server already follows {plain(url, 300)}; /feeds lists them."
            )
            return
        log.info("%s follows %s in server %d", interaction.user.name, url, guild)
        (record,) = [r for r in await bot.store.feeds(guild) if r.url == url]
        added = await bot.feeds.check(record, read)
        (record,) = [r for r in await bot.store.feeds(guild) if r.url == url]
        text = (
            f"Following **{plain(read.title, 150)}** ({plain(url, 300)}) into "
            f"{label(corpus)}: {entries_text(added)}; {every(bot.settings.feed_minutes)}."
        )
        if record.error:
            text += f"\nNot everything could be added: {plain(record.error, ERROR_CHARS)}"
        await reply_privately(interaction, shorten(text, 1900))

    return follow


def unfollow_command(bot: FootnoteBot) -> app_commands.Command:
    """/unfollow feed:<url>: stop adding a feed's entries (those added stay)."""

    @app_commands.command(name="unfollow", description="Stop following a feed (admins)")
    @app_commands.describe(feed="The feed to stop following: start typing its address")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @admins_only(bot.settings)
    async def unfollow(
        interaction: discord.Interaction, feed: app_commands.Range[str, 1, MAX_URL]
    ) -> None:
        assert interaction.guild_id is not None
        url = feed.strip()
        if await bot.store.unfollow(interaction.guild_id, url):
            log.info("%s unfollowed %s", interaction.user.name, url)
            text = (
                f"No longer following {plain(url, 300)}. The entries already added stay; "
                "/remove removes one."
            )
        else:
            text = f"This server does not follow {plain(url, 300)}; /feeds lists those it does."
        await reply_privately(interaction, text)

    @unfollow.autocomplete("feed")
    async def followed(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        # Never an error: a failed lookup shows no choices, and the log says why.
        if interaction.guild_id is None or not is_admin(interaction, bot.settings):
            return []
        try:
            records = await bot.store.feeds(interaction.guild_id)
        except Exception:
            log.exception("feed choices failed")
            return []
        typed = current.casefold().strip()
        return [
            app_commands.Choice(name=shorten(r.url, MAX_CHOICE), value=r.url)
            for r in records
            if typed in r.url.casefold() and len(r.url) <= MAX_CHOICE
        ][:MAX_CHOICES]

    return unfollow


def feeds_command(bot: FootnoteBot) -> app_commands.Command:
    """/feeds: the feeds this server follows, each with its last check and last error."""

    @app_commands.command(name="feeds", description="The feeds this server follows (admins)")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @admins_only(bot.settings)
    async def feeds(interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        records = await bot.store.feeds(interaction.guild_id)
        await reply_privately(interaction, embed=feeds_embed(records, bot.settings.feed_minutes))

    return feeds
