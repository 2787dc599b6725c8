"""The two databases the answer store runs on: an SQLite file (embedded, the default) or a
PostgreSQL server (psycopg 3), so that several bot processes can share one store.

The store's SQL is written once, in the subset both speak: ``?`` placeholders (PostgreSQL's
driver takes ``%s``; rewritten here), ``INSERT ... ON CONFLICT`` and foreign keys with
``ON DELETE CASCADE``. What differs is here and nowhere else: the column types of the
schema (``{ID}``: a Discord snowflake, ``{REAL}``: a float), where the schema version is kept
(SQLite's ``PRAGMA user_version``; a one-row table on PostgreSQL), how a migration is kept to
one process at a time, and how connections are made and shared between threads.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit

URL_SCHEMES = ("postgresql", "postgres")
# A write waits this long for a reader or another writer; the bot's writes run off its event
# loop, so a wait costs a vote's acknowledgement time, never an answer.
BUSY_TIMEOUT_MS = 2000
CONNECT_TIMEOUT_S = 5
# Taken for the whole migration: a second bot process starting at the same moment waits,
# then finds the schema current. Any constant will do; this one spells "footnote".
MIGRATION_LOCK = int.from_bytes(b"footnote", "big") >> 1
IDLE_CONNECTIONS = 8  # kept open between calls, per store


class DatabaseError(Exception):
    """A database could not be reached, read or written; the message is one line."""


class Transaction(Protocol):
    """Statements run in one transaction."""

    def execute(self, sql: str, parameters: Sequence[object] = ()) -> int:
        """Run a statement: the rows it changed."""
        ...

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        """Run a statement once per row of parameters."""
        ...

    def one(self, sql: str, parameters: Sequence[object] = ()) -> tuple[Any, ...] | None:
        """The first row of a query, or None."""
        ...


def is_database_url(location: object) -> bool:
    """Whether a store location names a PostgreSQL server (postgresql://...) not a file."""
    return isinstance(location, str) and urlsplit(location).scheme in URL_SCHEMES


def shown_url(url: str) -> str:
    """A database URL fit to show and log: user, host, port and database, never a password."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"


def one_line(error: BaseException) -> str:
    """A driver's message, first line only (psycopg adds hints on the lines after)."""
    lines = str(error).strip().splitlines()
    return lines[0].rstrip(".") if lines else type(error).__name__


class Database:
    """What the answer store needs of a database; one subclass per engine."""

    kind = ""
    TYPES: ClassVar[Mapping[str, str]] = {}
    where: str  # the file or the server, fit to show (no password)
    errors: tuple[type[BaseException], ...]  # the driver's errors

    def read(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """The rows of a query."""
        raise NotImplementedError

    def transaction(self) -> Any:
        """A context manager around one transaction, yielding a Transaction."""
        raise NotImplementedError

    def version(self) -> int:
        """The schema version the database holds (0: none yet)."""
        raise NotImplementedError

    def migrate(self, migrations: Mapping[int, Sequence[str]], target: int) -> int:
        """Bring the schema to `target` in one transaction, one process at a time: the
        version found (above `target`: nothing was done)."""
        with self.transaction() as db:
            self._exclusive(db)
            found = self._version_in(db)
            for step in range(found + 1, target + 1):
                for statement in migrations[step]:
                    db.execute(statement.format_map(self.TYPES))
            if found < target:
                self._set_version(db, target)
        return found

    def _exclusive(self, db: Transaction) -> None:
        """Wait until no other process migrates this database."""

    def _version_in(self, db: Transaction) -> int:
        raise NotImplementedError

    def _set_version(self, db: Transaction, version: int) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Close every connection."""
        raise NotImplementedError


# -- SQLite ---------------------------------------------------------------------------------


class _SQLiteTransaction:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def execute(self, sql: str, parameters: Sequence[object] = ()) -> int:
        return self._db.execute(sql, parameters).rowcount

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        self._db.executemany(sql, rows)

    def one(self, sql: str, parameters: Sequence[object] = ()) -> tuple[Any, ...] | None:
        return self._db.execute(sql, parameters).fetchone()


def _enter_wal(db: sqlite3.Connection) -> None:
    """Put the file in WAL mode, waiting as a write would while others open it too."""
    # Switching the journal mode needs the file to itself, and SQLite answers "database is
    # locked" at once, without its busy handler, while another connection is opening the
    # file at the same moment (bot processes or threads starting together); so wait here.
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


class SQLiteDatabase(Database):
    """One SQLite file: one connection shared under a lock (SQLite writes one at a time)."""

    kind = "sqlite"
    TYPES: ClassVar[Mapping[str, str]] = {"ID": "INTEGER", "REAL": "REAL"}

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.where = str(path)
        self.errors = (sqlite3.Error,)
        self._lock = threading.Lock()
        if read_only:
            uri = f"{path.resolve().as_uri()}?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False)
        # Transactions are begun and ended here, explicitly (Python's implicit ones leave
        # schema changes outside any transaction).
        self._db.isolation_level = None
        self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._db.execute("PRAGMA foreign_keys = ON")
        if not read_only:
            _enter_wal(self._db)  # readers never block the bot
            # In WAL mode this never corrupts the file; a power cut may lose the last
            # moments' rows. One sync per checkpoint instead of per vote keeps the writes
            # of a burst (three per answered question) from queueing behind the disk.
            self._db.execute("PRAGMA synchronous = NORMAL")

    def read(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, parameters).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self._lock:
            # IMMEDIATE: the file's write lock now, so another process's writer waits here
            # (busy_timeout) rather than failing halfway through.
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield _SQLiteTransaction(self._db)
            except BaseException:
                self._db.rollback()
                raise
            self._db.commit()

    def version(self) -> int:
        return int(self.read("PRAGMA user_version")[0][0])

    def _version_in(self, db: Transaction) -> int:
        row = db.one("PRAGMA user_version")
        return int(row[0]) if row else 0

    def _set_version(self, db: Transaction, version: int) -> None:
        db.execute(f"PRAGMA user_version = {int(version)}")

    def close(self) -> None:
        with self._lock:
            self._db.close()


# -- PostgreSQL -----------------------------------------------------------------------------

# Kept in a one-row table: PostgreSQL has no user_version.
_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS footnote_schema ("
    "one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one), version INTEGER NOT NULL)"
)


def _placeholders(sql: str) -> str:
    """The store's ``?`` placeholders as psycopg's ``%s`` (the store's SQL has no other)."""
    return sql.replace("?", "%s")


class _PostgresTransaction:
    def __init__(self, connection: Any) -> None:
        self._db = connection

    def execute(self, sql: str, parameters: Sequence[object] = ()) -> int:
        return self._db.execute(_placeholders(sql), parameters).rowcount

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        rows = list(rows)
        if rows:
            with self._db.cursor() as cursor:
                cursor.executemany(_placeholders(sql), rows)

    def one(self, sql: str, parameters: Sequence[object] = ()) -> tuple[Any, ...] | None:
        return self._db.execute(_placeholders(sql), parameters).fetchone()


class PostgresDatabase(Database):
    """A PostgreSQL database: a few connections shared by the threads that call in (the
    bot writes from one thread and reads from others), each used by one call at a time."""

    kind = "postgresql"
    # Discord's ids are 64-bit (PostgreSQL's INTEGER is 32); REAL would round seconds.
    TYPES: ClassVar[Mapping[str, str]] = {"ID": "BIGINT", "REAL": "DOUBLE PRECISION"}

    def __init__(self, url: str, *, read_only: bool = False) -> None:
        import psycopg  # only a PostgreSQL store needs the driver loaded

        self._psycopg = psycopg
        self.errors = (psycopg.Error,)
        self.where = shown_url(url)
        self._url = url
        self._read_only = read_only
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self._closed = False
        self._release(self._connect())  # fail now, at start, when it cannot be reached

    def _connect(self) -> Any:
        """A new connection (autocommit: a read holds no transaction open)."""
        try:
            connection = self._psycopg.connect(
                self._url,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_S,
                application_name="footnote",
            )
        except self._psycopg.Error as error:
            raise DatabaseError(self._without_password(one_line(error))) from None
        if self._read_only:
            connection.execute("SET default_transaction_read_only = on")
        return connection

    def _without_password(self, text: str) -> str:
        """A message with the URL's password blanked, should a driver ever quote it."""
        password = urlsplit(self._url).password
        return text.replace(password, "***") if password else text

    def _acquire(self) -> tuple[Any, bool]:
        """A connection for one call, and whether it was kept from an earlier one."""
        with self._lock:
            if self._closed:
                raise DatabaseError("the store is closed")
            while self._idle:
                connection = self._idle.pop()
                if not connection.closed:
                    return connection, True
        return self._connect(), False

    def _release(self, connection: Any) -> None:
        """Keep a healthy connection for the next call; close a broken or surplus one."""
        idle = self._psycopg.pq.TransactionStatus.IDLE
        healthy = not connection.broken and connection.info.transaction_status == idle
        with self._lock:
            if healthy and not self._closed and len(self._idle) < IDLE_CONNECTIONS:
                self._idle.append(connection)
                return
        connection.close()

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        """A connection for one call; a kept one that proves dead (the server restarted,
        or dropped it) is replaced once, before anything was sent on it that could count."""
        connection, kept = self._acquire()
        try:
            if kept:
                try:
                    connection.execute("SELECT 1")
                except self._psycopg.OperationalError:
                    connection.close()
                    connection = self._connect()
            yield connection
        finally:
            self._release(connection)

    def read(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self._connection() as connection:
            return connection.execute(_placeholders(sql), parameters).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self._connection() as connection, connection.transaction():
            yield _PostgresTransaction(connection)

    def version(self) -> int:
        if self.read("SELECT to_regclass('footnote_schema')")[0][0] is None:
            return 0
        rows = self.read("SELECT version FROM footnote_schema")
        return int(rows[0][0]) if rows else 0

    def _exclusive(self, db: Transaction) -> None:
        # Held until the migration's transaction ends; a second process waits, then reads
        # the version the first one wrote.
        db.one("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))

    def _version_in(self, db: Transaction) -> int:
        db.execute(_VERSION_TABLE)
        row = db.one("SELECT version FROM footnote_schema")
        return int(row[0]) if row else 0

    def _set_version(self, db: Transaction, version: int) -> None:
        db.execute(
            "INSERT INTO footnote_schema (one, version) VALUES (TRUE, ?) "
            "ON CONFLICT (one) DO UPDATE SET version = excluded.version",
            (version,),
        )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
