"""/forget-me: a member deletes every question and vote of theirs the bot keeps."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot import errors
from bot.ask import answer_in_time, reply_privately
from bot.store import StoreError

if TYPE_CHECKING:
    from bot.client import FootnoteBot

log = logging.getLogger("footnote.bot.privacy")


def forgotten_text(answers: int, votes: int, keep_days: int) -> str:
    """What /forget-me deleted, and what the bot keeps otherwise."""
    questions = f"{answers} question{'' if answers == 1 else 's'}"
    rated = f"{votes} vote{'' if votes == 1 else 's'}"
    kept = (
        f"Otherwise questions and votes are kept {keep_days} days, then deleted."
        if keep_days
        else "This bot keeps no questions."
    )
    return f"Done: I deleted {questions} and {rated} of yours, in every server. {kept}"


def forget_me_command(bot: FootnoteBot) -> app_commands.Command:
    """/forget-me: delete the person's questions (with the answers to them) and votes."""

    @app_commands.command(
        name="forget-me", description="Delete every question and vote of yours that I keep"
    )
    async def forget_me(interaction: discord.Interaction) -> None:
        try:
            # A busy store file can hold a write for seconds: defer rather than time out.
            answers, votes = await answer_in_time(
                interaction, bot.store.forget(interaction.user.id), ephemeral=True
            )
        except StoreError as error:
            ident = errors.error_id()
            log.warning("error %s: /forget-me failed: %s", ident, error)
            await reply_privately(
                interaction,
                f"Sorry, your questions and votes could not be deleted just now (error id "
                f"`{ident}`); nothing was changed. Please try again in a minute.",
            )
            return
        log.info("forgot a member: %d answer(s), %d vote(s)", answers, votes)
        await reply_privately(interaction, forgotten_text(answers, votes, bot.settings.keep_days))

    return forget_me
