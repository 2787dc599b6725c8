"""The answer store on its two databases: migrations from version 1, feeds, the corpus of an
answer, several processes sharing one PostgreSQL store, a first start by two at once, and a
database that cannot be reached or goes away; with the bot's async side (BotStore)."""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from conftest import postgres_launcher, run_footnote
from test_answerlog import record, shown

from bot.store import Asked, BotStore, answer_record
from footnote.answering.answer import Answer
from footnote.answerlog.databases import PostgresDatabase, SQLiteDatabase
from footnote.answerlog.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    STORE_NAME,
    AnswerStore,
    FeedRecord,
    StoreError,
)

NOW = time.time()


def version_1_store(location: Path | str) -> None:
    """A store as the previous release left it: schema 1, a server's setting, an answer with
    a shown passage and a vote on it."""
    db = PostgresDatabase(location) if isinstance(location, str) else SQLiteDatabase(location)
    assert db.migrate(MIGRATIONS, 1) == 0
    with db.transaction() as writing:
        writing.execute("INSERT INTO servers (guild_id, threads) VALUES (?, ?)", (1234, 1))
        writing.execute(
            "INSERT INTO answers (id, guild_id, channel_id, user_id, asked_at, question, "
            "context, via, generation, answered, took_ms, first_rank, parent_id, message_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                *("old", 10, 20, 1, NOW - 60, "where do cats sleep?", None, "/ask", "g", 1),
                *(2.0, 1, None, 987654321098765432),
            ],
        )
        writing.execute(
            "INSERT INTO shown (answer_id, rank, document, passage, last, digest, title, "
            "section, paragraphs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ("old", 1, "cats", 0, 0, "d" * 16, "Cats", None, "¶1"),
        )
        writing.execute(
            "INSERT INTO votes (answer_id, user_id, up, reason, voted_at) VALUES (?, ?, ?, ?, ?)",
            ("old", 7, 0, "wrong-passage", NOW - 30),
        )
    assert db.version() == 1
    db.close()


def test_a_version_1_store_keeps_its_rows_and_gains_corpus_and_feeds(
    location: Path | str,
) -> None:
    """Opened for writing, a version 1 store becomes version 2 with every row kept; its
    answers name no corpus, new ones do, and feeds can be followed."""
    version_1_store(location)
    store = AnswerStore(location)
    assert store.version == SCHEMA_VERSION == 2
    assert store.server_threads() == {1234: True}
    [old] = store.answers()
    assert (old.question, old.corpus) == ("where do cats sleep?", None)
    assert old.message_id == 987654321098765432  # a snowflake past 32 bits, kept whole
    assert [p.document for p in old.passages] == ["cats"]
    assert [(v.user_id, v.up, v.reason) for v in store.votes()] == [(7, False, "wrong-passage")]
    store.record(replace(record("new", "what do cats eat?", ago=10), corpus="pets"))
    assert [(a.id, a.corpus) for a in store.answers()] == [("old", None), ("new", "pets")]
    assert store.follow(10, "https://example.org/feed.xml", "pets", 7)
    store.close()
    again = AnswerStore(location)  # a second start migrates nothing
    assert again.version == 2 and len(again.answers()) == 2 and len(again.feeds()) == 1
    again.close()


def test_the_command_line_reads_a_version_1_file_it_may_not_upgrade(
    tmp_path: Path,
) -> None:
    """`footnote feedback` opens read-only: a store an older bot still writes is read as it
    is, never upgraded behind that bot's back."""
    path = tmp_path / STORE_NAME
    version_1_store(path)
    result = run_footnote("feedback", "--store", str(path))
    assert result.returncode == 0, result.stderr
    assert "1 question(s): 1 answered, 0 declined" in result.stdout
    assert "votes: 0 up, 1 down, on 1 answer(s)" in result.stdout
    reader = AnswerStore(path, read_only=True)
    assert reader.answers()[0].corpus is None and reader.feeds() == []
    reader.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone() == (1,)


def test_a_version_0_file_still_migrates_to_the_latest(tmp_path: Path) -> None:
    """The settings file of earlier releases (the servers table alone) goes to version 2 in
    one start, its servers kept."""
    path = tmp_path / STORE_NAME
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE servers (guild_id INTEGER PRIMARY KEY, threads INTEGER NOT NULL DEFAULT 0)"
    )
    db.execute("INSERT INTO servers VALUES (55, 1)")
    db.commit()
    db.close()
    store = AnswerStore(path)
    assert store.version == 2 and store.server_threads() == {55: True}
    assert store.follow(55, "https://example.org/a.rss", "default", 1)
    store.close()


