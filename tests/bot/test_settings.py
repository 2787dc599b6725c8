"""Settings come from the environment only, with one clear sentence per bad value."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
TOKEN = {"DISCORD_TOKEN": "secret-token"}


def problems(environ: dict[str, str]) -> list[str]:
    """The problems load_settings reports for an environment."""
    with pytest.raises(SettingsError) as caught:
        load_settings(environ)
    return caught.value.problems


def test_defaults_with_only_a_token() -> None:
    """A token is enough: default corpus, 3 results, no channels, INFO, real Discord URLs."""
    settings = load_settings(TOKEN)
    assert settings == Settings(token="secret-token")
    assert settings.results == 3 and settings.guild_id is None
    assert settings.log_level == logging.INFO and settings.api_base_url is None
    assert settings.engine_config().corpus_dir == Path("corpus")


def test_every_variable_is_read() -> None:
    """Ids, lists, folders, results, level and URLs are parsed into plain values."""
    settings = load_settings(
        {
            **TOKEN,
            "DISCORD_GUILD_ID": "111111111111111111",
            "FOOTNOTE_CORPUS_DIR": "articles",
            "FOOTNOTE_INDEX_DIR": "idx",
            "FOOTNOTE_RESULTS": "5",
            "FOOTNOTE_ASK_CHANNEL_IDS": "1, 2,,3",
            "FOOTNOTE_ADMIN_ROLE_IDS": "4",
            "FOOTNOTE_ADMIN_USER_IDS": "5,6",
            "LOG_LEVEL": "debug",
            "DISCORD_API_BASE_URL": "http://127.0.0.1:9/api/v10/",
            "DISCORD_GATEWAY_URL": "ws://127.0.0.1:9/gateway",
            "FOOTNOTE_KEEP_BOILERPLATE": "yes",
        }
    )
    assert settings.guild_id == 111111111111111111
    assert settings.engine_config().index_path == Path("idx")
    assert settings.results == 5 and settings.ask_channel_ids == {1, 2, 3}
    assert settings.admin_role_ids == {4} and settings.admin_user_ids == {5, 6}
    assert settings.log_level == logging.DEBUG
    assert settings.api_base_url == "http://127.0.0.1:9/api/v10"
    assert settings.gateway_url == "ws://127.0.0.1:9/gateway"
    assert settings.engine_config().keep_boilerplate is True


def test_the_token_is_never_in_the_repr() -> None:
    """Printing or logging the settings does not show the token."""
    assert "secret-token" not in repr(load_settings(TOKEN))


@pytest.mark.parametrize("token", [None, "", "   "])
def test_missing_token_is_named(token: str | None) -> None:
    """A missing or blank DISCORD_TOKEN is one sentence naming it and .env.example."""
    environ = {} if token is None else {"DISCORD_TOKEN": token}
    (problem,) = problems(environ)
    assert "DISCORD_TOKEN" in problem and ".env.example" in problem


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DISCORD_GUILD_ID", "my-guild"),
        ("DISCORD_GUILD_ID", "-5"),
        ("FOOTNOTE_ASK_CHANNEL_IDS", "123,abc"),
        ("FOOTNOTE_ADMIN_ROLE_IDS", "1.5"),
        ("FOOTNOTE_ADMIN_USER_IDS", "@alice"),
        ("FOOTNOTE_RESULTS", "0"),
        ("FOOTNOTE_RESULTS", "6"),
        ("FOOTNOTE_RESULTS", "three"),
        ("LOG_LEVEL", "LOUD"),
        ("DISCORD_API_BASE_URL", "localhost:8080"),
        ("DISCORD_GATEWAY_URL", "ftp://x"),
        ("FOOTNOTE_KEEP_BOILERPLATE", "maybe"),
    ],
)
def test_bad_values_are_one_sentence_each(name: str, value: str) -> None:
    """Each bad value is reported once, naming the variable and the value."""
    (problem,) = problems({**TOKEN, name: value})
    assert problem.startswith(name) and problem.endswith(".")
    assert any(repr(part) in problem for part in value.split(","))


def test_all_problems_are_reported_together() -> None:
    """Several bad values give one sentence each, not just the first."""
    found = problems({"FOOTNOTE_RESULTS": "9", "DISCORD_GUILD_ID": "x"})
    names = [p.split()[0] for p in found]
    assert names == ["DISCORD_TOKEN", "DISCORD_GUILD_ID", "FOOTNOTE_RESULTS"]


def run_bot(environ: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m bot` in cwd with exactly these variables (plus what Python needs)."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **environ}
    return subprocess.run(
        [sys.executable, "-m", "bot"], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def test_python_m_bot_without_a_token_exits_2_with_one_line(tmp_path: Path) -> None:
    """No token anywhere: exit 2, one line on stderr naming it, no traceback."""
    result = run_bot({}, tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "DISCORD_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_dotenv_is_read_and_a_missing_corpus_stops_the_start(tmp_path: Path) -> None:
    """.env in the working folder is loaded; a missing corpus is the engine's one line, exit 2."""
    (tmp_path / ".env").write_text("DISCORD_TOKEN=s3cr3t-t0ken\nFOOTNOTE_CORPUS_DIR=nowhere\n")
    result = run_bot({}, tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("footnote-bot: ") and "nowhere" in line
    assert "s3cr3t-t0ken" not in result.stderr


def test_cooldown_watch_and_state_file() -> None:
    """The cooldown is questions/seconds or off; the watch interval seconds; the store a file,
    its answers kept 90 days unless set (0: none)."""
    settings = load_settings(
        {
            **TOKEN,
            "FOOTNOTE_COOLDOWN": "3/10.5",
            "FOOTNOTE_WATCH_SECONDS": "0",
            "FOOTNOTE_BOT_STATE": "state.sqlite",
        }
    )
    assert settings.cooldown == (3, 10.5) and settings.watch_seconds == 0
    assert settings.state_file() == Path("state.sqlite")
    assert load_settings({**TOKEN, "FOOTNOTE_COOLDOWN": "OFF"}).cooldown is None
    defaults = load_settings(TOKEN)
    assert defaults.cooldown == (5, 30.0) and defaults.watch_seconds == 10
    assert defaults.state_file() == Path(".footnote-index") / "footnote-bot.sqlite"
    assert defaults.engine_config().in_memory
    assert defaults.keep_days == 90
    assert load_settings({**TOKEN, "FOOTNOTE_KEEP_DAYS": "0"}).keep_days == 0


def test_a_database_url_overrides_the_state_file_and_its_password_is_never_shown() -> None:
    """FOOTNOTE_DATABASE_URL names a PostgreSQL store, over FOOTNOTE_BOT_STATE; the settings'
    repr leaves it out; a value that is not a postgresql:// URL is one sentence that does not
    repeat it (it may hold a password)."""
    url = "postgresql://footnote:pa55word@db.example.org:5432/footnote"
    settings = load_settings(
        {**TOKEN, "FOOTNOTE_DATABASE_URL": url, "FOOTNOTE_BOT_STATE": "state.sqlite"}
    )
    assert settings.state_file() == url
    assert "pa55word" not in repr(settings)
    assert load_settings({**TOKEN, "FOOTNOTE_DATABASE_URL": " "}).database_url is None
    (problem,) = problems({**TOKEN, "FOOTNOTE_DATABASE_URL": "mysql://root:hunter2@db/x"})
    assert problem.startswith("FOOTNOTE_DATABASE_URL must be a PostgreSQL URL")
    assert "hunter2" not in problem and len(problem.splitlines()) == 1


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("FOOTNOTE_COOLDOWN", "5", "FOOTNOTE_COOLDOWN must be questions/seconds such as 5/30"),
        ("FOOTNOTE_COOLDOWN", "0/30", "FOOTNOTE_COOLDOWN must be questions/seconds"),
        ("FOOTNOTE_COOLDOWN", "5/-1", "FOOTNOTE_COOLDOWN must be questions/seconds"),
        ("FOOTNOTE_WATCH_SECONDS", "soon", "FOOTNOTE_WATCH_SECONDS must be a number of seconds"),
        ("FOOTNOTE_WATCH_SECONDS", "-3", "FOOTNOTE_WATCH_SECONDS must be a number of seconds"),
        ("FOOTNOTE_KEEP_DAYS", "a week", "FOOTNOTE_KEEP_DAYS must be a whole number of days"),
        ("FOOTNOTE_KEEP_DAYS", "-1", "FOOTNOTE_KEEP_DAYS must be a whole number of days"),
        ("FOOTNOTE_KEEP_DAYS", "4000", "FOOTNOTE_KEEP_DAYS must be a whole number of days"),
    ],
)
def test_bad_cooldown_and_watch_values_are_named(name: str, value: str, says: str) -> None:
    """Each bad value is one sentence naming the variable, the value and the expected form."""
    (problem,) = problems({**TOKEN, name: value})
    assert problem.startswith(says) and repr(value) in problem


