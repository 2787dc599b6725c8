"""The bot's small parts: the cooldown, answer times, the invite link, reading questions back."""

from __future__ import annotations

import re
from pathlib import Path

from bot import pages, render
from bot.conversation import asked_by
from bot.cooldown import Cooldown
from bot.invite import USES, invite_url, permissions
from bot.stats import Stats
from footnote.answering.answer import Answer, Citation, Match
from footnote.retrieval.embedded.build import BuildReport

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
    guide = (ROOT / "docs" / "discord.md").read_text(encoding="utf-8")
    section = guide.split("## Permissions, intents and what is stored")[1].split("\n#")[0]
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


def passage(text: str, rank: int = 1) -> Match:
    """A shown passage with a plain citation."""
    citation = Citation("doc", "A title", None, rank, None, "doc.md")
    return Match(rank, 1.0, text, [], citation, rank)


def test_questions_are_read_back_from_answers_only() -> None:
    """The question (and the context a follow-up leaned on) survive the trip through an
    answer's embeds, escaping and all; other embeds of the bot are not answers."""
    question = "why did *the* [crowd] @everyone gather?"
    answered = Answer(question, True, [passage("The crowd gathered.")], 1.0, 10)
    assert asked_by(render.answer_embeds(answered, 3)) == (question, None)
    follow = Answer("and then?", True, [passage("Then it left.")], 1.0, 10, context="who came?")
    assert asked_by(render.answer_embeds(follow, 3)) == ("and then?", "who came?")
    declined = Answer(question, False, [], 1.0, 10, reason="No passage covers it.")
    assert asked_by(render.answer_embeds(declined, 3)) == (question, None)
    more = render.answer_embeds(answered, 3, note="More passages (4–)")
    assert asked_by(more) == (question, None)
    report = pages.reindex_report(BuildReport(documents=1, passages=2), "<@1> (alice)")
    assert asked_by([report]) is None
    assert asked_by([pages.reindex_failed("The disk is full.")]) is None
    assert asked_by([]) is None


def test_the_reindex_report_counts_boilerplate_by_reason() -> None:
    """/reindex's report says how many paragraphs were dropped, as furniture and as repeats."""
    report = BuildReport(documents=4, passages=9, furniture_dropped=1, repeated_dropped=3)
    description = pages.reindex_report(report, "<@1> (alice)").description or ""
    assert "Boilerplate dropped: 4 paragraphs (1 site furniture, 3 repeated)" in description
