"""The money of executed legs: venue orders and trades → base/quote flows, PnL, exposure. Pure.

Conventions (README "Money semantics" and "Enable auto-execution" say the same):

* A leg's **flows** in the symbol's base and quote: a buy receives ``filled`` base and pays ``cost``
  quote; a sell pays ``filled`` base and receives ``cost`` quote; ``cost = Σ amount × price`` over
  the leg's trades. Each fee is taken from the currency it is charged in (base or quote); a fee in a
  third currency is kept apart in ``other_fees`` and not converted.
* An opportunity's **position** is the sum of its legs' flows (both legs, plus any retry or hedge):
  ``base_net`` and ``quote_net``.
* **Dust**: ``0 <= base_net < sell lot`` is the leftover the evaluator plans for (``B·(1−φ) − S``);
  it stays in inventory at zero value. Anything else is **exposure** (``base_net`` ≠ dust).
* **Realised PnL** of an opportunity is ``quote_net`` (quote, net of fees). Marked PnL adds the
  exposure valued at a mark (mid): ``quote_net + exposure × mid``; this is what the daily loss limit
  watches.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any

from arb.core.errors import ArbError
from arb.core.model import ZERO, dec

TERMINAL = ("closed", "canceled", "rejected")
_STATUS = {
    "open": "open",
    "closed": "closed",
    "canceled": "canceled",
    "cancelled": "canceled",
    "expired": "canceled",
    "rejected": "rejected",
}


class MalformedOrder(ArbError):
    """A venue's order or trade data cannot be read (missing or non-numeric fields)."""


def _num(x: Any, what: str, *, allow_none: bool = False) -> Decimal | None:
    if x is None or x == "":
        if allow_none:
            return None
        raise MalformedOrder(f"{what} is missing")
    if isinstance(x, float) and not math.isfinite(x):
        raise MalformedOrder(f"{what} is not finite ({x!r})")
    try:
        d = dec(x)
    except (TypeError, ValueError, InvalidOperation):
        raise MalformedOrder(f"{what} is not a number ({x!r})") from None
    if not d.is_finite() or d < 0:
        raise MalformedOrder(f"{what} must be a finite number >= 0 ({x!r})")
    return d


def journal_state(status: Any) -> str:
    """ccxt order status → journal order state ("sent" when the venue did not say)."""
    return _STATUS.get(str(status).lower(), "sent") if status else "sent"


@dataclass(frozen=True, slots=True)
class Trade:
    """One venue trade of a leg (or the whole order aggregated when the venue gives no trades)."""

    trade_id: str
    amount: Decimal
    price: Decimal
    fee: Decimal = ZERO
    fee_currency: str | None = None
    ts_ms: int | None = None

    @classmethod
    def from_ccxt(cls, t: Mapping[str, Any]) -> Trade:
        if not isinstance(t, Mapping):
            raise MalformedOrder(f"trade is not a mapping ({type(t).__name__})")
        fee = t.get("fee") or {}
        tid = t.get("id")
        if tid in (None, ""):
            raise MalformedOrder("trade id is missing")
        return cls(
            trade_id=str(tid),
            amount=_num(t.get("amount"), "trade amount"),  # type: ignore[arg-type]
            price=_num(t.get("price"), "trade price"),  # type: ignore[arg-type]
            fee=_num(fee.get("cost"), "trade fee", allow_none=True) or ZERO,
            fee_currency=fee.get("currency"),
            ts_ms=t.get("timestamp"),
        )


@dataclass(frozen=True, slots=True)
class LegFill:
    """What one order did: its state, fills and fees (requested amount/limit for reference)."""

    venue: str
    symbol: str
    side: str
    client_id: str
    amount: Decimal
    price: Decimal | None
    state: str = "intent"
    order_id: str | None = None
    filled: Decimal = ZERO
    cost: Decimal = ZERO
    fees: tuple[tuple[str, Decimal], ...] = ()
    reason: str | None = None
    trades: tuple[Trade, ...] = field(default=(), compare=False)
    cause: str | None = None  # why a venue refused it, as a code (the ccxt exception class): match this, not reason

    @property
    def avg_price(self) -> Decimal | None:
        return self.cost / self.filled if self.filled else None

    @property
    def fee(self) -> Decimal:
        return self.fees[0][1] if self.fees else ZERO

    @property
    def fee_currency(self) -> str | None:
        return self.fees[0][0] if self.fees else None

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL

    def with_order(self, order: Mapping[str, Any]) -> LegFill:
        """This leg updated from a ccxt order dict (status, filled, cost, fee); validated."""
        if not isinstance(order, Mapping):
            raise MalformedOrder(f"order is not a mapping ({type(order).__name__})")
        filled = _num(order.get("filled"), "order filled", allow_none=True) or ZERO
        if filled > self.amount:
            raise MalformedOrder(f"order filled {filled} exceeds the amount sent {self.amount}")
        avg = _num(order.get("average"), "order average", allow_none=True)
        cost = filled * avg if avg is not None else _num(order.get("cost"), "order cost", allow_none=True)
        if filled and cost is None:
            raise MalformedOrder("order has fills but neither average nor cost")
        if filled and cost is not None and cost <= 0:  # its base would be counted without its quote
            raise MalformedOrder(f"order filled {filled} at no price (cost {cost})")
        fees = _fees(order)
        oid = order.get("id")
        return replace(
            self,
            state=journal_state(order.get("status")),
            order_id=str(oid) if oid not in (None, "") else self.order_id,
            filled=filled,
            cost=cost or ZERO,
            fees=fees,
        )

    def with_update(self, order: Mapping[str, Any]) -> LegFill:
        """:meth:`with_order` for a venue's update; a final status without the filled amount is not final
        yet (state ``sent``: the caller asks for the whole order)."""
        leg = self.with_order(order)
        if leg.terminal and order.get("filled") is None and leg.state != "rejected":
            return leg.with_state("sent")
        return leg

    @property
    def fills_complete(self) -> bool:
        """The venue's trades of this leg are known and add up to its filled amount."""
        return bool(self.trades) and sum((t.amount for t in self.trades), ZERO) == self.filled

    def with_trades(self, trades: Iterable[Mapping[str, Any]]) -> LegFill:
        """Exact amounts, prices and fees from the venue's trades of this order (when they add up)."""
        parsed = tuple(Trade.from_ccxt(t) for t in trades)
        if not parsed:
            return self
        filled = sum((t.amount for t in parsed), ZERO)
        if filled != self.filled and self.filled:
            return self  # incomplete trade list: keep the order's aggregate
        fees: dict[str, Decimal] = {}
        for t in parsed:
            if t.fee and t.fee_currency:
                fees[t.fee_currency] = fees.get(t.fee_currency, ZERO) + t.fee
        return replace(
            self,
            filled=filled,
            cost=sum((t.amount * t.price for t in parsed), ZERO),
            fees=tuple(fees.items()) or self.fees,
            trades=parsed,
        )

    def with_state(self, state: str, reason: str | None = None, cause: str | None = None) -> LegFill:
        return replace(
            self,
            state=state,
            reason=reason if reason is not None else self.reason,
            cause=cause if cause is not None else self.cause,
        )

    def trade_rows(self) -> list[Trade]:
        """Trades to journal: the venue's, or one aggregate row keyed by the order id."""
        if self.trades:
            return list(self.trades)
        if not self.filled:
            return []
        return [
            Trade(
                f"order:{self.order_id or self.client_id}",
                self.filled,
                self.cost / self.filled,
                self.fee,
                self.fee_currency,
            )
        ]


