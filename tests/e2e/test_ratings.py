"""Answers on record: 👍 / 👎 and why, follow-ups and More by answer id, /forget-me, the daily
purge, and a store that cannot be written; through the real client and the fake Discord."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from bot.client import FootnoteBot
from bot.ratings import COUNTED_DOWN, COUNTED_UP, Ratings
from footnote.answerlog.store import AnswerRecord, AnswerStore

from .fakediscord import FakeDiscord
from .test_bot import EPHEMERAL, QUESTION, footnote, posted_to
from .test_service import EARLIER, buttons, corpus, reply_to

__all__ = ["corpus"]  # the fixture, shared with test_service


def stored(bot: FootnoteBot) -> AnswerStore:
    """The bot's store file, opened as `footnote gaps` opens it."""
    return AnswerStore(bot.settings.state_file(), read_only=True)


async def on_record(fake: FakeDiscord, bot: FootnoteBot, answers: int) -> AnswerStore:
    """The store once it holds this many answers, each with the message it became (written
    just after the answer is sent)."""
    store = stored(bot)

    def complete() -> bool | None:
        found = store.answers()
        return (len(found) == answers and all(a.message_id for a in found)) or None

    await fake.wait_until(complete, timeout=10, what=f"{answers} answers")
    return store


def select_id(message: dict[str, Any]) -> str:
    """The custom id of the menu on a message."""
    (row,) = message["components"]
    (menu,) = row["components"]
    assert menu["type"] == 3
    return menu["custom_id"]


async def ask(fake: FakeDiscord, question: str = QUESTION, **options: Any) -> dict[str, Any]:
    """/ask as alice; the answer message."""
    return await reply_to(fake, await fake.slash_command("ask", {"question": question}, **options))


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
async def test_votes_are_counted_once_per_person_changeable_with_a_private_reason(
    fake_discord: FakeDiscord,
    corpus: tuple[Path, Path],
    database: str,
    request: pytest.FixtureRequest,
) -> None:
    """👍 then 👎 from one person is one vote down, with the reason picked from the private
    menu; another person's 👍 is a vote of its own; every acknowledgement is ephemeral. The
    same with the store in PostgreSQL (FOOTNOTE_DATABASE_URL)."""
    bob = fake_discord.user("bob")
    store_setting = {}
    if database == "postgresql":
        store_setting["FOOTNOTE_DATABASE_URL"] = request.getfixturevalue("postgres_database")
    async with footnote(fake_discord, corpus, **store_setting) as bot:
        answer = await ask(fake_discord)
        ids = buttons(answer)
        up = await reply_to(fake_discord, await fake_discord.component(ids["👍"], message=answer))
        down = await reply_to(fake_discord, await fake_discord.component(ids["👎"], message=answer))
        offered = down["content"]
        why = await reply_to(
            fake_discord,
            await fake_discord.component(select_id(down), message=down, values=["out-of-date"]),
        )
        bobs = await reply_to(
            fake_discord, await fake_discord.component(ids["👍"], message=answer, user=bob)
        )
        store = await on_record(fake_discord, bot, 1)
        (record,) = store.answers()
        votes = {v.user_id: v for v in store.votes()}
    assert store.kind == database
    for reply in (up, down, bobs):
        assert reply["flags"] & EPHEMERAL
    assert up["content"] == COUNTED_UP and offered == COUNTED_DOWN
    assert why["content"] == "Thanks: noted, out of date." and not why.get("components")
    assert record.question == QUESTION and record.answered and record.via == "/ask"
    assert record.message_id == int(answer["id"])
    assert [p.rank for p in record.passages] == [1, 2, 3]
    assert record.id in ids["👍"] and all(record.id in i for i in ids.values())
    alice = fake_discord.user("alice")
    assert (votes[alice.id].up, votes[alice.id].reason) == (False, "out-of-date")
    assert (votes[bob.id].up, votes[bob.id].reason) == (True, None)


