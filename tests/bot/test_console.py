"""`footnote-bot`, the bot's own command: help without a token, one line per bad setting."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from importlib.metadata import version
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "footnote-bot"


def clean_env(**settings: str) -> dict[str, str]:
    """The environment of a fresh shell: no bot settings but those given."""
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "SYSTEMROOT"}}
    return keep | settings


def run_bot(*args: str, cwd: Path, **settings: str) -> subprocess.CompletedProcess:
    """Run the installed `footnote-bot` command as a user would."""
    if not SCRIPT.exists():
        pytest.skip(f"{SCRIPT} is not installed (pip install the project to get it)")
    return subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=clean_env(**settings),
    )


def test_help_describes_the_bot_and_its_settings_without_a_token(tmp_path: Path) -> None:
    """`footnote-bot --help` exits 0 and names its options and the token it needs."""
    result = run_bot("--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "usage: footnote-bot" in result.stdout
    for word in ("--check", "--rebuild", "DISCORD_TOKEN", "FOOTNOTE_CORPUS_DIR", ".env.example"):
        assert word in result.stdout


def test_no_token_is_one_line_naming_it_and_exit_2(tmp_path: Path) -> None:
    """Started without DISCORD_TOKEN (and no .env), it says so in one line and exits 2."""
    result = run_bot(cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "DISCORD_TOKEN is not set" in lines[0]


def test_check_opens_the_index_and_says_what_it_holds(tmp_path: Path) -> None:
    """--check builds the index and reports its documents without connecting to Discord."""
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    result = run_bot(
        "--check", cwd=tmp_path, DISCORD_TOKEN="not-a-real-token", FOOTNOTE_CORPUS_DIR="corpus"
    )
    assert result.returncode == 0, result.stderr
    assert "ready to answer from corpus: 1 document(s)" in result.stdout


def test_check_refuses_an_index_of_another_corpus_until_rebuild(tmp_path: Path) -> None:
    """An index folder of another corpus stops the bot with one line; --rebuild replaces it."""
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
        (tmp_path / name / f"{name}.md").write_text(f"# {name}\n\nThe {name} article.\n")
    settings = {"DISCORD_TOKEN": "x", "FOOTNOTE_INDEX_DIR": str(tmp_path / "index")}
    assert run_bot("--check", cwd=tmp_path, FOOTNOTE_CORPUS_DIR="first", **settings).returncode == 0
    refused = run_bot("--check", cwd=tmp_path, FOOTNOTE_CORPUS_DIR="second", **settings)
    assert refused.returncode == 2 and "--rebuild" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    again = run_bot("--check", "--rebuild", cwd=tmp_path, FOOTNOTE_CORPUS_DIR="second", **settings)
    assert again.returncode == 0 and "1 document(s)" in again.stdout


def test_version_is_the_installed_packages_without_a_token(tmp_path: Path) -> None:
    """`footnote-bot --version` prints the installed footnote version and needs no token."""
    result = run_bot("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"footnote-bot {version('footnote')}"


class RecordingEnviron(Mapping[str, str]):
    """An environment that notes the name of every variable looked up in it."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.read.add(name)
        return self.values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


@pytest.mark.parametrize("where", ["footnote-bot --help", ".env.example", "docs/discord.md"])
def test_every_variable_the_bot_reads_is_documented(where: str) -> None:
    """Each variable load_settings looks up is named in --help, .env.example and the docs."""
    environ = RecordingEnviron({"DISCORD_TOKEN": "x"})
    load_settings(environ)
    assert {"DISCORD_TOKEN", "FOOTNOTE_CORPUS_DIR", "LOG_LEVEL"} <= environ.read
    if where == "footnote-bot --help":
        text = build_parser().format_help()
    else:
        text = (ROOT / where).read_text(encoding="utf-8")
    assert sorted(name for name in environ.read if name not in text) == []


def test_python_dash_m_bot_is_the_same_command(tmp_path: Path) -> None:
    """`python -m bot --help` prints exactly what `footnote-bot --help` prints."""
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=clean_env(),
    )
    assert result.returncode == 0 and "usage: footnote-bot" in result.stdout
    assert result.stdout == run_bot("--help", cwd=tmp_path).stdout
