"""Integer-tick books: one venue/symbol's live and published levels, and the tick/lot <-> string grid.

Prices are integer ticks and sizes integer lots, so books are exact, cheap to diff and cheap to format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation


@dataclass(frozen=True, slots=True)
class BookUpdate:
    """Levels that changed in one publication; size 0 removes the level. Ticks/lots on the venue grid."""

    venue: str
    symbol: str
    seq: int
    prev_seq: int
    ts_ms: int
    bids: list[tuple[int, int]]
    asks: list[tuple[int, int]]


class Grid:
    """Integer ticks/lots <-> Decimal <-> venue strings for one (venue, symbol)."""

    __slots__ = ("lot", "lot_dec", "lot_mult", "price_dec", "tick", "tick_mult")

    def __init__(self, tick: Decimal, lot: Decimal) -> None:
        self.tick, self.lot = tick, lot
        self.price_dec, self.tick_mult = _decimals(tick)
        self.lot_dec, self.lot_mult = _decimals(lot)

    def price_str(self, ticks: int) -> str:
        return _units_str(ticks * self.tick_mult, self.price_dec)

    def size_str(self, lots: int) -> str:
        return _units_str(lots * self.lot_mult, self.lot_dec)

    def price(self, ticks: int) -> Decimal:
        return self.tick * ticks

    def size(self, lots: int) -> Decimal:
        return self.lot * lots

    def ticks_of(self, price: Decimal) -> int | None:
        """Exact tick count of ``price`` or None when it is not on the grid."""
        try:
            q, r = divmod(price, self.tick)
        except InvalidOperation:  # beyond the decimal context: not a price we can represent
            return None
        return int(q) if r == 0 else None

    def lots_of(self, size: Decimal) -> int | None:
        try:
            q, r = divmod(size, self.lot)
        except InvalidOperation:
            return None
        return int(q) if r == 0 else None


def _decimals(step: Decimal) -> tuple[int, int]:
    """(decimals, multiplier) with step == multiplier * 10**-decimals."""
    _sign, digits, exp = step.normalize().as_tuple()
    mult = int("".join(map(str, digits)))
    assert isinstance(exp, int)
    if exp >= 0:
        return 0, mult * 10**exp
    return -exp, mult


def _units_str(n: int, dec: int) -> str:
    if dec == 0:
        return str(n)
    q, r = divmod(n, 10**dec)
    if r == 0:
        return str(q)
    return f"{q}.{r:0{dec}d}".rstrip("0")


@dataclass(slots=True)
class VenueBook:
    """Live book of one venue/symbol plus what was last published (what clients see)."""

    venue: str
    symbol: str
    grid: Grid
    bids: dict[int, int] = field(default_factory=dict)  # tick -> lots (live)
    asks: dict[int, int] = field(default_factory=dict)
    targets: dict[tuple[str, int], int] = field(default_factory=dict)  # (side, tick) -> refill target
    pub_bids: dict[int, int] = field(default_factory=dict)
    pub_asks: dict[int, int] = field(default_factory=dict)
    dirty: set[tuple[str, int]] = field(default_factory=set)
    seq: int = 0
    ts_ms: int = 0
    noise_bps: float = 0.0
    crossed_until_ms: int = -1
    crossed_ticks: int = 1

    def set_level(self, side: str, tick: int, lots: int) -> None:
        book = self.bids if side == "bid" else self.asks
        if lots > 0:
            if book.get(tick) != lots:
                book[tick] = lots
                self.dirty.add((side, tick))
        elif tick in book:
            del book[tick]
            self.targets.pop((side, tick), None)
            self.dirty.add((side, tick))

    def sorted_levels(self, side: str, published: bool = True) -> list[tuple[int, int]]:
        """Levels best first: bids descending, asks ascending."""
        if side == "bid":
            book = self.pub_bids if published else self.bids
            return sorted(book.items(), reverse=True)
        book = self.pub_asks if published else self.asks
        return sorted(book.items())

    def flush(self, now_ms: int, seq: int) -> BookUpdate | None:
        """Publish pending changes as one update, or None when nothing changed."""
        if not self.dirty:
            return None
        bids: list[tuple[int, int]] = []
        asks: list[tuple[int, int]] = []
        for side, tick in self.dirty:
            if side == "bid":
                lots = self.bids.get(tick, 0)
                if self.pub_bids.get(tick, 0) == lots:
                    continue
                bids.append((tick, lots))
                if lots:
                    self.pub_bids[tick] = lots
                else:
                    self.pub_bids.pop(tick, None)
            else:
                lots = self.asks.get(tick, 0)
                if self.pub_asks.get(tick, 0) == lots:
                    continue
                asks.append((tick, lots))
                if lots:
                    self.pub_asks[tick] = lots
                else:
                    self.pub_asks.pop(tick, None)
        self.dirty.clear()
        if not bids and not asks:
            return None
        bids.sort(reverse=True)
        asks.sort()
        prev = self.seq
        self.seq, self.ts_ms = seq, now_ms
        return BookUpdate(self.venue, self.symbol, seq, prev, now_ms, bids, asks)
