"""Per-server corpora through the real discord.py client and the fake Discord: three servers
(one with its own corpus, one mapped to a shared corpus, one on the default) ask the same
questions, and every reply shows each server its own corpus only."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.client import FootnoteBot
from footnote.answerlog.store import AnswerStore
from footnote.corpora import DEFAULT

from .fakediscord import FakeDiscord
from .fakediscord.model import Guild
from .test_bot import EPHEMERAL, QUESTION, ROOT, footnote
from .test_service import buttons, reply_to

LIGHTHOUSE_TITLE = "Lighthouse keepers of the northern coast"
BEES_TITLE = "Keeping bees in a city garden"
EMBASSY_TITLE = "US embassy in Baghdad attacked"
LIGHTHOUSE = (
    f"# {LIGHTHOUSE_TITLE}\n\n"
    "The last lighthouse keeper of Skerryvore left the tower in 1972, when the light was "
    "automated and the keepers' cottages were sold.\n\n"
    "A lighthouse keeper at Skerryvore served four weeks on the rock, then two weeks ashore, "
    "and every keeper kept the lamp lit from dusk until dawn.\n\n"
    "When a keeper left Skerryvore for good, the relief boat took him to Tiree with his "
    "belongings, and a new keeper climbed the tower the same day.\n\n"
    "The keepers of the lighthouse wrote the weather in the log every three hours.\n"
)
BEES = (
    f"# {BEES_TITLE}\n\n"
    "A colony of honey bees swarms in late spring, when the old queen leaves the hive with "
    "half of the workers to find a new home.\n\n"
    "Honey bees swarm most often in May and June, when the hive is crowded and the colony "
    "raises new queens.\n\n"
    "A beekeeper can stop bees from swarming by giving the colony more room in the hive "
    "before spring.\n\n"
    "Bees that swarm hang in a cluster on a branch while scouts look for a hollow tree.\n\n"
    "Swarming honey bees are gentle: with no hive to defend, a swarm seldom stings.\n\n"
    "When honey bees swarm from a garden hive, a beekeeper can collect the swarm in a box "
    "at dusk.\n"
)
SWARM = "When do honey bees swarm?"
KEEPER = "When did the last lighthouse keeper leave Skerryvore?"
# Questions no corpus answers, one per server, to find in /gaps.
UNANSWERED = {"own": "florp zindle quonk?", "shared": "quaggle brimp?", "default": "snorf weltz?"}
TITLES = {"own": LIGHTHOUSE_TITLE, "shared": BEES_TITLE, "default": EMBASSY_TITLE}


def shown(message: dict[str, Any]) -> str:
    """Everything a reply shows, markdown escapes taken out."""
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [
            (embed.get(k) or {}).get(n) or "" for k, n in (("footer", "text"), ("author", "name"))
        ]
        parts += [f"{f['name']} {f['value']}" for f in embed.get("fields") or []]
    return "\n".join(parts).replace("\\", "")


def only_from(message: dict[str, Any], server: str) -> None:
    """The reply cites its server's corpus and no other."""
    text = shown(message)
    assert TITLES[server] in text, text
    for other, title in TITLES.items():
        if other != server:
            assert title not in text, f"{server} was shown {other}'s {title!r}:\n{text}"


def add_server(fake: FakeDiscord, name: str) -> Guild:
    """Another server owned by alice, with a channel, before the bot connects."""
    world = fake.world
    guild = world.add_guild(name, world.user("alice"))
    world.add_channel(guild, f"{name.split()[0].lower()}-chat")
    return guild


@pytest.fixture
def corpora(tmp_path: Path) -> tuple[Path, Path]:
    """The default corpus (the embassy article), and a root of corpora holding a shared one."""
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    root = tmp_path / "corpora"
    (root / "bees").mkdir(parents=True)
    (root / "bees" / "bees.md").write_text(BEES, encoding="utf-8")
    return tmp_path / "corpus", tmp_path / "index"


def servers_settings(root: Path, shared: int) -> dict[str, str]:
    """The bot's settings for corpora under root, with one server mapped to "bees"."""
    return {
        "DISCORD_GUILD_ID": "",
        "FOOTNOTE_CORPORA_DIR": str(root),
        "FOOTNOTE_SERVER_CORPORA": f"{shared}=bees",
        "FOOTNOTE_RESULTS": "2",
        "FOOTNOTE_COOLDOWN": "off",
    }


