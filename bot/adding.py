"""/add and /remove (admins): writing added to and removed from the server's corpus through
footnote.editing, off the event loop and under the corpus's lock, replied to privately.

With FOOTNOTE_CORPORA_DIR set, what a server adds goes into its own corpus, created by its
first /add (or /follow): from then on the server answers from it. Without it, the bot has one
corpus for every server, and /add writes into that.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import aiohttp
import discord
from discord import app_commands

from bot.admin import admins_only, is_admin
from bot.ask import MAX_CHOICE, MAX_CHOICES, reply_privately
from bot.pages import plain
from bot.render import shorten
from bot.servers import engine_of, label
from footnote.corpora import DEFAULT
from footnote.editing import (
    Added,
    EditError,
    FetchPolicy,
    NewCorpus,
    Removed,
    add_bytes,
    add_url,
    check_upload,
    remove_document,
)
from footnote.editing.adding import Corpus
from footnote.editing.naming import megabytes

if TYPE_CHECKING:
    from bot.client import FootnoteBot

log = logging.getLogger("footnote.bot.adding")
T = TypeVar("T")
DOWNLOAD_SECONDS = 60.0  # for the whole download of an attachment
CHUNK = 64 * 1024
MAX_URL = 2000
LISTED = 5  # documents named in a reply


class Writer:
    """Changes a server's corpus: one change of a corpus at a time (its lock), never holding
    up another corpus, nor any question."""

    def __init__(self, bot: FootnoteBot) -> None:
        self.bot = bot

    @property
    def policy(self) -> FetchPolicy:
        """What fetching a page or feed may do, as the operator set it."""
        settings = self.bot.settings
        return FetchPolicy(
            allow_private=settings.allow_private_urls, max_bytes=settings.max_upload_bytes
        )

    @property
    def max_bytes(self) -> int:
        """The largest file taken: FOOTNOTE_MAX_UPLOAD_MB, within what the reader reads."""
        return min(self.bot.settings.max_upload_bytes, self.bot.engine.config.max_file_bytes)

    def target(self, guild_id: int) -> str:
        """The corpus a server's additions go into: its own (created by the first), or the
        one corpus of a bot that has no folder for servers' own."""
        corpora = self.bot.corpora
        return DEFAULT if corpora.root is None else corpora.own_name(guild_id)

    def write(self, guild_id: int, name: str, work: Callable[[Corpus], T]) -> T:
        """Run a change of a corpus under its lock (call it off the event loop). A server's
        own corpus is created for it if missing, and removed again if the change left it
        empty, so the server answers as before."""
        corpora = self.bot.corpora
        created = name != DEFAULT and not corpora.has_own(guild_id)
        if created:
            corpora.create_own(guild_id)
        try:
            with corpora.writing(name):
                if not corpora.is_open(name) and corpora.is_empty(name):
                    # An Engine cannot open a folder without an article: the first add builds it.
                    new = NewCorpus(corpora.config_for(name))
                    result = work(new)
                    if new.engine is not None:
                        corpora.adopt(name, new.engine)
                    return result
                with corpora.using(name) as engine:
                    return work(engine)
        except BaseException:
            if created:
                corpora.discard_own_if_empty(guild_id)
            raise

    async def add(
        self,
        interaction: discord.Interaction,
        file: discord.Attachment | None,
        url: str | None,
    ) -> None:
        """/add: a file checked by name and size before it is downloaded, or a page fetched
        within the policy; the reply says what was added, or why not."""
        assert interaction.guild_id is not None  # guild_only, and checked by admins_only
        if (file is None) == (url is None):
            await reply_privately(
                interaction,
                "Give /add either a file or a link (one of them): "
                "`/add file:` with an attachment, or `/add url:` with a page's address.",
            )
            return
        guild = interaction.guild_id
        name = self.target(guild)
        had_own = self.bot.corpora.has_own(guild)
        built_by = f"{interaction.user.name} (/add)"
        if file is not None:
            limit = self.max_bytes
            check_upload(file.filename, file.size, limit)  # before a byte is downloaded
            await interaction.response.defer(ephemeral=True, thinking=True)
            data = await download(file.url, file.filename, limit)
            added = await asyncio.to_thread(
                self.write, guild, name, lambda c: add_bytes(c, file.filename, data, built_by)
            )
        else:
            assert url is not None
            await interaction.response.defer(ephemeral=True, thinking=True)
            policy = self.policy
            added = await asyncio.to_thread(
                self.write, guild, name, lambda c: add_url(c, url.strip(), policy, built_by)
            )
        log.info("%s added %s to corpus %s", interaction.user.name, added.path, name)
        await reply_privately(interaction, added_text(added, name, moved=not had_own))

    async def remove(self, interaction: discord.Interaction, document: str) -> None:
        """/remove: a document of the server's corpus, its file deleted and the index
        updated; the reply says what was removed, or why not."""
        assert interaction.guild_id is not None
        guild = interaction.guild_id
        name = self.target(guild)
        if name != DEFAULT and not self.bot.corpora.has_own(guild):
            await reply_privately(
                interaction,
                "This server has no writing of its own yet, so there is nothing to remove; "
                "/remove removes what /add and /follow added here.",
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        built_by = f"{interaction.user.name} (/remove)"
        removed = await asyncio.to_thread(
            self.write, guild, name, lambda c: remove_document(c, document.strip(), built_by)
        )
        log.info("%s removed %s from corpus %s", interaction.user.name, removed.id, name)
        await reply_privately(interaction, removed_text(removed, name))

    async def documents(
        self, interaction: discord.Interaction, typed: str
    ) -> list[app_commands.Choice[str]]:
        """The server's documents whose title or id holds what is typed, as choices."""
        guild = interaction.guild_id
        if guild is None or not is_admin(interaction, self.bot.settings):
            return []
        name = self.target(guild)
        corpora = self.bot.corpora
        if name != DEFAULT and (not corpora.has_own(guild) or corpora.is_empty(name)):
            return []
        async with engine_of(corpora, name) as engine:
            found = await asyncio.to_thread(engine.sources, typed[:MAX_CHOICE])
        return document_choices((d.id, d.title) for d in found)


def document_choices(documents: object) -> list[app_commands.Choice[str]]:
    """Choices naming each document by title and id; ids too long for a choice's value are
    left out (type them whole instead)."""
    choices = []
    for doc_id, title in documents:  # type: ignore[attr-defined]
        if len(doc_id) > MAX_CHOICE:
            continue
        shown = " ".join(f"{title} ({doc_id})".split()) if title else doc_id
        choices.append(app_commands.Choice(name=shorten(shown, MAX_CHOICE), value=doc_id))
        if len(choices) == MAX_CHOICES:
            break
    return choices


async def download(url: str, filename: str, limit: int) -> bytes:
    """An attachment's bytes, read no further than `limit` whatever its stated size."""
    shown = plain(filename, 100)
    too_big = f"{shown} is over the limit of {megabytes(limit)}; split it or add a smaller file."
    chunks: list[bytes] = []
    size = 0
    try:
        timeout = aiohttp.ClientTimeout(total=DOWNLOAD_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as got:
            if got.status != 200:
                raise EditError(
                    f"Discord did not hand over {shown} (HTTP {got.status}); upload it again."
                )
            if got.content_length is not None and got.content_length > limit:
                raise EditError(too_big)
            async for chunk in got.content.iter_chunked(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise EditError(too_big)
                chunks.append(chunk)
    except (aiohttp.ClientError, TimeoutError) as error:
        raise EditError(
            f"{shown} could not be downloaded from Discord ({type(error).__name__}); "
            "upload it again."
        ) from error
    return b"".join(chunks)


def added_text(added: Added, corpus: str, moved: bool) -> str:
    """What an add did: each document's title, id, passages and boilerplate dropped; where."""
    lines = []
    for doc in added.documents[:LISTED]:
        dropped = (
            f", {doc.dropped} paragraph{'s' * (doc.dropped != 1)} dropped as boilerplate"
            if doc.dropped
            else ", no boilerplate dropped"
        )
        lines.append(
            f"• **{plain(doc.title or doc.id, 150)}** (`{plain(doc.id, 100)}`): "
            f"{doc.passages:,} passage{'s' * (doc.passages != 1)}{dropped}"
        )
    if len(added.documents) > LISTED:
        lines.append(f"• … and {len(added.documents) - LISTED} more")
    verb = "Replaced" if added.replaced else "Added"
    head = f"{verb} `{plain(added.path, 150)}` in {label(corpus)}:"
    text = "\n".join([head, *lines])
    if moved and corpus != DEFAULT:
        text += (
            "\nThis server now answers from its own corpus, which starts with this; "
            "what it answered from before is no longer searched here."
        )
    return shorten(text, 1900)


def removed_text(removed: Removed, corpus: str) -> str:
    """What a remove did."""
    return shorten(
        f"Removed **{plain(removed.title or removed.id, 150)}** (`{plain(removed.id, 100)}`, "
        f"file `{plain(removed.path, 150)}`) from {label(corpus)}; it is no longer answered "
        "from.",
        1900,
    )


def add_command(bot: FootnoteBot) -> app_commands.Command:
    """/add file:<attachment> or /add url:<link>: writing added to the server's corpus."""

    @app_commands.command(
        name="add", description="Add an article to this server's corpus: a file or a link (admins)"
    )
    @app_commands.describe(
        file="An article to add: .md, .txt, .html, .pdf, .docx, .rst or .jsonl",
        url="A web page to add; its article is kept with its title, date and link",
    )
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @admins_only(bot.settings)
    async def add(
        interaction: discord.Interaction,
        file: discord.Attachment | None = None,
        url: app_commands.Range[str, 1, MAX_URL] | None = None,
    ) -> None:
        await bot.writer.add(interaction, file, url)

    return add


def remove_command(bot: FootnoteBot) -> app_commands.Command:
    """/remove document:<id>: a document removed from the server's corpus."""

    @app_commands.command(
        name="remove", description="Remove an article from this server's corpus (admins)"
    )
    @app_commands.describe(document="The article to remove: start typing its title or id")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @admins_only(bot.settings)
    async def remove(
        interaction: discord.Interaction, document: app_commands.Range[str, 1, 500]
    ) -> None:
        await bot.writer.remove(interaction, document)

    @remove.autocomplete("document")
    async def documents(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        # Never an error: a failed lookup shows no choices, and the log says why.
        try:
            return await bot.writer.documents(interaction, current)
        except Exception:
            log.exception("document choices failed")
            return []

    return remove