async def test_a_vote_after_a_restart_is_counted_against_the_earlier_answer(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """The bot restarts between the answer and the vote: the vote still lands on the answer's
    row, and More still knows the question without reading the message."""
    async with footnote(fake_discord, corpus) as bot:
        answer = await ask(fake_discord)
        await on_record(fake_discord, bot, 1)  # as a stop by SIGTERM waits for it
    ids = buttons(answer)
    fake_discord.messages[int(answer["id"])]["embeds"][0]["title"] = "someone edited this"
    async with footnote(fake_discord, corpus) as bot:
        vote = await reply_to(fake_discord, await fake_discord.component(ids["👎"], message=answer))
        more = await reply_to(
            fake_discord, await fake_discord.component(ids["More"], message=answer)
        )
        store = await on_record(fake_discord, bot, 2)
        first, page = store.answers()
        (cast,) = store.votes()
    assert vote["content"] == COUNTED_DOWN
    assert (cast.answer_id, cast.up) == (first.id, False)
    assert more["embeds"][0]["title"] == QUESTION
    assert (page.parent_id, page.first_rank, page.question) == (first.id, 4, QUESTION)
    assert page.id in buttons(more)["👍"]


async def test_a_follow_up_finds_the_question_by_the_answer_id(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """A reply to an answer leans on the question on record, not on the embed's wording."""
    general = fake_discord.channel("general")
    async with footnote(fake_discord, corpus):
        await fake_discord.user_message(general, f"{fake_discord.bot_user.mention} {EARLIER}")
        first = await fake_discord.wait_for_request(posted_to(general.id))
        message = fake_discord.messages[int(first.response["id"])]
        message["embeds"][0]["title"] = "a title that is no question"
        await fake_discord.user_message(
            general, "and on Wednesday?", message_reference=int(message["id"])
        )
        second = await fake_discord.wait_for_request(posted_to(general.id))
    assert second.json["embeds"][0]["author"]["name"] == f"Following up on: {EARLIER}"


async def test_answers_from_before_answer_ids_still_follow_up_and_page(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """An answer with no row and buttons without an answer id (sent by an earlier release, or
    by a bot keeping no answers) still works: its question is read back from the embed."""
    general = fake_discord.channel("general")
    async with footnote(fake_discord, corpus, FOOTNOTE_KEEP_DAYS="0"):
        old = await ask(fake_discord)
    old_ids = buttons(old)
    assert "👍" not in old_ids
    assert re.fullmatch(r"footnote:more:[0-9a-f]{8}:3:3", old_ids["More"])
    async with footnote(fake_discord, corpus) as bot:
        more = await reply_to(
            fake_discord, await fake_discord.component(old_ids["More"], message=old)
        )
        await fake_discord.user_message(
            general, "and on Wednesday?", message_reference=int(old["id"])
        )
        follow_up = await fake_discord.wait_for_request(posted_to(general.id))
        (page, _) = (await on_record(fake_discord, bot, 2)).answers()
    assert more["embeds"][0]["title"] == QUESTION
    assert page.parent_id is None and page.question == QUESTION
    assert follow_up.json["embeds"][0]["author"]["name"] == f"Following up on: {QUESTION}"


async def test_forget_me_deletes_a_members_questions_and_votes(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """/forget-me deletes the asker's answers (and the votes on them) and their own votes,
    and says how many; others' rows stay."""
    bob = fake_discord.user("bob")
    async with footnote(fake_discord, corpus) as bot:
        alices = await ask(fake_discord)
        await ask(fake_discord, EARLIER)
        bobs = await ask(fake_discord, user=bob)
        await on_record(fake_discord, bot, 3)
        for message, who in ((alices, bob), (bobs, fake_discord.user("alice"))):
            await reply_to(
                fake_discord,
                await fake_discord.component(buttons(message)["👍"], message=message, user=who),
            )
        forgotten = await reply_to(fake_discord, await fake_discord.slash_command("forget-me"))
        store = stored(bot)
        left, votes = store.answers(), store.votes()
    assert forgotten["flags"] & EPHEMERAL
    assert forgotten["content"].startswith("Done: I deleted 2 questions and 1 vote of yours")
    assert [a.user_id for a in left] == [bob.id]
    assert votes == []  # alice's vote went with her; bob's was on her answer


async def test_answers_older_than_the_days_kept_are_deleted_at_start(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """With FOOTNOTE_KEEP_DAYS=30 an answer of 31 days ago is deleted; one of 29 stays."""
    async with footnote(fake_discord, corpus, FOOTNOTE_KEEP_DAYS="30") as bot:
        path = bot.settings.state_file()
    store = AnswerStore(path)
    for days, answer_id in ((31, "0123456789ab"), (29, "ba9876543210")):
        store.record(
            AnswerRecord(
                answer_id,
                1,
                2,
                3,
                time.time() - days * 86400,
                "q",
                None,
                "/ask",
                "0" * 8,
                False,
                1.0,
            )
        )
    store.close()
    async with footnote(fake_discord, corpus, FOOTNOTE_KEEP_DAYS="30") as bot:
        await fake_discord.wait_until(
            lambda: [a.id for a in stored(bot).answers()] == ["ba9876543210"] or None,
            timeout=5,
            what="the old answer deleted",
        )


async def test_a_locked_store_loses_the_vote_with_an_apology_never_the_answer(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    """Another program holds the store file locked: a question is answered all the same, and
    a vote gets a private apology with an error id that the log also names."""
    async with footnote(fake_discord, corpus) as bot:
        earlier = await ask(fake_discord, EARLIER)
        await on_record(fake_discord, bot, 1)
        locker = sqlite3.connect(bot.settings.state_file(), timeout=5)  # the bot may be writing
        locker.execute("BEGIN EXCLUSIVE")
        try:
            answer = await ask(fake_discord)
            vote = await reply_to(
                fake_discord, await fake_discord.component(buttons(earlier)["👍"], message=earlier)
            )
        finally:
            locker.rollback()
            locker.close()
        store = stored(bot)
        recorded, votes = [a.question for a in store.answers()], store.votes()
    assert answer["embeds"][0]["title"] == QUESTION and "👍" in buttons(answer)
    assert recorded == [EARLIER] and votes == []
    assert vote["flags"] & EPHEMERAL
    ident = re.search(r"error id `([0-9a-f]{8})`", vote["content"])
    assert ident and "could not be saved" in vote["content"]
    assert any(ident[1] in r.getMessage() for r in caplog.records)


async def test_a_failing_vote_gives_the_person_an_error_id(
    fake_discord: FakeDiscord,
    corpus: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unexpected error behind 👍 reaches the bot's one handler: an error id, privately."""

    async def broken(*args: Any) -> None:
        raise RuntimeError("boom")

    async with footnote(fake_discord, corpus):
        answer = await ask(fake_discord)
        monkeypatch.setattr(Ratings, "vote", broken)
        reply = await reply_to(
            fake_discord, await fake_discord.component(buttons(answer)["👍"], message=answer)
        )
    match = re.search(r"error id `([0-9a-f]{8})`", reply["content"])
    assert match and reply["flags"] & EPHEMERAL
    assert any(match[1] in r.getMessage() and r.exc_info for r in caplog.records)


PERU = ("what is the capital of Peru?", "What's the capital city of Peru?")


async def test_gaps_groups_the_unanswered_and_feedback_counts_the_votes(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """/gaps groups two phrasings of a declined question and lists an answer voted down;
    /feedback counts the questions, the votes and the reason, and names the answer voted
    down; both private, and refused to members who are not admins."""
    bob = fake_discord.user("bob")
    async with footnote(fake_discord, corpus) as bot:
        for question in PERU:
            declined = await ask(fake_discord, question)
            assert "no good answer" in declined["embeds"][0]["description"]
        answer = await ask(fake_discord)
        down = await reply_to(
            fake_discord, await fake_discord.component(buttons(answer)["👎"], message=answer)
        )
        await reply_to(
            fake_discord,
            await fake_discord.component(select_id(down), message=down, values=["wrong-passage"]),
        )
        await on_record(fake_discord, bot, 3)
        gaps = await reply_to(fake_discord, await fake_discord.slash_command("gaps"))
        feedback = await reply_to(
            fake_discord, await fake_discord.slash_command("feedback", {"days": 7})
        )
        with pytest.raises(PermissionError):
            await fake_discord.slash_command("gaps", user=bob)
    assert gaps["flags"] & EPHEMERAL and feedback["flags"] & EPHEMERAL
    (page,) = gaps["embeds"]
    assert page["title"] == "Gaps · the last 30 days · page 1 of 1"
    first, second = page["description"].split("\n\n")
    assert re.match(r"\*\*1\. [^*]*Peru[^*]*\*\* · 2 questions \(2 declined\)", first)
    assert PERU[0] in first and PERU[1].replace("'", "'") in first.replace("\\", "")
    assert re.match(r"\*\*2\. .*\*\* · 1 question \(1 voted down\)", second)
    assert QUESTION in second
    assert page["footer"]["text"].startswith("3 questions declined or voted down, in 2 groups")
    (summary,) = feedback["embeds"]
    fields = [(f["name"], f["value"]) for f in summary["fields"]]
    assert fields[0] == ("Questions", "3 asked · 1 answered · 2 declined")
    assert fields[1] == ("Votes", "0 👍 · 1 👎 on 1 answer\nwhy 👎: wrong passage 1")
    name, value = fields[2]
    assert name == "1. 1 👎 · 0 👍"
    assert QUESTION in value and value.endswith("why: wrong passage 1")
    assert "showed: US embassy in Baghdad" in value
