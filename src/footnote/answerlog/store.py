"""The answer store: one SQLite file per bot holding server settings, every answer it sent
(with the passages shown) and the votes on them. docs/answer-store.md documents the schema.

The bot writes it; `footnote gaps`, `footnote feedback` and `footnote eval --feedback` read
it. The file carries its schema version (``PRAGMA user_version``) and is migrated forward
when opened for writing; a file made by a newer Footnote is refused, never rewritten.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from footnote.errors import FootnoteError

SCHEMA_VERSION = 1
STORE_NAME = "footnote-bot.sqlite"  # its file, beside the index folder unless configured
DAY = 86400.0
# A write waits this long for a reader or another writer; the bot's writes run off its event
# loop, so a wait costs a vote's acknowledgement time, never an answer.
BUSY_TIMEOUT_MS = 2000
# Why a person voted an answer down; the keys are stored, the values shown.
REASONS = {
    "wrong-passage": "wrong passage",
    "not-an-answer": "not an answer",
    "out-of-date": "out of date",
    "other": "other",
}

# Version 0 is the settings file of earlier releases: the servers table alone (or nothing).
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "CREATE TABLE IF NOT EXISTS servers ("
        "guild_id INTEGER PRIMARY KEY, threads INTEGER NOT NULL DEFAULT 0)",
        "CREATE TABLE answers ("
        "id TEXT PRIMARY KEY, guild_id INTEGER, channel_id INTEGER, user_id INTEGER NOT NULL, "
        "asked_at REAL NOT NULL, question TEXT NOT NULL, context TEXT, via TEXT NOT NULL, "
        "generation TEXT NOT NULL, answered INTEGER NOT NULL, took_ms REAL NOT NULL, "
        "first_rank INTEGER NOT NULL DEFAULT 1, parent_id TEXT, message_id INTEGER)",
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
        "user_id INTEGER NOT NULL, up INTEGER NOT NULL, reason TEXT, voted_at REAL NOT NULL, "
        "PRIMARY KEY (answer_id, user_id))",
        "CREATE INDEX votes_by_user ON votes (user_id)",
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


@dataclass(frozen=True)
class Vote:
    """One person's vote on one answer; ``reason`` (a REASONS key) only for a vote down."""

    answer_id: str
    user_id: int
    up: bool
    reason: str | None
    voted_at: float


class AnswerStore:
    """The store file; every method is safe to call from any thread (one lock, one link)."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            if read_only:
                if not path.is_file():
                    raise StoreError(
                        f"There is no answer store at {path}; point --store at the bot's "
                        "footnote-bot.sqlite (FOOTNOTE_BOT_STATE, beside the index by default)."
                    )
                uri = f"{path.resolve().as_uri()}?mode=ro"
                self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(path, check_same_thread=False)
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._db.execute("PRAGMA foreign_keys = ON")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"The answer store {path} was written by a newer Footnote (schema "
                    f"{version}, this one knows {SCHEMA_VERSION}); upgrade Footnote to use it."
                )
            if read_only:
                self._check_readable(version)
            else:
                self._db.execute("PRAGMA journal_mode = WAL")  # readers never block the bot
                # In WAL mode this never corrupts the file; a power cut may lose the last
                # moments' rows. One sync per checkpoint instead of per vote keeps the writes
                # of a burst (three per answered question) from queueing behind the disk.
                self._db.execute("PRAGMA synchronous = NORMAL")
                self._migrate(version)
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"The answer store {path} cannot be used ({exc}); point FOOTNOTE_BOT_STATE "
                "(or --store) at a writable Footnote store file, or move this file away."
            ) from exc
        except OSError as exc:
            raise StoreError(
                f"The answer store {path} cannot be opened ({exc}); point FOOTNOTE_BOT_STATE "
                "at a writable file."
            ) from exc

    def _check_readable(self, version: int) -> None:
        """A read-only open of a store from before answers were kept: say so."""
        if version < 1:
            raise StoreError(
                f"The store {self.path} holds no answers yet: it was written by a bot from "
                "before answers were kept; run the bot once with this release to upgrade it."
            )

    def _migrate(self, version: int) -> None:
        """Bring the file from its version to SCHEMA_VERSION, one step a transaction."""
        for step in range(version + 1, SCHEMA_VERSION + 1):
            with self._db:
                for statement in MIGRATIONS[step]:
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {step}")

    @property
    def version(self) -> int:
        """The file's schema version."""
        with self._lock:
            return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def _writing(self, what: str) -> Iterator[sqlite3.Connection]:
        """A transaction under the lock; a failure is a StoreError saying what was lost."""
        with self._lock:
            try:
                with self._db:
                    yield self._db
            except sqlite3.Error as exc:
                raise StoreError(
                    f"{what} could not be saved to {self.path} ({exc}); try again later."
                ) from exc

    def _reading(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple]:
        """Rows of a query, under the lock."""
        with self._lock:
            try:
                return self._db.execute(sql, parameters).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"The answer store {self.path} cannot be read ({exc}).") from exc

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
                "context, via, generation, answered, took_ms, first_rank, parent_id, message_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            "answered, took_ms, first_rank, parent_id, message_id"
        )
        rows = self._reading(f"SELECT {columns} FROM answers {where} ORDER BY asked_at", parameters)
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
                passages=tuple(shown.get(row[0], ())),
            )
            for row in rows
        ]

    def vote(self, answer_id: str, user_id: int, up: bool, at: float | None = None) -> bool:
        """One person's vote on an answer (a second vote replaces the first; a vote up drops
        the reason of an earlier vote down); False when the answer is not on record."""
        with self._writing("Your vote") as db:
            if db.execute("SELECT 1 FROM answers WHERE id = ?", (answer_id,)).fetchone() is None:
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
            ).rowcount
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
        rows = self._reading(sql + " ORDER BY v.voted_at", parameters)
        return [Vote(a, u, bool(up), reason, at) for a, u, up, reason, at in rows]

    def history(
        self, since: float = 0.0, guild_id: int | None = None
    ) -> tuple[list[AnswerRecord], list[Vote]]:
        """The answers asked at or after `since` (all servers, or one) and the votes on them."""
        return self.answers(since, guild_id), self.votes(since, guild_id)

    def forget(self, user_id: int) -> tuple[int, int]:
        """Delete a person's questions (with their answers' votes) and votes: the counts."""
        with self._writing("Forgetting you") as db:
            votes = db.execute("DELETE FROM votes WHERE user_id = ?", (user_id,)).rowcount
            answers = db.execute("DELETE FROM answers WHERE user_id = ?", (user_id,)).rowcount
        return answers, votes

    def purge(self, keep_days: float, now: float | None = None) -> int:
        """Delete answers (and their votes) asked more than `keep_days` ago: how many."""
        cutoff = (time.time() if now is None else now) - keep_days * DAY
        with self._writing("Deleting old answers") as db:
            return db.execute("DELETE FROM answers WHERE asked_at < ?", (cutoff,)).rowcount

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    """The items in lists of at most `size` (SQLite's limit on bound parameters)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
