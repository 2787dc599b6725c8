"""The one place that turns exceptions into replies: known errors as sentences, others as ids."""

from __future__ import annotations

import logging
import secrets

import discord
from discord import app_commands

from bot import render
from bot.ask import reply_privately
from footnote.errors import FootnoteError

log = logging.getLogger("footnote.bot.errors")
NO_MENTIONS = discord.AllowedMentions.none()


def error_id() -> str:
    """A short id to quote in the log and to the person who hit the error."""
    return secrets.token_hex(4)


def reply_text(error: BaseException, where: str) -> str:
    """The sentence to show for an error; unexpected ones are logged with a traceback."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, FootnoteError):
        log.info("%s: %s", where, error)
        return render.error_text(str(error))
    if isinstance(error, app_commands.CheckFailure):
        return render.error_text(str(error) or "You cannot use this command here.")
    ident = error_id()
    log.error("error %s in %s", ident, where, exc_info=error)
    return render.apology(ident)


async def on_interaction_error(
    interaction: discord.Interaction, error: BaseException, where: str | None = None
) -> None:
    """CommandTree.on_error, and a button's: answer the person privately, whether or not
    we deferred (``where`` names the button; a command names itself)."""
    if where is None:
        name = interaction.command.qualified_name if interaction.command else "an interaction"
        where = f"/{name}"
    text = reply_text(error, where)
    try:
        await reply_privately(interaction, text)
    except discord.HTTPException:
        log.exception("could not send the error reply for %s", where)


async def on_message_error(message: discord.Message, error: BaseException) -> None:
    """A listener failed while answering a message: reply to it with the sentence or id."""
    text = reply_text(error, "a message")
    try:
        await message.reply(text, mention_author=False, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException:
        log.exception("could not send the error reply to a message")
