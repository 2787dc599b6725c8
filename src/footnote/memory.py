"""Giving freed memory back to the system during a long build."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None  # type: ignore[no-any-return]
    except (OSError, AttributeError):  # no C library by that name, or not glibc's
        return None


def return_free_memory() -> None:
    """Hand the C heap's free pages back to the system, where the C library can (glibc).

    A build frees arrays of a few to tens of megabytes per file; glibc keeps allocations of
    that size on its heap (its mmap threshold rises to 32 MB as large blocks are freed) and
    keeps their pages once freed, so a ten-million-passage build's resident memory grew by
    gigabytes that nothing used. No library wraps malloc_trim, hence ctypes.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
