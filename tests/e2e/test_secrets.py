"""Secrets stay secret: the bot token is never logged or sent, questions stay out of the log.

A whole session runs with every logger at DEBUG: start, /ask, a mention, a question channel,
a DM, a Discord error retried, an engine crash, and a start with a token Discord refuses.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot.app import start
from footnote.engine import Engine

from .fakediscord import FakeDiscord
from .test_bot import ROOT, footnote, settings_for

# Shaped like a real token (id, timestamp, HMAC) so nothing treats it as a placeholder.
TOKEN = "MTE5MTE2ODkxNDIyNzMzMTA3Mg.GsEcRt.kV9x-SecretPart_q2Wf7uZpL0aXb3NcYe1Rt"
REFUSED_TOKEN = "MTE5MTE2ODkxNDIyNzMzMTA3Mg.GwRoNg.not-the-token-Hx81Qm2Zk"
MARKER = "pelicanquill"  # a word no log line has any reason to hold but the question
MESSAGES = "/channels/{channel_id}/messages"


def question(number: int) -> str:
    """A question carrying the marker word, so it can be looked for in the log."""
    return f"why was the embassy attacked, {MARKER}{number}?"


def everything_logged(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    """Each record's level and full text: message, arguments, traceback and stack."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return [
        (record.levelno, formatter.format(record) + repr(record.args)) for record in caplog.records
    ]


def everything_sent(fake: FakeDiscord) -> list[str]:
    """Every REST body and query the bot sent, and every file it uploaded."""
    sent = [json.dumps(r.json) + json.dumps(r.query) + r.path for r in fake.requests]
    sent += [repr(f.get("data")) for r in fake.requests for f in r.files]
    return sent


async def a_whole_session(fake: FakeDiscord, corpus: tuple[Path, Path], broken: Any) -> None:
    """Start, ask every way, a retried 500, an engine crash; then a refused token."""
    general = fake.channel("general")
    async with footnote(fake, corpus, FOOTNOTE_COOLDOWN="off"):
        asked = [
            await fake.slash_command("ask", {"question": question(1)}),
            await fake.user_message(general, f"{fake.bot_user.mention} {question(2)}"),
            await fake.user_message(fake.channel("questions"), question(3)),
            await fake.dm_message(question(4)),
        ]
        await fake.wait_for_replies(asked)
        fake.fail_next(MESSAGES, status=500, method="POST")
        retried = await fake.user_message(general, f"{fake.bot_user.mention} {question(5)}")
        await fake.wait_for_replies([retried])
        broken()
        crashed = await fake.slash_command("ask", {"question": question(6)})
        apology = await fake.wait_for_reply(crashed)
        assert "error id" in apology["content"]
    refused = settings_for(fake, corpus, DISCORD_TOKEN=REFUSED_TOKEN)
    assert await start(refused, guild_ready_timeout=0.05) == 2


async def test_no_token_in_logs_or_messages_and_no_question_above_debug(
    fake_discord: FakeDiscord,
    corpus: tuple[Path, Path],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With every logger at DEBUG, neither token shows in a log record or anything sent.

    The question's text is logged only at DEBUG; INFO and above (what an operator keeps)
    never hold it, even when answering it crashed or Discord failed.
    """
    caplog.set_level(logging.DEBUG)
    fake = fake_discord
    fake.token = TOKEN

    def crash() -> None:
        monkeypatch.setattr(Engine, "ask", lambda *a, **k: 1 / 0)

    await a_whole_session(fake, corpus, crash)
    logged = everything_logged(caplog)
    assert any(MARKER in text for level, text in logged if level == logging.DEBUG)
    assert [t for _, t in logged if TOKEN in t or REFUSED_TOKEN in t] == []
    assert [t for level, t in logged if level > logging.DEBUG and MARKER in t] == []
    assert [s for s in everything_sent(fake) if TOKEN in s or REFUSED_TOKEN in s] == []
    printed = capsys.readouterr()
    assert TOKEN not in printed.out + printed.err and REFUSED_TOKEN not in printed.err


def gitignore_patterns() -> list[str]:
    """The patterns in the project's .gitignore, without comments, blanks or negations."""
    lines = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and line.strip()[0] not in "#!"]


def test_dotenv_is_ignored_by_git() -> None:
    """.gitignore lists .env, git agrees it is ignored, and .env.example is not."""
    patterns = gitignore_patterns()
    assert any(fnmatch.fnmatch(".env", p.lstrip("/")) for p in patterns), patterns
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: git check-ignore cannot be asked")

    def ignored(name: str) -> bool:
        check = subprocess.run(
            ["git", "check-ignore", "--quiet", "--no-index", name], cwd=ROOT, check=False
        )
        assert check.returncode in (0, 1), f"git check-ignore failed on {name}"
        return check.returncode == 0

    assert ignored(".env")
    assert not ignored(".env.example")
