"""The `footnote-bot` command (`python -m bot` too): read the settings, open the index, run."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

import discord

from bot.app import EXIT_USAGE, check, start
from bot.settings import SettingsError, settings_from_environment

SETTINGS_HELP = """\
settings (environment variables, or a .env file in the working folder or the nearest folder
above it; variables already set win; .env.example describes each with its default):
  DISCORD_TOKEN              the bot's token from the developer portal (required)
  DISCORD_GUILD_ID           a server to sync the slash commands to at once (development)
  FOOTNOTE_CORPUS_DIR        the folder of writing to answer from (default ./corpus)
  FOOTNOTE_INDEX_DIR         the index folder (default .footnote-index/<name> beside it)
  FOOTNOTE_KEEP_BOILERPLATE  index site furniture and repeated paragraphs too (default off)
  FOOTNOTE_BASE_URL          the docs site the corpus is published on: citations link pages
  FOOTNOTE_RESULTS           passages per answer, 1-5 (default 3)
  FOOTNOTE_ANSWER_THRESHOLD  the confidence an answer needs, 0-1 (default: the model's)
  FOOTNOTE_FEEDBACK          add the best passages' words to each question, RM3 (off)
  FOOTNOTE_BACKEND           embedded (default) or opensearch: where passages are ranked
  FOOTNOTE_OPENSEARCH_URL    the cluster's address(es), comma-separated (sets opensearch)
  FOOTNOTE_OPENSEARCH_INDEX, FOOTNOTE_OPENSEARCH_USER, FOOTNOTE_OPENSEARCH_PASSWORD,
  FOOTNOTE_OPENSEARCH_CA_CERTS, FOOTNOTE_OPENSEARCH_VERIFY_CERTS,
  FOOTNOTE_OPENSEARCH_SHARDS, FOOTNOTE_OPENSEARCH_REPLICAS
                             the index alias, credentials, TLS and a new build's layout
  FOOTNOTE_CORPORA_DIR       the folder of servers' own corpora (<server id>/) and shared
                             ones (<name>/); /add then writes into a server's own
  FOOTNOTE_SERVER_CORPORA    servers answering from a shared corpus: <server id>=<name>,...
  FOOTNOTE_IDLE_MINUTES      close a corpus no one asked for this long (30; 0: never)
  FOOTNOTE_FEED_MINUTES      how often followed feeds are checked for new entries (30; 0)
  FOOTNOTE_ALLOW_PRIVATE_URLS
                             let /add and /follow fetch private and local addresses (off)
  FOOTNOTE_MAX_UPLOAD_MB     the largest file /add takes, in MB (default 25)
  FOOTNOTE_ASK_CHANNEL_IDS   channels where every message is a question
  FOOTNOTE_ADMIN_ROLE_IDS, FOOTNOTE_ADMIN_USER_IDS
                             who may /reindex, /settings, /gaps, /feedback, /add, /remove,
                             /follow, /unfollow and /feeds besides Manage Server
  FOOTNOTE_COOLDOWN          questions per seconds per person (default 5/30; off)
  FOOTNOTE_WATCH_SECONDS     how often to look for an index rebuilt by `footnote index` (10)
  FOOTNOTE_BOT_STATE         the bot's store: server settings, answers, votes (default
                             footnote-bot.sqlite beside the index)
  FOOTNOTE_DATABASE_URL      a PostgreSQL store instead (postgresql://...), shared by
                             several bot processes; overrides FOOTNOTE_BOT_STATE
  FOOTNOTE_KEEP_DAYS         days answers and votes are kept, then deleted (90; 0: none)
  FOOTNOTE_SHARD_COUNT, FOOTNOTE_SHARD_IDS
                             gateway shards in all processes, and this process's (a bot
                             in 2,500 servers or more must shard; default: one connection)
  LOG_LEVEL                  DEBUG, INFO (default), WARNING, ERROR or CRITICAL
  DISCORD_API_BASE_URL, DISCORD_GATEWAY_URL
                             an API proxy or a test server to talk to instead of Discord
"""


def _version() -> str:
    """The installed package's version, or a note that it is not installed."""
    try:
        return version("footnote")
    except PackageNotFoundError:
        return "(not installed)"


def build_parser() -> argparse.ArgumentParser:
    """The bot's few options; everything else is a setting in the environment."""
    parser = argparse.ArgumentParser(
        prog="footnote-bot",
        description="Run Footnote on Discord: answer /ask, mentions, DMs and question channels\n"
        "with cited passages from your corpus. Stops cleanly on Ctrl-C or SIGTERM.",
        epilog=SETTINGS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="read the settings and open (or build) the index, say what it holds, and exit "
        "without connecting to Discord",
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="build the index anew first, replacing an index built from another corpus folder",
    )
    parser.add_argument("--version", action="version", version=f"footnote-bot {_version()}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Start the bot; returns the exit status (2, with one line per problem, on bad settings)."""
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from_environment()
    except SettingsError as error:
        for problem in error.problems:
            print(f"footnote-bot: {problem}", file=sys.stderr)
        return EXIT_USAGE
    discord.utils.setup_logging(level=settings.log_level, root=True)
    if args.check:
        return check(settings, rebuild=args.rebuild)
    try:
        return asyncio.run(start(settings, rebuild=args.rebuild))
    except KeyboardInterrupt:
        return 130
