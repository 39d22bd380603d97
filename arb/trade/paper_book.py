"""What paper orders took from a venue's books: a shadow of the venue's matching engine. Pure, no I/O.

The venue never sees paper orders, so the books it publishes keep showing the liquidity paper took.
:class:`Shadow` keeps, per (symbol, book side) and price, the amount paper took there, and every look at that
side (each paper fill, each decision the paper gate re-checks) first reconciles it with the level as the book
shows it now — the real queue as it would be had paper's orders been real:

* what paper took at a level stays subtracted from that level while the level shows at least that much;
  a new book with the same sizes changes nothing (no refill per update);
* a level that shows less than paper took (others took or cancelled there too) keeps at most what it shows,
  ``taken = min(taken, shown)``: in the real queue those takers would have met paper's absence first;
* size added at a level on top of it (makers) is available at once, the take still subtracted: liquidity
  comes back only as the book shows it arriving;
* a level that is gone — the price left the side, or it emptied — releases the take: what is posted at that
  price later is new liquidity. A level beyond the book's visible depth is not gone, it stays taken — up
  to one visible book-width beyond the last level shown; further away the price has left it behind and
  the take is dropped (this also bounds what the shadow keeps).

So per price, paper never takes more than the size increases the book has shown there (visible depth plus
replenishment). Between two looks a level that emptied and came back is not seen: its take stays (the
conservative side). Every amount is an exact ``Decimal``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from arb.core.model import ZERO, dec

Level = tuple[Decimal, Decimal]  # (price, amount)
SIDES = ("bids", "asks")


def _out_of_sight(px: Decimal, first: Decimal, last: Decimal, side: str) -> bool:
    """``px`` lies past the last visible level of ``side`` (further from the touch than the book shows), by at
    most the width of the visible book."""
    width = abs(last - first)
    return last < px <= last + width if side == "asks" else last - width <= px < last


class Shadow:
    """Amounts paper took per (symbol, side, price), reconciled with the book at every look."""

    __slots__ = ("_taken",)

    def __init__(self) -> None:
        self._taken: dict[tuple[str, str], dict[Decimal, Decimal]] = {}

    def holds(self, symbol: str) -> bool:
        """True when paper took liquidity on either side of ``symbol`` that a book may still show."""
        return bool(self._taken.get((symbol, "asks")) or self._taken.get((symbol, "bids")))

    def taken(self, symbol: str, side: str) -> dict[Decimal, Decimal]:
        """A copy of what is held as taken (price → amount) on ``side`` of ``symbol``."""
        return dict(self._taken.get((symbol, side)) or {})

    def levels(self, symbol: str, side: str, shown: Iterable[Sequence[Any]]) -> list[Level]:
        """``side`` ("asks" or "bids") of a book as it really is for paper: each level minus what paper took
        there, empty levels left out, in book order. Reconciles the takes with ``shown`` first (module doc)."""
        taken = self._taken.get((symbol, side))
        out: list[Level] = []
        if not taken:
            for lv in shown:
                amt = dec(lv[1])
                if amt > 0:
                    out.append((dec(lv[0]), amt))
            return out
        kept: dict[Decimal, Decimal] = {}
        first = last = None
        for lv in shown:
            px, amt = dec(lv[0]), dec(lv[1])
            first = px if first is None else first
            last = px
            t = taken.get(px)
            if t is not None:
                t = min(t, amt)
                if t > 0:
                    kept[px] = t
                amt -= t
            if amt > 0:
                out.append((px, amt))
        if first is None or last is None:  # an empty side shows nothing about the levels: keep every take
            return out
        kept.update((px, t) for px, t in taken.items() if px not in kept and _out_of_sight(px, first, last, side))
        if kept:
            self._taken[(symbol, side)] = kept
        else:
            self._taken.pop((symbol, side), None)
        return out

    def take(self, symbol: str, side: str, price: Decimal, amount: Decimal) -> None:
        """Paper filled ``amount`` at ``price`` from ``side`` (a buy takes asks, a sell takes bids)."""
        if amount <= 0:
            return
        level = self._taken.setdefault((symbol, side), {})
        level[price] = level.get(price, ZERO) + amount

    def view(self, symbol: str, book: Any) -> dict[str, list[list[Decimal]]]:
        """Both sides of ``book`` as :meth:`levels` gives them, in the evaluator's book shape."""
        return {side: [[px, amt] for px, amt in self.levels(symbol, side, book[side])] for side in SIDES}
