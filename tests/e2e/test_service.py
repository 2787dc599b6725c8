"""The bot as a service: /reindex, follow-ups, More and Context, /sources, /stats, /help,
autocomplete, the cooldown and shutdown, through the real client and the fake Discord."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from footnote.engine import Engine
from footnote.retrieval.embedded import build as build_module
from footnote.retrieval.embedded.build import build

from .fakediscord import FakeDiscord
from .test_bot import EPHEMERAL, QUESTION, ROOT, footnote, posted_to, settings_for, texts

MANAGE_GUILD = 1 << 5
NEW_ARTICLE = (
    "# Lighthouse keepers of the northern coast\n\n"
    "The last lighthouse keeper of Skerryvore left the tower in 1972, when the light was "
    "automated and the keepers' cottages were sold.\n"
)


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, Path]:
    """A fresh copy of the default corpus and its index for one test (rebuilds change it)."""
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    return tmp_path / "corpus", tmp_path / "index"


async def reply_to(fake: FakeDiscord, interaction: dict[str, Any]) -> dict[str, Any]:
    """What the person sees for an interaction."""
    return await fake.wait_for_reply(interaction, timeout=20)


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """The labels (or emoji) of the buttons on a message, mapped to their custom ids."""
    return {
        b.get("label") or b["emoji"]["name"]: b["custom_id"]
        for row in message.get("components") or []
        for b in row["components"]
    }


def everyone_may(fake: FakeDiscord, name: str) -> None:
    """The server lets everyone use a command (its admins changed the default permission)."""
    for commands in fake.commands.values():
        for command in commands:
            if command["name"] == name:
                command["default_member_permissions"] = None


# -- /reindex ------------------------------------------------------------------------------


async def test_an_admin_reindexes_and_the_new_article_is_answered(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """/reindex by an admin reports what changed; the new article answers at once."""
    async with footnote(fake_discord, corpus):
        (corpus[0] / "lighthouse.md").write_text(NEW_ARTICLE, encoding="utf-8")
        report = await reply_to(fake_discord, await fake_discord.slash_command("reindex"))
        asked = await fake_discord.slash_command(
            "ask", {"question": "when did the last lighthouse keeper leave?"}
        )
        answer = await reply_to(fake_discord, asked)
    assert report["flags"] & EPHEMERAL
    (embed,) = report["embeds"]
    assert embed["title"] == "Index rebuilt"
    assert "added 1 (lighthouse)" in embed["description"]
    assert "updated 0" in embed["description"] and "removed 0" in embed["description"]
    assert re.search(r"Passages: \d+", embed["description"])
    assert "Boilerplate dropped" in embed["description"]
    assert "Files skipped: 0" in embed["description"]
    assert re.match(r"Took \d+\.\d s · asked by <@\d+> \(alice\)", embed["footer"]["text"])
    assert "1972" in texts(answer["embeds"])


async def test_reindex_is_refused_to_people_who_are_not_admins(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """Discord hides /reindex from non-admins; if the server shows it anyway, the bot refuses."""
    bob = fake_discord.user("bob")
    async with footnote(fake_discord, corpus) as bot:
        with pytest.raises(PermissionError):
            await fake_discord.slash_command("reindex", user=bob)
        everyone_may(fake_discord, "reindex")
        everyone_may(fake_discord, "settings")
        refused = await reply_to(
            fake_discord, await fake_discord.slash_command("reindex", user=bob)
        )
        settings = await reply_to(
            fake_discord,
            await fake_discord.slash_command("settings", {"answer_in_threads": True}, user=bob),
        )
        generation = bot.engine.generation
    for reply in (refused, settings):
        assert reply["flags"] & EPHEMERAL
        assert "Only members with the Manage Server permission" in reply["content"]
    assert bot.engine.generation == generation
    assert not bot.store.threads(fake_discord.guild.id)


async def test_configured_admin_roles_and_users_may_reindex(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """FOOTNOTE_ADMIN_ROLE_IDS and FOOTNOTE_ADMIN_USER_IDS make admins without Manage Server."""
    carol = fake_discord.add_person("carol", permissions=1 << 11)  # Send Messages only
    dave = fake_discord.add_person("dave")
    role = fake_discord.guild.members[carol.id].roles[0]
    extra = {"FOOTNOTE_ADMIN_ROLE_IDS": str(role), "FOOTNOTE_ADMIN_USER_IDS": str(dave.id)}
    async with footnote(fake_discord, corpus, **extra):
        everyone_may(fake_discord, "reindex")
        by_role = await reply_to(
            fake_discord, await fake_discord.slash_command("reindex", user=carol)
        )
        by_id = await reply_to(fake_discord, await fake_discord.slash_command("reindex", user=dave))
    assert by_role["embeds"][0]["title"] == by_id["embeds"][0]["title"] == "Index rebuilt"


async def test_a_failing_rebuild_says_why_and_the_old_index_keeps_answering(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """An emptied corpus folder fails the rebuild with the reason; answers go on as before."""
    async with footnote(fake_discord, corpus):
        for path in corpus[0].iterdir():
            path.unlink()
        report = await reply_to(fake_discord, await fake_discord.slash_command("reindex"))
        answer = await reply_to(
            fake_discord, await fake_discord.slash_command("ask", {"question": QUESTION})
        )
    (embed,) = report["embeds"]
    assert embed["title"] == "The rebuild failed"
    assert "holds no readable article" in embed["description"]
    assert "The previous index keeps answering." in embed["description"]
    assert answer["embeds"][0]["description"].startswith("> ")


async def test_questions_are_answered_during_a_rebuild_and_a_second_one_is_refused(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a rebuild runs, questions get the old index, a second /reindex names who started
    the first; when it completes, the new index answers."""
    release, entered = threading.Event(), threading.Event()
    real_write = build_module._write_generation

    def slow_write(*args: Any, **kwargs: Any) -> None:
        entered.set()
        release.wait(20)
        real_write(*args, **kwargs)

    monkeypatch.setattr(build_module, "_write_generation", slow_write)
    lighthouse = "when did the last lighthouse keeper leave?"
    async with footnote(fake_discord, corpus):
        (corpus[0] / "lighthouse.md").write_text(NEW_ARTICLE, encoding="utf-8")
        first = await fake_discord.slash_command("reindex")
        await asyncio.to_thread(entered.wait, 10)
        during = await reply_to(
            fake_discord, await fake_discord.slash_command("ask", {"question": QUESTION})
        )
        before = await reply_to(
            fake_discord, await fake_discord.slash_command("ask", {"question": lighthouse})
        )
        busy = await reply_to(fake_discord, await fake_discord.slash_command("reindex"))
        release.set()
        report = await reply_to(fake_discord, first)
        after = await reply_to(
            fake_discord, await fake_discord.slash_command("ask", {"question": lighthouse})
        )
    assert during["embeds"][0]["description"].startswith("> ")
    assert "1972" not in texts(before["embeds"])
    assert busy["flags"] & EPHEMERAL
    assert re.search(
        r"A rebuild started by <@\d+> \(alice\) <t:\d+:R> is still running", busy["content"]
    )
    assert report["embeds"][0]["title"] == "Index rebuilt"
    assert "1972" in texts(after["embeds"])


