"""The bot's side of the answer store (footnote.answerlog.store): server settings read from
memory, and every read and write of the store (an SQLite file, or a PostgreSQL database shared
by several bot processes) done off the event loop.

Writes go through one thread of their own, in the order they were made: an answer's row is
always written before a vote on it, and a write waiting on a locked file or a slow database
never holds up an answer (the answer is sent first) nor the threads the engine answers in.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from footnote.answering.answer import Answer
from footnote.answerlog.store import (
    AnswerRecord,
    AnswerStore,
    FeedRecord,
    ShownPassage,
    StoreError,
    Vote,
)

log = logging.getLogger("footnote.bot.store")
T = TypeVar("T")
__all__ = ["Asked", "BotStore", "FeedRecord", "StoreError", "new_answer_id"]


def new_answer_id() -> str:
    """Twelve random hex digits: an answer's id, short enough for a button's custom id."""
    return secrets.token_hex(6)


@dataclass(frozen=True)
class Asked:
    """Where and by whom a question was asked, and when (for the answer's row)."""

    user_id: int
    guild_id: int | None
    channel_id: int | None
    at: float
    via: str


def answer_record(
    answer_id: str,
    answer: Answer,
    asked: Asked,
    generation: str,
    shown: int,
    parent_id: str | None = None,
    first_rank: int = 1,
    corpus: str | None = None,
) -> AnswerRecord:
    """The row of an answer about to be sent, with the passages it shows (none when
    declined) and the corpus it came from; `BotStore.sent` adds the message it became."""
    passages = answer.passages[:shown] if answer.answered else []
    return AnswerRecord(
        id=answer_id,
        guild_id=asked.guild_id,
        channel_id=asked.channel_id,
        user_id=asked.user_id,
        asked_at=asked.at,
        question=answer.question,
        context=answer.context,
        via=asked.via,
        generation=generation,
        answered=answer.answered,
        took_ms=answer.took_ms,
        passages=tuple(ShownPassage.of(m) for m in passages),
        first_rank=first_rank,
        parent_id=parent_id,
        corpus=corpus,
    )


class BotStore:
    """The store, with each server's settings held in memory; async, off the loop."""

    def __init__(self, location: Path | str, keep_days: int) -> None:
        self.keep_days = keep_days
        self._store = AnswerStore(location)
        self.where = self._store.where  # the file, or the database's URL without its password
        self._threads = self._store.server_threads()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="footnote-store")
        self._closed = False

    @property
    def keeps_answers(self) -> bool:
        """Whether answers are kept at all (FOOTNOTE_KEEP_DAYS is not 0)."""
        return self.keep_days > 0

    def _submit(self, work: Callable[..., T], *args: object) -> asyncio.Future[T]:
        """Queue a write on the store's own thread, in order; a StoreError once it is closed
        (an answer finishing while the bot stops)."""
        if self._closed:
            raise StoreError("The bot is stopping, so this was not saved; try again shortly.")
        return asyncio.get_running_loop().run_in_executor(self._writer, work, *args)

    async def _write(self, work: Callable[..., T], *args: object) -> T:
        """Run a write on the store's own thread, in order, and wait for it."""
        return await self._submit(work, *args)

    async def _read(self, work: Callable[..., T], *args: object) -> T:
        """Run a read in a worker thread (a write may hold the file for a moment)."""
        return await asyncio.to_thread(work, *args)

    # -- server settings ----------------------------------------------------------------------

    def threads(self, guild_id: int) -> bool:
        """Whether mention-questions in this server are answered in a new thread."""
        return self._threads.get(guild_id, False)

    async def set_threads(self, guild_id: int, on: bool) -> None:
        """Answer mention-questions in this server in threads, or not (kept on disk)."""
        await self._write(self._store.set_threads, guild_id, on)
        self._threads[guild_id] = on

    # -- answers ------------------------------------------------------------------------------

    def keep(self, answer: AnswerRecord) -> asyncio.Future[None] | None:
        """Start writing an answer's row now, before the answer is sent: writes run in order,
        so a vote pressed the moment the answer shows is written after it. Await the result
        with `sent`; None when no answers are kept."""
        if not self.keeps_answers:
            return None
        try:
            return self._submit(self._store.record, answer)
        except StoreError as error:
            log.warning("answer %s is sent but not recorded: %s", answer.id, error)
            return None

    async def sent(
        self, writing: asyncio.Future[None] | None, answer_id: str, message_id: int | None
    ) -> None:
        """The answer was sent as this message: note it, queued behind the row's write, and
        wait for both. A failure is logged; the answer stands."""
        if writing is None:
            return
        writes = [writing]
        try:
            if message_id is not None:
                # Queued at once, behind the row's write: a stop that begins now still makes it.
                writes.append(self._submit(self._store.set_message, answer_id, message_id))
        except StoreError as error:
            log.warning("answer %s was sent but its message not noted: %s", answer_id, error)
        for outcome in await asyncio.gather(*writes, return_exceptions=True):
            if isinstance(outcome, StoreError):
                log.warning("answer %s was sent but not recorded: %s", answer_id, outcome)
            elif isinstance(outcome, BaseException):
                raise outcome

    async def answer(self, answer_id: str) -> AnswerRecord | None:
        """The answer with this id, if it is on record."""
        return await self._read(self._store.answer, answer_id)

    async def answer_in(self, message_id: int) -> AnswerRecord | None:
        """The answer a message holds, if it is on record."""
        return await self._read(self._store.answer_in, message_id)

    async def vote(self, answer_id: str, user_id: int, up: bool) -> bool:
        """Count a vote (replacing the person's earlier one); False if the answer is gone."""
        return await self._write(self._store.vote, answer_id, user_id, up, None)

    async def give_reason(self, answer_id: str, user_id: int, reason: str) -> bool:
        """Keep why a person voted an answer down; False if they have no vote down on it."""
        return await self._write(self._store.give_reason, answer_id, user_id, reason)

    async def forget(self, user_id: int) -> tuple[int, int]:
        """Delete a person's questions and votes: how many of each."""
        return await self._write(self._store.forget, user_id)

    async def purge(self) -> int:
        """Delete answers older than the days kept (all of them when none are kept)."""
        return await self._write(self._store.purge, self.keep_days)

    async def history(self, since: float, guild_id: int) -> tuple[list[AnswerRecord], list[Vote]]:
        """A server's answers asked since a moment, and the votes on them."""
        return await self._read(self._store.history, since, guild_id)

    # -- feeds --------------------------------------------------------------------------------

    async def follow(self, guild_id: int, url: str, corpus: str, user_id: int) -> bool:
        """Follow a feed in a server, into `corpus`; False when it is followed already."""
        return await self._write(self._store.follow, guild_id, url, corpus, user_id, None)

    async def unfollow(self, guild_id: int, url: str) -> bool:
        """Stop following a feed in a server; False when it was not followed."""
        return await self._write(self._store.unfollow, guild_id, url)

    async def feeds(self, guild_id: int | None = None) -> list[FeedRecord]:
        """The feeds followed in a server (or in all), oldest followed first."""
        return await self._read(self._store.feeds, guild_id)

    async def feed_checked(
        self, guild_id: int, url: str, at: float, error: str | None, seen: Iterable[str]
    ) -> None:
        """Note a feed's check: when, its failure if any, the entry ids seen so far."""
        await self._write(self._store.feed_checked, guild_id, url, at, error, tuple(seen))

    def close(self) -> None:
        """Finish the writes queued, then close the store."""
        self._closed = True
        self._writer.shutdown(wait=True)
        self._store.close()
