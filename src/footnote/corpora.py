"""Corpora: the engines of several corpora in one process, by name, for front ends that serve
several audiences (the Discord bot's servers).

"default" is the configured corpus. Under a root folder, ``<root>/<guild id>`` is a server's
own corpus and ``<root>/<name>`` a shared one that the operator maps to servers. Engines are
opened on demand (once, however many questions arrive together), closed when idle (never the
default, never one in use), and share one Analyzer and so its caches. Each corpus has its own
lock for rebuilds and updates: one corpus being rebuilt never holds up another's questions.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from footnote.analysis.analyzer import Analyzer
from footnote.config import INDEX_FOLDER, EngineConfig
from footnote.engine import Engine
from footnote.errors import ConfigError, CorpusError
from footnote.ingest.corpus import find_files

log = logging.getLogger(__name__)
DEFAULT = "default"
# A shared corpus's name: a folder name and, after the cluster's index name, an OpenSearch
# index name; it starts with a letter, so it is never taken for a server's id, and is short
# enough for a front end to carry it in a button's id (Discord's allow 100 characters).
SHARED_NAME = re.compile(r"[a-z][a-z0-9_-]{0,18}")


def mapping_from(text: str) -> dict[int, str]:
    """Servers mapped to shared corpora from "<guild id>=<name>,..."; ConfigError says what
    is wrong with the first bad item."""
    mapped: dict[int, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        guild, equals, name = (part.strip() for part in item.partition("="))
        if not equals or not guild.isdigit() or not 0 < int(guild) < 2**64:
            raise ConfigError(
                f"Each server corpus must be <server id>=<corpus name>, such as "
                f"123456789012345678=newsroom, not {item.strip()!r}."
            )
        if not SHARED_NAME.fullmatch(name) or name == DEFAULT:
            raise ConfigError(
                f"The corpus name {name!r} is not usable; use up to 19 lowercase letters, "
                "digits, - and _, starting with a letter (and not 'default'), e.g. newsroom."
            )
        mapped[int(guild)] = name
    return mapped


@dataclass
class _Opened:
    """One corpus's engine (None until opened, or once closed when idle) and its state."""

    config: EngineConfig
    engine: Engine | None = None
    users: int = 0
    last_used: float = field(default_factory=time.monotonic)
    opening: threading.Lock = field(default_factory=threading.Lock)
    writing: threading.Lock = field(default_factory=threading.Lock)


