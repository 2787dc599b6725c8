"""A per-person limit on questions: at most `limit` in any `window` seconds."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class Cooldown:
    """Sliding-window rate limit per person; everyone, admins too, is held to it."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._asked: dict[int, deque[float]] = {}

    def retry_after(self, person: int) -> float:
        """Seconds until this person may ask again (0: now, and the question is counted)."""
        now = self.clock()
        asked = self._asked.setdefault(person, deque())
        while asked and asked[0] <= now - self.window:
            asked.popleft()
        if len(asked) >= self.limit:
            return asked[0] + self.window - now
        asked.append(now)
        if len(self._asked) > 10_000:  # forget people whose window has passed
            self._forget(now)
        return 0.0

    def _forget(self, now: float) -> None:
        for person in [p for p, a in self._asked.items() if not a or a[-1] <= now - self.window]:
            del self._asked[person]
