"""The compiled query kernels: one pass over the query's postings, a bounded top-k selection.

numpy needs a dozen array passes and calls per query, which costs more than the arithmetic
on a large index; these kernels, compiled by numba and cached on disk (the first use on a
machine compiles them, later processes load them), do the same sum in one loop: with every
weight above zero, the lists merged in document order and then MaxScore; otherwise a short
query's lists merged, a long one's added into a buffer. They are loaded only for large
indexes (importing numba takes half a second) and only when numba is installed; otherwise
the numpy path answers, with identical results.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

log = logging.getLogger(__name__)

TopK = Callable[..., tuple[np.ndarray, np.ndarray]]


class Kernels(NamedTuple):
    """The compiled top-k functions: the buffer kernel, and the merge of the query's lists in
    document order (then MaxScore, for weights above zero)."""

    top_k: TopK
    top_k_merged: TopK


_lock = threading.Lock()
_loaded = False
_kernels: Kernels | None = None


def load() -> Kernels | None:
    """The compiled top-k functions, or None when numba is not available."""
    global _loaded, _kernels
    with _lock:
        if not _loaded:
            _loaded = True
            try:
                from footnote import _compiled

                _kernels = Kernels(
                    _compiled.top_k,
                    _compiled.top_k_merged,
                )
            except Exception as exc:  # ImportError, or a numba that cannot compile here
                log.info("numba kernel unavailable, using numpy: %s", exc)
                _kernels = None
    return _kernels
