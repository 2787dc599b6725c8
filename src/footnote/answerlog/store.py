"""The answer store: server settings, every answer the bot sent (with the passages shown),
the votes on them and the feeds each server follows. docs/answer-store.md documents the schema.

It lives in one SQLite file per bot (the default), or in a PostgreSQL database that several
bot processes share (a postgresql:// URL); the same schema and migrations on both, the SQL
differences kept in footnote.answerlog.databases. The bot writes it; `footnote gaps`,
`footnote feedback` and `footnote eval --feedback` read it. The store carries its schema
version and is migrated forward when opened for writing; a store made by a newer Footnote is
refused, never rewritten.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from footnote.answerlog.databases import (
    Database,
    DatabaseError,
    PostgresDatabase,
    SQLiteDatabase,
    Transaction,
    is_database_url,
    one_line,
    shown_url,
)
from footnote.errors import FootnoteError

if TYPE_CHECKING:
    from footnote.answering.answer import Match

SCHEMA_VERSION = 2
STORE_NAME = "footnote-bot.sqlite"  # its file, beside the index folder unless configured
DAY = 86400.0
# Why a person voted an answer down; the keys are stored, the values shown.
REASONS = {
    "wrong-passage": "wrong passage",
    "not-an-answer": "not an answer",
    "out-of-date": "out of date",
    "other": "other",
}

# Version 0 is the settings file of earlier releases: the servers table alone (or nothing).
# Written once for both databases: {ID} is a Discord snowflake's type, {REAL} a float's
# (footnote.answerlog.databases gives each database's).
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "CREATE TABLE IF NOT EXISTS servers ("
        "guild_id {ID} PRIMARY KEY, threads INTEGER NOT NULL DEFAULT 0)",
        "CREATE TABLE answers ("
        "id TEXT PRIMARY KEY, guild_id {ID}, channel_id {ID}, user_id {ID} NOT NULL, "
        "asked_at {REAL} NOT NULL, question TEXT NOT NULL, context TEXT, via TEXT NOT NULL, "
        "generation TEXT NOT NULL, answered INTEGER NOT NULL, took_ms {REAL} NOT NULL, "
        "first_rank INTEGER NOT NULL DEFAULT 1, parent_id TEXT, message_id {ID})",
        "CREATE INDEX answers_by_time ON answers (guild_id, asked_at)",
        "CREATE INDEX answers_by_user ON answers (user_id)",
        "CREATE INDEX answers_by_message ON answers (message_id)",
        "CREATE TABLE shown ("
        "answer_id TEXT NOT NULL REFERENCES answers (id) ON DELETE CASCADE, "
        "rank INTEGER NOT NULL, document TEXT NOT NULL, passage INTEGER NOT NULL, "
        "last INTEGER NOT NULL, digest TEXT NOT NULL, title TEXT NOT NULL, section TEXT, "
        "paragraphs TEXT NOT NULL, PRIMARY KEY (answer_id, rank))",
        "CREATE TABLE votes ("
        "answer_id TEXT NOT NULL REFERENCES answers (id) ON DELETE CASCADE, "
        "user_id {ID} NOT NULL, up INTEGER NOT NULL, reason TEXT, voted_at {REAL} NOT NULL, "
        "PRIMARY KEY (answer_id, user_id))",
        "CREATE INDEX votes_by_user ON votes (user_id)",
    ),
    2: (
        "ALTER TABLE answers ADD COLUMN corpus TEXT",
        "CREATE TABLE feeds ("
        "guild_id {ID} NOT NULL, url TEXT NOT NULL, corpus TEXT NOT NULL, added_by {ID}, "
        "added_at {REAL} NOT NULL, checked_at {REAL}, error TEXT, "
        "seen TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (guild_id, url))",
    ),
}


class StoreError(FootnoteError):
    """The answer store cannot be opened, read or written."""


def shown_digest(text: str) -> str:
    """Sixteen hex digits naming a shown passage's text, to tell when it has changed since."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@dataclass(frozen=True)
