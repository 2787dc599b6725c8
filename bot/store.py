"""Server settings the bot keeps between restarts, in a small SQLite file (nothing on users)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from footnote.errors import FootnoteError


class StoreError(FootnoteError):
    """The bot's settings file cannot be opened or written."""


class ServerSettings:
    """Per-server choices made with /settings; read from memory, written through to disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS servers ("
                "guild_id INTEGER PRIMARY KEY, threads INTEGER NOT NULL DEFAULT 0)"
            )
            self._db.commit()
            rows = self._db.execute("SELECT guild_id, threads FROM servers").fetchall()
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                f"The bot's settings file {path} cannot be used ({exc}); point "
                "FOOTNOTE_BOT_STATE at a writable file."
            ) from exc
        self._threads = {int(guild): bool(on) for guild, on in rows}

    def threads(self, guild_id: int) -> bool:
        """Whether mention-questions in this server are answered in a new thread."""
        return self._threads.get(guild_id, False)

    def set_threads(self, guild_id: int, on: bool) -> None:
        """Answer mention-questions in this server in threads, or not (kept on disk)."""
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO servers (guild_id, threads) VALUES (?, ?) "
                    "ON CONFLICT(guild_id) DO UPDATE SET threads = excluded.threads",
                    (guild_id, int(on)),
                )
                self._db.commit()
            except sqlite3.Error as exc:
                raise StoreError(
                    f"The setting could not be saved to {self.path} ({exc}); try again."
                ) from exc
            self._threads[guild_id] = on

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()
