"""`footnote chat` on a real terminal (a pseudo-terminal): arrow keys recall earlier questions,
and the history outlives the run in a file only its owner can read."""

from __future__ import annotations

import os
import select
import stat
import sys
import time
from pathlib import Path

import pytest
from conftest import write_articles

pty = pytest.importorskip("pty", reason="pseudo-terminals need a POSIX system")
pytest.importorskip("readline", reason="line editing needs the readline module")

UP = "\x1b[A"
PROMPT = "? "  # the chat's prompt; no text it shows otherwise holds a question mark and space
ARTICLES = {
    "tides": "The spring tide rises seven metres at the harbour mouth.",
    "ferries": "The morning ferry leaves the north pier at six.",
}


class Terminal:
    """A program run on a pseudo-terminal: type into it, read what it shows."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become the program
            os.execve(sys.executable, [sys.executable, "-m", "footnote", *args], env)
        self.screen = ""

    def type(self, keys: str) -> None:
        """Send keys as a person would type them."""
        os.write(self.fd, keys.encode())

    def wait_for(self, text: str, count: int = 1, timeout: float = 60.0) -> str:
        """Read until ``text`` has been shown ``count`` times in all; fail after ``timeout``."""
        deadline = time.monotonic() + timeout
        while self.screen.count(text) < count:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self.fd], [], [], max(remaining, 0))
            if not ready:
                pytest.fail(f"{text!r} not shown {count} time(s); the screen:\n{self.screen}")
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:  # the program ended (EIO on Linux)
                chunk = b""
            if not chunk:
                pytest.fail(f"the program ended before showing {text!r}:\n{self.screen}")
            self.screen += chunk.decode("utf-8", "replace")
        return self.screen

    def close(self) -> int:
        """Wait for the program to end; its exit status."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
            try:  # keep draining, or a full terminal buffer would block the program
                if select.select([self.fd], [], [], 0.1)[0]:
                    os.read(self.fd, 4096)
            except OSError:
                pass
        os.kill(self.pid, 9)
        pytest.fail("the program did not end")


def ask_once(chat: Terminal, question: str, answer: str) -> int:
    """Ask one question, wait for words of its answer and the next prompt, end the chat
    with an empty line; its exit status."""
    chat.wait_for(PROMPT)
    chat.type(question + "\r")
    chat.wait_for(answer)
    chat.wait_for(PROMPT, count=2)
    chat.type("\r")
    return chat.close()


@pytest.fixture
def setting(tmp_path: Path) -> tuple[list[str], dict[str, str], Path]:
    """The chat's arguments over a small corpus, a clean environment, the data folder."""
    corpus = write_articles(tmp_path / "corpus", ARTICLES)
    data = tmp_path / "data"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(data),
        "TERM": "xterm",
        "LANG": "C.UTF-8",
    }
    args = ["chat", "--corpus", str(corpus), "--index", str(tmp_path / "index"), "--color", "never"]
    return args, env, data


def test_up_arrow_recalls_questions_within_a_run_and_across_runs(
    setting: tuple[list[str], dict[str, str], Path],
) -> None:
    """Up and Enter ask the previous question again, also after a restart; history is private."""
    args, env, data = setting
    chat = Terminal(args, env)
    chat.wait_for(PROMPT)
    chat.type("when does the morning ferry leave?\r")
    chat.wait_for("the north pier at six")
    chat.wait_for(PROMPT, count=2)  # keys typed before the prompt could reach no editor
    chat.type(UP + "\r")
    chat.wait_for("the north pier at six", count=2)
    chat.wait_for(PROMPT, count=3)
    # Asked again, not taken as a follow-up of raw escape characters (which would also
    # reprint the passage): the question itself came back.
    assert chat.screen.count("Q: when does the morning ferry leave?") == 2
    assert "following up" not in chat.screen
    chat.type("\r")
    assert chat.close() == 0

    history = data / "footnote" / "chat_history"
    assert "when does the morning ferry leave?" in history.read_text(encoding="utf-8")
    assert history.read_text(encoding="utf-8").count("morning ferry") == 1  # no repeat kept
    assert stat.S_IMODE(history.stat().st_mode) == 0o600

    again = Terminal(args, env)
    again.wait_for(PROMPT)
    again.type(UP + "\r")
    again.wait_for("the north pier at six")
    again.wait_for(PROMPT, count=2)
    again.type("\x04")  # Ctrl-D ends it too
    assert again.close() == 0


def test_a_history_that_cannot_be_written_never_stops_the_chat(
    setting: tuple[list[str], dict[str, str], Path], tmp_path: Path
) -> None:
    """A history path inside a regular file cannot exist; the chat answers all the same."""
    args, env, _ = setting
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file\n", encoding="utf-8")
    env = env | {"FOOTNOTE_HISTORY_FILE": str(blocker / "history")}
    assert ask_once(Terminal(args, env), "how high does the spring tide rise?", "seven metres") == 0
    assert blocker.read_text(encoding="utf-8") == "a file\n"


def test_no_history_keeps_nothing(setting: tuple[list[str], dict[str, str], Path]) -> None:
    """--no-history answers and leaves no history file behind."""
    args, env, data = setting
    chat = Terminal([*args, "--no-history"], env)
    assert ask_once(chat, "when does the morning ferry leave?", "north pier") == 0
    assert not (data / "footnote" / "chat_history").exists()


def test_a_relative_xdg_data_home_is_ignored_as_the_spec_says(tmp_path: Path) -> None:
    """XDG_DATA_HOME=relative/path is invalid: the history goes to ~/.local/share instead."""
    from argparse import Namespace

    from footnote.cli import history_file

    if sys.platform not in ("darwin", "win32"):
        default = Path.home() / ".local" / "share" / "footnote" / "chat_history"
        assert history_file(Namespace(), {"XDG_DATA_HOME": "data"}) == default
    assert history_file(Namespace(), {"XDG_DATA_HOME": str(tmp_path)}) == (
        tmp_path / "footnote" / "chat_history"
    )
    assert history_file(Namespace(no_history=True), {}) is None
    assert history_file(Namespace(), {"FOOTNOTE_HISTORY_FILE": ""}) is None