async def test_an_index_rebuilt_by_the_command_line_is_picked_up(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """`footnote index` on the same folder publishes a new index; the bot switches to it."""
    lighthouse = "when did the last lighthouse keeper leave?"
    async with footnote(fake_discord, corpus, FOOTNOTE_WATCH_SECONDS="0.1") as bot:
        (corpus[0] / "lighthouse.md").write_text(NEW_ARTICLE, encoding="utf-8")
        old = bot.engine.generation
        await asyncio.to_thread(build, bot.engine.config, "footnote index (test)")
        await fake_discord.wait_until(lambda: bot.engine.generation != old, 10, "the switch")
        answer = await reply_to(
            fake_discord, await fake_discord.slash_command("ask", {"question": lighthouse})
        )
        stats = await reply_to(fake_discord, await fake_discord.slash_command("stats"))
    assert "1972" in texts(answer["embeds"])
    build_field = next(f for f in stats["embeds"][0]["fields"] if f["name"] == "Last build")
    assert "by footnote index (test) in " in build_field["value"]


# -- follow-ups ----------------------------------------------------------------------------

EARLIER = "what happened at the embassy on Tuesday?"


async def test_a_reply_to_an_answer_follows_up_on_its_question(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """Replying "and on Wednesday?" to an answer takes its question as context, and says so."""
    general = fake_discord.channel("general")
    mention = fake_discord.bot_user.mention
    async with footnote(fake_discord, corpus):
        await fake_discord.user_message(general, f"{mention} {EARLIER}")
        first = await fake_discord.wait_for_request(posted_to(general.id))
        answer_id = int(first.response["id"])
        follow_up = await fake_discord.user_message(
            general, "and on Wednesday?", message_reference=answer_id
        )
        second = await fake_discord.wait_for_request(posted_to(general.id))
    embed = second.json["embeds"][0]
    assert embed["author"]["name"] == f"Following up on: {EARLIER}"
    assert embed["title"] == "and on Wednesday?"
    assert "Wednesday" in embed["description"]
    assert second.json["message_reference"]["message_id"] == int(follow_up["id"])


async def test_a_reply_to_someone_else_is_not_a_question(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """Replies between people are left alone; only replies to the bot's answers follow up."""
    general = fake_discord.channel("general")
    async with footnote(fake_discord, corpus):
        chat = await fake_discord.user_message(general, "lunch?", author=fake_discord.user("bob"))
        await fake_discord.user_message(
            general, "and on Wednesday?", message_reference=int(chat["id"])
        )
        await fake_discord.user_message(general, f"{fake_discord.bot_user.mention} {QUESTION}")
        reply = await fake_discord.wait_for_request(posted_to(general.id))
    assert reply.json["embeds"][0]["title"] == QUESTION
    assert [r for r in fake_discord.requests if posted_to(general.id)(r)] == [reply]


async def test_answers_in_threads_and_follow_ups_there(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """With /settings answer_in_threads, a mention is answered in a new thread; a message in
    that thread follows up, with the thread's question as context; the choice survives a
    restart of the bot."""
    general = fake_discord.channel("general")
    mention = fake_discord.bot_user.mention
    async with footnote(fake_discord, corpus):
        turned_on = await reply_to(
            fake_discord,
            await fake_discord.slash_command("settings", {"answer_in_threads": True}),
        )
    async with footnote(fake_discord, corpus):
        asked = await fake_discord.user_message(general, f"{mention} {EARLIER}")
        thread_request = await fake_discord.wait_for_request(
            lambda r: r.method == "POST" and r.path.endswith(f"/messages/{asked['id']}/threads")
        )
        thread_id = int(thread_request.response["id"])
        first = await fake_discord.wait_for_request(posted_to(thread_id))
        await fake_discord.user_message(thread_id, "and on Wednesday?")
        second = await fake_discord.wait_for_request(posted_to(thread_id))
    assert "in a new thread" in turned_on["content"]
    assert thread_request.json["name"] == EARLIER
    assert first.json["embeds"][0]["title"] == EARLIER
    assert "author" not in first.json["embeds"][0]
    assert second.json["embeds"][0]["author"]["name"] == f"Following up on: {EARLIER}"
    assert not [r for r in fake_discord.requests if posted_to(general.id)(r)]


# -- More and Context ----------------------------------------------------------------------


async def test_more_shows_the_next_passages_and_context_the_paragraphs_around(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """Under an answer, More privately shows passages 4-6; Context [1] the paragraphs around
    the first one, marked, with its citation."""
    bob = fake_discord.user("bob")
    async with footnote(fake_discord, corpus):
        answer = await reply_to(
            fake_discord, await fake_discord.slash_command("ask", {"question": QUESTION})
        )
        ids = buttons(answer)
        more = await reply_to(
            fake_discord, await fake_discord.component(ids["More"], message=answer, user=bob)
        )
        context = await reply_to(
            fake_discord, await fake_discord.component(ids["Context [1]"], message=answer)
        )
    assert list(ids) == ["More", "Context [1]", "Context [2]", "Context [3]", "👍", "👎"]
    assert more["flags"] & EPHEMERAL
    assert more["embeds"][0]["title"] == QUESTION
    assert more["embeds"][0]["author"]["name"] == "More passages (4–)"
    assert "[4]" in more["embeds"][0]["description"].replace("\\", "")
    assert list(buttons(more)) == ["More", "Context [4]", "Context [5]", "Context [6]", "👍", "👎"]
    shown = {e["description"].split("\n\n")[0] for e in answer["embeds"]}
    assert not shown & {e["description"].split("\n\n")[0] for e in more["embeds"]}
    assert context["flags"] & EPHEMERAL
    (embed,) = context["embeds"]
    assert embed["title"].startswith("Context: US embassy in Baghdad")
    assert embed["description"].count("**▶**") >= 1 and embed["description"].count("`¶") >= 2
    assert re.search(r"¶\d+–\d+", embed["description"])


async def test_a_failing_button_gives_the_person_an_error_id(
    fake_discord: FakeDiscord,
    corpus: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An exception behind More or Context reaches the bot's one error handler: the person
    sees an apology with an error id, privately, which the log names with the traceback."""
    from bot.client import FootnoteBot

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the button broke")

    async with footnote(fake_discord, corpus):
        answer = await reply_to(
            fake_discord, await fake_discord.slash_command("ask", {"question": QUESTION})
        )
        ids = buttons(answer)
        monkeypatch.setattr(FootnoteBot, "show_more", broken)
        monkeypatch.setattr(FootnoteBot, "show_context", broken)
        pressed = [
            await reply_to(fake_discord, await fake_discord.component(ids[name], message=answer))
            for name in ("More", "Context [1]")
        ]
    for reply in pressed:
        match = re.search(r"error id `([0-9a-f]{8})`", reply["content"])
        assert match and reply["flags"] & EPHEMERAL
        assert any(match[1] in r.getMessage() and r.exc_info for r in caplog.records)


async def test_buttons_work_after_a_restart_and_say_when_the_index_changed(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """A restarted bot understands the buttons of an earlier run's answer; after a rebuild,
    More answers from the new index and says so, Context says why it cannot."""
    async with footnote(fake_discord, corpus):
        answer = await reply_to(
            fake_discord, await fake_discord.slash_command("ask", {"question": QUESTION})
        )
    ids = buttons(answer)
    async with footnote(fake_discord, corpus) as bot:
        more = await reply_to(
            fake_discord, await fake_discord.component(ids["More"], message=answer)
        )
        (corpus[0] / "lighthouse.md").write_text(NEW_ARTICLE, encoding="utf-8")
        await asyncio.to_thread(bot.engine.rebuild, "a test")
        stale_more = await reply_to(
            fake_discord, await fake_discord.component(ids["More"], message=answer)
        )
        stale_context = await reply_to(
            fake_discord, await fake_discord.component(ids["Context [2]"], message=answer)
        )
    assert more["embeds"][0]["author"]["name"] == "More passages (4–)"
    assert stale_more["embeds"][0]["author"]["name"].startswith("The articles were re-indexed")
    assert stale_context["flags"] & EPHEMERAL
    assert "re-indexed since this answer" in stale_context["content"]


# -- /sources, /stats, /help, autocomplete --------------------------------------------------


async def test_sources_are_paged_and_searchable(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """25 articles make three pages of /sources; search narrows them; links are kept."""
    birds = [
        "heron",
        "gull",
        "tern",
        "puffin",
        "gannet",
        "curlew",
        "plover",
        "eider",
        "shag",
        "skua",
        "dunlin",
        "knot",
    ]
    for i in range(24):
        bird, other = birds[i % 12], birds[(i * 5 + 1) % 12]
        (corpus[0] / f"note-{i:02}.md").write_text(
            f"---\ntitle: Field note {i:02}\nurl: https://example.org/notes/{i:02}\n---\n\n"
            f"A {bird} was seen beside a {other} near pier {i} when the tide turned.\n",
            encoding="utf-8",
        )
    async with footnote(fake_discord, corpus):
        first = await reply_to(fake_discord, await fake_discord.slash_command("sources"))
        third = await reply_to(
            fake_discord, await fake_discord.slash_command("sources", {"page": 3})
        )
        beyond = await reply_to(
            fake_discord, await fake_discord.slash_command("sources", {"page": 9})
        )
        found = await reply_to(
            fake_discord, await fake_discord.slash_command("sources", {"search": "note 07"})
        )
        none = await reply_to(
            fake_discord, await fake_discord.slash_command("sources", {"search": "zebra"})
        )
    assert first["embeds"][0]["title"] == "Sources · page 1 of 3"
    assert first["embeds"][0]["description"].count("\n• ") == 9
    assert "25 of 25 documents" in first["embeds"][0]["footer"]["text"]
    assert third["embeds"][0]["description"].count("• ") == 5
    assert beyond["embeds"][0]["title"] == "Sources · page 3 of 3"
    (line,) = found["embeds"][0]["description"].splitlines()
    assert line.startswith("• [Field note 07](https://example.org/notes/07")
    assert "1 passage" in line
    assert "No document matches “zebra”." in none["embeds"][0]["description"]


async def test_stats_count_questions_and_times(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """/stats: documents, passages, the last build, answered and declined, answer times."""
    async with footnote(fake_discord, corpus):
        for question in (QUESTION, "who is Iraq's prime minister?", "what is the capital of Peru?"):
            await reply_to(
                fake_discord, await fake_discord.slash_command("ask", {"question": question})
            )
        stats = await reply_to(fake_discord, await fake_discord.slash_command("stats"))
    fields = {f["name"].split(" since ")[0]: f["value"] for f in stats["embeds"][0]["fields"]}
    assert fields["Documents"] == "1" and int(fields["Passages"]) > 10
    assert re.search(r"<t:\d+:f> \(<t:\d+:R>\) by .+ in \d+\.\d s", fields["Last build"])
    assert fields["Questions"].startswith("2 answered · 1 declined")
    assert re.match(r"median \d+ ms · p95 \d+ ms over the last 3", fields["Answer time"])


async def test_help_gives_example_questions_from_the_corpus(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """/help explains how to ask; its examples are the corpus's own headings and titles."""
    async with footnote(fake_discord, corpus):
        reply = await reply_to(fake_discord, await fake_discord.slash_command("help"))
    assert reply["flags"] & EPHEMERAL
    content = reply["content"]
    assert (
        "/ask" in content and "Follow up" in content and "5 questions every 30 seconds" in content
    )
    examples = content.split("**Try asking about**\n")[1].splitlines()
    corpus_text = " ".join(
        " ".join(path.read_text(encoding="utf-8") for path in corpus[0].iterdir()).split()
    )
    assert examples and all(e.removeprefix("• ") in corpus_text for e in examples)


async def test_autocomplete_suggests_questions_the_corpus_answers(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """Typing into /ask's question gets at most 25 choices of at most 100 characters that
    match what is typed; text that matches nothing gets none, never an error."""
    async with footnote(fake_discord, corpus):
        typed = await fake_discord.autocomplete("ask", {"question": "why"}, "question")
        callback = await fake_discord.wait_for_callback(typed)
        empty = await fake_discord.autocomplete("ask", {"question": ""}, "question")
        all_choices = await fake_discord.wait_for_callback(empty)
        odd = await fake_discord.autocomplete(
            "ask", {"question": "\u202e@everyone zzqx"}, "question"
        )
        none = await fake_discord.wait_for_callback(odd)
    assert callback["type"] == 8
    choices = callback["data"]["choices"]
    assert choices and all(c["name"].lower().startswith("why") for c in choices)
    assert all(len(c["name"]) <= 100 and c["name"] == c["value"] for c in choices)
    assert 0 < len(all_choices["data"]["choices"]) <= 25
    assert none["data"]["choices"] == []


# -- cooldown and shutdown -----------------------------------------------------------------


async def test_the_cooldown_tells_a_fast_asker_when_to_try_again(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """Past 2 questions a minute a person is told when to ask again; others are still answered."""
    general = fake_discord.channel("general")
    mention = fake_discord.bot_user.mention
    async with footnote(fake_discord, corpus, FOOTNOTE_COOLDOWN="2/60"):
        replies = [
            await reply_to(
                fake_discord, await fake_discord.slash_command("ask", {"question": QUESTION})
            )
            for _ in range(2)
        ]
        third = await reply_to(
            fake_discord, await fake_discord.slash_command("ask", {"question": QUESTION})
        )
        await fake_discord.user_message(general, f"{mention} {QUESTION}")
        mentioned = await fake_discord.wait_for_request(posted_to(general.id))
        bob = await reply_to(
            fake_discord,
            await fake_discord.slash_command(
                "ask", {"question": QUESTION}, user=fake_discord.user("bob")
            ),
        )
    assert all(r["embeds"] for r in replies)
    assert third["flags"] & EPHEMERAL and not third["embeds"]
    assert re.match(
        r"You're asking quickly: each person can ask 2 questions every 60 seconds\. "
        r"Try again <t:\d+:R>\.",
        third["content"],
    )
    assert mentioned.json["content"].startswith("You're asking quickly")
    assert bob["embeds"][0]["title"] == QUESTION


async def test_sigterm_finishes_and_exits_0(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path], tmp_path: Path
) -> None:
    """`python -m bot` stops on SIGTERM (and SIGINT): answers the question in progress, closes
    the gateway connection without reconnecting, exits 0."""
    Engine.open(settings_for(fake_discord, corpus).engine_config())
    environ = {
        **os.environ,
        "DISCORD_TOKEN": fake_discord.token,
        "DISCORD_GUILD_ID": str(fake_discord.guild.id),
        "FOOTNOTE_CORPUS_DIR": str(corpus[0]),
        "FOOTNOTE_INDEX_DIR": str(corpus[1]),
        "DISCORD_API_BASE_URL": fake_discord.api_url,
        "DISCORD_GATEWAY_URL": fake_discord.gateway_url,
    }
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=tmp_path, env=environ,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        connections = len(fake_discord.gateway.connections)
        await fake_discord.wait_until(
            lambda n=connections: (
                len(fake_discord.gateway.connections) > n
                and fake_discord.gateway.connections[-1].identified
            ),
            30,
            "the bot to connect",
        )
        asked = await fake_discord.slash_command("ask", {"question": QUESTION})
        process.send_signal(signal_number)
        answer = await reply_to(fake_discord, asked)
        _, err = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, err.decode()
        assert answer["embeds"][0]["title"] == QUESTION
        assert f"{signal_number.name} received: stopping" in err.decode()
        (last,) = fake_discord.gateway.connections[connections:]  # closed, not reconnected
        assert last.socket is None and last.close_code is not None


async def test_admin_commands_are_refused_in_dms(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """The admin commands are synced to servers only; forced into a DM (as a global command
    usable everywhere), the bot still refuses them."""
    async with footnote(fake_discord, corpus) as bot:
        generation = bot.engine.generation
        replies = []
        for name in ("reindex", "settings"):
            with pytest.raises(LookupError, match="not registered for DMs"):
                await fake_discord.slash_command(name, dm=True)
            synced = next(
                c for c in fake_discord.commands[fake_discord.guild.id] if c["name"] == name
            )
            forced = {**synced, "contexts": [0, 1, 2], "dm_permission": True}
            forced.pop("guild_id", None)
            fake_discord.commands.setdefault(None, []).append(forced)
            replies.append(
                await reply_to(fake_discord, await fake_discord.slash_command(name, dm=True))
            )
    for reply in replies:
        assert reply["flags"] & EPHEMERAL
        assert reply["content"] == "This command works in a server, not in DMs."
    assert bot.engine.generation == generation


@pytest.mark.parametrize("damage", ["deleted", "garbage"])
async def test_a_damaged_index_folder_keeps_the_bot_answering_until_reindex(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path], damage: str
) -> None:
    """With the index folder deleted or overwritten under it, the bot answers from memory (the
    watcher included); /reindex rebuilds the folder, and so would a restart."""
    async with footnote(fake_discord, corpus, FOOTNOTE_WATCH_SECONDS="0.05") as bot:
        if damage == "deleted":
            shutil.rmtree(corpus[1])
        else:
            for path in corpus[1].rglob("*"):
                if path.is_file():
                    path.write_bytes(os.urandom(max(1, path.stat().st_size)))
        await asyncio.sleep(0.3)  # several looks at the damaged folder
        during = await reply_to(
            fake_discord, await fake_discord.slash_command("ask", {"question": QUESTION})
        )
        report = await reply_to(fake_discord, await fake_discord.slash_command("reindex"))
    assert during["embeds"][0]["title"] == QUESTION
    assert during["embeds"][0]["description"].startswith("> ")
    assert report["embeds"][0]["title"] == "Index rebuilt"
    assert Engine.open(bot.engine.config)[1] is None  # a restart finds a sound, current index


async def test_a_missing_corpus_folder_fails_reindex_with_the_reason(
    fake_discord: FakeDiscord, corpus: tuple[Path, Path]
) -> None:
    """The corpus folder gone (an unmounted share): /reindex says so; answers go on."""
    async with footnote(fake_discord, corpus):
        corpus[0].rename(corpus[0].with_name("elsewhere"))
        report = await reply_to(fake_discord, await fake_discord.slash_command("reindex"))
        answer = await reply_to(
            fake_discord, await fake_discord.slash_command("ask", {"question": QUESTION})
        )
    (embed,) = report["embeds"]
    assert embed["title"] == "The rebuild failed"
    assert str(corpus[0]) in embed["description"].replace("\\", "")
    assert answer["embeds"][0]["description"].startswith("> ")


async def test_the_index_watcher_survives_an_unexpected_error(
    fake_discord: FakeDiscord,
    corpus: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A surprise while looking at the index on disk is logged; the watcher keeps watching."""
    real_refresh = Engine.refresh
    calls: list[int] = []

    def failing_once(self: Engine) -> bool:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the disk hiccupped")
        return real_refresh(self)

    monkeypatch.setattr(Engine, "refresh", failing_once)
    async with footnote(fake_discord, corpus, FOOTNOTE_WATCH_SECONDS="0.05") as bot:
        await fake_discord.wait_until(lambda: len(calls) > 1, 10, "a second look")
        old = bot.engine.generation
        (corpus[0] / "lighthouse.md").write_text(NEW_ARTICLE, encoding="utf-8")
        await asyncio.to_thread(build, bot.engine.config, "footnote index (test)")
        await fake_discord.wait_until(lambda: bot.engine.generation != old, 10, "the switch")
    (logged,) = [r for r in caplog.records if "looking at the index on disk" in r.getMessage()]
    assert logged.exc_info is not None
