"""Compiled code (numba), loaded once per process and only when it can be: the query
kernels of the embedded index and the build's chunk table each fall back to numpy or a
dict, with identical results, where numba is missing or cannot compile."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


def load_once(fallback: str) -> Callable[[Callable[[], T]], Callable[[], T | None]]:
    """Run the decorated loader of compiled code at its first call only (thread-safe).

    When it fails (numba missing, or unable to compile here) the failure is logged and the
    loader gives None from then on; ``fallback`` names what serves instead.
    """

    def decorate(loader: Callable[[], T]) -> Callable[[], T | None]:
        lock = threading.Lock()
        loaded: list[T | None] = []

        @functools.wraps(loader)
        def load_it() -> T | None:
            with lock:
                if not loaded:
                    try:
                        loaded.append(loader())
                    except Exception as exc:  # ImportError, or a numba that cannot compile
                        log.info("%s unavailable, using %s: %s", loader.__name__, fallback, exc)
                        loaded.append(None)
            return loaded[0]

        return load_it

    return decorate
