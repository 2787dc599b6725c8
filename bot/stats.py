"""What /stats shows about answering since the bot started: counts and answer times."""

from __future__ import annotations

import statistics
import time
from collections import deque
from dataclasses import dataclass, field

RECENT = 10_000  # answer times kept for the median and p95


@dataclass
class Stats:
    """Questions answered and declined since start, and recent answer times."""

    started: float = field(default_factory=time.time)
    answered: int = 0
    declined: int = 0
    cooled_down: int = 0
    times_ms: deque[float] = field(default_factory=lambda: deque(maxlen=RECENT))

    def record(self, answered: bool, took_ms: float) -> None:
        """Count one question and the time from its arrival to its answer."""
        if answered:
            self.answered += 1
        else:
            self.declined += 1
        self.times_ms.append(took_ms)

    def percentile(self, share: float) -> float | None:
        """The answer time below which `share` of recent answers fell (None before any)."""
        if not self.times_ms:
            return None
        if len(self.times_ms) == 1:
            return self.times_ms[0]
        cuts = statistics.quantiles(self.times_ms, n=100, method="inclusive")
        return cuts[round(share * 100) - 1]


class StatsBook:
    """Each server's Stats (DMs together under None): /stats shows a server its own only."""

    def __init__(self) -> None:
        self.started = time.time()
        self._by_server: dict[int | None, Stats] = {}

    def of(self, guild_id: int | None) -> Stats:
        """The stats of one server since the bot started."""
        stats = self._by_server.get(guild_id)
        if stats is None:
            stats = self._by_server[guild_id] = Stats(started=self.started)
        return stats