def _fees(order: Mapping[str, Any]) -> tuple[tuple[str, Decimal], ...]:
    raw = order.get("fees") or ([order["fee"]] if order.get("fee") else [])
    out: dict[str, Decimal] = {}
    for f in raw:
        if not isinstance(f, Mapping):
            raise MalformedOrder(f"order fee is not a mapping ({f!r})")
        cost = _num(f.get("cost"), "order fee", allow_none=True)
        ccy = f.get("currency")
        if cost and ccy:
            out[str(ccy)] = out.get(str(ccy), ZERO) + cost
    return tuple(out.items())


def flows(leg: LegFill, base: str, quote: str) -> tuple[Decimal, Decimal, dict[str, Decimal]]:
    """(base delta, quote delta, fees in other currencies) of one leg."""
    b = leg.filled if leg.side == "buy" else -leg.filled
    q = -leg.cost if leg.side == "buy" else leg.cost
    other: dict[str, Decimal] = {}
    for ccy, f in leg.fees:
        if ccy == base:
            b -= f
        elif ccy == quote:
            q -= f
        else:
            other[ccy] = other.get(ccy, ZERO) + f
    return b, q, other


@dataclass(frozen=True, slots=True)
class Position:
    """The sum of an opportunity's legs: what it did to base and quote inventory."""

    symbol: str
    base_net: Decimal = ZERO
    quote_net: Decimal = ZERO
    fees: tuple[tuple[str, Decimal], ...] = ()
    other_fees: tuple[tuple[str, Decimal], ...] = ()

    @classmethod
    def of(cls, symbol: str, legs: Iterable[LegFill]) -> Position:
        base, quote = symbol.split("/")[0], symbol.split("/")[1].split(":")[0]
        b = q = ZERO
        fees: dict[str, Decimal] = {}
        other: dict[str, Decimal] = {}
        for leg in legs:
            db, dq, o = flows(leg, base, quote)
            b, q = b + db, q + dq
            for ccy, f in leg.fees:
                fees[ccy] = fees.get(ccy, ZERO) + f
            for ccy, f in o.items():
                other[ccy] = other.get(ccy, ZERO) + f
        return cls(symbol, b, q, tuple(sorted(fees.items())), tuple(sorted(other.items())))

    def exposure(self, lot: Decimal) -> Decimal:
        """Base not matched by the other leg: 0 when only dust (``0 <= base_net < lot``) is left."""
        return ZERO if is_dust(self.base_net, lot) else self.base_net

    @property
    def pnl_quote(self) -> Decimal:
        """Realised PnL in quote, net of fees (dust and exposure excluded)."""
        return self.quote_net


def is_dust(base_net: Decimal, lot: Decimal) -> bool:
    """``0 <= base_net < lot``: a small long residual no order can flatten (see :func:`dust_limit`)."""
    return ZERO <= base_net < lot


def min_sellable(lot: Decimal, min_amount: Decimal | None, min_cost: Decimal | None, price: Decimal | None) -> Decimal:
    """The smallest base amount one sell order can have on a market: on the lot grid, at least its minimum
    amount and (at ``price``, when known) its minimum cost."""
    need = max(lot, min_amount or ZERO)
    if min_cost and price is not None and price > 0:
        need = max(need, min_cost / price)
    return (need / lot).to_integral_value(rounding=ROUND_CEILING) * lot  # up to the lot grid


def dust_limit(sellable: Iterable[Decimal]) -> Decimal:
    """A long residual below this can be sold on none of the venues (each venue's :func:`min_sellable`):
    it is dust — inventory, not an exposure any hedge can flatten. Short residuals are never dust."""
    return min(sellable)
