"""The fake Discord works with the real discord.py client (a tiny bot written here, not Footnote).

Each test starts a real ``discord.Client`` against the fake on 127.0.0.1 and drives it as a
person would; every wait is bounded, so a broken fake fails fast instead of hanging.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from .fakediscord import FakeDiscord, OpenApiSpec, RecordedRequest
from .fakediscord.client import pointed_at, running

MESSAGES_ROUTE = "/channels/{channel_id}/messages"
SYNC_ROUTE = "/applications/{application_id}/guilds/{guild_id}/commands"
WORDS = ("pang", "ping", "pong")


class AgainButton(discord.ui.View):
    """One button that edits the message it is on."""

    @discord.ui.button(label="Again", custom_id="ping:again")
    async def again(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        """Answer the press by updating the message (callback type 7)."""
        await interaction.response.edit_message(content=f"pressed by {interaction.user.name}")

    @discord.ui.button(label="Later", custom_id="ping:later")
    async def later(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        """Acknowledge the press (callback type 6), then edit the message."""
        await interaction.response.defer()
        await interaction.edit_original_response(content="done later", view=None)


class PingBot(discord.Client):
    """A minimal bot: /ping with a described, autocompleted option, and replies to mentions."""

    def __init__(self, sync_guild: int | None = None, **options: Any) -> None:
        intents = discord.Intents.default()
        intents.message_content = True
        options.setdefault("intents", intents)
        super().__init__(guild_ready_timeout=0.05, **options)
        self.tree = app_commands.CommandTree(self)
        self.sync_guild = sync_guild
        self.synced: list[app_commands.AppCommand] = []
        self.resumed = asyncio.Event()
        self.last_interaction: discord.Interaction | None = None

        @self.tree.command(description="Check that the bot answers")
        @app_commands.describe(text="What to echo back", defer="Defer first, then follow up")
        async def ping(interaction: discord.Interaction, text: str, defer: bool = False) -> None:
            self.last_interaction = interaction
            if defer:
                await interaction.response.defer(thinking=True)
                await asyncio.sleep(0.05)
                await interaction.followup.send(f"late pong: {text}")
            else:
                await interaction.response.send_message(f"pong: {text}", view=AgainButton())

        @ping.autocomplete("text")
        async def suggest(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            return [app_commands.Choice(name=w, value=w) for w in WORDS if w.startswith(current)]

    async def setup_hook(self) -> None:
        """Sync the commands to the test guild, as a development bot does."""
        if self.sync_guild is not None:
            guild = discord.Object(self.sync_guild)
            self.tree.copy_global_to(guild=guild)
            self.synced = await self.tree.sync(guild=guild)

    async def on_message(self, message: discord.Message) -> None:
        """Reply to mentions and DMs without pinging anyone; start a thread when asked."""
        if message.author.bot:
            return
        if isinstance(message.channel, discord.DMChannel):
            await message.channel.send(f"dm pong: {message.content}")
        elif self.user in message.mentions:
            if "thread" in message.content:
                thread = await message.create_thread(name="Footnote answers")
                await thread.send("pong in a thread")
            else:
                await message.reply("pong", allowed_mentions=discord.AllowedMentions.none())

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Re-identify at once (discord.py waits 5 s before every IDENTIFY but the first)."""

    async def on_resumed(self) -> None:
        """Note that the gateway session was resumed."""
        self.resumed.set()


def bot_for(fake: FakeDiscord, **options: Any) -> PingBot:
    """A PingBot that syncs its commands to the fake's guild."""
    return PingBot(sync_guild=fake.guild.id, **options)


def posted_to(channel_id: int) -> Callable[[RecordedRequest], bool]:
    """A predicate for the bot's POST to a channel's messages."""
    return lambda r: r.method == "POST" and r.path == f"/channels/{channel_id}/messages"


