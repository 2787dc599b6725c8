"""Discord misbehaving, through the fake: server errors, rate limits, and gateway drops.

The answer must still reach the person (discord.py retries REST calls and reconnects the
gateway) and the log must tell an operator what happened. The per-person cool-down is off:
one person asks many questions here, and the cool-down is not what is tested.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.client import FootnoteBot

from .fakediscord import FakeDiscord, Reply
from .fakediscord.rest import JSON
from .test_bot import QUESTION, assert_cited_answer, footnote

MESSAGES = "/channels/{channel_id}/messages"
CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"
WAYS = ("/ask", "mention", "channel")


async def ask(fake: FakeDiscord, way: str, question: str = QUESTION) -> JSON:
    """A person asks by /ask, a mention in #general, or in the question channel."""
    if way == "/ask":
        return await fake.slash_command("ask", {"question": question})
    if way == "mention":
        text = f"{fake.bot_user.mention} {question}"
        return await fake.user_message(fake.channel("general"), text)
    return await fake.user_message(fake.channel("questions"), question)


def answered_once(fake: FakeDiscord, question: JSON) -> Reply:
    """The one reply to a question, checked to be a cited answer."""
    replies = fake.replies_to(question)
    assert len(replies) == 1, f"{len(replies)} replies to question {question['id']}"
    (reply,) = replies
    assert reply.embeds, f"not an answer: {reply.content!r}"
    return reply


def logged(caplog: pytest.LogCaptureFixture, logger: str, level: int) -> list[str]:
    """Messages a logger (and its children) wrote at ``level`` or above."""
    return [
        r.getMessage() for r in caplog.records if r.name.startswith(logger) and r.levelno >= level
    ]


async def test_server_errors_on_replies_are_retried(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    """A 500 on a reply and a 502 on an /ask response: both answers still arrive, once.

    discord.py retries 5xx after a second, saying so only at DEBUG; the bot's log shows it
    as a WARNING naming the call and the status, without the interaction's token.
    """
    caplog.set_level(logging.DEBUG, logger="discord")
    fake = fake_discord
    general = fake.channel("general")
    fake.fail_next(f"/channels/{general.id}/messages", status=500, method="POST")
    fake.fail_next(CALLBACK, status=502, method="POST")
    async with footnote(fake, corpus, FOOTNOTE_COOLDOWN="off"):
        mention = await ask(fake, "mention")
        slash = await ask(fake, "/ask")
        await fake.wait_for_replies([mention, slash], timeout=10)
    for question in (mention, slash):
        assert_cited_answer(answered_once(fake, question).embeds, QUESTION)
    statuses = [r.status for r in fake.requests if r.route in (MESSAGES, CALLBACK)]
    assert statuses.count(500) == 1 and statuses.count(502) == 1
    warnings = logged(caplog, "discord", logging.WARNING)
    assert any(
        f"POST {fake.api_url}/channels/{general.id}/messages with 500; discord.py retries it" in m
        for m in warnings
    )
    (callback,) = [m for m in warnings if "/callback with 502" in m]
    assert callback.startswith("Discord answered POST ") and "/interactions/" in callback
    assert slash["token"] not in callback


async def test_rate_limits_are_waited_out(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    """429 on a reply, a global 429 on the next, and a 429 on an /ask response: all answered.

    The WARNING log says the bot is rate limited, on which call, and how long it waits.
    """
    fake = fake_discord
    questions = fake.channel("questions")
    fake.rate_limit_next(MESSAGES, retry_after=0.2, method="POST")
    async with footnote(fake, corpus, FOOTNOTE_COOLDOWN="off"):
        first = await ask(fake, "channel")
        await fake.wait_for_replies([first])
        fake.rate_limit_next(MESSAGES, retry_after=0.2, method="POST", is_global=True)
        fake.rate_limit_next(CALLBACK, retry_after=0.2, method="POST")
        second = await ask(fake, "channel", "who is the prime minister of Iraq?")
        slash = await ask(fake, "/ask")
        await fake.wait_for_replies([second, slash], timeout=10)
    for question in (first, second, slash):
        answered_once(fake, question)
    assert [r.status for r in fake.requests].count(429) == 3
    warnings = logged(caplog, "discord", logging.WARNING)
    path = f"/channels/{questions.id}/messages"
    assert any(
        "rate limited" in m and path in m and "Retrying in 0.20 seconds" in m for m in warnings
    )
    assert any("Global rate limit has been hit" in m for m in warnings)
    assert any("is rate limited. Retrying in 0.20 seconds" in m for m in warnings)


Fault = Callable[[FakeDiscord], Awaitable[None]]
GATEWAY_FAULTS: dict[str, tuple[Fault, bool]] = {
    "connection dropped (4000)": (lambda fake: fake.drop_gateway(4000), True),
    "op 7 RECONNECT": (lambda fake: fake.send_reconnect(), True),
    "resumable INVALID_SESSION": (lambda fake: fake.invalidate_session(resumable=True), True),
    "INVALID_SESSION, not resumable": (lambda fake: fake.invalidate_session(False), False),
}


@pytest.mark.parametrize("fault", list(GATEWAY_FAULTS))
async def test_questions_after_a_gateway_fault_are_answered(
    fake_discord: FakeDiscord,
    corpus: tuple[Path, Path],
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    """The gateway fails mid-burst; the bot resumes (or identifies anew) and answers on.

    Questions asked just before the fault, and (when the session can resume) while the bot
    is away, are replayed by Discord on RESUME, but a question Discord never delivered is
    not the bot's fault: those get at most one reply each. Every question asked once the
    bot is back gets exactly one answer, and the log says the session resumed or reconnected.
    """
    caplog.set_level(logging.INFO, logger="discord")
    fake = fake_discord
    inject, resumable = GATEWAY_FAULTS[fault]
    async with footnote(fake, corpus, FOOTNOTE_COOLDOWN="off") as bot:
        before = [await ask(fake, way) for way in WAYS]
        back = asyncio.ensure_future(wait_back(bot, resumable))
        await inject(fake)
        away = [await ask(fake, way) for way in WAYS] if resumable else []
        await back
        after = [await ask(fake, way) for way in WAYS for _ in range(2)]
        await fake.wait_for_replies(after, timeout=10)
        await asyncio.sleep(0.3)  # a duplicate reply would arrive now
    for question in after:
        answered_once(fake, question)
    assert [q["id"] for q in before + away if len(fake.replies_to(q)) > 1] == []
    info = logged(caplog, "discord.gateway", logging.INFO)
    if resumable:
        assert any("successfully RESUMED session" in m for m in info)
    else:
        assert any("session has been invalidated" in m for m in info)
        assert sum("has connected to Gateway" in m for m in info) == 2


async def wait_back(bot: FootnoteBot, resumable: bool) -> None:
    """Until the bot has resumed its session, or identified again and is ready."""
    await bot.wait_for("resumed" if resumable else "ready", timeout=15)