def test_feeds_are_followed_once_checked_and_unfollowed(location: Path | str) -> None:
    """A feed is followed once per server; a check keeps when, its error and the entries
    seen (in order, no repeats); another server's feeds stay apart; /forget-me drops the
    name of who followed it, not the feed."""
    store = AnswerStore(location)
    url = "https://news.example.org/rss"
    assert store.follow(1, url, "news", 100, at=NOW - 5)
    assert not store.follow(1, url, "other", 101)  # already followed: nothing changes
    assert store.follow(2, url, "shared", 200, at=NOW - 4)
    assert store.follow(1, "https://b.example.org/atom", "news", 100, at=NOW - 3)
    store.feed_checked(1, url, NOW, "The feed could not be fetched (timeout).", ["e1", "e2", "e1"])
    first = store.feeds(1)
    assert [f.url for f in first] == [url, "https://b.example.org/atom"]
    assert first[0] == FeedRecord(
        1,
        url,
        "news",
        100,
        first[0].added_at,
        NOW,
        "The feed could not be fetched (timeout).",
        ("e1", "e2"),
    )
    assert first[0].added_at == pytest.approx(NOW - 5)
    assert [(f.guild_id, f.corpus) for f in store.feeds(2)] == [(2, "shared")]
    store.feed_checked(1, url, NOW + 60, None, ["e1", "e2", "e3"])
    assert (store.feeds(1)[0].error, store.feeds(1)[0].seen) == (None, ("e1", "e2", "e3"))
    assert store.forget(100) == (0, 0)
    assert [f.added_by for f in store.feeds()] == [None, None, 200]
    assert store.unfollow(1, url) and not store.unfollow(1, url)
    assert [(f.guild_id, f.url) for f in store.feeds()] == [
        (1, "https://b.example.org/atom"),
        (2, url),
    ]
    store.close()


