"""Reading `footnote chat`'s questions: line editing and history on a terminal, lines from a pipe.

On a terminal, the standard library's readline (where the platform has it) gives arrow keys,
Ctrl-R and a history kept across runs in a small file only its owner can read.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from types import ModuleType
from typing import TextIO

log = logging.getLogger(__name__)

HISTORY_LENGTH = 1000
PROMPT = "? "


def _readline() -> ModuleType | None:
    """The readline module, or None where the platform has none (Windows)."""
    try:
        import readline
    except ImportError:
        return None
    return readline


class QuestionReader:
    """Reads one question a line; on a terminal with editing and a history file."""

    def __init__(self, stdin: TextIO, history_file: Path | None) -> None:
        self.stdin = stdin
        self.interactive = stdin.isatty()
        self.readline = _readline() if self.interactive else None
        self.history_file = history_file if self.readline is not None else None

    def __enter__(self) -> QuestionReader:
        if self.readline is not None:
            self.readline.set_auto_history(False)  # added by hand: no blanks, no repeats
            self.readline.set_history_length(HISTORY_LENGTH)
            if self.history_file is not None and self.history_file.is_file():
                try:
                    self.readline.read_history_file(self.history_file)
                except OSError as exc:
                    log.warning("cannot read the chat history %s: %s", self.history_file, exc)
                    self.history_file = None  # one warning is enough: do not try to write it
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.history_file is not None:
            self._save()

    def read(self) -> str | None:
        """The next line, or None at the end (Ctrl-D, end of the pipe)."""
        if self.readline is None:
            if self.interactive:
                print(PROMPT, end="", flush=True)
            line = self.stdin.readline()
            return line if line else None
        try:
            line = input(PROMPT)
        except EOFError:
            print()
            return None
        question = line.strip()
        length = self.readline.get_current_history_length()
        last = self.readline.get_history_item(length) if length else None
        if question and question != last:
            self.readline.add_history(question)
        return line

    def _save(self) -> None:
        """Write the history; a history that cannot be written never breaks the chat."""
        assert self.history_file is not None and self.readline is not None
        path = self.history_file
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Created private before anything is written: questions can be confidential.
            with contextlib.suppress(FileExistsError):
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            self.readline.write_history_file(path)
            os.chmod(path, 0o600)
        except OSError as exc:
            log.warning("cannot write the chat history %s: %s", path, exc)
