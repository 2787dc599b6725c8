"""Hostile questions through /ask, mentions and DMs: a bounded, safe reply, never a ping.

Every reply must fit Discord's limits (the fake validates each body and fails the test
otherwise), mention no one (``allowed_mentions`` parses nothing, Discord computed no
mentions, and no live mention syntax is shown), and be an answer or a clear sentence, never
an apology for a crash. After all of them the bot still answers a normal question. The
per-person cool-down is off: one person asks everything here.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import pytest

from .fakediscord import FakeDiscord, Reply
from .fakediscord.rest import JSON
from .test_bot import QUESTION, assert_cited_answer, footnote

MAX_SLASH = 300  # /ask's question option is capped; Discord's client sends no more
NO_PINGS: tuple[JSON, ...] = ({"parse": []}, {"parse": [], "replied_user": False})
# Bidirectional overrides and isolates: echoed, they can make a reply read backwards.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def hostile(fake: FakeDiscord) -> dict[str, str]:
    """Named hostile questions; the mentions name real people, roles and channels."""
    bob = fake.user("bob")
    role = next(r for r in fake.guild.roles if r != fake.guild.id)
    channel = fake.channel("general").id
    command = next(iter(fake.commands.values()))[0]["id"]
    return {
        "only whitespace": " \t  \u3000 ",
        "zero-width characters": "\u200b\u200c\u200d\u2060\ufeff",
        "control characters": "why\x00 was\x07 the\x1b[31m embassy\x08 attacked?\x7f\r\n\x0b",
        "right-to-left override": f"\u202e{QUESTION}\u202c and \u202dthe militia?",
        "markdown": (
            "**why** __was__ *the* ~~embassy~~ ||attacked|| > quote\n# heading\n-# small "
            "[click](https://evil.example) <https://evil.example> ***x*** \\*escaped\\*"
        ),
        "mentions": (
            f"@everyone @here <@{bob.id}> <@!{bob.id}> <@&{role}> <#{channel}> "
            f"</ask:{command}> @\u200beveryone why was the embassy attacked?"
        ),
        "invite links": (
            "discord.gg/abcdef https://discord.gg/xyz discord.com/invite/abc "
            "https://discordapp.com/invite/qwerty why was the embassy attacked?"
        ),
        "code blocks and backticks": (
            f"```\n@everyone <@{bob.id}>\n``` `<@&{role}>` ``x`` " + "`" * 40 + " embassy"
        ),
        "10,000 characters": ("why was the embassy attacked @everyone? " * 260)[:10_000],
        "10,000 characters of one word": "a" * 10_000,
    }


def problem_with(reply: Reply) -> str | None:
    """Why a reply is unsafe or unclear, or None when it is a safe answer or sentence."""
    if reply.pings():
        return f"it pinged {reply.pings()}"
    if reply.ping_syntax():
        return f"it shows live mention syntax {reply.ping_syntax()}"
    if reply.allowed_mentions not in NO_PINGS:
        return f"allowed_mentions {reply.allowed_mentions} would let it ping"
    if len(reply.content) > 2000:
        return f"{len(reply.content)} characters of content"
    if not reply.embeds and not reply.content.strip():
        return "an empty reply"
    if "error id" in reply.content:
        return f"an apology for a crash: {reply.content!r}"
    return None


def check(fake: FakeDiscord, asked: dict[str, JSON]) -> dict[str, str]:
    """Each named question's problem: not exactly one reply, or an unsafe or unclear one."""
    found = {}
    for name, question in asked.items():
        replies = fake.replies_to(question)
        if len(replies) != 1:
            found[name] = f"{len(replies)} replies"
        elif problem := problem_with(replies[0]):
            found[name] = problem
    return found


async def settle(fake: FakeDiscord, asked: dict[str, JSON]) -> None:
    """Wait for a reply to each question; a missing one is reported by ``check``, by name."""
    with contextlib.suppress(TimeoutError):
        await fake.wait_for_replies(asked.values(), timeout=5)


def no_crash_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """ERROR records from the bot itself (an unexpected exception while answering)."""
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def answers_normally(fake: FakeDiscord) -> None:
    """A plain question after all the hostile ones still gets a cited answer."""
    interaction = await fake.slash_command("ask", {"question": QUESTION})
    assert_cited_answer((await fake.wait_for_reply(interaction))["embeds"], QUESTION)


