"""The compiled query kernels: one pass over the query's postings, a bounded top-k selection.

numpy needs a dozen array passes and calls per query, which costs more than the arithmetic
on a large index; these kernels, compiled by numba and cached on disk (the first use on a
machine compiles them, later processes load them), do the same sum in one loop: with every
weight above zero, MaxScore a window of documents at a time; otherwise a short query's lists
merged in document order, a long one's added into a buffer. They are loaded only for large
indexes (importing numba takes half a second) and only when numba is installed; otherwise
the numpy path answers, with identical results. They are loaded once per process
(``footnote.compiled.load_once``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from footnote.compiled import load_once

TopK = Callable[..., tuple[np.ndarray, np.ndarray]]


class Kernels(NamedTuple):
    """The compiled top-k functions: the buffer kernel, the merge of the query's lists in
    document order, and MaxScore (for weights above zero)."""

    top_k: TopK
    top_k_merged: TopK
    top_k_maxscore: TopK


@load_once("numpy")
def load() -> Kernels:
    """The compiled top-k functions, or None when numba is not available."""
    from footnote.retrieval.embedded import _compiled

    return Kernels(_compiled.top_k, _compiled.top_k_merged, _compiled.top_k_maxscore)
