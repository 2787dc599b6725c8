"""Point the real discord.py client at a :class:`FakeDiscord` and run it for the test."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import discord
import discord.gateway
import discord.http
import yarl

from .server import FakeDiscord


@contextlib.contextmanager
def pointed_at(fake: FakeDiscord) -> Iterator[None]:
    """Send discord.py's REST and gateway traffic to ``fake``; restore the real URLs after."""
    route = discord.http.Route
    websocket = discord.gateway.DiscordWebSocket
    saved = route.BASE, websocket.DEFAULT_GATEWAY
    route.BASE = fake.api_url
    websocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        route.BASE, websocket.DEFAULT_GATEWAY = saved


@contextlib.asynccontextmanager
async def running(
    client: discord.Client,
    fake: FakeDiscord,
    *,
    token: str | None = None,
    timeout: float = 5.0,
) -> AsyncIterator[discord.Client]:
    """Start ``client`` against ``fake``, wait until it is ready, and close it afterwards.

    If the client fails (a rejected token, a disallowed intent, a gateway event it cannot
    parse), its exception is raised here, before or after the test's body.
    """
    with pointed_at(fake):
        task = asyncio.create_task(client.start(token or fake.token), name="discord-client")
        ready = asyncio.create_task(client.wait_until_ready(), name="discord-ready")
        try:
            done, _ = await asyncio.wait(
                {task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if task in done:
                task.result()
                raise RuntimeError("the client stopped before it was ready")
            if not done:
                raise TimeoutError(f"the client was not ready within {timeout}s")
            yield client
        finally:
            ready.cancel()
            await client.close()
            await asyncio.wait_for(task, timeout)