def test_first_starts_at_the_same_moment_migrate_once(location: Path | str) -> None:
    """Several processes starting together on a new store: one migrates, the others wait
    and find the schema current; none fails."""
    starts = 6
    barrier = threading.Barrier(starts)
    opened: list[AnswerStore] = []
    failed: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            opened.append(AnswerStore(location))
        except BaseException as error:  # reported below
            failed.append(error)

    threads = [threading.Thread(target=start) for _ in range(starts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == []
    assert [store.version for store in opened] == [SCHEMA_VERSION] * starts
    opened[0].record(record("a", "where do cats sleep?"))
    assert all(len(store.answers()) == 1 for store in opened)
    for store in opened:
        store.close()


# -- PostgreSQL only -------------------------------------------------------------------------


def test_two_bot_processes_share_votes_and_settings(postgres_database: str) -> None:
    """Two stores on one database, as two bot processes (shards) hold them: what one writes
    the other reads at once, and a vote changed through one replaces the vote of the other."""
    first, second = AnswerStore(postgres_database), AnswerStore(postgres_database)
    first.record(
        replace(record("a1", "where do cats sleep?", passages=(shown("cats"),)), corpus="c")
    )
    assert second.vote("a1", 7, up=True)  # the answer came from the other process
    assert [(v.user_id, v.up) for v in first.votes()] == [(7, True)]
    assert first.vote("a1", 7, up=False) and second.give_reason("a1", 7, "out-of-date")
    assert [(v.up, v.reason) for v in second.votes()] == [(False, "out-of-date")]
    second.set_threads(42, True)
    assert first.server_threads() == {42: True}
    assert first.follow(42, "https://example.org/feed", "c", 1)
    assert not second.follow(42, "https://example.org/feed", "c", 2)
    assert second.answer("a1") == first.answer("a1")
    assert second.answer("a1").corpus == "c"
    first.close()
    second.close()


def test_the_command_line_reads_a_postgresql_store_and_never_shows_its_password(
    postgres_database: str,
) -> None:
    """`footnote feedback --store postgresql://...` in its own process reads what the bot
    wrote; the heading names the database without the password."""
    store = AnswerStore(postgres_database)
    store.record(record("a1", "where do cats sleep?"))
    store.vote("a1", 7, up=False)
    store.give_reason("a1", 7, "not-an-answer")
    store.close()
    password = urlsplit(postgres_database).password
    assert password
    for command in (("feedback",), ("gaps", "--json")):
        result = run_footnote(*command, "--store", postgres_database)
        assert result.returncode == 0, result.stderr
        assert password not in result.stdout + result.stderr
    result = run_footnote("feedback", "--store", postgres_database)
    assert result.stdout.startswith(postgres_database.replace(f":{password}", ""))
    assert "votes: 0 up, 1 down, on 1 answer(s)" in result.stdout
    assert "reasons for votes down: not an answer 1" in result.stdout


def _free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_database_that_cannot_be_reached_is_one_sentence(tmp_path: Path) -> None:
    """Nothing listening at the URL: a StoreError in one line that names the database but
    not the password, from the store and from the command line (exit 2)."""
    url = f"postgresql://footnote:hunter2secret@127.0.0.1:{_free_port()}/footnote"
    with pytest.raises(StoreError) as refused:
        AnswerStore(url)
    message = str(refused.value)
    assert len(message.splitlines()) == 1 and "hunter2secret" not in message
    assert "cannot be reached" in message and "Connection refused" in message
    assert "FOOTNOTE_DATABASE_URL" in message
    result = run_footnote("feedback", "--store", url, cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "cannot be reached" in result.stderr and "hunter2secret" not in result.stderr


def test_dropped_connections_are_replaced_without_losing_a_vote(
    postgres_server: object, postgres_database: str
) -> None:
    """The server ends the store's connections (a restart, a failover): the next vote is
    written on a new connection, not lost."""
    store = AnswerStore(postgres_database)
    store.record(record("a1", "where do cats sleep?"))
    name = urlsplit(postgres_database).path.lstrip("/")
    with psycopg.connect(postgres_server.url, autocommit=True) as admin:  # type: ignore[attr-defined]
        ended = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s",
            (name,),
        ).fetchone()
    assert ended and ended[0] >= 1
    assert store.vote("a1", 7, up=True)
    assert [v.user_id for v in store.votes()] == [7]
    store.close()


def test_a_database_gone_mid_run_is_a_store_error(postgres_server: object) -> None:
    """The server stops while the bot runs: a write is a StoreError in one sentence saying
    what was lost, a read one saying it cannot be read. (A server of its own, to stop; the
    session's fixture only makes the test skip, or fail under CI, without PostgreSQL.)"""
    with postgres_launcher().Cluster() as server:
        store = AnswerStore(server.create_database("gone"))
        store.record(record("a1", "where do cats sleep?"))
        server.stop()
        with pytest.raises(StoreError) as lost:
            store.vote("a1", 7, up=True)
        assert lost.value.args[0].startswith("Your vote could not be saved to postgresql://")
        assert len(str(lost.value).splitlines()) == 1 and server.password not in str(lost.value)
        with pytest.raises(StoreError, match="cannot be read"):
            store.votes()
        store.close()


# -- the bot's side --------------------------------------------------------------------------


async def test_the_bot_store_keeps_answers_votes_and_feeds(location: Path | str) -> None:
    """BotStore on either database: an answer's row with its corpus, a vote, a feed followed,
    checked and unfollowed; all off the event loop."""
    store = BotStore(location, keep_days=90)
    answer = Answer(
        question="where do cats sleep?", answered=False, passages=[], took_ms=1.0, searched=0
    )
    asked = Asked(user_id=1, guild_id=10, channel_id=20, at=time.time(), via="/ask")
    row = answer_record("a1", answer, asked, "gen", 3, corpus="pets")
    await store.sent(store.keep(row), "a1", 555)
    kept = await store.answer_in(555)
    assert kept is not None and (kept.id, kept.corpus) == ("a1", "pets")
    assert await store.vote("a1", 2, up=True)
    assert await store.follow(10, "https://example.org/feed", "pets", 1)
    await store.feed_checked(10, "https://example.org/feed", 100.0, None, iter(["x", "y"]))
    [feed] = await store.feeds(10)
    assert (feed.corpus, feed.checked_at, feed.seen) == ("pets", 100.0, ("x", "y"))
    assert await store.feeds(11) == []
    assert await store.unfollow(10, "https://example.org/feed")
    answers, votes = await store.history(0.0, 10)
    assert [a.id for a in answers] == ["a1"] and [v.user_id for v in votes] == [2]
    store.close()