class ShownPassage:
    """A passage an answer showed: its document and numbers (PassageRef), text digest and
    citation as shown. ``last`` is ``passage`` + 1 when two paragraphs were shown as one."""

    rank: int
    document: str
    passage: int
    last: int
    digest: str
    title: str
    section: str | None
    paragraphs: str

    @classmethod
    def of(cls, match: Match) -> ShownPassage:
        """What the store keeps of a passage an answer showed."""
        return cls(
            rank=match.rank,
            document=match.passage.doc,
            passage=match.passage.n,
            last=match.last_n,
            digest=shown_digest(match.text),
            title=match.citation.title,
            section=match.citation.section,
            paragraphs=match.citation.paragraphs,
        )


@dataclass(frozen=True)
class AnswerRecord:
    """One answer the bot sent: where, to whom, what was asked and what it showed."""

    id: str
    guild_id: int | None
    channel_id: int | None
    user_id: int
    asked_at: float
    question: str
    context: str | None
    via: str
    generation: str
    answered: bool
    took_ms: float
    passages: tuple[ShownPassage, ...] = ()
    first_rank: int = 1  # More shows ranks first_rank.. of its parent's question
    parent_id: str | None = None
    message_id: int | None = None
    corpus: str | None = None  # the corpus that answered (None: asked before corpora had names)


@dataclass(frozen=True)
class Vote:
    """One person's vote on one answer; ``reason`` (a REASONS key) only for a vote down."""

    answer_id: str
    user_id: int
    up: bool
    reason: str | None
    voted_at: float


@dataclass(frozen=True)
class FeedRecord:
    """A feed a server follows: new entries go into `corpus`; `seen` holds the ids of the
    entries already added (or passed over), `error` the last check's failure, if any."""

    guild_id: int
    url: str
    corpus: str
    added_by: int | None  # None once that person asked the bot to forget them
    added_at: float
    checked_at: float | None = None
    error: str | None = None
    seen: tuple[str, ...] = ()


def store_location(text: str | Path) -> Path | str:
    """Where a store is, from a setting or an option: a postgresql:// URL, else a file."""
    return text if is_database_url(text) else Path(text)


def shown_location(location: Path | str) -> str:
    """A store's location fit to show and log: the file, or the URL without its password."""
    return shown_url(location) if is_database_url(location) else str(location)


