"""The process clocks, in integer milliseconds: wall time for records, monotonic time for ages."""

from __future__ import annotations

import time


def wall_ms() -> int:
    """Unix time in ms (what the journal stores)."""
    return time.time_ns() // 1_000_000


def monotonic_ms() -> int:
    """A clock that never goes back, in ms (receive times, staleness, back-off)."""
    return int(time.monotonic() * 1000)
