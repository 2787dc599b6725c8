"""The bot's small parts: the cooldown, the answer-time figures and the invite link."""

from __future__ import annotations

import re
from pathlib import Path

from bot.cooldown import Cooldown
from bot.invite import USES, invite_url, permissions
from bot.stats import Stats

ROOT = Path(__file__).resolve().parents[2]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_cooldown_is_a_sliding_window_per_person() -> None:
    clock = Clock()
    cooldown = Cooldown(2, 30.0, clock)
    assert cooldown.retry_after(1) == 0 and cooldown.retry_after(1) == 0
    clock.now += 10
    assert cooldown.retry_after(1) == 20.0  # the first question leaves the window in 20 s
    assert cooldown.retry_after(2) == 0  # someone else is not held up
    clock.now += 20  # the refused question was not counted: both slots are free again
    assert cooldown.retry_after(1) == 0 and cooldown.retry_after(1) == 0
    assert cooldown.retry_after(1) == 30.0


def test_answer_times_give_a_median_and_p95() -> None:
    stats = Stats()
    assert stats.percentile(0.5) is None
    for ms in range(1, 101):
        stats.record(ms % 10 != 0, float(ms))
    assert (stats.answered, stats.declined) == (90, 10)
    assert stats.percentile(0.5) == 50.5 and 95 <= (stats.percentile(0.95) or 0) <= 96


def test_the_invite_link_asks_for_the_documented_permissions_only() -> None:
    url = invite_url(1234)
    assert "client_id=1234" in url and "scope=bot+applications.commands" in url
    assert re.search(rf"permissions={permissions().value}\b", url)
    assert bin(permissions().value).count("1") == len(USES)  # nothing more than what is used
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Permissions, intents and what is stored")[1].split("\n#")[0]
    named = set(re.findall(r"\*\*([A-Z][A-Za-z ]+)\*\*", section))
    assert named == {
        "View Channels",
        "Send Messages",
        "Send Messages in Threads",
        "Create Public Threads",
        "Embed Links",
        "Read Message History",
    }
    assert len(named) == len(USES)
