"""Building and running the bot: the factory `python -m bot` and the end-to-end tests share."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl

from bot.client import FootnoteBot
from bot.logs import show_retried_errors
from bot.memory import settle_memory
from bot.settings import Settings
from footnote.engine import Engine
from footnote.errors import FootnoteError
from footnote.retrieval.embedded.build import BuildReport

log = logging.getLogger("footnote.bot")
EXIT_USAGE = 2
PORTAL = "https://discord.com/developers/applications"


def point_discord_at(settings: Settings) -> None:
    """Send discord.py's REST and gateway traffic where the settings say (proxy, test server)."""
    if settings.api_base_url:
        discord.http.Route.BASE = settings.api_base_url
    if settings.gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


def open_engine(settings: Settings, rebuild: bool = False) -> tuple[Engine, BuildReport | None]:
    """The engine over the configured corpus, built when missing, stale or asked, warmed up."""
    engine, report = Engine.open(settings.engine_config(), rebuild)
    engine.warm_up()  # a large index's first answer would otherwise load the kernel (~1 s)
    gc.collect()  # before connecting, so no answer waits for it
    settle_memory()
    return engine, report


class ShardedFootnoteBot(FootnoteBot, discord.AutoShardedClient):
    """The bot on the gateway shards this process was given (FOOTNOTE_SHARD_IDS/COUNT)."""


def create_bot(
    settings: Settings, engine: Engine, *, message_content: bool = True, **options: Any
) -> FootnoteBot:
    """The bot, pointed at the configured Discord, with its dependencies."""
    point_discord_at(settings)
    show_retried_errors()
    if settings.shards is None:
        return FootnoteBot(settings, engine, message_content=message_content, **options)
    options.setdefault("shard_count", settings.shards.count)
    if settings.shards.ids is not None:
        options.setdefault("shard_ids", list(settings.shards.ids))
    log.info("connecting %s", settings.shards.describe())
    return ShardedFootnoteBot(settings, engine, message_content=message_content, **options)


async def serve(
    settings: Settings, engine: Engine, stop: asyncio.Event | None = None, **options: Any
) -> None:
    """Run the bot until it is closed or `stop` is set; without message content if refused."""
    bot = create_bot(settings, engine, **options)
    try:
        await run_until(bot, settings, stop)
    except discord.PrivilegedIntentsRequired:
        if not bot.intents.message_content:
            raise
        log.error(
            "Discord refused the Message Content intent, which question channels and "
            "follow-ups in threads need: enable it at %s > your app > Bot > Privileged Gateway "
            "Intents. Until then /ask, mentions, replies that mention the bot and DMs still "
            "work; reconnecting without it.",
            PORTAL,
        )
        bot = create_bot(settings, engine, message_content=False, **options)
        await run_until(bot, settings, stop)


async def run_until(bot: FootnoteBot, settings: Settings, stop: asyncio.Event | None) -> None:
    """Connect and answer until the connection ends, or `stop` is set (then shut down cleanly)."""
    async with bot:
        running = asyncio.create_task(bot.start(settings.token))
        waits: set[asyncio.Future[Any]] = {running}
        if stop is not None:
            waits.add(asyncio.ensure_future(stop.wait()))
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        if not running.done():
            await bot.shut_down()
        for task in waits:
            if task is not running:
                task.cancel()
        await running


def stop_on_signal(stop: asyncio.Event, signal_number: int) -> None:
    """SIGINT or SIGTERM: finish answering, close the connection, exit 0."""
    log.info("%s received: stopping", signal.Signals(signal_number).name)
    stop.set()


def fail(message: str) -> int:
    """Print one line on stderr; the start-up failed."""
    print(f"footnote-bot: {message}", file=sys.stderr)
    return EXIT_USAGE


def check(settings: Settings, rebuild: bool = False) -> int:
    """`footnote-bot --check`: open (or build) the index and say what it holds; no Discord."""
    try:
        engine, report = Engine.open(settings.engine_config(), rebuild)
    except FootnoteError as error:
        return fail(str(error))
    info = engine.info()
    built = f"built now in {report.seconds:.1f}s" if report else f"built {info.created}"
    print(
        f"footnote-bot: ready to answer from {settings.corpus_dir}: "
        f"{info.counts.get('documents', 0)} document(s), {info.counts.get('passages', 0)} "
        f"passage(s), {built} (index {info.location})"
    )
    return 0


async def start(settings: Settings, rebuild: bool = False, **options: Any) -> int:
    """Open the index, then connect and answer until stopped; returns the exit status."""
    try:
        engine, report = await asyncio.to_thread(open_engine, settings, rebuild)
    except FootnoteError as error:
        return fail(str(error))
    if report is not None:
        log.info(
            "indexed %d documents, %d passages in %.2fs",
            report.documents,
            report.passages,
            report.seconds,
        )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop_on_signal, stop, signal_number)
    try:
        await serve(settings, engine, stop, **options)
    except discord.LoginFailure:
        return fail(
            "Discord rejected DISCORD_TOKEN; copy the token again from the Bot page of "
            f"your app at {PORTAL}."
        )
    except discord.PrivilegedIntentsRequired:
        return fail(f"Discord refused a privileged intent; enable it at {PORTAL}.")
    except FootnoteError as error:
        return fail(str(error))
    finally:
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signal_number)
    return 0
