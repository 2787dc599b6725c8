"""👍 / 👎 on answers, and why: counted in the bot's store, acknowledged privately.

A vote that cannot be saved (the store file locked by another program, a full disk) is lost
with a private apology and an error id to quote; the answer it was on is never touched.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot import errors
from bot.ask import answer_in_time, reply_privately
from bot.buttons import reason_view
from bot.store import StoreError
from footnote.answerlog.store import REASONS

if TYPE_CHECKING:
    from bot.client import FootnoteBot

log = logging.getLogger("footnote.bot.ratings")
NO_MENTIONS = discord.AllowedMentions.none()
COUNTED_UP = "Thanks: your 👍 is counted. Changed your mind? Press 👎."
COUNTED_DOWN = "Thanks: your 👎 is counted. What was wrong? (optional)"


def not_saved(ident: str) -> str:
    """The apology for a vote or reason the store could not keep."""
    return (
        f"Sorry, your vote could not be saved just now (error id `{ident}`); the answer "
        "stays as it is. Please try again in a minute."
    )


def not_on_record(keep_days: int) -> str:
    """Why a vote on an answer the store does not hold (expired, forgotten, or never
    saved) was not counted."""
    kept = f"answers are kept {keep_days} days" if keep_days else "this bot keeps no answers"
    return (
        f"This answer is not on record ({kept}, and anyone may ask to be forgotten), "
        "so the vote was not counted; ask again to rate a new answer."
    )


class Ratings:
    """Takes votes and reasons from their components; the store does the keeping."""

    def __init__(self, bot: FootnoteBot) -> None:
        self.bot = bot

    async def vote(self, interaction: discord.Interaction, answer_id: str, up: bool) -> None:
        """👍 or 👎: count it (replacing the person's earlier vote) and say so privately."""
        store = self.bot.store
        work = store.vote(answer_id, interaction.user.id, up)
        try:
            # A busy store file can hold a write for seconds: defer rather than time out.
            counted = await answer_in_time(interaction, work, ephemeral=True)
        except StoreError as error:
            await self._apologise(interaction, error)
            return
        log.info("vote %s on answer %s (counted=%s)", "up" if up else "down", answer_id, counted)
        if not counted:
            await reply_privately(interaction, not_on_record(self.bot.settings.keep_days))
        elif up:
            await reply_privately(interaction, COUNTED_UP)
        else:
            await reply_privately(interaction, COUNTED_DOWN, view=reason_view(answer_id))

    async def give_reason(
        self, interaction: discord.Interaction, answer_id: str, reason: str
    ) -> None:
        """The reason chosen after a 👎: kept with the vote; the menu becomes the thanks."""
        if reason not in REASONS:
            reason = "other"
        work = self.bot.store.give_reason(answer_id, interaction.user.id, reason)
        try:
            # Deferred as an update when slow: the menu's message is then edited, not answered.
            kept = await answer_in_time(interaction, work, ephemeral=True, thinking=False)
        except StoreError as error:
            await self._apologise(interaction, error)
            return
        text = (
            f"Thanks: noted, {REASONS[reason]}."
            if kept
            else "Your 👎 on this answer is not on record, so the reason was not kept."
        )
        if interaction.response.is_done():
            await interaction.edit_original_response(content=text, view=None)
        else:
            await interaction.response.edit_message(content=text, view=None)

    async def _apologise(self, interaction: discord.Interaction, error: StoreError) -> None:
        """The vote is lost: log why, tell the person privately, with an id to quote."""
        ident = errors.error_id()
        log.warning("error %s: a vote was not saved: %s", ident, error)
        await reply_privately(interaction, not_saved(ident))
