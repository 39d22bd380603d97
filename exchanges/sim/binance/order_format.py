"""Binance spot order wire formats: new-order results, order queries, cancels, trades, user-data events.

Key sets follow Binance responses recorded in ccxt's test data (see tests/fixtures/binance/).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from exchanges.sim.binance.format import ZERO8, balance_entry, n8, symbol_id
from exchanges.sim.orders import Account, Fill, Order


def order_status(order: Order, user_canceled: bool) -> str:
    if order.status == "live":
        return "NEW"
    if order.status == "partially_filled":
        return "PARTIALLY_FILLED"
    if order.status == "filled":
        return "FILLED"
    return "CANCELED" if user_canceled else "EXPIRED"


def order_type(order: Order) -> str:
    if order.type == "market":
        return "MARKET"
    return "LIMIT_MAKER" if order.tif == "PO" else "LIMIT"


def order_tif(order: Order) -> str:
    return order.tif if order.tif in ("IOC", "FOK") and order.type == "limit" else "GTC"


def _qty_fields(order: Order) -> tuple[str, str]:
    """(origQty, origQuoteOrderQty)."""
    if order.quote_amount:
        return ZERO8, n8(order.amount)
    return n8(order.amount), ZERO8


def order_result(order: Order, resp_type: str, user_canceled: bool, now_ms: int) -> dict[str, Any]:
    """POST /api/v3/order response for newOrderRespType ACK, RESULT or FULL."""
    out: dict[str, Any] = {
        "symbol": symbol_id(order.symbol),
        "orderId": int(order.order_id),
        "orderListId": -1,
        "clientOrderId": order.client_id,
        "transactTime": now_ms,
    }
    if resp_type == "ACK":
        return out
    orig_qty, orig_quote = _qty_fields(order)
    out.update(
        {
            "price": n8(order.price),
            "origQty": orig_qty,
            "executedQty": n8(order.filled),
            "origQuoteOrderQty": orig_quote,
            "cummulativeQuoteQty": n8(order.cost),
            "status": order_status(order, user_canceled),
            "timeInForce": order_tif(order),
            "type": order_type(order),
            "side": order.side.upper(),
            "workingTime": order.created_ms,
            "selfTradePreventionMode": "EXPIRE_MAKER",
        }
    )
    if resp_type == "FULL":
        out["fills"] = [
            {
                "price": n8(f.price),
                "qty": n8(f.amount),
                "commission": n8(f.fee),
                "commissionAsset": f.fee_currency,
                "tradeId": int(f.trade_id),
            }
            for f in order.fills
        ]
    return out


def order_query(order: Order, user_canceled: bool) -> dict[str, Any]:
    """GET /api/v3/order, openOrders and allOrders entries."""
    orig_qty, orig_quote = _qty_fields(order)
    return {
        "symbol": symbol_id(order.symbol),
        "orderId": int(order.order_id),
        "orderListId": -1,
        "clientOrderId": order.client_id,
        "price": n8(order.price),
        "origQty": orig_qty,
        "executedQty": n8(order.filled),
        "cummulativeQuoteQty": n8(order.cost),
        "status": order_status(order, user_canceled),
        "timeInForce": order_tif(order),
        "type": order_type(order),
        "side": order.side.upper(),
        "stopPrice": ZERO8,
        "icebergQty": ZERO8,
        "time": order.created_ms,
        "updateTime": order.updated_ms,
        "isWorking": True,
        "workingTime": order.created_ms,
        "origQuoteOrderQty": orig_quote,
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }


def cancel_result(order: Order, new_client_id: str, now_ms: int) -> dict[str, Any]:
    orig_qty, orig_quote = _qty_fields(order)
    return {
        "symbol": symbol_id(order.symbol),
        "origClientOrderId": order.client_id,
        "orderId": int(order.order_id),
        "orderListId": -1,
        "clientOrderId": new_client_id,
        "transactTime": now_ms,
        "price": n8(order.price),
        "origQty": orig_qty,
        "executedQty": n8(order.filled),
        "origQuoteOrderQty": orig_quote,
        "cummulativeQuoteQty": n8(order.cost),
        "status": "CANCELED",
        "timeInForce": order_tif(order),
        "type": order_type(order),
        "side": order.side.upper(),
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }


def my_trade(order: Order, fill: Fill) -> dict[str, Any]:
    return {
        "symbol": symbol_id(order.symbol),
        "id": int(fill.trade_id),
        "orderId": int(order.order_id),
        "orderListId": -1,
        "price": n8(fill.price),
        "qty": n8(fill.amount),
        "quoteQty": n8(fill.price * fill.amount),
        "commission": n8(fill.fee),
        "commissionAsset": fill.fee_currency,
        "time": fill.ts_ms,
        "isBuyer": order.side == "buy",
        "isMaker": fill.maker,
        "isBestMatch": True,
    }


def execution_report(
    order: Order,
    fill: Fill | None,
    exec_type: str,
    status: str,
    event_ms: int,
    client_id: str,
    orig_client_id: str,
    filled: Decimal,
    cost: Decimal,
) -> dict[str, Any]:
    """One ``executionReport`` of the user data stream (NEW, TRADE, CANCELED or EXPIRED)."""
    orig_qty, orig_quote = _qty_fields(order)
    return {
        "e": "executionReport",
        "E": event_ms,
        "s": symbol_id(order.symbol),
        "c": client_id,
        "S": order.side.upper(),
        "o": order_type(order),
        "f": order_tif(order),
        "q": orig_qty,
        "p": n8(order.price),
        "P": ZERO8,
        "F": ZERO8,
        "g": -1,
        "C": orig_client_id,
        "x": exec_type,
        "X": status,
        "r": "NONE",
        "i": int(order.order_id),
        "l": n8(fill.amount) if fill else ZERO8,
        "z": n8(filled),
        "L": n8(fill.price) if fill else ZERO8,
        "n": n8(fill.fee) if fill else "0",
        "N": fill.fee_currency if fill else None,
        "T": fill.ts_ms if fill else event_ms,
        "t": int(fill.trade_id) if fill else -1,
        "v": 0,
        "I": int(order.order_id) * 2,
        "w": status in ("NEW", "PARTIALLY_FILLED") and order.type == "limit" and order.tif not in ("IOC", "FOK"),
        "m": fill.maker if fill else False,
        "M": False,
        "O": order.created_ms,
        "Z": n8(cost),
        "Y": n8(fill.price * fill.amount) if fill else ZERO8,
        "Q": orig_quote,
        "W": order.created_ms,
        "V": "EXPIRE_MAKER",
    }


def account_position(acct: Account, assets: list[str], event_ms: int) -> dict[str, Any]:
    return {
        "e": "outboundAccountPosition",
        "E": event_ms,
        "u": event_ms,
        "B": [balance_entry(acct, ccy, "a", "f", "l") for ccy in assets],
    }
