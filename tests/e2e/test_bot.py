"""The real Footnote bot, built by the factory `python -m bot` uses, against the fake Discord.

Each test starts the bot on a copy of the default corpus, acts as a person would, and checks
what reached the fake: every body is also validated against Discord's OpenAPI description.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot import ask
from bot.app import create_bot, serve, start
from bot.client import FootnoteBot
from bot.settings import Settings, load_settings
from footnote.engine import Engine

from .fakediscord import FakeDiscord, RecordedRequest
from .fakediscord.client import running

ROOT = Path(__file__).resolve().parents[2]
SYNC_ROUTE = "/applications/{application_id}/guilds/{guild_id}/commands"
QUESTION = "why was the embassy attacked?"
EPHEMERAL = 64
MANAGE_GUILD = 1 << 5
COMMANDS = [
    "ask",
    "sources",
    "stats",
    "help",
    "reindex",
    "settings",
    "gaps",
    "feedback",
    "forget-me",
    "add",
    "remove",
    "follow",
    "unfollow",
    "feeds",
]


def env(root: Path, **extra: str) -> dict[str, str]:
    """The environment of a bot over the corpus in root."""
    return {
        "DISCORD_TOKEN": "fake-discord-bot-token",
        "FOOTNOTE_CORPUS_DIR": str(root / "corpus"),
        "FOOTNOTE_INDEX_DIR": str(root / "index"),
        **extra,
    }


def settings_for(fake: FakeDiscord, corpus: tuple[Path, Path], **extra: str) -> Settings:
    """Settings pointing at the fake, syncing to its guild, with #questions as question channel."""
    variables = env(
        corpus[0].parent,
        DISCORD_TOKEN=fake.token,
        DISCORD_GUILD_ID=str(fake.guild.id),
        FOOTNOTE_ASK_CHANNEL_IDS=str(fake.channel("questions").id),
        DISCORD_API_BASE_URL=fake.api_url,
        DISCORD_GATEWAY_URL=fake.gateway_url,
    )
    return load_settings({**variables, **extra})


@asynccontextmanager
async def footnote(
    fake: FakeDiscord, corpus: tuple[Path, Path], **extra: str
) -> AsyncIterator[FootnoteBot]:
    """The real bot over the corpus, started against the fake and ready."""
    settings = settings_for(fake, corpus, **extra)
    engine, _ = Engine.open(settings.engine_config())
    bot = create_bot(settings, engine, guild_ready_timeout=0.05)
    async with running(bot, fake):
        yield bot


def posted_to(channel_id: int) -> Callable[[RecordedRequest], bool]:
    """A predicate for the bot's POST to a channel's messages."""
    return lambda r: r.method == "POST" and r.path == f"/channels/{channel_id}/messages"


def texts(embeds: list[dict[str, Any]]) -> str:
    """Everything a person reads in the embeds."""
    return "\n".join(str(e.get(k, "")) for e in embeds for k in ("title", "description")) + "".join(
        e.get("footer", {}).get("text", "") for e in embeds
    )


def assert_cited_answer(embeds: list[dict[str, Any]], question: str) -> None:
    """A quoted passage with its [1] citation, the question as title, a footer."""
    assert embeds[0]["title"] == question
    first = embeds[0]["description"]
    assert first.startswith("> ") and "\n\n[1] " in first.replace("\\[1\\]", "[1]")
    assert "Searched" in embeds[-1]["footer"]["text"]


