"""Durable risk state: what the risk gate knew when the last run stopped, rebuilt from the journal on start.

A restart must not re-arm what tripped (issue 12 item 6). From every run journaled in the file:

* **Halts** (table ``halts``, written fsynced when they trip): one not cleared by an operator
  (``arb resume``) and not lifted by its rule (``until_ms``: a daily-loss halt ends at the next UTC
  midnight) is still in force. The kill switch is not journaled: its file is its state.
* **Today's realised PnL** (UTC day): each opportunity's legs rebuilt from its orders and fills
  (:class:`arb.core.ledger.Position`, the same formula as the trader's), counted on the day it was accepted
  (its first order). After an operator resumed a daily-loss halt, the day counts from that moment.
* **Failures in a row**: the trailing failed outcomes (``trade`` events) since the last successful one
  or the last operator resume.

The functions below are pure over journal rows; :func:`rebuild` reads them from a journal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from arb.core.kinds import EventKind
from arb.core.ledger import LegFill, Position
from arb.core.model import ZERO

DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class RiskState:
    halt: Mapping[str, Any] | None  # the halt in force (a ``halts`` row), if any
    since_ms: int  # the daily-loss window starts here (UTC midnight, or a later operator resume)
    realised: Decimal  # realised PnL of opportunities accepted since ``since_ms``
    failures_in_row: int
    resumed_ms: int = 0  # the last operator resume of a daily-loss halt (exposures opened before it not counted)
    # (opportunity id, symbol, first order ms, legs) of every opportunity since ``since_ms`` (arb.trade.accounts)
    opportunities: tuple[tuple[str, str, int, tuple[LegFill, ...]], ...] = ()


def leg_of(order: Mapping[str, Any], fills: Iterable[Mapping[str, Any]]) -> LegFill:
    """A journaled order as a :class:`LegFill`: its fills when they add up, else the order's own totals."""
    rows = list(fills)
    filled = sum((f["amount"] or ZERO for f in rows), ZERO)
    amount, price = order["amount"], order.get("price")
    base = LegFill(
        order["venue"], order["symbol"], order["side"], order["client_id"], amount, price, state=order["state"]
    )
    total = order.get("filled")
    if rows and (total is None or filled == total):
        fees: dict[str, Decimal] = {}
        for f in rows:
            if f.get("fee") and f.get("fee_currency"):
                fees[f["fee_currency"]] = fees.get(f["fee_currency"], ZERO) + f["fee"]
        cost = sum(((f["amount"] or ZERO) * (f["price"] or ZERO) for f in rows), ZERO)
        return LegFill(
            base.venue,
            base.symbol,
            base.side,
            base.client_id,
            amount,
            price,
            state=base.state,
            filled=filled,
            cost=cost,
            fees=tuple(fees.items()),
        )
    if total and order.get("avg_price") is not None:
        fee = ((order["fee_currency"], order["fee"]),) if order.get("fee") and order.get("fee_currency") else ()
        return LegFill(
            base.venue,
            base.symbol,
            base.side,
            base.client_id,
            amount,
            price,
            state=base.state,
            filled=total,
            cost=total * order["avg_price"],
            fees=fee,
        )
    return base


def opportunities_since(
    orders: Iterable[Mapping[str, Any]], fills_by_order: Mapping[str, list[Mapping[str, Any]]], since_ms: int
) -> tuple[tuple[str, str, int, tuple[LegFill, ...]], ...]:
    """(opportunity id, symbol, first order ms, legs) of each opportunity whose first order is at/after ``since_ms``."""
    by_opp: dict[str, list[Mapping[str, Any]]] = {}
    for o in orders:
        by_opp.setdefault(o.get("opportunity_id") or o["client_id"], []).append(o)
    out = []
    for opp_id, rows in by_opp.items():
        first = min(r["created_ms"] for r in rows)
        if first < since_ms:
            continue
        legs = tuple(leg_of(r, fills_by_order.get(r["client_id"], [])) for r in rows)
        out.append((opp_id, rows[0]["symbol"], first, legs))
    return tuple(out)


def realised_since(
    orders: Iterable[Mapping[str, Any]], fills_by_order: Mapping[str, list[Mapping[str, Any]]], since_ms: int
) -> Decimal:
    """Σ quote_net of the opportunities whose first order was created at or after ``since_ms``."""
    opportunities = opportunities_since(orders, fills_by_order, since_ms)
    return sum((Position.of(symbol, legs).quote_net for _, symbol, _, legs in opportunities), ZERO)


def failures_in_row(trade_events: Iterable[Mapping[str, Any]], since_ms: int) -> int:
    """Failed outcomes after the last successful one, counting only those at or after ``since_ms``."""
    n = 0
    for e in sorted(trade_events, key=lambda e: (e["ts_ms"], e.get("id") or 0)):
        if e["ts_ms"] < since_ms:
            continue
        try:
            ok = bool(json.loads(e.get("detail") or "{}").get("ok"))
        except (ValueError, AttributeError):
            continue
        n = 0 if ok else n + 1
    return n


def window_start(now_ms: int, halts: Iterable[Mapping[str, Any]]) -> int:
    """Start of the daily-loss window: UTC midnight, or the last operator resume of a daily-loss halt today."""
    start = now_ms // DAY_MS * DAY_MS
    resumed = [h["cleared_ms"] for h in halts if h["reason"] == "daily_loss" and h.get("cleared_ms") is not None]
    return max([start, *(t for t in resumed if t <= now_ms)])


def last_resume(halts: Iterable[Mapping[str, Any]], reason: str | None = None) -> int:
    """When an operator last cleared a halt (of ``reason``), 0 if never."""
    return max(
        (
            h["cleared_ms"]
            for h in halts
            if h.get("cleared_ms") is not None and (reason is None or h["reason"] == reason)
        ),
        default=0,
    )


def in_force(halts: Iterable[Mapping[str, Any]], now_ms: int) -> Mapping[str, Any] | None:
    """The first halt neither cleared nor lifted by its rule at ``now_ms``."""
    for h in sorted(halts, key=lambda h: (h["ts_ms"], h["id"])):
        if h.get("cleared_ms") is None and (h.get("until_ms") is None or h["until_ms"] > now_ms):
            return h
    return None


def rebuild(journal: Any, now_ms: int) -> RiskState:
    """The gate's durable state from ``journal`` (every run in the file) at ``now_ms``."""
    halts = journal.halts()
    since = window_start(now_ms, halts)
    orders = [o for o in journal.orders() if o["created_ms"] >= since - DAY_MS]  # a late hedge joins its opportunity
    fills: dict[str, list[Mapping[str, Any]]] = {}
    for o in orders:
        fills[o["client_id"]] = journal.fills(o["client_id"])
    last_clear = last_resume(halts)
    opportunities = opportunities_since(orders, fills, since)
    return RiskState(
        halt=in_force(halts, now_ms),
        since_ms=since,
        realised=sum((Position.of(sym, legs).quote_net for _, sym, _, legs in opportunities), ZERO),
        opportunities=opportunities,
        failures_in_row=failures_in_row(journal.events(kind=EventKind.TRADE, since_ms=last_clear), last_clear),
        resumed_ms=last_resume(halts, "daily_loss"),
    )