async def test_login_ready_and_guild_available(fake_discord: FakeDiscord) -> None:
    """The client logs in, gets READY and the guild with its channels, roles and members."""
    bot = bot_for(fake_discord)
    async with running(bot, fake_discord):
        assert bot.user is not None and bot.user.id == fake_discord.bot_user.id
        assert bot.application_id == fake_discord.world.application_id
        guild = bot.get_guild(fake_discord.guild.id)
        assert guild is not None and not guild.unavailable
        assert guild.me is not None and guild.me.id == fake_discord.bot_user.id
        assert {c.name for c in guild.text_channels} == {"general", "questions", "locked"}
        assert {r.name for r in guild.roles} >= {"@everyone", "Admin", "Footnote"}
        assert guild.get_member(fake_discord.user("alice").id) is None  # no presences intent
        alice = await guild.fetch_member(fake_discord.user("alice").id)
        assert alice.guild_permissions.administrator and alice.name == "alice"
        locked = guild.get_channel(fake_discord.channel("locked").id)
        assert isinstance(locked, discord.TextChannel)
        assert not locked.permissions_for(guild.me).send_messages
    paths = [r.path for r in fake_discord.requests]
    assert paths[:2] == ["/users/@me", "/oauth2/applications/@me"]
    assert fake_discord.intents == bot.intents.value
    assert (
        fake_discord.identify is not None and fake_discord.identify["token"] == fake_discord.token
    )


async def test_tree_sync_puts_commands_to_the_guild(fake_discord: FakeDiscord) -> None:
    """tree.sync(guild=...) PUTs /ping with its described option; the ids come back."""
    bot = bot_for(fake_discord)
    async with running(bot, fake_discord):
        request = await fake_discord.wait_for_request(lambda r: r.route == SYNC_ROUTE)
    assert request.method == "PUT"
    assert request.params["guild_id"] == str(fake_discord.guild.id)
    (command,) = request.json
    assert command["name"] == "ping" and command["description"] == "Check that the bot answers"
    options = {o["name"]: o for o in command["options"]}
    assert options["text"]["description"] == "What to echo back"
    assert options["text"]["autocomplete"] is True
    assert [c.name for c in bot.synced] == ["ping"]
    assert bot.synced[0].id == int(fake_discord.commands[fake_discord.guild.id][0]["id"])


async def test_slash_command_answered_with_a_message(fake_discord: FakeDiscord) -> None:
    """/ping is answered with a type 4 callback carrying the message, without a token."""
    bot = bot_for(fake_discord)
    async with running(bot, fake_discord):
        interaction = await fake_discord.slash_command("ping", {"text": "hello"})
        reply = await fake_discord.wait_for_reply(interaction)
    assert reply["content"] == "pong: hello"
    assert reply["interaction_metadata"]["user"]["username"] == "alice"
    assert reply["components"][0]["components"][0]["custom_id"] == "ping:again"
    callback = await fake_discord.wait_for_request(lambda r: (r.route or "").endswith("/callback"))
    assert callback.json["type"] == 4
    assert callback.query == {"with_response": "1"}
    assert "Authorization" not in callback.headers


async def test_slash_command_deferred_then_followed_up(fake_discord: FakeDiscord) -> None:
    """A deferred /ping is completed by its follow-up, which fills in the thinking message."""
    bot = bot_for(fake_discord)
    async with running(bot, fake_discord):
        interaction = await fake_discord.slash_command("ping", {"text": "slow", "defer": True})
        reply = await fake_discord.wait_for_reply(interaction)
    assert reply["content"] == "late pong: slow"
    record = fake_discord.interactions[int(interaction["id"])]
    assert record.response_type == 5
    assert int(reply["id"]) == record.original_id
    followup = await fake_discord.wait_for_request(
        lambda r: r.method == "POST" and r.route == "/webhooks/{webhook_id}/{webhook_token}"
    )
    assert followup.json["content"] == "late pong: slow"


async def test_mention_answered_by_a_reply_that_pings_nobody(fake_discord: FakeDiscord) -> None:
    """A mention gets a reply with allowed_mentions none: no one is pinged, not even the author."""
    bot = bot_for(fake_discord)
    general = fake_discord.channel("general")
    async with running(bot, fake_discord):
        question = await fake_discord.user_message(general, f"{fake_discord.bot_user.mention} hi")
        request = await fake_discord.wait_for_request(posted_to(general.id))
    assert request.json["content"] == "pong"
    assert request.json["allowed_mentions"] == {"parse": []}
    assert request.json["message_reference"]["message_id"] == int(question["id"])
    sent = request.response
    assert sent["mentions"] == [] and sent["referenced_message"]["id"] == question["id"]


async def test_direct_message_answered(fake_discord: FakeDiscord) -> None:
    """A DM reaches on_message and the bot answers in the DM channel."""
    bot = bot_for(fake_discord)
    async with running(bot, fake_discord):
        message = await fake_discord.dm_message("hello there")
        request = await fake_discord.wait_for_request(posted_to(int(message["channel_id"])))
    assert request.json["content"] == "dm pong: hello there"


