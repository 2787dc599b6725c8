"""Building and running the bot: the factory `python -m bot` and the end-to-end tests share."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl

from bot.client import FootnoteBot
from bot.settings import Settings
from footnote.build import BuildReport
from footnote.engine import Engine
from footnote.errors import FootnoteError

log = logging.getLogger("footnote.bot")
EXIT_USAGE = 2
PORTAL = "https://discord.com/developers/applications"


def point_discord_at(settings: Settings) -> None:
    """Send discord.py's REST and gateway traffic where the settings say (proxy, test server)."""
    if settings.api_base_url:
        discord.http.Route.BASE = settings.api_base_url
    if settings.gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


def open_engine(settings: Settings) -> tuple[Engine, BuildReport | None]:
    """The engine over the configured corpus, built when missing or stale, warmed up."""
    engine, report = Engine.open(settings.engine_config())
    engine.warm_up()  # a large index's first answer would otherwise load the kernel (~1 s)
    return engine, report


def create_bot(
    settings: Settings, engine: Engine, *, message_content: bool = True, **options: Any
) -> FootnoteBot:
    """The bot, pointed at the configured Discord, with its dependencies."""
    point_discord_at(settings)
    return FootnoteBot(settings, engine, message_content=message_content, **options)


async def serve(settings: Settings, engine: Engine, **options: Any) -> None:
    """Run the bot until it is closed; without message content if Discord refuses that intent."""
    bot = create_bot(settings, engine, **options)
    try:
        async with bot:
            await bot.start(settings.token)
    except discord.PrivilegedIntentsRequired:
        if not bot.intents.message_content:
            raise
        log.error(
            "Discord refused the Message Content intent, which question channels need: enable "
            "it at %s > your app > Bot > Privileged Gateway Intents. Until then /ask, mentions "
            "and DMs still work; reconnecting without it.",
            PORTAL,
        )
        bot = create_bot(settings, engine, message_content=False, **options)
        async with bot:
            await bot.start(settings.token)


def fail(message: str) -> int:
    """Print one line on stderr; the start-up failed."""
    print(f"footnote-bot: {message}", file=sys.stderr)
    return EXIT_USAGE


async def start(settings: Settings, **options: Any) -> int:
    """Open the index, then connect and answer until stopped; returns the exit status."""
    try:
        engine, report = await asyncio.to_thread(open_engine, settings)
    except FootnoteError as error:
        return fail(str(error))
    if report is not None:
        log.info(
            "indexed %d documents, %d passages in %.2fs",
            report.documents,
            report.passages,
            report.seconds,
        )
    try:
        await serve(settings, engine, **options)
    except discord.LoginFailure:
        return fail(
            "Discord rejected DISCORD_TOKEN; copy the token again from the Bot page of "
            f"your app at {PORTAL}."
        )
    except discord.PrivilegedIntentsRequired:
        return fail(f"Discord refused a privileged intent; enable it at {PORTAL}.")
    return 0