def test_shards_are_read_and_checked() -> None:
    """Unset, one connection; a count alone runs every shard; ids need the count and must be
    below it; every mistake is one sentence naming the variable."""
    assert load_settings(TOKEN).shards is None
    every = load_settings({**TOKEN, "FOOTNOTE_SHARD_COUNT": "4"}).shards
    assert every is not None and (every.count, every.ids) == (4, None)
    some = load_settings({**TOKEN, "FOOTNOTE_SHARD_COUNT": "4", "FOOTNOTE_SHARD_IDS": "3, 1"})
    assert some.shards is not None and some.shards.ids == (1, 3)
    assert some.shards.describe() == "shard(s) 1, 3 of 4"
    (alone,) = problems({**TOKEN, "FOOTNOTE_SHARD_IDS": "0"})
    assert alone.startswith("FOOTNOTE_SHARD_IDS needs FOOTNOTE_SHARD_COUNT")
    (beyond,) = problems({**TOKEN, "FOOTNOTE_SHARD_COUNT": "2", "FOOTNOTE_SHARD_IDS": "0,2"})
    assert beyond.startswith("FOOTNOTE_SHARD_IDS must be shard numbers from 0 to 1")
    (zero,) = problems({**TOKEN, "FOOTNOTE_SHARD_COUNT": "0"})
    assert zero.startswith("FOOTNOTE_SHARD_COUNT must be a whole number from 1")