async def test_thread_created_by_the_bot_is_dispatched(fake_discord: FakeDiscord) -> None:
    """The bot starts a thread from a message; THREAD_CREATE arrives and it posts inside."""
    bot = bot_for(fake_discord)
    general = fake_discord.channel("general")
    async with running(bot, fake_discord):
        question = await fake_discord.user_message(
            general, f"{fake_discord.bot_user.mention} thread please"
        )
        request = await fake_discord.wait_for_request(posted_to(int(question["id"])))
        thread = bot.get_channel(int(question["id"]))
        assert isinstance(thread, discord.Thread) and thread.name == "Footnote answers"
    assert request.json["content"] == "pong in a thread"
    assert "THREAD_CREATE" in [event for event, _ in fake_discord.dispatched]


async def test_autocomplete_answered(fake_discord: FakeDiscord) -> None:
    """Typing in /ping's text option gets choices (callback type 8)."""
    bot = bot_for(fake_discord)
    async with running(bot, fake_discord):
        typing = await fake_discord.autocomplete("ping", {"text": "p"}, focused="text")
        callback = await fake_discord.wait_for_callback(typing)
        narrower = await fake_discord.autocomplete("ping", {"text": "po"}, focused="text")
        narrowed = await fake_discord.wait_for_callback(narrower)
    assert callback == {"type": 8, "data": {"choices": [{"name": w, "value": w} for w in WORDS]}}
    assert narrowed["data"]["choices"] == [{"name": "pong", "value": "pong"}]


async def test_button_press_updates_the_message(fake_discord: FakeDiscord) -> None:
    """Pressing the button on /ping's answer edits that message (callback type 7)."""
    bot = bot_for(fake_discord)
    bob = fake_discord.user("bob")
    async with running(bot, fake_discord):
        command = await fake_discord.slash_command("ping", {"text": "x"})
        answer = await fake_discord.wait_for_reply(command)
        press = await fake_discord.component("ping:again", message=answer, user=bob)
        updated = await fake_discord.wait_for_reply(press)
    assert updated["id"] == answer["id"]
    assert updated["content"] == "pressed by bob"
    assert (await fake_discord.wait_for_callback(press))["type"] == 7


async def test_deferred_button_press_then_edit(fake_discord: FakeDiscord) -> None:
    """A press acknowledged with type 6 and then edited via @original updates that message."""
    bot = bot_for(fake_discord)
    async with running(bot, fake_discord):
        command = await fake_discord.slash_command("ping", {"text": "x"})
        answer = await fake_discord.wait_for_reply(command)
        press = await fake_discord.component("ping:later", message=answer)
        updated = await fake_discord.wait_for_reply(press)
    assert (await fake_discord.wait_for_callback(press))["type"] == 6
    assert updated["id"] == answer["id"]
    assert updated["content"] == "done later" and updated["components"] == []


async def test_rejected_token_raises_login_failure(fake_discord: FakeDiscord) -> None:
    """A token the fake does not accept gets 401, which discord.py turns into LoginFailure."""
    bot = bot_for(fake_discord)
    with pytest.raises(discord.LoginFailure):
        async with running(bot, fake_discord, token="not-the-token"):
            pass
    assert [(r.path, r.status) for r in fake_discord.requests] == [("/users/@me", 401)]
    assert fake_discord.requests[0].response == {"message": "401: Unauthorized", "code": 0}


async def test_privileged_intent_not_granted_closes_with_4014() -> None:
    """Asking for message content when it is not granted ends with PrivilegedIntentsRequired."""
    async with FakeDiscord(granted_intents=0) as fake:
        with pointed_at(fake), pytest.raises(discord.PrivilegedIntentsRequired):
            async with running(PingBot(), fake):
                pass
        assert fake.connections[0].close_code == 4014


@pytest.mark.parametrize("status", [500, 502])
async def test_server_error_is_retried(fake_discord: FakeDiscord, status: int) -> None:
    """A 500 or 502 on the reply is retried by discord.py and the second attempt succeeds."""
    bot = bot_for(fake_discord)
    general = fake_discord.channel("general")
    fake_discord.fail_next(MESSAGES_ROUTE, status=status, method="POST")
    async with running(bot, fake_discord):
        await fake_discord.user_message(general, f"{fake_discord.bot_user.mention} hi")
        first = await fake_discord.wait_for_request(posted_to(general.id))
        second = await fake_discord.wait_for_request(posted_to(general.id), timeout=5)
    assert (first.status, second.status) == (status, 200)
    assert second.json == first.json


