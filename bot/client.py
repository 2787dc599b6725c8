"""FootnoteBot: the Discord client; gets its settings and corpora, syncs its commands, answers
each server from its own corpus."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator
from typing import Any

import discord
from discord import app_commands

from bot import conversation, errors, pages, render
from bot.adding import Writer, add_command, remove_command
from bot.admin import Reindexer, reindex_command, settings_command
from bot.ask import answer_in_time, ask_command, asked_by, question_in, respond, where
from bot.buttons import ContextButton, MoreButton, ReasonSelect, VoteButton, answer_view
from bot.cooldown import Cooldown
from bot.feeds import FeedWatcher, feeds_command, follow_command, unfollow_command
from bot.info import help_command, sources_command, stats_command
from bot.insights import feedback_command, gaps_command
from bot.invite import invite_url
from bot.memory import settle_memory
from bot.privacy import forget_me_command
from bot.ratings import Ratings
from bot.servers import IDLE_CHECKS, corpora_for, engine_of, may_see
from bot.settings import Settings
from bot.stats import StatsBook
from bot.store import Asked, BotStore, answer_record, new_answer_id
from footnote.answering.answer import Answer
from footnote.answerlog.store import StoreError
from footnote.corpora import DEFAULT, Corpora
from footnote.engine import Engine
from footnote.errors import FootnoteError

log = logging.getLogger("footnote.bot")
NO_MENTIONS = discord.AllowedMentions.none()
THREAD_NAME = 100  # Discord's limit on a thread's name
SHUTDOWN_GRACE = 10.0  # seconds to finish answering before closing anyway
REINDEXED = "The articles were re-indexed since this answer; these passages are from the new index."
PURGE_EVERY = 86400.0  # seconds between deletions of answers older than FOOTNOTE_KEEP_DAYS
ANOTHER_SERVER = "This button belongs to an answer from another server; ask here with /ask."


def intents_for(settings: Settings, message_content: bool = True) -> discord.Intents:
    """Guilds, guild messages and DMs; message content for follow-ups and question channels."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = message_content
    return intents


def intent_names(intents: discord.Intents) -> str:
    """The enabled intents, by name, for the log."""
    return ", ".join(name for name, on in intents if on) or "none"