class AnswerStore:
    """The store, in an SQLite file or a PostgreSQL database (a postgresql:// URL); every
    method is safe to call from any thread."""

    def __init__(self, location: Path | str, *, read_only: bool = False) -> None:
        self.location = store_location(location)
        self.where = shown_location(self.location)  # never the password
        remote = isinstance(self.location, str)
        # What to point at a better store, in a sentence's end.
        self._setting = "FOOTNOTE_DATABASE_URL" if remote else "FOOTNOTE_BOT_STATE"
        self._db: Database = self._open(read_only)
        try:
            version = self._db.version()
            self._refuse_newer(version)
            if read_only:
                self._check_readable(version)
            else:
                self._refuse_newer(self._db.migrate(MIGRATIONS, SCHEMA_VERSION))
                version = SCHEMA_VERSION
        except BaseException as exc:
            self._db.close()
            if isinstance(exc, (*self._db.errors, DatabaseError)):
                instead = "an empty database" if remote else "a new file"
                raise StoreError(
                    f"The answer store {self.where} cannot be used ({one_line(exc)}); point "
                    f"{self._setting} (or --store) at a Footnote store or {instead}."
                ) from exc
            raise
        # A store of version 1, read by the command line, has no corpus column yet.
        self._corpus = "corpus" if version >= 2 else "NULL"

    def _open(self, read_only: bool) -> Database:
        """Connect to the store's database; a StoreError in one sentence if it cannot be."""
        location = self.location
        if isinstance(location, str):
            try:
                return PostgresDatabase(location, read_only=read_only)
            except DatabaseError as exc:
                raise StoreError(
                    f"The answer store database {self.where} cannot be reached ({exc}); "
                    f"check {self._setting} (or --store) and that PostgreSQL is running."
                ) from None
        if read_only and not location.is_file():
            raise StoreError(
                f"There is no answer store at {location}; point --store at the bot's "
                "footnote-bot.sqlite (FOOTNOTE_BOT_STATE, beside the index by default) or "
                "its FOOTNOTE_DATABASE_URL."
            )
        try:
            return SQLiteDatabase(location, read_only=read_only)
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"The answer store {location} cannot be used ({exc}); point FOOTNOTE_BOT_STATE "
                "(or --store) at a writable Footnote store file, or move this file away."
            ) from exc
        except OSError as exc:
            raise StoreError(
                f"The answer store {location} cannot be opened ({exc}); point FOOTNOTE_BOT_STATE "
                "at a writable file."
            ) from exc

    def _refuse_newer(self, version: int) -> None:
        """A store of a newer schema is never read nor rewritten."""
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"The answer store {self.where} was written by a newer Footnote (schema "
                f"{version}, this one knows {SCHEMA_VERSION}); upgrade Footnote to use it."
            )

    def _check_readable(self, version: int) -> None:
        """A read-only open of a store from before answers were kept: say so."""
        if version < 1:
            raise StoreError(
                f"The store {self.where} holds no answers yet: it was written by a bot from "
                "before answers were kept, or by none; run the bot once with this release."
            )

    @property
    def kind(self) -> str:
        """The database: "sqlite" or "postgresql"."""
        return self._db.kind

    @property
    def version(self) -> int:
        """The store's schema version."""
        return self._guarded("The answer store", self._db.version)

    def _guarded(self, what: str, work: Any, *args: object) -> Any:
        """Run a read; a failure is a StoreError in one sentence."""
        try:
            return work(*args)
        except (*self._db.errors, DatabaseError) as exc:
            raise StoreError(f"{what} {self.where} cannot be read ({one_line(exc)}).") from exc

    @contextmanager
    def _writing(self, what: str) -> Iterator[Transaction]:
        """A transaction; a failure is a StoreError saying what was lost."""
        try:
            with self._db.transaction() as db:
                yield db
        except (*self._db.errors, DatabaseError) as exc:
            raise StoreError(
                f"{what} could not be saved to {self.where} ({one_line(exc)}); try again later."
            ) from exc

    def _reading(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple]:
        """Rows of a query."""
        return self._guarded("The answer store", self._db.read, sql, parameters)

    # -- server settings ----------------------------------------------------------------------

    def server_threads(self) -> dict[int, bool]:
        """Each server's choice of answering mention-questions in threads."""
        rows = self._reading("SELECT guild_id, threads FROM servers")
        return {int(guild): bool(on) for guild, on in rows}

    def set_threads(self, guild_id: int, on: bool) -> None:
        """Answer mention-questions in this server in threads, or not."""
        with self._writing("The setting") as db:
            db.execute(
                "INSERT INTO servers (guild_id, threads) VALUES (?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET threads = excluded.threads",
                (guild_id, int(on)),
            )

    # -- answers and votes --------------------------------------------------------------------

    def record(self, answer: AnswerRecord) -> None:
        """Keep an answer the bot sent, with the passages it showed."""
        with self._writing("The answer's record") as db:
            db.execute(
                "INSERT INTO answers (id, guild_id, channel_id, user_id, asked_at, question, "
                "context, via, generation, answered, took_ms, first_rank, parent_id, "
                "message_id, corpus) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    answer.id,
                    answer.guild_id,
                    answer.channel_id,
                    answer.user_id,
                    answer.asked_at,
                    answer.question,
                    answer.context,
                    answer.via,
                    answer.generation,
                    int(answer.answered),
                    answer.took_ms,
                    answer.first_rank,
                    answer.parent_id,
                    answer.message_id,
                    answer.corpus,
                ),
            )
            db.executemany(
                "INSERT INTO shown (answer_id, rank, document, passage, last, digest, title, "
                "section, paragraphs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        answer.id,
                        p.rank,
                        p.document,
                        p.passage,
                        p.last,
                        p.digest,
                        p.title,
                        p.section,
                        p.paragraphs,
                    )
                    for p in answer.passages
                ],
            )

    def set_message(self, answer_id: str, message_id: int) -> None:
        """Note the Discord message an answer became (sent after its row was written)."""
        with self._writing("The answer's message") as db:
            db.execute("UPDATE answers SET message_id = ? WHERE id = ?", (message_id, answer_id))

    def answer(self, answer_id: str) -> AnswerRecord | None:
        """The answer with this id, or None when it is unknown, expired or forgotten."""
        found = self._answers("WHERE id = ?", (answer_id,))
        return found[0] if found else None

    def answer_in(self, message_id: int) -> AnswerRecord | None:
        """The answer a Discord message holds, or None."""
        found = self._answers("WHERE message_id = ?", (message_id,))
        return found[0] if found else None

    def answers(self, since: float = 0.0, guild_id: int | None = None) -> list[AnswerRecord]:
        """The answers asked at or after `since` (all servers, or one), oldest first."""
        if guild_id is None:
            return self._answers("WHERE asked_at >= ?", (since,))
        return self._answers("WHERE asked_at >= ? AND guild_id = ?", (since, guild_id))

    def _answers(self, where: str, parameters: Sequence[object]) -> list[AnswerRecord]:
        """Answers matching a WHERE clause, with their shown passages."""
        columns = (
            "id, guild_id, channel_id, user_id, asked_at, question, context, via, generation, "
            f"answered, took_ms, first_rank, parent_id, message_id, {self._corpus}"
        )
        # By id among answers asked at the same moment: the same order on both databases.
        rows = self._reading(
            f"SELECT {columns} FROM answers {where} ORDER BY asked_at, id", parameters
        )
        shown: dict[str, list[ShownPassage]] = {}
        for chunk in _chunks([row[0] for row in rows], 500):
            marks = ", ".join("?" * len(chunk))
            for answer_id, *fields in self._reading(
                "SELECT answer_id, rank, document, passage, last, digest, title, section, "
                f"paragraphs FROM shown WHERE answer_id IN ({marks}) ORDER BY answer_id, rank",
                chunk,
            ):
                shown.setdefault(answer_id, []).append(ShownPassage(*fields))
        return [
            AnswerRecord(
                id=row[0],
                guild_id=row[1],
                channel_id=row[2],
                user_id=row[3],
                asked_at=row[4],
                question=row[5],
                context=row[6],
                via=row[7],
                generation=row[8],
                answered=bool(row[9]),
                took_ms=row[10],
                first_rank=row[11],
                parent_id=row[12],
                message_id=row[13],
                corpus=row[14],
                passages=tuple(shown.get(row[0], ())),
            )
            for row in rows
        ]

    def vote(self, answer_id: str, user_id: int, up: bool, at: float | None = None) -> bool:
        """One person's vote on an answer (a second vote replaces the first; a vote up drops
        the reason of an earlier vote down); False when the answer is not on record."""
        with self._writing("Your vote") as db:
            if db.one("SELECT 1 FROM answers WHERE id = ?", (answer_id,)) is None:
                return False
            db.execute(
                "INSERT INTO votes (answer_id, user_id, up, reason, voted_at) "
                "VALUES (?, ?, ?, NULL, ?) ON CONFLICT (answer_id, user_id) DO UPDATE SET "
                "up = excluded.up, reason = NULL, voted_at = excluded.voted_at",
                (answer_id, user_id, int(up), time.time() if at is None else at),
            )
            return True

    def give_reason(self, answer_id: str, user_id: int, reason: str) -> bool:
        """Why a person voted an answer down; False when they have no vote down on it."""
        if reason not in REASONS:
            raise StoreError(f"{reason!r} is not a reason; choose one of {', '.join(REASONS)}.")
        with self._writing("Your reason") as db:
            changed = db.execute(
                "UPDATE votes SET reason = ? WHERE answer_id = ? AND user_id = ? AND up = 0",
                (reason, answer_id, user_id),
            )
            return changed > 0

    def votes(self, since: float = 0.0, guild_id: int | None = None) -> list[Vote]:
        """The votes on answers asked at or after `since` (all servers, or one)."""
        sql = (
            "SELECT v.answer_id, v.user_id, v.up, v.reason, v.voted_at FROM votes v "
            "JOIN answers a ON a.id = v.answer_id WHERE a.asked_at >= ?"
        )
        parameters: list[object] = [since]
        if guild_id is not None:
            sql += " AND a.guild_id = ?"
            parameters.append(guild_id)
        rows = self._reading(sql + " ORDER BY v.voted_at, v.answer_id, v.user_id", parameters)
        return [Vote(a, u, bool(up), reason, at) for a, u, up, reason, at in rows]

    def history(
        self, since: float = 0.0, guild_id: int | None = None
    ) -> tuple[list[AnswerRecord], list[Vote]]:
        """The answers asked at or after `since` (all servers, or one) and the votes on them."""
        return self.answers(since, guild_id), self.votes(since, guild_id)

    def forget(self, user_id: int) -> tuple[int, int]:
        """Delete a person's questions (with their answers' votes) and votes, and their name
        on the feeds they followed: the counts of questions and votes."""
        with self._writing("Forgetting you") as db:
            votes = db.execute("DELETE FROM votes WHERE user_id = ?", (user_id,))
            answers = db.execute("DELETE FROM answers WHERE user_id = ?", (user_id,))
            db.execute("UPDATE feeds SET added_by = NULL WHERE added_by = ?", (user_id,))
        return answers, votes

    def purge(self, keep_days: float, now: float | None = None) -> int:
        """Delete answers (and their votes) asked more than `keep_days` ago: how many."""
        cutoff = (time.time() if now is None else now) - keep_days * DAY
        with self._writing("Deleting old answers") as db:
            return db.execute("DELETE FROM answers WHERE asked_at < ?", (cutoff,))

    # -- feeds --------------------------------------------------------------------------------

    def follow(
        self, guild_id: int, url: str, corpus: str, user_id: int, at: float | None = None
    ) -> bool:
        """Follow a feed in a server, its entries going into `corpus`; False when the server
        follows it already (nothing changes)."""
        with self._writing("Following the feed") as db:
            added = db.execute(
                "INSERT INTO feeds (guild_id, url, corpus, added_by, added_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id, url) DO NOTHING",
                (guild_id, url, corpus, user_id, time.time() if at is None else at),
            )
            return added > 0

    def unfollow(self, guild_id: int, url: str) -> bool:
        """Stop following a feed in a server; False when it did not follow it."""
        with self._writing("Unfollowing the feed") as db:
            removed = db.execute(
                "DELETE FROM feeds WHERE guild_id = ? AND url = ?", (guild_id, url)
            )
            return removed > 0

    def feeds(self, guild_id: int | None = None) -> list[FeedRecord]:
        """The feeds followed (in all servers, or one), oldest followed first."""
        if self._corpus == "NULL":  # a version 1 store, read by the command line
            return []
        sql = "SELECT guild_id, url, corpus, added_by, added_at, checked_at, error, seen FROM feeds"
        parameters: tuple[object, ...] = ()
        if guild_id is not None:
            sql += " WHERE guild_id = ?"
            parameters = (guild_id,)
        rows = self._reading(sql + " ORDER BY guild_id, added_at, url", parameters)
        return [
            FeedRecord(guild, url, corpus, by, added, checked, error, tuple(json.loads(seen)))
            for guild, url, corpus, by, added, checked, error, seen in rows
        ]

    def feed_checked(
        self, guild_id: int, url: str, at: float, error: str | None, seen: Iterable[str]
    ) -> None:
        """Note a check of a feed: when, its failure (None when it went well) and the ids of
        the entries seen so far (kept in order, without repeats)."""
        entries = json.dumps(list(dict.fromkeys(seen)), ensure_ascii=False)
        with self._writing("The feed's check") as db:
            db.execute(
                "UPDATE feeds SET checked_at = ?, error = ?, seen = ? WHERE guild_id = ? "
                "AND url = ?",
                (at, error, entries, guild_id, url),
            )

    def close(self) -> None:
        """Close the file, or the connections to the database."""
        self._db.close()


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    """The items in lists of at most `size` (SQLite's limit on bound parameters)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
