"""Sharding: which of Discord's gateway shards this process runs (FOOTNOTE_SHARD_IDS/COUNT).

Discord requires a bot in 2,500 servers or more to split its gateway connection into shards,
each carrying the servers with ``(guild_id >> 22) % count == shard id``. Several processes then
run the bot, each with its own shard ids and the same count, sharing one store and one search
cluster; discord.py's AutoShardedClient connects the shards a process was given.
"""

from __future__ import annotations

from dataclasses import dataclass

# Discord's own ceiling is set per bot; this only catches a typo such as an extra zero.
MAX_SHARDS = 4096


@dataclass(frozen=True)
class Shards:
    """The shards this process connects (all of ``count`` when ``ids`` is None)."""

    count: int
    ids: tuple[int, ...] | None = None

    def describe(self) -> str:
        """The shards, for the start-up log line."""
        ids = self.ids if self.ids is not None else range(self.count)
        return f"shard(s) {', '.join(map(str, ids))} of {self.count}"


def shards_from(ids_text: str, count_text: str, problems: list[str]) -> Shards | None:
    """The shards the two variables name (None: one unsharded connection), problems noted."""
    if not count_text:
        if ids_text:
            problems.append(
                "FOOTNOTE_SHARD_IDS needs FOOTNOTE_SHARD_COUNT, the number of shards in all "
                "processes together; set both, or neither for one connection."
            )
        return None
    if not count_text.isdigit() or not 1 <= int(count_text) <= MAX_SHARDS:
        problems.append(
            f"FOOTNOTE_SHARD_COUNT must be a whole number from 1 to {MAX_SHARDS}, "
            f"not {count_text!r}."
        )
        return None
    count = int(count_text)
    if not ids_text:
        return Shards(count)
    parts = [part.strip() for part in ids_text.split(",")]
    if not all(part.isdigit() and int(part) < count for part in parts):
        problems.append(
            f"FOOTNOTE_SHARD_IDS must be shard numbers from 0 to {count - 1} separated by "
            f"commas (FOOTNOTE_SHARD_COUNT is {count}), not {ids_text!r}."
        )
        return None
    return Shards(count, tuple(sorted({int(part) for part in parts})))