class Corpora:
    """The corpora a front end answers from, by name, each opened on first use."""

    def __init__(
        self,
        config: EngineConfig,
        root: Path | None = None,
        shared: Mapping[int, str] | None = None,
        idle_seconds: float = 0.0,
        default: Engine | None = None,
    ) -> None:
        """`config` is the default corpus's; `default` its engine when already open."""
        self.root = root
        self.shared = dict(shared or {})
        self.idle_seconds = idle_seconds
        if self.shared and root is None:
            raise ConfigError(
                "Servers are mapped to shared corpora, but no folder holds them; set the "
                "root of the corpora (FOOTNOTE_CORPORA_DIR)."
            )
        self.analyzer = default.analyzer if default is not None else Analyzer(config.analyzer)
        self._config = default.config if default is not None else config
        self._guard = threading.Lock()
        self._corpora: dict[str, _Opened] = {DEFAULT: _Opened(self._config, default)}

    # -- names ----------------------------------------------------------------------------

    def name_for(self, guild_id: int | None) -> str:
        """The corpus a server answers from: its own folder if it exists, else the shared
        corpus it is mapped to, else the default (always the default in DMs)."""
        if guild_id is None:
            return DEFAULT
        if self.has_own(guild_id):
            return self.own_name(guild_id)
        return self.shared.get(guild_id, DEFAULT)

    def own_name(self, guild_id: int) -> str:
        """The name of a server's own corpus (which may not exist yet)."""
        return str(guild_id)

    def has_own(self, guild_id: int) -> bool:
        """Whether a server has a corpus folder of its own."""
        return self.root is not None and (self.root / str(guild_id)).is_dir()

    def config_for(self, name: str) -> EngineConfig:
        """The engine config of a corpus: the default's, with its own folders and, on the
        OpenSearch backend, its own index."""
        if name == DEFAULT:
            return self._config
        if self.root is None:
            raise ConfigError(
                f"The corpus {name!r} needs the root of the corpora; set FOOTNOTE_CORPORA_DIR."
            )
        if not (name.isdigit() or SHARED_NAME.fullmatch(name)):
            raise ConfigError(f"{name!r} is not the name of a corpus.")
        base = self._config
        opensearch = base.opensearch
        if opensearch is not None:
            opensearch = replace(opensearch, index=f"{opensearch.index}-{name}")
        return replace(
            base,
            corpus_dir=self.root / name,
            index_dir=self.root / INDEX_FOLDER / name,
            opensearch=opensearch,
        )

    # -- engines --------------------------------------------------------------------------

    def _entry(self, name: str) -> _Opened:
        with self._guard:
            entry = self._corpora.get(name)
            if entry is None:
                entry = self._corpora[name] = _Opened(self.config_for(name))
            return entry

    def acquire(self, name: str) -> Engine:
        """The engine of a corpus, opened (or built) if it is not yet, counted as in use until
        `release`; concurrent first calls open it once. Slow the first time: call it off an
        event loop."""
        entry = self._entry(name)
        with self._guard:
            entry.users += 1
            entry.last_used = time.monotonic()
        try:
            return self._open(name, entry)
        except BaseException:
            self.release(name)
            raise

    def try_acquire(self, name: str) -> Engine | None:
        """As `acquire` when the corpus's engine is open (never waits for I/O), else None."""
        with self._guard:
            entry = self._corpora.get(name)
            if entry is None or entry.engine is None:
                return None
            entry.users += 1
            entry.last_used = time.monotonic()
            return entry.engine

    @property
    def default(self) -> Engine:
        """The default corpus's engine (opened first, and never closed)."""
        return self.engine(DEFAULT)

    def release(self, name: str) -> None:
        """One use of a corpus's engine is over."""
        with self._guard:
            entry = self._corpora[name]
            entry.users -= 1
            entry.last_used = time.monotonic()

    @contextlib.contextmanager
    def using(self, name: str) -> Iterator[Engine]:
        """The engine of a corpus, kept open while the block runs."""
        engine = self.acquire(name)
        try:
            yield engine
        finally:
            self.release(name)

    def engine(self, name: str) -> Engine:
        """The engine of a corpus, opened if it is not yet (not counted as in use)."""
        with self.using(name) as engine:
            return engine

    def _open(self, name: str, entry: _Opened) -> Engine:
        """The entry's engine, opening it under the entry's own lock (others go on)."""
        engine = entry.engine
        if engine is not None:
            return engine
        with entry.opening:
            if entry.engine is None:
                config = entry.config
                if name != DEFAULT and not _has_articles(config.corpus_dir):
                    raise CorpusError(f"The corpus {name} has no article yet; add one first.")
                started = time.perf_counter()
                engine, report = Engine.open(config, analyzer=self.analyzer)
                entry.engine = engine
                log.info(
                    "opened corpus %s%s in %.2fs",
                    name,
                    " (built now)" if report is not None else "",
                    time.perf_counter() - started,
                )
            return entry.engine

    def adopt(self, name: str, engine: Engine) -> Engine:
        """Serve a corpus from an engine built elsewhere (its first add), with the shared
        analyzer; the engine it serves from now."""
        entry = self._entry(name)
        shared = Engine(entry.config, engine.retriever, analyzer=self.analyzer)
        with entry.opening:
            entry.engine = shared
            entry.last_used = time.monotonic()
        return shared

    def is_empty(self, name: str) -> bool:
        """Whether a corpus's folder holds no article yet (or does not exist)."""
        return not _has_articles(self.config_for(name).corpus_dir)

    def opened(self) -> dict[str, Engine]:
        """The engines open now, by corpus name."""
        with self._guard:
            return {n: e.engine for n, e in self._corpora.items() if e.engine is not None}

    def is_open(self, name: str) -> bool:
        """Whether a corpus's engine is open now."""
        return name in self.opened()

    def writing(self, name: str) -> threading.Lock:
        """The lock a corpus's rebuilds and updates take, one at a time; questions never wait
        for it, nor does any other corpus."""
        return self._entry(name).writing

    def close_idle(self, now: float | None = None) -> list[str]:
        """Close the engines unused for the idle time (never the default, never one in use or
        being written); the names closed."""
        if self.idle_seconds <= 0:
            return []
        moment = time.monotonic() if now is None else now
        closed: list[tuple[str, Engine]] = []
        with self._guard:
            for name, entry in self._corpora.items():
                engine = entry.engine
                if (
                    name == DEFAULT
                    or engine is None
                    or entry.users
                    or moment - entry.last_used < self.idle_seconds
                    or not entry.writing.acquire(blocking=False)
                ):
                    continue
                try:
                    entry.engine = None
                finally:
                    entry.writing.release()
                closed.append((name, engine))
        for name, engine in closed:
            with contextlib.suppress(Exception):  # closing is a courtesy: memory is freed anyway
                engine.retriever.close()
            log.info("closed corpus %s after %.0f idle minutes", name, self.idle_seconds / 60)
        return [name for name, _ in closed]

    # -- a server's own corpus --------------------------------------------------------------

    def create_own(self, guild_id: int) -> str:
        """Create a server's own (empty) corpus folder; its name. From the first article
        added on, the server answers from it."""
        if self.root is None:
            raise ConfigError(
                "This bot has no folder for servers' own writing; its operator can set "
                "FOOTNOTE_CORPORA_DIR."
            )
        name = self.own_name(guild_id)
        (self.root / name).mkdir(parents=True, exist_ok=True)
        return name

    def discard_own_if_empty(self, guild_id: int) -> bool:
        """Remove a server's own folder again when nothing was added to it (a first add that
        failed), so the server answers as before; whether it did."""
        if self.root is None:
            return False
        folder = self.root / self.own_name(guild_id)
        if not folder.is_dir() or any(folder.iterdir()):
            return False
        with contextlib.suppress(OSError):
            folder.rmdir()
        return not folder.exists()


def _has_articles(folder: Path) -> bool:
    """Whether a corpus folder exists and holds a file the reader takes."""
    if not folder.is_dir():
        return False
    files, _ = find_files(folder)
    return bool(files)