async def test_three_servers_are_each_answered_from_their_own_corpus_only(
    fake_discord: FakeDiscord, corpora: tuple[Path, Path]
) -> None:
    """The same questions in a server with its own corpus, one mapped to a shared corpus and
    one on the default: each answer, More, Context, /sources, /stats, /gaps and /feedback
    shows the server its own corpus (and its own questions and votes) only; a DM answers
    from the default; each answer's row names its corpus."""
    own, shared = add_server(fake_discord, "Lighthouse Trust"), add_server(fake_discord, "Apiary")
    default = fake_discord.guild
    root = corpora[0].parent / "corpora"
    (root / str(own.id)).mkdir()
    (root / str(own.id) / "lighthouse.md").write_text(LIGHTHOUSE, encoding="utf-8")
    servers = {"own": own.id, "shared": shared.id, "default": default.id}
    extra = servers_settings(root, shared.id)
    replies: dict[str, dict[str, dict[str, Any]]] = {s: {} for s in servers}
    async with footnote(fake_discord, corpora, **extra) as bot:
        for server, guild in servers.items():
            got = replies[server]
            for key, question in (("keeper", KEEPER), ("swarm", SWARM), ("embassy", QUESTION)):
                got[key] = await reply_to(
                    fake_discord,
                    await fake_discord.slash_command("ask", {"question": question}, guild_id=guild),
                )
            await reply_to(
                fake_discord,
                await fake_discord.slash_command(
                    "ask", {"question": UNANSWERED[server]}, guild_id=guild
                ),
            )
            answered = got[{"own": "keeper", "shared": "swarm", "default": "embassy"}[server]]
            ids = buttons(answered)
            got["answered"] = answered
            got["more"] = await reply_to(
                fake_discord, await fake_discord.component(ids["More"], message=answered)
            )
            got["context"] = await reply_to(
                fake_discord, await fake_discord.component(ids["Context [1]"], message=answered)
            )
            await reply_to(fake_discord, await fake_discord.component(ids["👎"], message=answered))
            for command in ("sources", "stats", "gaps", "feedback"):
                got[command] = await reply_to(
                    fake_discord, await fake_discord.slash_command(command, guild_id=guild)
                )
        dm = await reply_to(fake_discord, await fake_discord.slash_command(
            "ask", {"question": QUESTION}, dm=True
        ))  # fmt: skip
        rows = await rows_of(fake_discord, bot, 16)
    for server, got in replies.items():
        for key in ("answered", "more", "context", "sources"):
            only_from(got[key], server)
        for key in ("keeper", "swarm", "embassy"):
            text = shown(got[key])
            for other, title in TITLES.items():
                assert other == server or title not in text, (server, key, text)
        assert got["more"]["flags"] & got["context"]["flags"] & EPHEMERAL
        stats = {
            f["name"].split(" since ")[0]: f["value"] for f in got["stats"]["embeds"][0]["fields"]
        }
        assert stats["Documents"] == "1"
        counted = re.match(r"(\d+) answered · (\d+) declined", stats["Questions"])
        assert counted is not None and sum(map(int, counted.groups())) == 4  # not all twelve
        gaps = shown(got["gaps"])
        assert UNANSWERED[server].rstrip("?") in gaps
        for other, question in UNANSWERED.items():
            assert other == server or question.rstrip("?") not in gaps
        feedback = dict((f["name"], f["value"]) for f in got["feedback"]["embeds"][0]["fields"])
        assert re.match(r"[45] asked", feedback["Questions"]), feedback["Questions"]
        assert feedback["Votes"].startswith("0 👍 · 1 👎 on 1 answer")
    assert "Corpus" in shown(replies["own"]["stats"]) and "own corpus" in shown(
        replies["own"]["stats"]
    )
    assert "“bees”" in shown(replies["shared"]["stats"])
    assert "the default corpus" in shown(replies["default"]["stats"])
    assert "1972" in shown(replies["own"]["keeper"])
    assert "late spring" in shown(replies["shared"]["swarm"])
    only_from(dm, "default")
    corpus_of = {s: {r.corpus for r in rows if r.guild_id == g} for s, g in servers.items()}
    assert corpus_of == {"own": {str(own.id)}, "shared": {"bees"}, "default": {DEFAULT}}
    assert {r.corpus for r in rows if r.guild_id is None} == {DEFAULT}


async def rows_of(fake: FakeDiscord, bot: FootnoteBot, count: int) -> list[Any]:
    """The answers on record, once there are `count` of them."""
    store = AnswerStore(bot.settings.state_file(), read_only=True)

    def complete() -> list[Any] | None:
        found = store.answers()
        return found if len(found) >= count else None

    return await fake.wait_until(complete, timeout=10, what=f"{count} answers")


async def test_buttons_answer_from_their_answers_corpus_after_the_server_moves(
    fake_discord: FakeDiscord, corpora: tuple[Path, Path]
) -> None:
    """An answer from the shared corpus keeps its More and Context on that corpus after the
    server gets a corpus of its own (new questions go to the new one); the corpus is in the
    buttons' ids, within Discord's 100 characters."""
    shared = add_server(fake_discord, "Apiary")
    root = corpora[0].parent / "corpora"
    extra = servers_settings(root, shared.id)
    async with footnote(fake_discord, corpora, **extra):
        before = await reply_to(
            fake_discord,
            await fake_discord.slash_command("ask", {"question": SWARM}, guild_id=shared.id),
        )
        (root / str(shared.id)).mkdir()
        (root / str(shared.id) / "lighthouse.md").write_text(LIGHTHOUSE, encoding="utf-8")
        ids = buttons(before)
        more = await reply_to(
            fake_discord, await fake_discord.component(ids["More"], message=before)
        )
        context = await reply_to(
            fake_discord, await fake_discord.component(ids["Context [1]"], message=before)
        )
        after = await reply_to(
            fake_discord,
            await fake_discord.slash_command("ask", {"question": KEEPER}, guild_id=shared.id),
        )
    assert all(i.endswith(":@bees") and len(i) <= 100 for k, i in ids.items() if k[0] in "MC")
    only_from(more, "shared")
    only_from(context, "shared")
    only_from(after, "own")
    assert all(i.endswith(f":@{shared.id}") for k, i in buttons(after).items() if k[0] in "MC")
