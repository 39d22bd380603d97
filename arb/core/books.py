"""Exact views over ccxt order books: validated Decimal ladders, depth walks, VWAP.

ccxt hands books over as ``{"bids": [[price, amount], ...], "asks": [...]}`` with floats.
:class:`Ladder` converts levels to ``Decimal`` lazily (through ``str``), validating each one
as it is read, and keeps prefix sums so a depth walk for any amount is a bisect plus one
multiplication. Only the levels a decision reads are ever converted or checked. A float read
before is not converted again: a bounded memo maps checked positive finite floats to their Decimal.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from arb.core.errors import BookError
from arb.core.model import ZERO, dec

BookSideName = Literal["bids", "asks"]

# float -> its exact Decimal (through repr), for positive finite floats only: a level's price or amount read
# before is not converted again (prices repeat across a feed's updates). Bounded: cleared when full.
_FLOATS: dict[float, Decimal] = {}
_FLOATS_MAX = 1 << 16


def _convert(x: Any) -> Decimal:
    return Decimal(repr(x)) if type(x) is float else dec(x)


def _remember(x: Any, d: Decimal) -> None:
    """Memoise ``d``, the checked (finite, positive) Decimal of level value ``x``, when ``x`` is a float."""
    if type(x) is float:
        if len(_FLOATS) >= _FLOATS_MAX:
            _FLOATS.clear()
        _FLOATS[x] = d


class Ladder:
    """One side of a book as exact Decimal levels with prefix sums of amount and cost.

    ``asks`` must be strictly ascending in price, ``bids`` strictly descending; every price and
    amount must be a finite positive number. Violations raise :class:`BookError` naming the level.
    """

    __slots__ = (
        "_ascending",
        "_raw",
        "amounts",
        "cum_amount",
        "cum_cost",
        "label",
        "prices",
        "side",
        "symbol",
        "venue",
    )

    def __init__(
        self,
        levels: Sequence[Sequence[Any]] | None,
        side: BookSideName,
        label: str = "",
        *,
        venue: str | None = None,
        symbol: str | None = None,
    ) -> None:
        self.venue, self.symbol = venue, symbol
        if levels is None:
            levels = ()
        if type(levels) is not list and (not isinstance(levels, Sequence) or isinstance(levels, str | bytes)):
            raise self._error(f"{label} {side}: expected a list of [price, amount] levels, got {type(levels).__name__}")
        self._raw = levels
        self.side = side
        self._ascending = side == "asks"
        self.label = label
        self.prices: list[Decimal] = []
        self.amounts: list[Decimal] = []
        self.cum_amount: list[Decimal] = []  # cum_amount[i] = sum of amounts[0..i]
        self.cum_cost: list[Decimal] = []  # cum_cost[i] = sum of price*amount over levels 0..i

    def __len__(self) -> int:
        return len(self._raw)

    @property
    def loaded(self) -> int:
        """How many levels have been converted and validated so far."""
        return len(self.prices)

    def _error(self, message: str) -> BookError:
        return BookError(message, venue=self.venue, symbol=self.symbol)

    def _load_one(self) -> bool:
        prices = self.prices
        i = len(prices)
        if i >= len(self._raw):
            return False
        level = self._raw[i]
        try:
            x, y = level[0], level[1]
            # ccxt's floats straight through repr (== str for floats), memoised; anything else through dec()
            price = _FLOATS.get(x) if type(x) is float else None
            amount = _FLOATS.get(y) if type(y) is float else None
            px = _convert(x) if price is None else price
            ax = _convert(y) if amount is None else amount
        except (TypeError, ValueError, IndexError, InvalidOperation, KeyError) as e:
            raise self._error(f"{self.label} {self.side}[{i}]: not a [price, amount] pair of numbers: {level!r}") from e
        if price is None:  # not a float seen before: check it (a memoised one was checked when it was stored)
            if not px.is_finite() or px <= ZERO:
                raise self._error(f"{self.label} {self.side}[{i}]: price must be a positive number, got {level[0]!r}")
            _remember(x, px)
        if amount is None:
            if not ax.is_finite() or ax <= ZERO:
                raise self._error(f"{self.label} {self.side}[{i}]: amount must be a positive number, got {level[1]!r}")
            _remember(y, ax)
        price, amount = px, ax
        if i:
            prev = prices[-1]
            if (price <= prev) if self._ascending else (price >= prev):
                order = "ascending" if self._ascending else "descending"
                raise self._error(
                    f"{self.label} {self.side}[{i}]: price {price} breaks strictly {order} order after {prev}"
                )
            prices.append(price)
            self.amounts.append(amount)
            self.cum_amount.append(amount + self.cum_amount[-1])
            self.cum_cost.append(price * amount + self.cum_cost[-1])
        else:
            prices.append(price)
            self.amounts.append(amount)
            self.cum_amount.append(amount + ZERO)
            self.cum_cost.append(price * amount + ZERO)
        return True

    def load_all(self) -> None:
        while self._load_one():
            pass

    def best(self) -> Decimal | None:
        """Best price (first level), validated, or None for an empty side."""
        if not self.prices and not self._load_one():
            return None
        return self.prices[0]

    def ensure_amount(self, amount: Decimal) -> bool:
        """Load levels until their total reaches ``amount``; False if the side is too thin."""
        while not self.cum_amount or self.cum_amount[-1] < amount:
            if not self._load_one():
                return False
        return True

    def ensure_cost(self, cost: Decimal) -> None:
        """Load levels until their total cost reaches ``cost`` (or the side is exhausted)."""
        while not self.cum_cost or self.cum_cost[-1] < cost:
            if not self._load_one():
                return

    def load_while(self, keep_going: Any, extra: Decimal = ZERO) -> None:
        """Load levels while ``keep_going(price)`` holds for the last one loaded, then more until the
        levels past that point add at least ``extra`` in amount (or the side is exhausted)."""
        while (not self.prices or keep_going(self.prices[-1])) and self._load_one():
            pass
        if not self.prices:
            return
        target = (self.cum_amount[-2] if len(self.cum_amount) > 1 else ZERO) + extra
        while self.cum_amount[-1] < target and self._load_one():
            pass

    def depth(self) -> Decimal:
        """Total amount on this side (loads every level)."""
        self.load_all()
        return self.cum_amount[-1] if self.cum_amount else ZERO

    def level_index(self, amount: Decimal) -> int:
        """Index of the level holding the ``amount``-th unit (the worst level of a walk of ``amount``)."""
        if not self.ensure_amount(amount):
            raise ValueError(f"{self.label} {self.side}: walk of {amount} exceeds depth")
        return bisect_left(self.cum_amount, amount)

    def walk(self, amount: Decimal) -> tuple[Decimal, int]:
        """Exact cost (sum of price·amount) of walking ``amount`` from the top, and the worst level index."""
        k = self.level_index(amount)
        before_amt = self.cum_amount[k - 1] if k else ZERO
        before_cost = self.cum_cost[k - 1] if k else ZERO
        return before_cost + (amount - before_amt) * self.prices[k], k

    def levels(self, n: int) -> list[list[str]]:
        """The first ``n`` levels as exact strings (for snapshots that must be re-evaluated later)."""
        while self.loaded < n and self._load_one():
            pass
        return [[str(p), str(a)] for p, a in zip(self.prices[:n], self.amounts[:n], strict=True)]


def ladders(
    book: Any, label: str = "", *, venue: str | None = None, symbol: str | None = None
) -> tuple[Ladder, Ladder]:
    """(bids, asks) ladders of a ccxt-shaped book, checking the top is not crossed.

    ``venue``/``symbol`` ride on every :class:`BookError` these ladders raise, now or later in a walk.
    """
    raw: Any = book  # read through the book's own get(): a dict subclass may build its sides when first read
    if not isinstance(book, dict):
        raise BookError(
            f"{label}: expected a ccxt order book dict with 'bids' and 'asks', got {type(book).__name__}",
            venue=venue,
            symbol=symbol,
        )
    bids = Ladder(raw.get("bids"), "bids", label, venue=venue, symbol=symbol)
    asks = Ladder(raw.get("asks"), "asks", label, venue=venue, symbol=symbol)
    bid, ask = bids.best(), asks.best()
    if bid is not None and ask is not None and bid >= ask:
        raise BookError(f"{label}: crossed book (best bid {bid} >= best ask {ask})", venue=venue, symbol=symbol)
    return bids, asks
