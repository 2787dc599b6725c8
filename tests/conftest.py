"""Shared fixtures: the shared/ folder beside the project, and small corpora on disk."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    """../shared beside the project, or wherever FOOTNOTE_SHARED_DIR points."""
    return Path(os.environ.get("FOOTNOTE_SHARED_DIR") or ROOT.parent / "shared")


@pytest.fixture
def shared() -> Path:
    """The shared folder; tests that need it skip with a visible reason when it is missing."""
    path = shared_dir()
    if not path.is_dir():
        pytest.skip(f"{path} is missing (it holds the seed article and test collections)")
    return path


@pytest.fixture
def seed_corpus(tmp_path: Path) -> Path:
    """A copy of the project's default corpus in a temporary folder."""
    target = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", target)
    return target


def run_footnote(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run the real `footnote` command line in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "footnote", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=env,
    )


def write_articles(folder: Path, articles: dict[str, str]) -> Path:
    """A corpus folder of one-paragraph Markdown articles, each titled after its file name."""
    folder.mkdir()
    for name, text in articles.items():
        (folder / f"{name}.md").write_text(f"# {name.title()}\n\n{text}\n", encoding="utf-8")
    return folder


def corpus_of(tmp_path: Path, files: dict[str, str]) -> tuple[str, ...]:
    """A corpus folder of these files (name -> text) and its index: the options naming both."""
    corpus = tmp_path / "docs"
    corpus.mkdir()
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return ("--corpus", str(corpus), "--index", str(tmp_path / "index"))


@pytest.fixture(scope="session")
def opensearch_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A real two-node OpenSearch cluster on 127.0.0.1, started once for the session by
    tools/opensearch/cluster.py (its jars come from Maven Central into ~/.m2)."""
    yield from started_cluster(tmp_path_factory.mktemp("opensearch"))


def started_cluster(workdir: Path, nodes: int = 2) -> Iterator[object]:
    """A cluster of this many nodes, stopped and removed after; a skip naming what is
    missing when Java or Maven is not installed."""
    missing = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed: the OpenSearch tests need them")
    sys.path.insert(0, str(ROOT / "tools" / "opensearch"))
    try:
        import cluster
    finally:
        sys.path.pop(0)
    with cluster.Cluster(nodes=nodes, workdir=workdir) as running:
        yield running


def postgres_launcher() -> ModuleType:
    """tools/postgres/cluster.py, loaded under a name of its own (tools/opensearch has a
    cluster.py too)."""
    spec = importlib.util.spec_from_file_location(
        "footnote_postgres_cluster", ROOT / "tools" / "postgres" / "cluster.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[object]:
    """A throwaway PostgreSQL server on 127.0.0.1, started once for the session by
    tools/postgres/cluster.py; a skip naming what is missing when PostgreSQL is not installed,
    but a failure under CI, whose .ci/run installs it."""
    launcher = postgres_launcher()
    if launcher.find_bindir() is None:
        missing = "PostgreSQL is not installed (Debian's postgresql package)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{missing}, and CI must run the PostgreSQL tests", pytrace=False)
        pytest.skip(f"{missing}: the PostgreSQL store tests need it")
    with launcher.Cluster() as server:
        yield server


@pytest.fixture
def postgres_database(postgres_server: object) -> str:
    """The URL of a new, empty database on the session's PostgreSQL server."""
    return postgres_server.create_database(f"test_{uuid.uuid4().hex[:12]}")  # type: ignore[attr-defined]


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a new answer store goes, once on each database: an SQLite file, or an empty
    PostgreSQL database's URL."""
    if request.param == "sqlite":
        return tmp_path / "footnote-bot.sqlite"
    return request.getfixturevalue("postgres_database")


@pytest.fixture
def server() -> Iterator[object]:
    """A page and feed server on 127.0.0.1 for one test (tests/webpages.py)."""
    from webpages import serving

    with serving() as running:
        yield running
