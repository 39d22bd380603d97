"""Persistent liquidity (the ``realistic`` rule): a deterministic depth profile minus what was taken.

Each (venue, symbol, side) carries one deficit in lots: every fill adds what it took, makers
replenish it at a fixed quote notional per second, and each step the side is laid out from the best
price outward with the profile's sizes, the deficit removed from the best levels first (where takers
took it). So the visible depth of a side is ``sum(profile) - deficit`` wherever the price goes, and
repeatedly taking it yields at most what was visible plus the replenishment over the interval.
"""

from __future__ import annotations

import math
from decimal import Decimal
from functools import lru_cache

from exchanges.sim.book import VenueBook


@lru_cache(maxsize=4096)
def profile_lots(levels: int, level_notional: float, slope: float, mid: float, lot: Decimal) -> tuple[int, ...]:
    """Lots per level, best first: ``level_notional x (1 + slope x i)`` at the symbol's reference mid
    (fixed, so sizes do not drift with the price); at least one lot each."""
    lot_f = float(lot)
    return tuple(max(1, int(level_notional * (1.0 + slope * i) / mid / lot_f)) for i in range(levels))


def replenished_lots(quote_per_s: float, scale: float, dt_ms: int, mid: float, lot: Decimal) -> float:
    """Lots makers add back to one side over ``dt_ms`` (fractional: the deficit is a float)."""
    return quote_per_s * scale * dt_ms / 1000.0 / mid / float(lot)


def lay_out(book: VenueBook, side: str, best: int, gap: int, sizes: tuple[int, ...], deficit: float) -> None:
    """Set ``side`` of ``book`` to the profile from ``best`` outward (``gap`` ticks apart) minus ``deficit``
    lots taken from the best levels first; levels not in the layout are removed."""
    levels = book.bids if side == "bid" else book.asks
    step = -gap if side == "bid" else gap
    want: dict[int, int] = {}
    left = deficit
    for i, size in enumerate(sizes):
        tick = best + i * step
        if tick <= 0:
            break
        show = math.floor(size - left) if left < size else 0
        left = max(0.0, left - size)
        if show > 0:
            want[tick] = show
    for tick in [t for t in levels if t not in want]:
        book.set_level(side, tick, 0)
    for tick, lots in want.items():
        book.set_level(side, tick, lots)
    book.targets.clear()
