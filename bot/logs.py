"""What an operator reads: Discord's server errors, which discord.py retries quietly."""

from __future__ import annotations

import logging
import re

# discord.py retries these without a word above DEBUG (discord/http.py); an operator should
# know Discord was failing even when the retry worked.
RETRIED = frozenset({500, 502, 504, 524})
REST = "%s %s with %s has returned %s"  # method, url, body, status
WEBHOOK = "Webhook ID %s with %s %s has returned status code %s"  # id, method, url, status
LOGGERS = ("discord.http", "discord.webhook.async_")
# An interaction's token sits in its webhook URLs; it is a credential for 15 minutes.
LONG_SEGMENT = re.compile(r"/[A-Za-z0-9_.-]{60,}")


class RetriedServerErrors(logging.Filter):
    """Turns discord.py's DEBUG line about a 5xx answer into a WARNING (without the body);
    drops these loggers' other DEBUG lines unless discord.py's DEBUG is wanted."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep, promote or drop one record."""
        if record.levelno > logging.DEBUG:
            return True
        args = record.args if isinstance(record.args, tuple) else ()
        if record.msg in (REST, WEBHOOK) and len(args) == 4 and args[3] in RETRIED:
            method, url = (args[0], args[1]) if record.msg == REST else (args[1], args[2])
            record.msg = "Discord answered %s %s with %s; discord.py retries it"
            record.args = (method, LONG_SEGMENT.sub("/…", str(url)), args[3])
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            return True
        return logging.getLogger("discord").isEnabledFor(logging.DEBUG)


def show_retried_errors() -> None:
    """Log Discord's retried server errors as warnings, whatever the level (once per process)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RetriedServerErrors) for f in logger.filters):
            logger.addFilter(RetriedServerErrors())
            logger.setLevel(logging.DEBUG)  # the records must exist for the filter to see them
