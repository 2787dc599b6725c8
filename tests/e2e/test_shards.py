"""Sharding: the bot on Discord's gateway shards, in one process or several, through the real
discord.py client and the fake Discord (which routes each server's events to its shard)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import signal
import sys
from pathlib import Path

from bot.app import create_bot
from footnote.engine import Engine

from .fakediscord import FakeDiscord
from .fakediscord.client import running
from .fakediscord.model import Guild
from .test_bot import EPHEMERAL, QUESTION, ROOT, assert_cited_answer, env, settings_for, texts
from .test_service import NEW_ARTICLE, buttons, reply_to

# A guild made a millisecond after the default world's lands on the other shard of two.
NEXT_SHARD = dt.datetime(2024, 1, 1, 0, 0, 0, 1000, tzinfo=dt.UTC)


def second_guild(fake: FakeDiscord) -> Guild:
    """A second server, on shard 1 of 2 (the default one is on shard 0), with a channel."""
    world = fake.world
    guild = world.add_guild("Second Server", world.user("alice"), created=NEXT_SHARD)
    world.add_channel(guild, "lobby")
    assert (fake.guild.id >> 22) % 2 == 0 and (guild.id >> 22) % 2 == 1
    return guild


async def test_one_process_runs_every_shard_and_answers_in_each_server(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """FOOTNOTE_SHARD_COUNT alone: one process identifies on both shards and answers /ask in
    a server of each, once each."""
    other = second_guild(fake_discord)
    settings = settings_for(fake_discord, corpus, DISCORD_GUILD_ID="", FOOTNOTE_SHARD_COUNT="2")
    engine, _ = Engine.open(settings.engine_config())
    bot = create_bot(settings, engine, guild_ready_timeout=0.05)
    # Discord lets a bot identify one shard every 5 seconds, and discord.py waits for it.
    async with running(bot, fake_discord, timeout=20):
        asked = [
            await fake_discord.slash_command("ask", {"question": QUESTION}, guild_id=g)
            for g in (fake_discord.guild.id, other.id)
        ]
        replies = [await fake_discord.wait_for_reply(a, timeout=20) for a in asked]
    for reply in replies:
        assert_cited_answer(reply["embeds"], QUESTION)
    identified = [
        f["d"]["shard"] for c in fake_discord.connections for f in c.received if f["op"] == 2
    ]
    assert sorted(identified) == [[0, 2], [1, 2]]
    callbacks = [r for r in fake_discord.requests if r.path.endswith("/callback")]
    assert len(callbacks) == 2


BEES = (
    "# Keeping bees in a city garden\n\n"
    "A colony of honey bees swarms in late spring, when the old queen leaves the hive with "
    "half of the workers to find a new home.\n"
)
LIGHTHOUSE = "When did the last lighthouse keeper leave Skerryvore?"
SWARM = "When do honey bees swarm?"


async def start_process(
    fake: FakeDiscord, environ: dict[str, str], shard: int, cwd: Path
) -> asyncio.subprocess.Process:
    """`python -m bot` on one shard of two, connected and identified before this returns."""
    identified = len(shard_sessions(fake, shard))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=cwd, env={**environ, "FOOTNOTE_SHARD_IDS": str(shard)},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    await fake.wait_until(
        lambda: len(shard_sessions(fake, shard)) > identified, 60, f"shard {shard} to connect"
    )
    return process


def shard_sessions(fake: FakeDiscord, shard: int) -> list[object]:
    """The gateway sessions that identified on a shard of two."""
    return [s for s in fake.gateway.sessions.values() if s.shard == (shard, 2)]


async def stop_process(process: asyncio.subprocess.Process) -> str:
    """SIGTERM, then what it logged; it must exit 0."""
    process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    return err.decode()


async def test_two_processes_answer_their_own_servers_once_and_share_one_store(
    fake_discord: FakeDiscord,
    opensearch_cluster: object,
    postgres_database: str,
    tmp_path: Path,
) -> None:
    """Two bot processes on shards 0 and 1 of two, one search cluster and one PostgreSQL
    store: each server's questions are answered exactly once, from its own corpus; a vote
    cast through the first process is counted by /feedback in a process that took over its
    shard after it stopped."""
    other = second_guild(fake_discord)
    first = fake_discord.guild
    corpora = tmp_path / "corpora"
    (corpora / str(first.id)).mkdir(parents=True)
    (corpora / str(first.id) / "lighthouse.md").write_text(NEW_ARTICLE, encoding="utf-8")
    (corpora / str(other.id)).mkdir()
    (corpora / str(other.id) / "bees.md").write_text(BEES, encoding="utf-8")
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    environ = {
        **os.environ,
        **env(tmp_path),
        "DISCORD_TOKEN": fake_discord.token,
        "DISCORD_API_BASE_URL": fake_discord.api_url,
        "DISCORD_GATEWAY_URL": fake_discord.gateway_url,
        "FOOTNOTE_CORPORA_DIR": str(corpora),
        "FOOTNOTE_OPENSEARCH_URL": ",".join(opensearch_cluster.urls),  # type: ignore[attr-defined]
        "FOOTNOTE_OPENSEARCH_INDEX": "sharded",
        "FOOTNOTE_DATABASE_URL": postgres_database,
        "FOOTNOTE_SHARD_COUNT": "2",
    }
    processes = [await start_process(fake_discord, environ, n, tmp_path) for n in (0, 1)]
    try:
        asked = {
            (guild, question): await fake_discord.slash_command(
                "ask", {"question": question}, guild_id=guild
            )
            for guild in (first.id, other.id)
            for question in (LIGHTHOUSE, SWARM)
        }
        replies = {key: await reply_to(fake_discord, a) for key, a in asked.items()}
        answer = replies[(first.id, LIGHTHOUSE)]
        vote = await reply_to(
            fake_discord, await fake_discord.component(buttons(answer)["👍"], message=answer)
        )
        await stop_process(processes.pop(0))
        processes.insert(0, await start_process(fake_discord, environ, 0, tmp_path))
        feedback = await reply_to(
            fake_discord,
            await fake_discord.slash_command("feedback", {"days": 7}, guild_id=first.id),
        )
    finally:
        for process in processes:
            await stop_process(process)
    assert "1972" in texts(replies[(first.id, LIGHTHOUSE)]["embeds"])
    assert "in late spring" in texts(replies[(other.id, SWARM)]["embeds"])
    for guild, question in ((first.id, SWARM), (other.id, LIGHTHOUSE)):
        seen = texts(replies[(guild, question)]["embeds"])
        assert "1972" not in seen and "late spring" not in seen  # never another server's writing
    for interaction in asked.values():
        callbacks = [r for r in fake_discord.requests if f"/{interaction['id']}/" in r.path]
        assert len(callbacks) == 1
    assert vote["flags"] & EPHEMERAL
    (summary,) = feedback["embeds"]
    votes = dict((f["name"], f["value"]) for f in summary["fields"])["Votes"]
    assert votes.startswith("1 👍 · 0 👎 on 1 answer")
