"""Conversations: the question one of the bot's answers answered, and the answer a follow-up
(a reply, or a message in an answer's thread) continues.

An answer is found in the store by its message, or by the answer id its buttons carry. The
embed is read back only for answers the store does not hold: those sent before answers had
ids, and those deleted since (expired, or their asker asked to be forgotten).
"""

from __future__ import annotations

import logging
import re

import discord

from bot.buttons import answer_named_by
from bot.render import ELLIPSIS, FOLLOWING_UP, SEARCHED
from bot.store import BotStore, StoreError
from footnote.answering.followup import conversation

log = logging.getLogger("footnote.bot")

# A backslash before punctuation is escape_markdown's; the zero-width space after "@" is ours.
ESCAPED = re.compile(r"\\([^\w\s])")
HISTORY = 30  # messages of a thread searched for the bot's last answer


def unescape(text: str) -> str:
    """Text as typed, from its escaped form in an embed."""
    return ESCAPED.sub(r"\1", text).replace("@\u200b", "@")


async def asked(message: discord.Message, store: BotStore) -> tuple[str, str | None] | None:
    """The question an answer message answers and the context it leaned on, if it is one:
    from the store, else (an answer it does not hold) read back from the embed."""
    try:
        record = await store.answer_in(message.id)
        named = answer_named_by(message) if record is None else None
        if named is not None:
            record = await store.answer(named)
    except StoreError as error:  # the embed still says what was asked
        log.warning("reading the answer store failed, reading the embed instead: %s", error)
        record = None
    if record is not None:
        return record.question, record.context
    return asked_in(message)


def asked_in(message: discord.Message) -> tuple[str, str | None] | None:
    """The question an answer message shows and the context it leaned on, read from its embed
    (answers from before answer ids, or no longer on record)."""
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


def leaned_on(asked_before: tuple[str, str | None]) -> str:
    """What a follow-up to an answer leans on: its question, after its context."""
    return conversation(*asked_before)


async def thread_answer(
    thread: discord.Thread, me: discord.abc.User, started: set[int], store: BotStore
) -> tuple[str, str | None] | None:
    """What the bot's latest answer in a thread the bot's answer started asked, or None for
    other threads.

    A thread counts when the bot created it, or when it grew from one of the bot's messages
    (seen in this run, or still in the message cache).
    """
    if thread.owner_id != me.id and thread.id not in started:
        return None
    async for message in thread.history(limit=HISTORY):
        if message.author.id == me.id and (found := await asked(message, store)):
            return found
    parent = thread.parent
    if isinstance(parent, discord.TextChannel):
        try:
            starter = await parent.fetch_message(thread.id)
        except discord.HTTPException:
            return None
        if starter.author.id == me.id:
            return await asked(starter, store)
    return None
