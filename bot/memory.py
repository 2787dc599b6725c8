"""Keeping the garbage collector from pausing the event loop over a large index."""

from __future__ import annotations

import gc


def settle_memory() -> None:
    """Move what is alive now (an index just opened) out of the garbage collector's way.

    Full collections over a large index's objects paused the event loop for 150-200 ms in
    bursts of questions (benchmarks/load.py); frozen objects are never scanned again. An old
    index dropped later is still freed by reference counting.
    """
    gc.freeze()