async def test_rate_limit_is_waited_out(fake_discord: FakeDiscord) -> None:
    """A 429 with retry_after makes discord.py wait that long, then retry successfully."""
    bot = bot_for(fake_discord)
    general = fake_discord.channel("general")
    fake_discord.rate_limit_next(MESSAGES_ROUTE, retry_after=0.3)
    async with running(bot, fake_discord):
        await fake_discord.user_message(general, f"{fake_discord.bot_user.mention} hi")
        first = await fake_discord.wait_for_request(posted_to(general.id))
        second = await fake_discord.wait_for_request(posted_to(general.id))
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 0.3


async def test_gateway_drop_resumes_and_replays(fake_discord: FakeDiscord) -> None:
    """After a drop the client RESUMEs at resume_gateway_url, gets what it missed, and answers."""
    bot = bot_for(fake_discord)
    general = fake_discord.channel("general")
    async with running(bot, fake_discord):
        await fake_discord.drop_gateway()
        missed = await fake_discord.user_message(general, f"{fake_discord.bot_user.mention} hi")
        resume = await fake_discord.wait_for_gateway(lambda frame: frame["op"] == 6)
        await asyncio.wait_for(bot.resumed.wait(), 5)
        reply = await fake_discord.wait_for_request(posted_to(general.id))
        interaction = await fake_discord.slash_command("ping", {"text": "after"})
        answer = await fake_discord.wait_for_reply(interaction)
    first, second = fake_discord.connections[:2]
    assert first.close_code == 4000 and second.path == "/resume" and second.resumed
    assert fake_discord.gateway.session is not None
    assert resume["d"]["session_id"] == fake_discord.gateway.session.id
    assert reply.json["message_reference"]["message_id"] == int(missed["id"])
    assert answer["content"] == "pong: after"
    assert sum(1 for c in fake_discord.connections if c.identified and not c.resumed) == 1


async def test_heartbeats_are_acknowledged_throughout() -> None:
    """With a 100 ms interval, the client heartbeats steadily and every beat is acked."""
    async with FakeDiscord(heartbeat_interval=0.1) as fake:
        bot = PingBot()
        async with running(bot, fake):
            await asyncio.sleep(1.0)
            latency = bot.latency
            beats, session = fake.heartbeats, fake.gateway.session
    assert len(beats) >= 6 and all(beat.acked for beat in beats)
    assert session is not None and beats[-1].sequence == session.sequence
    assert max(later.at - earlier.at for earlier, later in itertools.pairwise(beats)) < 0.5
    assert 0 <= latency < 0.25


async def test_auto_sharded_client_uses_gateway_bot(fake_discord: FakeDiscord) -> None:
    """AutoShardedClient asks GET /gateway/bot and identifies with a shard; READY echoes it."""
    intents = discord.Intents.default()
    bot = discord.AutoShardedClient(intents=intents, guild_ready_timeout=0.05)
    async with running(bot, fake_discord):
        assert bot.get_guild(fake_discord.guild.id) is not None
    assert "/gateway/bot" in [r.path for r in fake_discord.requests]
    assert fake_discord.identify is not None and fake_discord.identify["shard"] == [0, 1]


class ShardBot(discord.AutoShardedClient):
    """A sharded client that replies to mentions, naming its shard."""

    async def on_message(self, message: discord.Message) -> None:
        """Reply to a mention with the shard the guild's events came on."""
        if self.user is not None and self.user in message.mentions:
            await message.reply(f"shard {message.guild.shard_id if message.guild else 0}")


async def test_each_shard_gets_its_own_guilds_and_their_events(fake_discord: FakeDiscord) -> None:
    """Two clients of one shard each (as two processes are) hear only their guilds' events."""
    world = fake_discord.world
    later = dt.datetime(2024, 1, 1, 0, 0, 0, 1000, tzinfo=dt.UTC)  # the next shard of two
    second = world.add_guild("Second", world.user("alice"), created=later)
    world.add_channel(second, "lobby")
    first = fake_discord.guild
    assert (first.id >> 22) % 2 == 0 and (second.id >> 22) % 2 == 1
    intents = discord.Intents.default()
    intents.message_content = True
    bots = [
        ShardBot(intents=intents, shard_ids=[n], shard_count=2, guild_ready_timeout=0.05)
        for n in (0, 1)
    ]
    general, lobby = fake_discord.channel("general"), world.channel_named("lobby")
    async with running(bots[0], fake_discord), running(bots[1], fake_discord):
        assert [[g.id for g in b.guilds] for b in bots] == [[first.id], [second.id]]
        for channel in (general, lobby):
            await fake_discord.user_message(channel, f"{fake_discord.bot_user.mention} hi")
        replies = [await fake_discord.wait_for_request(posted_to(c.id)) for c in (general, lobby)]
    assert [r.json["content"] for r in replies] == ["shard 0", "shard 1"]
    posts = [r for r in fake_discord.requests if r.method == "POST" and "/messages" in r.path]
    assert len(posts) == 2
    shards = [f["d"]["shard"] for c in fake_discord.connections for f in c.received if f["op"] == 2]
    assert sorted(shards) == [[0, 2], [1, 2]]


