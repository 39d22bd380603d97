"""A leg on the wire and in the journal: which refusals are final, when an order can no longer execute, and
the journal record of a leg's outcome with its fills. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ccxt.pro as ccxtpro

from arb.core.ledger import LegFill
from arb.core.model import Opportunity

# Margin for the venue's clock running behind ours: expires_ms = sent_ms + window + this. A venue whose clock
# lags more than this would still accept an order after arb journaled it as never executed; `arb doctor`
# reports the venue's clock offset.
EXPIRY_SKEW_MS = 1000
# Venues without a known order expiry (and intents journaled before schema v2): the longest window any
# venue allows (Binance's recvWindow maximum) bounds how late an order can still land.
FALLBACK_EXPIRY_MS = 60_000
FILL_FETCHES = 4  # trade look-ups per order before its fills are left to reconcile
# A refusal the venue gives before taking the order: final, never looked up. Everything else raised by
# create_order (network errors, 5xx, "system busy", a duplicate id) may hide an accepted order.
# InvalidNonce (a NetworkError in ccxt) is each venue's expiry refusal (-1021, 50102, 10002): never executed.
REFUSED = (
    ccxtpro.InvalidNonce,
    ccxtpro.InsufficientFunds,
    ccxtpro.AuthenticationError,
    ccxtpro.BadRequest,
    ccxtpro.BadSymbol,
    ccxtpro.AccountSuspended,
    ccxtpro.NotSupported,
    ccxtpro.ArgumentsRequired,
    ccxtpro.OrderImmediatelyFillable,
    ccxtpro.InvalidOrder,
)


def expiry_of(row: Mapping[str, Any]) -> int:
    """The instant (ms) after which the venue can no longer execute a journaled order."""
    if row.get("expires_ms") is not None:
        return int(row["expires_ms"])
    return int(row.get("sent_ms") or row["created_ms"]) + FALLBACK_EXPIRY_MS + EXPIRY_SKEW_MS


def leg_record(leg: LegFill, has_trades: bool, now_ms: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(order fields, fills rows) journaling ``leg``; a leg whose fills are incomplete stays ``sent`` (reconcile
    recovers them) when the venue can list an order's trades."""
    complete = not leg.filled or leg.fills_complete or not has_trades
    state, reason = leg.state, leg.reason
    if leg.terminal and not complete:
        state, reason = "sent", f"venue says {leg.state}; fills incomplete, recovered by reconcile"
    trades = leg.trades if has_trades else tuple(leg.trade_rows())
    fills = [
        {
            "venue": leg.venue,
            "trade_id": t.trade_id,
            "ts_ms": t.ts_ms or now_ms,
            "amount": t.amount,
            "price": t.price,
            "fee": t.fee,
            "fee_currency": t.fee_currency,
        }
        for t in trades
    ]
    fields = {
        "state": state,
        "venue_order_id": leg.order_id,
        "filled": leg.filled,
        "avg_price": leg.avg_price,
        "fee": leg.fee if leg.fees else None,
        "fee_currency": leg.fee_currency,
        "reason": reason,
        "cause": leg.cause,
        "updated_ms": now_ms,
    }
    return fields, fills


def plan_of(opp: Opportunity) -> dict[str, str]:
    """What the trade event records of the plan: each leg's venue, walked VWAP (expected price) and limit."""
    return {
        "buy_venue": opp.buy_venue,
        "sell_venue": opp.sell_venue,
        "expected_buy_vwap": str(opp.buy.vwap),
        "expected_sell_vwap": str(opp.sell.vwap),
        "buy_limit": str(opp.buy.limit_price),
        "sell_limit": str(opp.sell.limit_price),
    }
