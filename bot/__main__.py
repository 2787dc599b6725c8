"""`python -m bot`: load .env, read the settings, open the index, run the Discord bot."""

from __future__ import annotations

import asyncio
import sys

import discord

from bot.app import EXIT_USAGE, start
from bot.settings import SettingsError, settings_from_environment


def main() -> int:
    """Start the bot; returns the exit status (2, with one line per problem, on bad settings)."""
    try:
        settings = settings_from_environment()
    except SettingsError as error:
        for problem in error.problems:
            print(f"footnote-bot: {problem}", file=sys.stderr)
        return EXIT_USAGE
    discord.utils.setup_logging(level=settings.log_level, root=True)
    try:
        return asyncio.run(start(settings))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
