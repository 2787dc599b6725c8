"""A burst of questions at the real bot through the fake Discord: none lost, none pings.

The bounded CI version of ``benchmarks/load.py`` (which measures the figures at 100,000
passages): 100 questions from 20 people at once on the default corpus. It asserts only what a
person would see; timings are the benchmark's job.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from .fakediscord import FakeDiscord, Reply, User
from .fakediscord.rest import JSON
from .test_bot import footnote

QUESTIONS = 100
PEOPLE = 20
ASKED = (
    "why was the embassy attacked?",
    "who is the prime minister of Iraq?",
    "what did Trump say about Iran?",
    "how many fighters died in the US strikes?",
    "why did the US target Kataib Hezbollah?",
    "what happened on Tuesday at the embassy?",
    "where were the militia bases?",
)
MESSAGE_REPLY_MENTIONS = {"parse": [], "replied_user": False}


async def ask(fake: FakeDiscord, number: int, person: User) -> JSON:
    """Question ``number``: by /ask, a mention in #general, or in #questions, in turn."""
    question = ASKED[number % len(ASKED)]
    way = number % 3
    if way == 0:
        return await fake.slash_command("ask", {"question": question}, user=person)
    if way == 1:
        mention = fake.bot_user.mention
        return await fake.user_message(
            fake.channel("general"), f"{mention} {question}", author=person
        )
    return await fake.user_message(fake.channel("questions"), question, author=person)


def problem_with(reply: Reply) -> str | None:
    """What is wrong with a reply a person sees, or None for an answer or a cool-down."""
    if reply.pings() or reply.ping_syntax():
        return f"it pings {reply.pings() or reply.ping_syntax()}"
    if reply.allowed_mentions not in ({"parse": []}, MESSAGE_REPLY_MENTIONS):
        return f"allowed_mentions is {reply.allowed_mentions}"
    if reply.embeds:
        return None if reply.embeds[0].get("title") else "an answer without the question"
    if not reply.content.strip():
        return "an empty reply"
    if "error id" in reply.content:
        return f"an apology: {reply.content}"
    return None  # a plain text reply without embeds: the per-person cool-down


async def test_a_burst_is_answered_once_each_without_pings(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    """100 questions from 20 people at once each get exactly one answer or cool-down reply.

    None is lost or answered twice, none pings anyone, and the gateway session lives through
    it: heartbeats during and after the burst are acknowledged, discord.py never warns that
    a heartbeat was blocked or that it cannot keep up, and the bot never reconnects.
    """
    fake = fake_discord
    people = [fake.add_person(f"reader{i:02d}") for i in range(PEOPLE)]
    async with footnote(fake, corpus):
        asked = await asyncio.gather(*(ask(fake, n, people[n % PEOPLE]) for n in range(QUESTIONS)))
        await fake.wait_for_replies(asked, timeout=30)
        beats = len(fake.heartbeats)
        await fake.wait_until(lambda: len(fake.heartbeats) >= beats + 2, 5, "two more heartbeats")
        replies = [fake.replies_to(question) for question in asked]
        closed = [c.close_code for c in fake.connections]
    lost_or_doubled = [
        (q["id"], len(r)) for q, r in zip(asked, replies, strict=True) if len(r) != 1
    ]
    assert lost_or_doubled == [], "questions without exactly one reply (id, replies)"
    problems = [problem_with(r[0]) for r in replies]
    assert [p for p in problems if p] == []
    answers = sum(bool(r[0].embeds) for r in replies)
    assert answers >= PEOPLE, "at least each person's first question is answered"
    assert [h for h in fake.heartbeats if not h.acked] == []
    assert closed == [None], "one gateway connection, never closed or replaced"
    gateway = [r.getMessage() for r in caplog.records if r.name == "discord.gateway"]
    assert [m for m in gateway if "heartbeat blocked" in m or "Can't keep up" in m] == []
