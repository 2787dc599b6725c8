"""End-to-end fixtures: a fake Discord on 127.0.0.1 with discord.py pointed at it.

``fake_discord`` fails the test when the client sent a body that breaks Discord's OpenAPI
description or limits, or called a route the fake does not know. The description is read from
``../shared/discord-api-spec/openapi.json``, or from ``FOOTNOTE_SHARED_DIR`` when set (the
variable ``tests/conftest.py`` also honours); it is never copied into the project.
"""

from __future__ import annotations

import logging
import os
import shutil
import warnings
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from footnote.config import EngineConfig
from footnote.engine import Engine

from .fakediscord import SPEC_PATH, FakeDiscord, OpenApiSpec, load_spec
from .fakediscord.client import pointed_at

SHARED_ENV = "FOOTNOTE_SHARED_DIR"
ROOT = Path(__file__).resolve().parents[2]


def spec_path() -> Path:
    """Where Discord's OpenAPI description is read from."""
    shared = os.environ.get(SHARED_ENV)
    return Path(shared) / "discord-api-spec" / "openapi.json" if shared else SPEC_PATH


@pytest_asyncio.fixture
async def fake_discord(caplog: pytest.LogCaptureFixture) -> AsyncIterator[FakeDiscord]:
    """A started FakeDiscord with discord.py pointed at it; fails the test on any problem.

    Problems are bodies that break the OpenAPI description or Discord's limits, unknown
    routes, and errors discord.py logged (an exception in an event handler or command is only
    logged by discord.py; a test that provokes one on purpose calls ``caplog.clear()``).
    """
    fake = FakeDiscord(spec_path=spec_path(), heartbeat_interval=0.25)
    if fake.spec is None:
        warnings.warn(
            f"Discord's OpenAPI description is missing ({spec_path()}): request bodies are not "
            f"validated against it (set {SHARED_ENV} to the folder that holds it)",
            stacklevel=1,
        )
    await fake.start()
    try:
        with pointed_at(fake):
            yield fake
    finally:
        await fake.stop()
    problems = fake.problems()
    problems += [
        f"discord.py logged {record.levelname}: {record.getMessage()}"
        + (
            f"\n{caplog.handler.formatter.formatException(record.exc_info)}"
            if record.exc_info and caplog.handler.formatter
            else ""
        )
        for record in caplog.get_records("call")
        if record.name.startswith("discord") and record.levelno >= logging.ERROR
    ]
    if problems:
        pytest.fail("the fake Discord saw problems:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def openapi_spec() -> OpenApiSpec:
    """Discord's OpenAPI description; skips the test, saying why, when it is missing."""
    spec = load_spec(spec_path())
    if spec is None:
        pytest.skip(f"Discord's OpenAPI description not found at {spec_path()} ({SHARED_ENV})")
    return spec


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A copy of the default corpus and its index folder, built once for the module."""
    root = tmp_path_factory.mktemp("bot")
    shutil.copytree(ROOT / "corpus", root / "corpus")
    Engine.open(EngineConfig(corpus_dir=root / "corpus", index_dir=root / "index"))
    return root / "corpus", root / "index"
