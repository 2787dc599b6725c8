"""The compiled query kernels: one pass over the query's postings, a bounded top-k selection.

numpy needs a dozen array passes and calls per query, which costs more than the arithmetic
on a large index; these kernels, compiled by numba and cached on disk (the first use on a
machine compiles them, later processes load them), do the same sum in one loop: with every
weight above zero, MaxScore a window of documents at a time; otherwise a short query's lists
merged in document order, a long one's added into a buffer. They are loaded only for large
indexes (importing numba takes half a second) and only when numba is installed; otherwise
the numpy path answers, with identical results. ``load_once`` loads them, and the build's
compiled table (``footnote.ingest.chunks``), once per process.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import NamedTuple, TypeVar

import numpy as np

log = logging.getLogger(__name__)

TopK = Callable[..., tuple[np.ndarray, np.ndarray]]


class Kernels(NamedTuple):
    """The compiled top-k functions: the buffer kernel, the merge of the query's lists in
    document order, and MaxScore (for weights above zero)."""

    top_k: TopK
    top_k_merged: TopK
    top_k_maxscore: TopK


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


@load_once("numpy")
def load() -> Kernels:
    """The compiled top-k functions, or None when numba is not available."""
    from footnote.retrieval.embedded import _compiled

    return Kernels(_compiled.top_k, _compiled.top_k_merged, _compiled.top_k_maxscore)