async def test_replies_use_exact_json_content_type(fake_discord: FakeDiscord) -> None:
    """Every JSON reply says exactly application/json; unknown routes are 404 and recorded."""
    headers = {"Authorization": f"Bot {fake_discord.token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.get(f"{fake_discord.api_url}/users/@me") as me:
            assert me.headers["Content-Type"] == "application/json"
        async with session.get(f"{fake_discord.api_url}/no/such/route") as missing:
            assert missing.status == 404
            assert missing.headers["Content-Type"] == "application/json"
    assert [r.path for r in fake_discord.unknown_routes] == ["/no/such/route"]
    fake_discord.unknown_routes.clear()


async def test_invalid_bodies_are_caught(
    fake_discord: FakeDiscord, openapi_spec: OpenApiSpec
) -> None:
    """A body against the OpenAPI schema, or over Discord's 2,000 characters, is a violation."""
    general = fake_discord.channel("general")
    url = f"{fake_discord.api_url}/channels/{general.id}/messages"
    headers = {"Authorization": f"Bot {fake_discord.token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.post(url, json={"content": 5, "embeds": [{"title": "x" * 300}]}):
            pass
        async with session.post(url, json={"content": "x" * 2001}) as too_long:
            assert too_long.status == 400
    schema, title, content = fake_discord.violations
    assert schema.source == "openapi" and len(schema.problems) == 2
    assert title.source == "discord" and "limit 256" in title.problems[0]
    assert content.source == "discord" and "2000" in content.problems[0]
    assert openapi_spec.validate("POST", MESSAGES_ROUTE, {"content": "fine"}) == []
    fake_discord.violations.clear()


async def test_rest_tour_of_channel_and_interaction_routes(fake_discord: FakeDiscord) -> None:
    """Fetching, sending, editing, reacting, threads, DMs and interaction webhooks all work.

    Every body discord.py sends, and every reply the fake gives, is checked against the
    OpenAPI description by the fixture.
    """
    bot = bot_for(fake_discord)
    alice = fake_discord.user("alice")
    async with running(bot, fake_discord):
        channel = await bot.fetch_channel(fake_discord.channel("questions").id)
        assert isinstance(channel, discord.TextChannel) and channel.topic == "Ask Footnote here"
        assert (await bot.fetch_guild(fake_discord.guild.id)).name == "Footnote Test Guild"
        async with channel.typing():
            sent = await channel.send("draft", embed=discord.Embed(title="T", description="D"))
        upload = await channel.send("a file", file=discord.File(io.BytesIO(b"notes"), "n.txt"))
        assert upload.attachments[0].filename == "n.txt" and upload.attachments[0].size == 5
        edited = await sent.edit(content="final")
        await edited.add_reaction("\N{WHITE HEAVY CHECK MARK}")
        assert (await channel.fetch_message(sent.id)).content == "final"
        assert [m.id async for m in channel.history(limit=5)] == [upload.id, sent.id]
        thread = await channel.create_thread(name="side", type=discord.ChannelType.public_thread)
        await thread.send("in the side thread")
        await edited.delete()
        locked = await bot.fetch_channel(fake_discord.channel("locked").id)
        assert isinstance(locked, discord.TextChannel)
        with pytest.raises(discord.Forbidden):
            await locked.send("the bot may not speak here")
        dm = await (await bot.fetch_user(alice.id)).send("hello alice")
        assert isinstance(dm.channel, discord.DMChannel)
        assert [c.name for c in await bot.tree.fetch_commands(guild=fake_discord.guild)] == ["ping"]

        interaction = await fake_discord.slash_command("ping", {"text": "tour"})
        await fake_discord.wait_for_reply(interaction)
        handled = bot.last_interaction
        assert handled is not None
        original = await handled.original_response()
        assert original.content == "pong: tour"
        await handled.edit_original_response(content="pong, edited")
        followup = await handled.followup.send("more", ephemeral=True, wait=True)
        await followup.edit(content="more, edited")
        await followup.delete()
        await handled.delete_original_response()
    routes = {(r.method, r.route) for r in fake_discord.requests if r.status < 300}
    assert ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original") in routes
    assert ("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}") in routes
    assert ("POST", "/users/@me/channels") in routes
    assert ("POST", "/channels/{channel_id}/threads") in routes


async def test_commands_people_cannot_run_are_refused(fake_discord: FakeDiscord) -> None:
    """Like Discord's client, the fake will not let a person run what they may not see."""
    guild = fake_discord.guild
    manage_guild = discord.Permissions(manage_guild=True).value
    moderator = fake_discord.add_person("carol", permissions=manage_guild)
    fake_discord.commands[guild.id] = [
        {
            "id": "1",
            "name": "reindex",
            "type": 1,
            "options": [],
            "guild_id": str(guild.id),
            "default_member_permissions": str(manage_guild),
        }
    ]
    with pytest.raises(PermissionError):
        await fake_discord.slash_command("reindex", user=fake_discord.user("bob"))
    with pytest.raises(LookupError):
        await fake_discord.slash_command("reindex", dm=True, user=moderator)
    with pytest.raises(RuntimeError, match="no client has identified"):
        await fake_discord.slash_command("reindex", user=moderator)


async def test_without_the_description_validation_is_off(tmp_path: Path) -> None:
    """With no OpenAPI file the fake still runs; only Discord's own limits are checked."""
    async with FakeDiscord(spec_path=tmp_path / "missing.json") as fake:
        assert fake.spec is None
        url = f"{fake.api_url}/channels/{fake.channel('general').id}/messages"
        headers = {"Authorization": f"Bot {fake.token}"}
        body = {"content": "ok", "tts": "not a boolean"}
        async with (
            aiohttp.ClientSession(headers=headers) as session,
            session.post(url, json=body) as sent,
        ):
            assert sent.status == 200
    assert fake.violations == []


async def test_members_intent_chunks_the_guild(fake_discord: FakeDiscord) -> None:
    """With members and presences intents, GUILD_CREATE and chunking cache every member."""
    bot = bot_for(fake_discord, intents=discord.Intents.all())
    async with running(bot, fake_discord):
        guild = bot.get_guild(fake_discord.guild.id)
        assert guild is not None and guild.chunked
        assert {m.name for m in guild.members} == {"alice", "bob", "Footnote"}
        await guild.chunk()
    requests = [f for c in fake_discord.connections for f in c.received if f["op"] == 8]
    assert requests and requests[-1]["d"]["guild_id"] == fake_discord.guild.id


async def test_reconnect_and_invalid_session_are_handled(fake_discord: FakeDiscord) -> None:
    """Op 7 makes the client RESUME; a non-resumable op 9 makes it IDENTIFY afresh."""
    bot = bot_for(fake_discord)
    async with running(bot, fake_discord):
        await fake_discord.send_reconnect()
        await asyncio.wait_for(bot.resumed.wait(), 5)
        await fake_discord.invalidate_session(resumable=False)
        await fake_discord.wait_until(
            lambda: sum(c.identified and not c.resumed for c in fake_discord.connections) == 2,
            5,
            "a second IDENTIFY",
        )
        await asyncio.wait_for(bot.wait_until_ready(), 5)
        interaction = await fake_discord.slash_command("ping", {"text": "again"})
        assert (await fake_discord.wait_for_reply(interaction))["content"] == "pong: again"
    assert [(c.identified, c.resumed) for c in fake_discord.connections] == [
        (True, False),
        (True, True),
        (True, False),
    ]


async def test_message_content_is_hidden_without_the_intent(fake_discord: FakeDiscord) -> None:
    """Without the message content intent, only messages that mention the bot keep content."""
    seen: list[str] = []
    bot = bot_for(fake_discord, intents=discord.Intents.default())

    async def on_message(message: discord.Message) -> None:
        seen.append(message.content)

    bot.on_message = on_message  # type: ignore[method-assign]
    general = fake_discord.channel("general")
    async with running(bot, fake_discord):
        await fake_discord.user_message(general, "just chatting")
        await fake_discord.user_message(general, f"{fake_discord.bot_user.mention} question")
        await fake_discord.wait_until(lambda: len(seen) == 2, 5, "two messages")
    assert seen == ["", f"{fake_discord.bot_user.mention} question"]