class FootnoteBot(discord.Client):
    """Answers questions from each server's corpus: /ask, mentions, question channels, DMs,
    follow-ups; `engine` is the default corpus's, `corpora` holds every other."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        corpora: Corpora | None = None,
        message_content: bool = True,
        **options: Any,
    ) -> None:
        options.setdefault("intents", intents_for(settings, message_content))
        super().__init__(allowed_mentions=NO_MENTIONS, **options)
        self.settings = settings
        self.corpora = corpora or corpora_for(settings, engine)
        self.stats = StatsBook()
        self.cooldown = Cooldown(*settings.cooldown) if settings.cooldown else None
        self.reindexer = Reindexer(self)
        self.store = BotStore(settings.state_file(), settings.keep_days)
        self.ratings = Ratings(self)
        self.writer = Writer(self)
        self.feeds = FeedWatcher(self)
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = errors.on_interaction_error  # type: ignore[method-assign]
        for command in (
            ask_command(self),
            sources_command(self),
            stats_command(self),
            help_command(self),
            reindex_command(self),
            settings_command(self),
            gaps_command(self),
            feedback_command(self),
            forget_me_command(self),
            add_command(self),
            remove_command(self),
            follow_command(self),
            unfollow_command(self),
            feeds_command(self),
        ):
            self.tree.add_command(command)
        self.synced: list[app_commands.AppCommand] = []
        self.answer_threads: set[int] = set()  # threads grown from the bot's answers
        self._announced = False
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._watcher: asyncio.Task[None] | None = None
        self._purger: asyncio.Task[None] | None = None
        self._closer: asyncio.Task[None] | None = None
        self._watch_errors: dict[str, str] = {}

    @property
    def engine(self) -> Engine:
        """The default corpus's engine (DMs, and servers with no corpus of their own)."""
        return self.corpora.default

    def corpus_of(self, guild_id: int | None) -> str:
        """The name of the corpus a server answers from (the default in DMs)."""
        return self.corpora.name_for(guild_id)

    async def setup_hook(self) -> None:
        """Register the buttons, sync the commands (to the dev guild if set), start watching."""
        self.add_dynamic_items(MoreButton, ContextButton, VoteButton, ReasonSelect)
        if self.settings.guild_id is not None:
            guild = discord.Object(self.settings.guild_id)
            self.tree.copy_global_to(guild=guild)
            self.synced = await self.tree.sync(guild=guild)
        else:
            self.synced = await self.tree.sync()
        if self.settings.watch_seconds > 0:
            self._watcher = asyncio.create_task(self._watch_index())
        self._purger = asyncio.create_task(self._purge_daily())
        if self.corpora.idle_seconds > 0:
            self._closer = asyncio.create_task(self._close_idle())
        self.feeds.start()

    async def on_ready(self) -> None:
        """Log the start-up summary once."""
        if self._announced:
            return
        self._announced = True
        info = self.engine.info()
        scope = f"to guild {self.settings.guild_id}" if self.settings.guild_id else "globally"
        commands = ", ".join(f"/{c.name}" for c in self.synced) or "none"
        log.info(
            "ready as %s: corpus %s (%d documents, %d passages), servers' own corpora in %s; "
            "commands synced %s: %s; intents: %s; question channels: %d; invite link: %s",
            self.user,
            self.settings.corpus_dir,
            info.counts.get("documents", 0),
            info.counts.get("passages", 0),
            self.settings.corpora_dir or "(none: every server answers from this corpus)",
            scope,
            commands,
            intent_names(self.intents),
            len(self.settings.ask_channel_ids),
            invite_url(self.application_id or getattr(self.user, "id", 0)),
        )

    # -- answering ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _busy(self) -> Iterator[None]:
        """Count work in progress, so a shutdown can wait for it."""
        self._in_flight += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()

    def _wait_for(self, person: int, guild_id: int | None) -> float:
        """Seconds this person must wait before asking again (0: go ahead, counted)."""
        if self.cooldown is None:
            return 0.0
        wait = self.cooldown.retry_after(person)
        if wait:
            self.stats.of(guild_id).cooled_down += 1
        return wait

    def _cooldown_text(self, wait: float) -> str:
        assert self.cooldown is not None
        return pages.cooldown_text(self.cooldown.limit, self.cooldown.window, wait)

    async def answer(
        self,
        engine: Engine,
        question: str,
        k: int,
        via: str,
        *,
        earlier: str | None = None,
        offset: int = 0,
        corpus: str = DEFAULT,
    ) -> Answer:
        """Ask the engine off the event loop, so heartbeats go on; log without the text."""
        answer = await asyncio.to_thread(engine.ask, question, k, earlier=earlier, offset=offset)
        log.info(
            "question via %s: answered=%s passages=%d took=%.1fms follow-up=%s corpus=%s",
            via,
            answer.answered,
            len(answer.passages),
            answer.took_ms,
            answer.context is not None,
            corpus,
        )
        log.debug("question text: %r", question)
        return answer

    def _new_id(self) -> str | None:
        """An id for the answer about to be sent, or None when no answers are kept."""
        return new_answer_id() if self.store.keeps_answers else None

    def _keep(
        self,
        answer_id: str | None,
        answer: Answer,
        asked: Asked,
        generation: str,
        shown: int,
        corpus: str,
        **more: Any,
    ) -> asyncio.Future[None] | None:
        """Start writing the row of an answer about to be sent, with the corpus it came from
        (votes and follow-ups find it by its id); `store.sent` then notes the message it
        became."""
        if answer_id is None:
            return None
        return self.store.keep(
            answer_record(answer_id, answer, asked, generation, shown, corpus=corpus, **more)
        )

    async def answer_interaction(
        self, interaction: discord.Interaction, question: str, k: int, private: bool
    ) -> None:
        """/ask: answer (deferring if slow), with buttons; or say when to ask again."""
        with self._busy():
            started = time.perf_counter()
            asked = asked_by(interaction, "/ask")
            wait = self._wait_for(interaction.user.id, interaction.guild_id)
            if wait:
                await interaction.response.send_message(
                    self._cooldown_text(wait), ephemeral=True, allowed_mentions=NO_MENTIONS
                )
                return
            corpus = self.corpus_of(interaction.guild_id)
            answer, generation = await answer_in_time(
                interaction, self._answer_from(corpus, question, k, "/ask"), private
            )
            answer_id = self._new_id()
            writing = self._keep(answer_id, answer, asked, generation, k, corpus)
            message_id = await respond(
                interaction,
                render.answer_embeds(answer, k),
                private,
                answer_view(answer, generation, k, answer_id=answer_id, corpus=corpus),
            )
            self.stats.of(interaction.guild_id).record(
                answer.answered, (time.perf_counter() - started) * 1000
            )
            await self.store.sent(writing, answer_id, message_id)

    async def _answer_from(
        self,
        corpus: str,
        question: str,
        k: int,
        via: str,
        *,
        earlier: str | None = None,
        offset: int = 0,
    ) -> tuple[Answer, str]:
        """The answer from a corpus (opened first if it is not), and the generation of the
        index it answered from."""
        async with engine_of(self.corpora, corpus) as engine:
            generation = engine.generation
            answer = await self.answer(
                engine, question, k, via, earlier=earlier, offset=offset, corpus=corpus
            )
            return answer, generation

    async def on_message(self, message: discord.Message) -> None:
        """Answer mentions, DMs, question channels and follow-ups; ignore bots and itself."""
        if self.user is None or message.author.bot or message.author.id == self.user.id:
            return
        with self._busy():
            try:
                await self._answer_message(message, self.user)
            except Exception as error:  # the one handler decides what the person sees
                await errors.on_message_error(message, error)

    async def _answer_message(self, message: discord.Message, me: discord.ClientUser) -> None:
        """Work out whether a message asks something, and what it follows up; then answer."""
        started = time.perf_counter()
        question = question_in(message, me, self.settings.ask_channel_ids)
        earlier = await self._followed_up(message, me)
        if question is None and earlier is not None:
            question = " ".join(message.content.split())
        if question is None:
            return
        if not question:
            await message.reply(render.HOW_TO, mention_author=False, allowed_mentions=NO_MENTIONS)
            return
        guild_id = message.guild.id if message.guild else None
        wait = self._wait_for(message.author.id, guild_id)
        if wait:
            await message.reply(
                self._cooldown_text(wait), mention_author=False, allowed_mentions=NO_MENTIONS
            )
            return
        via = "follow-up" if earlier else where(message, me)
        asked = Asked(message.author.id, guild_id, message.channel.id, time.time(), via)
        k = self.settings.results
        corpus = self.corpus_of(guild_id)
        leaned = conversation.leaned_on(earlier) if earlier else None
        answer, generation = await self._answer_from(corpus, question, k, via, earlier=leaned)
        answer_id = self._new_id()
        writing = self._keep(answer_id, answer, asked, generation, k, corpus)
        embeds = render.answer_embeds(answer, k)
        view = answer_view(answer, generation, k, answer_id=answer_id, corpus=corpus)
        target = await self._thread_for(message, question, earlier is not None)
        extra = {"view": view} if view.children else {}
        if target is not None:
            sent = await target.send(embeds=embeds, allowed_mentions=NO_MENTIONS, **extra)
        else:
            sent = await message.reply(
                embeds=embeds, mention_author=False, allowed_mentions=NO_MENTIONS, **extra
            )
        self.stats.of(guild_id).record(answer.answered, (time.perf_counter() - started) * 1000)
        await self.store.sent(writing, answer_id, sent.id)

    async def _followed_up(
        self, message: discord.Message, me: discord.ClientUser
    ) -> tuple[str, str | None] | None:
        """What the bot's answer this message follows up asked: the answer it replies to, or
        its thread's latest; None when it follows up no answer."""
        reference = message.reference
        if reference is not None and isinstance(reference.resolved, discord.Message):
            replied = reference.resolved
            if replied.author.id == me.id:
                return await conversation.asked(replied, self.store)
            return None
        if isinstance(message.channel, discord.Thread):
            return await conversation.thread_answer(
                message.channel, me, self.answer_threads, self.store
            )
        return None

    async def _thread_for(
        self, message: discord.Message, question: str, follows_up: bool
    ) -> discord.Thread | None:
        """A new thread for a mention-question, when this server answers in threads."""
        if (
            follows_up
            or message.guild is None
            or not isinstance(message.channel, discord.TextChannel)
            or not any(u.id == getattr(self.user, "id", None) for u in message.mentions)
            or not self.store.threads(message.guild.id)
        ):
            return None
        try:
            thread = await message.create_thread(
                name=render.shorten(render.visible(question), THREAD_NAME) or "Question"
            )
        except discord.HTTPException as error:
            log.warning("could not start a thread (%s); answering in the channel", error.text)
            return None
        self.answer_threads.add(thread.id)
        return thread

    async def on_thread_create(self, thread: discord.Thread) -> None:
        """Remember threads that grow from the bot's own answers: follow-ups happen there."""
        starter = self._connection._get_message(thread.id)
        if starter is not None and self.user is not None and starter.author.id == self.user.id:
            self.answer_threads.add(thread.id)

    # -- buttons ------------------------------------------------------------------------------

    async def show_more(
        self,
        interaction: discord.Interaction,
        generation: str,
        offset: int,
        k: int,
        parent_id: str | None,
        corpus: str = DEFAULT,
    ) -> None:
        """More: the next k passages for the question of the pressed answer, from the corpus
        that answer came from, privately."""
        with self._busy():
            if not may_see(corpus, interaction.guild_id):
                await interaction.response.send_message(
                    ANOTHER_SERVER, ephemeral=True, allowed_mentions=NO_MENTIONS
                )
                return
            wait = self._wait_for(interaction.user.id, interaction.guild_id)
            asked = await self._asked_for_more(interaction, parent_id) if not wait else None
            if wait or asked is None:
                text = (
                    self._cooldown_text(wait)
                    if wait
                    else "This message no longer shows its question; ask it again with /ask."
                )
                await interaction.response.send_message(
                    text, ephemeral=True, allowed_mentions=NO_MENTIONS
                )
                return
            question, context = asked
            pressed = asked_by(interaction, "more")
            answer, now = await answer_in_time(
                interaction,
                self._answer_from(corpus, question, k, "more", earlier=context, offset=offset),
                True,
            )
            if not answer.passages:
                await respond(
                    interaction,
                    [discord.Embed(description="No more passages for this question.")],
                    True,
                )
                return
            note = REINDEXED if now != generation else f"More passages ({offset + 1}–)"
            answer_id = self._new_id()
            writing = self._keep(
                answer_id,
                answer,
                pressed,
                now,
                k,
                corpus,
                parent_id=parent_id,
                first_rank=offset + 1,
            )
            message_id = await respond(
                interaction,
                render.answer_embeds(answer, k, note=note),
                True,
                answer_view(answer, now, k, offset, answer_id, corpus),
            )
            await self.store.sent(writing, answer_id, message_id)

    async def _asked_for_more(
        self, interaction: discord.Interaction, answer_id: str | None
    ) -> tuple[str, str | None] | None:
        """The question and context of the answer More was pressed under: from its row, else
        (a button from before answer ids, or a row since deleted) read from the message."""
        if answer_id is not None:
            try:
                record = await self.store.answer(answer_id)
            except StoreError as error:
                log.warning("reading the answer store failed, reading the embed: %s", error)
                record = None
            if record is not None:
                return record.question, record.context
        return conversation.asked_in(interaction.message) if interaction.message else None

    async def show_context(
        self,
        interaction: discord.Interaction,
        generation: str,
        doc: str,
        first: int,
        last: int,
        corpus: str = DEFAULT,
    ) -> None:
        """Context: the paragraphs before and after a quoted passage of the corpus the answer
        came from, privately."""
        with self._busy():
            if not may_see(corpus, interaction.guild_id):
                await interaction.response.send_message(
                    ANOTHER_SERVER, ephemeral=True, allowed_mentions=NO_MENTIONS
                )
                return
            try:
                async with engine_of(self.corpora, corpus) as engine:
                    around = await asyncio.to_thread(
                        engine.context_of, doc, first, last, 1, generation
                    )
            except FootnoteError as error:
                await interaction.response.send_message(
                    render.error_text(str(error)), ephemeral=True, allowed_mentions=NO_MENTIONS
                )
                return
            await interaction.response.send_message(
                embed=pages.context_embed(around, first, last),
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )

    # -- the index on disk, and stopping ---------------------------------------------------------

    async def _watch_index(self) -> None:
        """Switch each open corpus to an index rebuilt on disk by `footnote index`, checking
        now and then."""
        while not self.is_closed():
            await asyncio.sleep(self.settings.watch_seconds)
            for name, engine in self.corpora.opened().items():
                await self._refresh(name, engine)

    async def _refresh(self, name: str, engine: Engine) -> None:
        """Switch one corpus to an index published on disk, unless it is being written here
        (our own rebuilds and updates switch when they are done)."""
        lock = self.corpora.writing(name)
        if not lock.acquire(blocking=False):
            return

        def refresh() -> bool:
            try:
                return engine.refresh()
            finally:
                lock.release()

        try:
            switched = await asyncio.to_thread(refresh)
        except FootnoteError as error:
            if str(error) != self._watch_errors.get(name):  # once, not every few seconds
                log.warning(
                    "the index of corpus %s on disk cannot be used, still serving: %s",
                    name,
                    error,
                )
            self._watch_errors[name] = str(error)
            return
        except Exception:  # the watcher must outlive any surprise; say it, look again later
            log.error(
                "error %s while looking at the index on disk", errors.error_id(), exc_info=True
            )
            return
        self._watch_errors.pop(name, None)
        if switched:
            settle_memory()
            counts = engine.info().counts
            log.info(
                "switched corpus %s to the index rebuilt on disk: %d documents, %d passages",
                name,
                counts.get("documents", 0),
                counts.get("passages", 0),
            )

    async def _close_idle(self) -> None:
        """Close the corpora no one asked for in FOOTNOTE_IDLE_MINUTES (never the default)."""
        while not self.is_closed():
            await asyncio.sleep(self.corpora.idle_seconds / IDLE_CHECKS)
            try:
                closed = await asyncio.to_thread(self.corpora.close_idle)
            except Exception:  # the closer must outlive any surprise; say it, try again later
                log.error("error %s closing idle corpora", errors.error_id(), exc_info=True)
                continue
            if closed:
                settle_memory()

    async def shut_down(self, grace: float = SHUTDOWN_GRACE) -> None:
        """Finish the answers in progress (up to `grace` seconds), then close the connection."""
        log.info("shutting down: finishing %d answer(s) in progress", self._in_flight)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), grace)
        await self.close()

    async def _purge_daily(self) -> None:
        """Delete answers and votes older than FOOTNOTE_KEEP_DAYS now, then once a day."""
        while not self.is_closed():
            try:
                purged = await self.store.purge()
            except StoreError as error:
                log.warning("old answers could not be deleted now, trying again later: %s", error)
            except Exception:  # the purge must outlive any surprise; say it, try again later
                log.error("error %s deleting old answers", errors.error_id(), exc_info=True)
            else:
                if purged:
                    log.info(
                        "deleted %d answer(s) older than %d day(s)",
                        purged,
                        self.settings.keep_days,
                    )
            await asyncio.sleep(PURGE_EVERY)

    async def close(self) -> None:
        """Stop the background work, close the connection, then the store file."""
        self.feeds.stop()
        for task in (self._watcher, self._purger, self._closer):
            if task is not None:
                task.cancel()
        await super().close()
        self.store.close()

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        """Any other failing event: logged with an error id; the bot keeps running."""
        log.error("error %s in %s", errors.error_id(), event_method, exc_info=True)
