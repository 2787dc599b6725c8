"""Conversations: reading the question back from one of the bot's answers, and finding the
answer a follow-up (a reply, or a message in an answer's thread) continues."""

from __future__ import annotations

import re

import discord

from bot.render import ELLIPSIS, FOLLOWING_UP, SEARCHED
from footnote.answering.followup import conversation

# A backslash before punctuation is escape_markdown's; the zero-width space after "@" is ours.
ESCAPED = re.compile(r"\\([^\w\s])")
HISTORY = 30  # messages of a thread searched for the bot's last answer


def unescape(text: str) -> str:
    """Text as typed, from its escaped form in an embed."""
    return ESCAPED.sub(r"\1", text).replace("@\u200b", "@")


def asked_in(message: discord.Message) -> tuple[str, str | None] | None:
    """The question an answer message answers and the context it leaned on, if it is one."""
    return asked_by(message.embeds)


def asked_by(embeds: list[discord.Embed]) -> tuple[str, str | None] | None:
    """The question and context that answer embeds show, or None for any other embeds."""
    if not embeds or not (embeds[-1].footer.text or "").startswith(SEARCHED):
        return None  # not an answer (a list of sources, a rebuild report, ...)
    embed = embeds[0]
    if not embed.title:
        return None
    question = unescape(embed.title).removesuffix(ELLIPSIS).strip()
    name = embed.author.name if embed.author else None
    context = name[len(FOLLOWING_UP) :].removesuffix(ELLIPSIS).strip() if name else None
    if name and not name.startswith(FOLLOWING_UP):
        context = None
    return question, context or None


def leaned_on(message: discord.Message) -> str | None:
    """What a follow-up to this answer message leans on: its question, after its context."""
    asked = asked_in(message)
    return conversation(*asked) if asked else None


async def thread_answer(
    thread: discord.Thread, me: discord.abc.User, started: set[int]
) -> discord.Message | None:
    """The bot's latest answer in a thread the bot's answer started, or None for other threads.

    A thread counts when the bot created it, or when it grew from one of the bot's messages
    (seen in this run, or still in the message cache).
    """
    if thread.owner_id != me.id and thread.id not in started:
        return None
    async for message in thread.history(limit=HISTORY):
        if message.author.id == me.id and asked_in(message):
            return message
    parent = thread.parent
    if isinstance(parent, discord.TextChannel):
        try:
            starter = await parent.fetch_message(thread.id)
        except discord.HTTPException:
            return None
        if starter.author.id == me.id and asked_in(starter):
            return starter
    return None
