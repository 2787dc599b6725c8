"""Which corpus each server answers from: the registry of corpora built from the settings,
the names people read, and which corpora a server may be shown."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from bot.settings import Settings
from footnote.corpora import DEFAULT, Corpora
from footnote.engine import Engine

IDLE_CHECKS = 4  # looks for idle engines per idle time


def corpora_for(settings: Settings, default: Engine) -> Corpora:
    """The corpora of the settings, the default one being the engine already open."""
    return Corpora(
        settings.engine_config(),
        root=settings.corpora_dir,
        shared=dict(settings.server_corpora),
        idle_seconds=settings.idle_minutes * 60,
        default=default,
    )


def label(name: str) -> str:
    """A corpus as people read it."""
    if name == DEFAULT:
        return "the default corpus"
    if name.isdigit():
        return "this server's own corpus"
    return f"the shared corpus “{name}”"


def may_see(name: str, guild_id: int | None) -> bool:
    """Whether a server may be shown a corpus: the default, a shared one, or its own; never
    another server's own (a button's custom id is not trusted to say so)."""
    return name == DEFAULT or not name.isdigit() or name == str(guild_id)


@contextlib.asynccontextmanager
async def engine_of(corpora: Corpora, name: str) -> AsyncIterator[Engine]:
    """A corpus's engine, kept open while the block runs; opened off the event loop (it may
    have to build its index) when it is not open yet."""
    engine = corpora.try_acquire(name)
    if engine is None:
        engine = await asyncio.to_thread(corpora.acquire, name)
    try:
        yield engine
    finally:
        corpora.release(name)
