"""A fake Discord (REST + gateway on 127.0.0.1) that the real discord.py client can talk to.

A test starts the real client against it, acts as people do, and awaits what the bot sends::

    async def test_mention_is_answered(fake_discord: FakeDiscord) -> None:
        bot = MyBot(intents=..., guild_ready_timeout=0.05)
        async with running(bot, fake_discord):
            general = fake_discord.channel("general")
            await fake_discord.user_message(general, f"{fake_discord.bot_user.mention} hi")
            reply = await fake_discord.wait_for_request(
                lambda r: r.method == "POST" and r.route == "/channels/{channel_id}/messages"
            )
        assert reply.json["allowed_mentions"] == {"parse": []}

Modules: ``server`` (FakeDiscord: HTTP pipeline, recording, waiting, faults), ``rest`` (route
handlers), ``gateway`` (the websocket), ``messages``, ``people`` and ``tracking`` (mixins:
message state, acting as people, and which replies answer which question), ``model`` (the
world and Discord's payloads), ``spec`` (OpenAPI validation), ``records`` (what is recorded),
``client`` (pointing discord.py at the fake).
"""

from .gateway import (
    DIRECT_MESSAGES,
    GUILD_MEMBERS,
    GUILD_MESSAGES,
    GUILD_PRESENCES,
    GUILDS,
    MESSAGE_CONTENT,
    PRIVILEGED_INTENTS,
    Connection,
    Heartbeat,
)
from .model import Channel, Guild, Member, Overwrite, Role, User, World
from .records import Fault, InteractionRecord, RecordedRequest, Violation
from .server import DEFAULT_TOKEN, FakeDiscord, load_spec
from .spec import SPEC_PATH, OpenApiSpec
from .tracking import PING_SYNTAX, Reply

__all__ = [
    "DEFAULT_TOKEN",
    "DIRECT_MESSAGES",
    "GUILDS",
    "GUILD_MEMBERS",
    "GUILD_MESSAGES",
    "GUILD_PRESENCES",
    "MESSAGE_CONTENT",
    "PING_SYNTAX",
    "PRIVILEGED_INTENTS",
    "SPEC_PATH",
    "Channel",
    "Connection",
    "FakeDiscord",
    "Fault",
    "Guild",
    "Heartbeat",
    "InteractionRecord",
    "Member",
    "OpenApiSpec",
    "Overwrite",
    "RecordedRequest",
    "Reply",
    "Role",
    "User",
    "Violation",
    "World",
    "load_spec",
]