def test_the_answer_threshold_and_feedback_are_read() -> None:
    """FOOTNOTE_ANSWER_THRESHOLD and FOOTNOTE_FEEDBACK reach the engine's config; unset,
    the model's own threshold and no feedback."""
    default = load_settings(TOKEN).engine_config()
    assert default.answer_threshold is None and default.feedback is False
    settings = load_settings(
        {**TOKEN, "FOOTNOTE_ANSWER_THRESHOLD": "0.8", "FOOTNOTE_FEEDBACK": "on"}
    )
    assert settings.engine_config().answer_threshold == 0.8
    assert settings.engine_config().feedback is True


def test_a_bad_answer_threshold_is_one_problem() -> None:
    """A threshold outside 0..1 is reported by name with an example."""
    (problem,) = problems({**TOKEN, "FOOTNOTE_ANSWER_THRESHOLD": "80%"})
    assert "FOOTNOTE_ANSWER_THRESHOLD" in problem and "from 0 to 1" in problem


def test_servers_corpora_feeds_and_uploads_are_read() -> None:
    """The root of the corpora, servers mapped to shared ones, idle and feed minutes (with
    fractions), private addresses and the upload limit are parsed into plain values."""
    settings = load_settings(
        {
            **TOKEN,
            "FOOTNOTE_CORPORA_DIR": "corpora",
            "FOOTNOTE_SERVER_CORPORA": "222222222222222222=newsroom, 111111111111111111=docs",
            "FOOTNOTE_IDLE_MINUTES": "0",
            "FOOTNOTE_FEED_MINUTES": "0.5",
            "FOOTNOTE_ALLOW_PRIVATE_URLS": "on",
            "FOOTNOTE_MAX_UPLOAD_MB": "2",
        }
    )
    assert settings.corpora_dir == Path("corpora")
    assert settings.server_corpora == (
        (111111111111111111, "docs"),
        (222222222222222222, "newsroom"),
    )
    assert (settings.idle_minutes, settings.feed_minutes) == (0, 0.5)
    assert settings.allow_private_urls and settings.max_upload_bytes == 2 * 1024 * 1024
    defaults = load_settings(TOKEN)
    assert (defaults.corpora_dir, defaults.server_corpora, defaults.allow_private_urls) == (
        None,
        (),
        False,
    )
    assert (defaults.idle_minutes, defaults.feed_minutes, defaults.max_upload_mb) == (30, 30, 25)


@pytest.mark.parametrize(
    ("variables", "says"),
    [
        ({"FOOTNOTE_SERVER_CORPORA": "newsroom"}, "Each server corpus must be <server id>="),
        ({"FOOTNOTE_SERVER_CORPORA": "123=News Room"}, "The corpus name 'News Room' is not"),
        ({"FOOTNOTE_SERVER_CORPORA": "123=default"}, "(and not 'default')"),
        ({"FOOTNOTE_SERVER_CORPORA": "123=newsroom"}, "FOOTNOTE_CORPORA_DIR, which is not set"),
        ({"FOOTNOTE_IDLE_MINUTES": "-1"}, "FOOTNOTE_IDLE_MINUTES must be a number of minutes"),
        ({"FOOTNOTE_FEED_MINUTES": "often"}, "FOOTNOTE_FEED_MINUTES must be a number of minutes"),
        ({"FOOTNOTE_ALLOW_PRIVATE_URLS": "maybe"}, "FOOTNOTE_ALLOW_PRIVATE_URLS must be on or off"),
        ({"FOOTNOTE_MAX_UPLOAD_MB": "0"}, "FOOTNOTE_MAX_UPLOAD_MB must be a number of megabytes"),
    ],
)
def test_a_bad_corpora_feed_or_upload_setting_is_one_sentence(
    variables: dict[str, str], says: str
) -> None:
    """Each bad value is one problem, one line, saying what to set."""
    (problem,) = problems({**TOKEN, "FOOTNOTE_CORPORA_DIR": "corpora", **variables}
                          if "not set" not in says else {**TOKEN, **variables})  # fmt: skip
    assert says in problem and len(problem.splitlines()) == 1