async def test_hostile_questions_by_ask(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    """Each hostile question by /ask (cut to the 300 characters Discord lets through)."""
    fake = fake_discord
    async with footnote(fake, corpus, FOOTNOTE_COOLDOWN="off"):
        asked = {
            name: await fake.slash_command("ask", {"question": text[:MAX_SLASH]})
            for name, text in hostile(fake).items()
        }
        await settle(fake, asked)
        await answers_normally(fake)
    assert check(fake, asked) == {}
    assert no_crash_logged(caplog) == []


async def test_hostile_questions_by_mention(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    """Each hostile question in a mention, uncapped, and a bare mention, in #general."""
    fake = fake_discord
    general = fake.channel("general")
    mention = fake.bot_user.mention
    async with footnote(fake, corpus, FOOTNOTE_COOLDOWN="off"):
        questions = {"bare mention": "", **hostile(fake)}
        asked = {
            name: await fake.user_message(general, f"{mention} {text}")
            for name, text in questions.items()
        }
        await settle(fake, asked)
        await answers_normally(fake)
    assert check(fake, asked) == {}
    assert no_crash_logged(caplog) == []


async def test_hostile_questions_by_dm(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    """Each hostile question in a DM; a DM with no words (blank, or a file only) asks nothing.

    Discord does not deliver a message of only whitespace, and a file alone is no question:
    the bot stays silent on those, as it does in a question channel.
    """
    fake = fake_discord
    dm = fake.world.dm_channel(fake.user("alice"))
    async with footnote(fake, corpus, FOOTNOTE_COOLDOWN="off"):
        questions = hostile(fake)
        blank = await fake.dm_message(questions.pop("only whitespace"))
        asked = {name: await fake.dm_message(text) for name, text in questions.items()}
        await settle(fake, asked)
        file_only = await fake.dm_message("", attachments=[attachment(fake, dm.id)])
        await answers_normally(fake)
    assert check(fake, asked) == {}
    assert fake.replies_to(blank) == [] and fake.replies_to(file_only) == []
    assert no_crash_logged(caplog) == []


INVISIBLE_CONTROLS = {
    "right-to-left override": BIDI_CONTROLS,
    "control characters": frozenset(map(chr, [*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F])),
}


@pytest.mark.parametrize("name", list(INVISIBLE_CONTROLS))
async def test_the_question_is_shown_without_invisible_controls(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path], name: str
) -> None:
    """The question echoed in a reply has no bidi overrides or control characters.

    Echoed, U+202E makes the title (and anything after it on the line) read backwards in the
    channel, which spoofs what was asked; control characters are invisible noise.
    """
    fake = fake_discord
    async with footnote(fake, corpus, FOOTNOTE_COOLDOWN="off"):
        text = hostile(fake)[name]
        asked = [
            await fake.slash_command("ask", {"question": text}),
            await fake.user_message(fake.channel("general"), f"{fake.bot_user.mention} {text}"),
            await fake.dm_message(text),
        ]
        replies = await fake.wait_for_replies(asked)
    shown = [reply.text() for found in replies for reply in found]
    assert [t for t in shown if INVISIBLE_CONTROLS[name] & set(t)] == []


async def test_a_blank_question_is_refused_in_discord_terms(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """/ask with only whitespace is refused privately with a sentence about Discord, not the CLI."""
    async with footnote(fake_discord, corpus, FOOTNOTE_COOLDOWN="off"):
        interaction = await fake_discord.slash_command("ask", {"question": " \t "})
        reply = await fake_discord.wait_for_reply(interaction)
    assert reply["flags"] & 64 and "empty" in reply["content"]
    assert "footnote ask" not in reply["content"]


def attachment(fake: FakeDiscord, channel_id: int) -> JSON:
    """An attachment object as Discord sends it on a message with a file."""
    url = f"{fake.url}/attachments/{channel_id}/photo.png"
    return {
        "id": str(fake.world.ids.next()),
        "filename": "photo.png",
        "size": 1024,
        "url": url,
        "proxy_url": url,
        "content_type": "image/png",
    }
