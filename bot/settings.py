"""The bot's settings: the only module that reads the environment (after loading .env)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import find_dotenv, load_dotenv

from bot.sharding import Shards, shards_from
from footnote.answerlog.store import STORE_NAME, is_database_url
from footnote.config import (
    DEFAULT_CORPUS_DIR,
    SEARCH_VARIABLES,
    EngineConfig,
    OpenSearchSettings,
    confidence,
    number_between,
    search_backend,
    switch,
)
from footnote.corpora import mapping_from
from footnote.errors import ConfigError

MAX_RESULTS = 5
DEFAULT_RESULTS = 3
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_COOLDOWN = (5, 30.0)  # questions per seconds, per person
DEFAULT_WATCH_SECONDS = 10.0
DEFAULT_KEEP_DAYS = 90
MAX_KEEP_DAYS = 3650
OFF = ("0", "off", "no", "false", "none")
DEFAULT_IDLE_MINUTES = 30.0
DEFAULT_FEED_MINUTES = 30.0
MAX_MINUTES = 10080  # a week
DEFAULT_MAX_UPLOAD_MB = 25.0
MAX_UPLOAD_MB = 1024


class SettingsError(Exception):
    """One or more settings are missing or invalid; each problem is one sentence."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    """Everything the bot is configured with, as plain values."""

    token: str = field(repr=False)  # never shown, never logged
    guild_id: int | None = None
    corpus_dir: Path = DEFAULT_CORPUS_DIR
    index_dir: Path | None = None
    results: int = DEFAULT_RESULTS
    ask_channel_ids: frozenset[int] = frozenset()
    admin_role_ids: frozenset[int] = frozenset()
    admin_user_ids: frozenset[int] = frozenset()
    log_level: int = logging.INFO
    api_base_url: str | None = None
    gateway_url: str | None = None
    cooldown: tuple[int, float] | None = DEFAULT_COOLDOWN
    watch_seconds: float = DEFAULT_WATCH_SECONDS
    state_path: Path | None = None
    database_url: str | None = field(default=None, repr=False)  # may hold a password
    keep_days: int = DEFAULT_KEEP_DAYS
    keep_boilerplate: bool = False
    base_url: str | None = None
    answer_threshold: float | None = None
    feedback: bool = False
    backend: str = "embedded"
    opensearch: OpenSearchSettings | None = None
    shards: Shards | None = None
    corpora_dir: Path | None = None
    server_corpora: tuple[tuple[int, str], ...] = ()  # (guild id, shared corpus name)
    idle_minutes: float = DEFAULT_IDLE_MINUTES
    feed_minutes: float = DEFAULT_FEED_MINUTES
    allow_private_urls: bool = False
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB

    @property
    def max_upload_bytes(self) -> int:
        """The largest file /add takes, in bytes (FOOTNOTE_MAX_UPLOAD_MB)."""
        return int(self.max_upload_mb * 1024 * 1024)

    def engine_config(self) -> EngineConfig:
        """The engine's config: the command line's folders, the index held in memory.

        In memory, so that the bot keeps answering whatever happens to the files under it.
        """
        return EngineConfig(
            corpus_dir=self.corpus_dir,
            index_dir=self.index_dir,
            results=self.results,
            keep_boilerplate=self.keep_boilerplate,
            base_url=self.base_url,
            answer_threshold=self.answer_threshold,
            feedback=self.feedback,
            in_memory=True,
            backend=self.backend,
            opensearch=self.opensearch,
        )

    def state_file(self) -> Path | str:
        """The bot's store (server settings, answers, votes, feeds): the PostgreSQL database
        of FOOTNOTE_DATABASE_URL, else an SQLite file, beside the index unless set."""
        if self.database_url:
            return self.database_url
        return self.state_path or self.engine_config().index_path.parent / STORE_NAME


def _confidence(name: str, text: str, problems: list[str]) -> float | None:
    """A confidence threshold (blank: the model's own), or None with a problem noted."""
    try:
        return confidence(name, text)
    except ConfigError as exc:
        problems.append(str(exc))
        return None


def _switch(name: str, text: str, problems: list[str]) -> bool:
    """An on/off setting (empty is off), or off with a problem noted."""
    try:
        return switch(name, text)
    except ConfigError as exc:
        problems.append(str(exc))
        return False


def _snowflake(name: str, text: str, problems: list[str]) -> int | None:
    """A Discord id, or None with a problem noted."""
    text = text.strip()
    if text.isdigit() and 0 < int(text) < 2**64:
        return int(text)
    problems.append(f"{name} must be a Discord id (a number like 1234567890123456), not {text!r}.")
    return None


def _snowflakes(name: str, text: str, problems: list[str]) -> frozenset[int]:
    """A comma-separated list of Discord ids (blank items ignored)."""
    ids = [_snowflake(name, item, problems) for item in text.split(",") if item.strip()]
    return frozenset(i for i in ids if i is not None)


def _url(name: str, text: str, problems: list[str]) -> str | None:
    """An http(s) or ws(s) URL without a trailing slash, or None when blank."""
    text = text.strip().rstrip("/")
    if not text:
        return None
    if "://" not in text or text.split("://", 1)[0] not in ("http", "https", "ws", "wss"):
        problems.append(
            f"{name} must be a full URL such as https://discord.com/api/v10, not {text!r}."
        )
        return None
    return text


def _cooldown(text: str, problems: list[str]) -> tuple[int, float] | None:
    """ "5/30" (5 questions per 30 seconds per person), or None for "off"."""
    if not text:
        return DEFAULT_COOLDOWN
    if text.casefold() in OFF:
        return None
    count, _, seconds = text.partition("/")
    try:
        limit, window = int(count), float(seconds)
    except ValueError:
        limit, window = 0, 0.0
    if limit < 1 or not 0 < window <= 86400:
        problems.append(
            f"FOOTNOTE_COOLDOWN must be questions/seconds such as 5/30, or off, not {text!r}."
        )
        return DEFAULT_COOLDOWN
    return limit, window


def _seconds(name: str, text: str, default: float, problems: list[str]) -> float:
    """A number of seconds (0 turns the feature off)."""
    if not text:
        return default
    value = number_between(text, 0, 86400)
    if value is None:
        problems.append(f"{name} must be a number of seconds from 0 to 86400, not {text!r}.")
        return default
    return value


def _database_url(text: str, problems: list[str]) -> str | None:
    """A postgresql:// URL, or None when blank; a bad value is never repeated (it may hold a
    password)."""
    if not text:
        return None
    if is_database_url(text):
        return text
    problems.append(
        "FOOTNOTE_DATABASE_URL must be a PostgreSQL URL such as "
        "postgresql://footnote:PASSWORD@db.example.org:5432/footnote, or empty for the SQLite "
        "file of FOOTNOTE_BOT_STATE."
    )
    return None


def _minutes(name: str, text: str, default: float, what: str, problems: list[str]) -> float:
    """A number of minutes, fractions allowed (0 turns the feature off)."""
    if not text:
        return default
    value = number_between(text, 0, MAX_MINUTES)
    if value is None:
        problems.append(
            f"{name} must be a number of minutes from 0 ({what}) to {MAX_MINUTES}, not {text!r}."
        )
        return default
    return value


def _upload_mb(text: str, problems: list[str]) -> float:
    """The largest file /add takes, in MB."""
    if not text:
        return DEFAULT_MAX_UPLOAD_MB
    value = number_between(text, 0, MAX_UPLOAD_MB)
    if not value:
        problems.append(
            f"FOOTNOTE_MAX_UPLOAD_MB must be a number of megabytes above 0 and at most "
            f"{MAX_UPLOAD_MB}, not {text!r}."
        )
        return DEFAULT_MAX_UPLOAD_MB
    return value


def _server_corpora(text: str, root: str, problems: list[str]) -> tuple[tuple[int, str], ...]:
    """Servers mapped to shared corpora ("<guild id>=<name>,..."), which need their root."""
    try:
        mapped = mapping_from(text)
    except ConfigError as error:
        problems.append(f"FOOTNOTE_SERVER_CORPORA: {error}")
        return ()
    if mapped and not root:
        problems.append(
            "FOOTNOTE_SERVER_CORPORA maps servers to corpora under FOOTNOTE_CORPORA_DIR, which "
            "is not set; set it to the folder that holds them."
        )
    return tuple(sorted(mapped.items()))


def _keep_days(text: str, problems: list[str]) -> int:
    """How many days answers and votes are kept (0: none are kept)."""
    if not text:
        return DEFAULT_KEEP_DAYS
    if text.isdigit() and int(text) <= MAX_KEEP_DAYS:
        return int(text)
    problems.append(
        f"FOOTNOTE_KEEP_DAYS must be a whole number of days from 0 (keep no answers) to "
        f"{MAX_KEEP_DAYS}, not {text!r}."
    )
    return DEFAULT_KEEP_DAYS


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Settings from a mapping of variables; raises SettingsError naming every bad value."""
    problems: list[str] = []

    def get(name: str) -> str:
        return (environ.get(name) or "").strip()

    token = get("DISCORD_TOKEN")
    if not token:
        problems.append(
            "DISCORD_TOKEN is not set: put the bot token from the Discord developer portal "
            "in .env (see .env.example) or in the environment."
        )
    guild_text = get("DISCORD_GUILD_ID")
    guild_id = _snowflake("DISCORD_GUILD_ID", guild_text, problems) if guild_text else None
    results = DEFAULT_RESULTS
    if get("FOOTNOTE_RESULTS"):
        text = get("FOOTNOTE_RESULTS")
        if text.isdigit() and 1 <= int(text) <= MAX_RESULTS:
            results = int(text)
        else:
            problems.append(
                f"FOOTNOTE_RESULTS must be a whole number from 1 to {MAX_RESULTS}, not {text!r}."
            )
    level_name = get("LOG_LEVEL").upper() or "INFO"
    if level_name not in LOG_LEVELS:
        problems.append(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {level_name!r}.")
        level_name = "INFO"
    index = get("FOOTNOTE_INDEX_DIR")
    backend, cluster = "embedded", None
    try:
        backend, cluster = search_backend({name: get(name) for name in SEARCH_VARIABLES})
    except ConfigError as error:
        problems.append(str(error))
    settings = Settings(
        token=token,
        guild_id=guild_id,
        corpus_dir=Path(get("FOOTNOTE_CORPUS_DIR") or DEFAULT_CORPUS_DIR),
        index_dir=Path(index) if index else None,
        results=results,
        ask_channel_ids=_snowflakes(
            "FOOTNOTE_ASK_CHANNEL_IDS", get("FOOTNOTE_ASK_CHANNEL_IDS"), problems
        ),
        admin_role_ids=_snowflakes(
            "FOOTNOTE_ADMIN_ROLE_IDS", get("FOOTNOTE_ADMIN_ROLE_IDS"), problems
        ),
        admin_user_ids=_snowflakes(
            "FOOTNOTE_ADMIN_USER_IDS", get("FOOTNOTE_ADMIN_USER_IDS"), problems
        ),
        log_level=logging.getLevelName(level_name),
        api_base_url=_url("DISCORD_API_BASE_URL", get("DISCORD_API_BASE_URL"), problems),
        gateway_url=_url("DISCORD_GATEWAY_URL", get("DISCORD_GATEWAY_URL"), problems),
        cooldown=_cooldown(get("FOOTNOTE_COOLDOWN"), problems),
        watch_seconds=_seconds(
            "FOOTNOTE_WATCH_SECONDS", get("FOOTNOTE_WATCH_SECONDS"), DEFAULT_WATCH_SECONDS, problems
        ),
        state_path=Path(get("FOOTNOTE_BOT_STATE")) if get("FOOTNOTE_BOT_STATE") else None,
        database_url=_database_url(get("FOOTNOTE_DATABASE_URL"), problems),
        keep_days=_keep_days(get("FOOTNOTE_KEEP_DAYS"), problems),
        keep_boilerplate=_switch(
            "FOOTNOTE_KEEP_BOILERPLATE", get("FOOTNOTE_KEEP_BOILERPLATE"), problems
        ),
        base_url=_url("FOOTNOTE_BASE_URL", get("FOOTNOTE_BASE_URL"), problems),
        answer_threshold=_confidence(
            "FOOTNOTE_ANSWER_THRESHOLD", get("FOOTNOTE_ANSWER_THRESHOLD"), problems
        ),
        feedback=_switch("FOOTNOTE_FEEDBACK", get("FOOTNOTE_FEEDBACK"), problems),
        backend=backend,
        opensearch=cluster,
        shards=shards_from(get("FOOTNOTE_SHARD_IDS"), get("FOOTNOTE_SHARD_COUNT"), problems),
        corpora_dir=Path(get("FOOTNOTE_CORPORA_DIR")) if get("FOOTNOTE_CORPORA_DIR") else None,
        server_corpora=_server_corpora(
            get("FOOTNOTE_SERVER_CORPORA"), get("FOOTNOTE_CORPORA_DIR"), problems
        ),
        idle_minutes=_minutes(
            "FOOTNOTE_IDLE_MINUTES",
            get("FOOTNOTE_IDLE_MINUTES"),
            DEFAULT_IDLE_MINUTES,
            "never close",
            problems,
        ),
        feed_minutes=_minutes(
            "FOOTNOTE_FEED_MINUTES",
            get("FOOTNOTE_FEED_MINUTES"),
            DEFAULT_FEED_MINUTES,
            "never check",
            problems,
        ),
        allow_private_urls=_switch(
            "FOOTNOTE_ALLOW_PRIVATE_URLS", get("FOOTNOTE_ALLOW_PRIVATE_URLS"), problems
        ),
        max_upload_mb=_upload_mb(get("FOOTNOTE_MAX_UPLOAD_MB"), problems),
    )
    if problems:
        raise SettingsError(problems)
    return settings


def settings_from_environment() -> Settings:
    """Load .env from the working directory (never overriding set variables), then read."""
    load_dotenv(find_dotenv(usecwd=True))
    return load_settings(os.environ)