async def test_starts_and_syncs_ask_to_the_guild(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """At start the bot PUTs its commands; /ask has question, results and private options;
    the admin commands need Manage Server by default."""
    async with footnote(fake_discord, corpus) as bot:
        request = await fake_discord.wait_for_request(lambda r: r.route == SYNC_ROUTE)
        assert [c.name for c in bot.synced] == COMMANDS
    assert request.method == "PUT" and request.params["guild_id"] == str(fake_discord.guild.id)
    commands = {c["name"]: c for c in request.json}
    for admin_only in ("reindex", "settings", "add", "remove", "follow", "unfollow", "feeds"):
        assert int(commands[admin_only]["default_member_permissions"]) == MANAGE_GUILD
    assert all(commands[c].get("default_member_permissions") is None for c in COMMANDS[:4])
    command = commands["ask"]
    assert command["name"] == "ask" and command["description"]
    options = {o["name"]: o for o in command["options"]}
    assert list(options) == ["question", "results", "private"]
    assert all(o["description"] for o in options.values())
    assert options["question"]["required"] is True and options["question"]["max_length"] == 300
    assert (options["results"]["min_value"], options["results"]["max_value"]) == (1, 5)
    assert options["private"]["type"] == 5
    assert fake_discord.intents == bot.intents.value and bot.intents.message_content


async def test_ask_answers_publicly_with_cited_passages(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """/ask gets the passages, quoted and cited, visible to everyone, mentions off."""
    async with footnote(fake_discord, corpus):
        interaction = await fake_discord.slash_command("ask", {"question": QUESTION})
        reply = await fake_discord.wait_for_reply(interaction)
        callback = await fake_discord.wait_for_callback(interaction)
    assert not reply["flags"] & EPHEMERAL
    assert_cited_answer(reply["embeds"], QUESTION)
    assert len(reply["embeds"]) == 3
    assert callback["data"]["allowed_mentions"] == {"parse": []}


async def test_ask_privately_is_ephemeral(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """/ask private:true answers with the ephemeral flag; results:1 shows one passage."""
    async with footnote(fake_discord, corpus):
        interaction = await fake_discord.slash_command(
            "ask", {"question": QUESTION, "results": 1, "private": True}
        )
        reply = await fake_discord.wait_for_reply(interaction)
        callback = await fake_discord.wait_for_callback(interaction)
    assert reply["flags"] & EPHEMERAL and callback["data"]["flags"] & EPHEMERAL
    assert len(reply["embeds"]) == 1
    assert_cited_answer(reply["embeds"], QUESTION)


async def test_a_mention_is_answered_as_a_reply(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """Mentioning the bot with a question gets a reply to that message; a bare one, a how-to."""
    general = fake_discord.channel("general")
    mention = fake_discord.bot_user.mention
    async with footnote(fake_discord, corpus):
        asked = await fake_discord.user_message(general, f"{mention} {QUESTION}")
        reply = await fake_discord.wait_for_request(posted_to(general.id))
        bare = await fake_discord.user_message(general, mention)
        how_to = await fake_discord.wait_for_request(
            lambda r: posted_to(general.id)(r) and r is not reply
        )
    assert reply.json["message_reference"]["message_id"] == int(asked["id"])
    assert reply.json["allowed_mentions"] == {"parse": [], "replied_user": False}
    assert_cited_answer(reply.json["embeds"], QUESTION)
    assert how_to.json["message_reference"]["message_id"] == int(bare["id"])
    assert "/ask" in how_to.json["content"]


async def test_question_channel_and_dm_are_answered(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """A plain message in a question channel and a DM are answered; #general chat is not."""
    questions = fake_discord.channel("questions")
    dm = fake_discord.world.dm_channel(fake_discord.user("alice"))
    async with footnote(fake_discord, corpus):
        await fake_discord.user_message(fake_discord.channel("general"), QUESTION)
        await fake_discord.user_message(questions, "who is the prime minister of Iraq?")
        in_channel = await fake_discord.wait_for_request(posted_to(questions.id))
        await fake_discord.dm_message(QUESTION)
        in_dm = await fake_discord.wait_for_request(posted_to(dm.id))
    assert_cited_answer(in_channel.json["embeds"], "who is the prime minister of Iraq?")
    assert_cited_answer(in_dm.json["embeds"], QUESTION)
    general = fake_discord.channel("general").id
    assert not [r for r in fake_discord.requests if posted_to(general)(r)]


async def test_bots_are_ignored(fake_discord: FakeDiscord, corpus: tuple[Path, Path]) -> None:
    """Another bot mentioning Footnote gets nothing; the person after it gets the answer."""
    general = fake_discord.channel("general")
    robot = fake_discord.add_person("robot")
    robot.bot = True
    mention = fake_discord.bot_user.mention
    async with footnote(fake_discord, corpus):
        await fake_discord.user_message(general, f"{mention} {QUESTION}", author=robot)
        person = await fake_discord.user_message(general, f"{mention} {QUESTION}")
        await fake_discord.wait_for_request(posted_to(general.id))
    replies = [r for r in fake_discord.requests if posted_to(general.id)(r)]
    assert [r.json["message_reference"]["message_id"] for r in replies] == [int(person["id"])]


async def test_everyone_in_a_question_pings_nobody(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """A question holding @everyone and a user mention is shown inert and pings no one."""
    bob = fake_discord.user("bob")
    question = f"@everyone {bob.mention} {QUESTION}"
    general = fake_discord.channel("general")
    async with footnote(fake_discord, corpus):
        interaction = await fake_discord.slash_command("ask", {"question": question})
        reply = await fake_discord.wait_for_reply(interaction)
        await fake_discord.user_message(general, f"{fake_discord.bot_user.mention} {question}")
        replied = await fake_discord.wait_for_request(posted_to(general.id))
    for message in (reply, replied.response):
        assert message["mention_everyone"] is False and message["mentions"] == []
        assert "@everyone" not in texts(message["embeds"])
        assert not re.search(r"<@!?\d+>", texts(message["embeds"]))
    assert replied.json["allowed_mentions"] == {"parse": [], "replied_user": False}


async def test_no_good_match_says_so(fake_discord: FakeDiscord, corpus: tuple[Path, Path]) -> None:
    """A question the corpus cannot answer gets the no-answer message and a hint to rephrase."""
    async with footnote(fake_discord, corpus):
        interaction = await fake_discord.slash_command(
            "ask", {"question": "what is the capital of Peru?"}
        )
        reply = await fake_discord.wait_for_reply(interaction)
    (embed,) = reply["embeds"]
    assert "no good answer" in embed["description"] and "rephras" in embed["description"]


async def test_an_engine_error_gets_an_apology_and_the_bot_goes_on(
    fake_discord: FakeDiscord,
    corpus: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Engine.ask raising gives an apology with an error id, logged; the next question works."""
    real_ask = Engine.ask
    calls: list[str] = []

    def failing_once(self: Engine, question: str, k: int | None = None, **more: Any) -> Any:
        calls.append(question)
        if len(calls) == 1:
            raise RuntimeError("the engine broke")
        return real_ask(self, question, k, **more)

    monkeypatch.setattr(Engine, "ask", failing_once)
    general = fake_discord.channel("general")
    async with footnote(fake_discord, corpus):
        broken = await fake_discord.slash_command("ask", {"question": QUESTION})
        apology = await fake_discord.wait_for_reply(broken)
        again = await fake_discord.slash_command("ask", {"question": QUESTION})
        answer = await fake_discord.wait_for_reply(again)
        monkeypatch.setattr(Engine, "ask", lambda *a, **k: 1 / 0)
        await fake_discord.user_message(general, f"{fake_discord.bot_user.mention} {QUESTION}")
        message_apology = await fake_discord.wait_for_request(posted_to(general.id))
    match = re.search(r"error id `([0-9a-f]{8})`", apology["content"])
    assert match and apology["flags"] & EPHEMERAL
    assert any(match[1] in r.getMessage() and r.exc_info for r in caplog.records)
    assert_cited_answer(answer["embeds"], QUESTION)
    assert re.search(r"error id `[0-9a-f]{8}`", message_apology.json["content"])


async def test_a_refused_message_content_intent_falls_back(
    corpus: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    """Without the privileged intent granted, the bot reconnects without it and still answers."""
    async with FakeDiscord(granted_intents=0, heartbeat_interval=0.25) as fake:
        settings = settings_for(fake, corpus)
        engine, _ = Engine.open(settings.engine_config())
        task = asyncio.create_task(serve(settings, engine, guild_ready_timeout=0.05))
        try:
            await fake.wait_until(lambda: fake.commands or None, 5, "the command sync")
            await fake.wait_until(
                lambda: any(c.identified for c in fake.connections) or None, 5, "an IDENTIFY"
            )
            general = fake.channel("general")
            await fake.user_message(general, f"{fake.bot_user.mention} {QUESTION}")
            reply = await fake.wait_for_request(posted_to(general.id))
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        assert fake.connections[0].close_code == 4014
        assert fake.intents is not None and not fake.intents & (1 << 15)
        assert_cited_answer(reply.json["embeds"], QUESTION)
        assert fake.problems() == []
        (refused,) = [r for r in caplog.records if "Message Content intent" in r.getMessage()]
        assert "Privileged Gateway Intents" in refused.getMessage()


async def test_a_rejected_token_exits_2_with_one_line(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A token Discord refuses ends the start with exit status 2 and one line on stderr."""
    settings = settings_for(fake_discord, corpus, DISCORD_TOKEN="not-the-token")
    assert await start(settings, guild_ready_timeout=0.05) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "rejected DISCORD_TOKEN" in err
    assert "not-the-token" not in err


async def test_a_slow_answer_is_deferred_then_followed_up(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the answer is not there at once, /ask defers (privately if asked) and follows up."""
    monkeypatch.setattr(ask, "DEFER_AFTER", 0.0)
    async with footnote(fake_discord, corpus):
        interaction = await fake_discord.slash_command(
            "ask", {"question": QUESTION, "private": True}
        )
        reply = await fake_discord.wait_for_reply(interaction)
        callback = await fake_discord.wait_for_callback(interaction)
    assert callback["type"] == 5 and callback["data"]["flags"] & EPHEMERAL
    assert reply["flags"] & EPHEMERAL
    assert_cited_answer(reply["embeds"], QUESTION)


async def test_logs_a_summary_and_questions_without_their_text(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    """Start-up logs corpus, passages, synced commands and intents; a question, no text at INFO."""
    caplog.set_level(logging.DEBUG, logger="footnote.bot")
    async with footnote(fake_discord, corpus):
        interaction = await fake_discord.slash_command("ask", {"question": QUESTION})
        await fake_discord.wait_for_reply(interaction)
    ours = [r for r in caplog.records if r.name.startswith("footnote.bot")]
    (summary,) = [r.getMessage() for r in ours if r.getMessage().startswith("ready as")]
    assert str(corpus[0]) in summary and "passages" in summary and "/ask" in summary
    assert "message_content" in summary and "guild_messages" in summary
    info = [r.getMessage() for r in ours if r.levelno == logging.INFO]
    assert any(m.startswith("question via /ask: answered=True") for m in info)
    assert not [m for m in info if "embassy" in m]
    assert any(QUESTION in r.getMessage() for r in ours if r.levelno == logging.DEBUG)
    assert fake_discord.token not in caplog.text


async def test_an_engine_refusal_is_its_own_sentence_privately(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """A FootnoteError (a blank question) is shown as its message, only to the asker."""
    async with footnote(fake_discord, corpus):
        interaction = await fake_discord.slash_command("ask", {"question": "   "})
        reply = await fake_discord.wait_for_reply(interaction)
    assert reply["flags"] & EPHEMERAL
    assert "question is empty" in reply["content"] and "error id" not in reply["content"]
