"""The shape of the project: the engine knows nothing of the bot, every command has help."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"discord", "dotenv", "bot"}
SCRIPTS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module a Python file imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_engine_never_imports_the_bot_or_discord() -> None:
    """No module of src/footnote imports discord, dotenv or bot."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_modules(path) & FORBIDDEN)
        for path in (ROOT / "src" / "footnote").rglob("*.py")
        if imported_modules(path) & FORBIDDEN
    }
    assert offenders == {}


def imported_paths(path: Path) -> set[str]:
    """Every module a Python file imports, by its full dotted name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("stage", ["answering", "analysis", "ingest", "answerlog"])
def test_stages_before_and_after_retrieval_never_import_a_backend(stage: str) -> None:
    """Answering, analysis, reading and the answer store know the retrieval seam
    (retrieval.base) only: no module of theirs imports the embedded or the OpenSearch
    backend."""
    backends = ("footnote.retrieval.embedded", "footnote.retrieval.opensearch")
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            n for n in imported_paths(path) if n.startswith(backends)
        )
        for path in (ROOT / "src" / "footnote" / stage).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_package_is_laid_out_by_stage() -> None:
    """The stages are folders, and the two backends sit side by side behind the seam."""
    package = ROOT / "src" / "footnote"
    for folder in ("ingest", "analysis", "retrieval", "answering", "answerlog"):
        assert (package / folder / "__init__.py").is_file(), folder
    for backend in ("embedded", "opensearch"):
        assert (package / "retrieval" / backend / "__init__.py").is_file(), backend
    assert (package / "retrieval" / "base.py").is_file()


def test_engine_reads_no_environment() -> None:
    """Only the front end (cli.py) reads the environment; the engine gets settings passed in."""
    readers = [
        path.name
        for path in (ROOT / "src" / "footnote").rglob("*.py")
        if "environ" in path.read_text(encoding="utf-8") and path.name != "cli.py"
    ]
    assert readers == []


@pytest.mark.parametrize(
    "command", [[], ["ask"], ["chat"], ["index"], ["sources"], ["eval"], ["gaps"], ["feedback"]]
)
def test_every_command_has_help(command: list[str]) -> None:
    """`footnote [COMMAND] --help` exits 0 and describes the command."""
    result = subprocess.run(
        [sys.executable, "-m", "footnote", *command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "usage: footnote" in result.stdout
    assert len(result.stdout.splitlines()) > 3


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_every_console_script_has_help(script: str, tmp_path: Path) -> None:
    """Each installed console script answers --help with its usage, with no settings at all."""
    path = Path(sys.executable).parent / script
    if not path.exists():
        pytest.skip(f"{path} is not installed (pip install the project to get it)")
    result = subprocess.run(
        [str(path), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,  # no .env here
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: {script}")
    assert len(result.stdout.splitlines()) > 3


def test_the_bot_has_a_console_command_of_its_own() -> None:
    """pyproject.toml installs `footnote-bot`, and its target is a function of the bot."""
    module, _, function = SCRIPTS["footnote-bot"].partition(":")
    assert module.split(".")[0] == "bot"
    source = (ROOT / Path(*module.split("."))).with_suffix(".py").read_text(encoding="utf-8")
    assert f"def {function}(" in source


def test_nothing_on_disk_is_read_with_pickle() -> None:
    """The index format never uses pickle: an index folder is data, never code to run.

    (The build packs rows in memory with pickle, as multiprocessing itself does between its
    processes; nothing pickled is written to or read from a file.)
    """
    for path in (ROOT / "src" / "footnote").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "allow_pickle=True" not in text, path
        assert "pickle.load(" not in text and "pickle.dump(" not in text, path
        assert "shelve" not in text and "joblib" not in text, path


def test_the_code_is_ruff_clean() -> None:
    """`ruff check` finds nothing in the engine, the bot, the tests or the benchmarks."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "src", "bot", "tests", "benchmarks"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if "No module named ruff" in result.stderr:
        pytest.skip("ruff is not installed (it comes with the test extra)")
    assert result.returncode == 0, result.stdout + result.stderr
