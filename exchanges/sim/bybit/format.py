"""Bybit v5 spot wire formats: instruments, tickers, books, wallet, fee rate, API key info, orders, executions.

Pure functions of simulator state. Key sets follow Bybit responses recorded in ccxt's test data (see
tests/fixtures/bybit/). Numbers go out as strings, flags as JSON booleans/ints, as Bybit sends them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from exchanges.sim.base import ApiKey
from exchanges.sim.book import VenueBook
from exchanges.sim.dialect_util import dec
from exchanges.sim.instruments import recorded
from exchanges.sim.market import SymbolSpec
from exchanges.sim.orders import Account, Fill, Order

UID = 24617703
QUOTE_PRECISION = Decimal("0.00000001")


def fixed(value: Decimal, step: Decimal) -> str:
    """``value`` with as many decimals as ``step`` (Bybit pads quantities to the base precision)."""
    places = max(0, -step.normalize().as_tuple().exponent)  # type: ignore[operator]
    return f"{value:.{places}f}"


def symbol_id(symbol: str) -> str:
    return symbol.replace("/", "")


def ok(result: Any, now_ms: int, msg: str = "OK") -> dict[str, Any]:
    return {"retCode": 0, "retMsg": msg, "result": result, "retExtInfo": {}, "time": now_ms}


def min_order_amt(spec: SymbolSpec) -> Decimal:
    return Decimal("5") if spec.quote in ("USDT", "USDC") else Decimal("0.0001")


# ---------------------------------------------------------------------- market data
def instrument(spec: SymbolSpec, status: str = "Trading") -> dict[str, Any]:
    """An instruments-info entry rendered from the venue's spec (recorded quotePrecision/ratio Y when known)."""
    rec = recorded("bybit", spec.symbol)
    quote_precision = rec["lotSizeFilter"]["quotePrecision"] if rec else dec(QUOTE_PRECISION)
    ratio_x = (spec.band[0] - 1) if spec.band[0] is not None else Decimal("0.05")
    ratio_y = rec["riskParameters"]["priceLimitRatioY"] if rec else dec(ratio_x * 2)
    return {
        "symbol": symbol_id(spec.symbol),
        "baseCoin": spec.base,
        "quoteCoin": spec.quote,
        "innovation": "0",
        "status": status,
        "marginTrading": "none",
        "stTag": "0",
        "lotSizeFilter": {
            "basePrecision": dec(spec.lot),
            "quotePrecision": quote_precision,
            "minOrderQty": dec(spec.min_size),
            "maxOrderQty": dec(spec.max_size) or "9000000",
            "minOrderAmt": dec(spec.min_notional),
            "maxOrderAmt": dec(spec.max_notional) or "8000000",
        },
        "priceFilter": {"tickSize": dec(spec.tick)},
        "riskParameters": {"priceLimitRatioX": dec(ratio_x), "priceLimitRatioY": ratio_y},
    }


def levels(book: VenueBook, side: str, depth: int) -> list[list[str]]:
    g = book.grid
    return [[g.price_str(t), g.size_str(n)] for t, n in book.sorted_levels(side)[:depth]]


def rest_orderbook(book: VenueBook, depth: int, ts: int, u: int) -> dict[str, Any]:
    return {
        "s": symbol_id(book.symbol),
        "b": levels(book, "bid", depth),
        "a": levels(book, "ask", depth),
        "ts": ts,
        "u": u,
        "seq": book.seq,
    }


def book_message(
    topic: str, kind: str, sid: str, bids: list[list[str]], asks: list[list[str]], u: int, seq: int, ts: int, cts: int
) -> dict[str, Any]:
    return {
        "topic": topic,
        "type": kind,
        "ts": ts,
        "data": {"s": sid, "b": bids, "a": asks, "u": u, "seq": seq},
        "cts": cts,
    }


# ---------------------------------------------------------------------- account
_COIN_ZERO = (
    "accruedInterest",
    "bonus",
    "borrowAmount",
    "cumRealisedPnl",
    "spotHedgingQty",
    "totalOrderIM",
    "totalPositionIM",
    "totalPositionMM",
    "unrealisedPnl",
)


def wallet(acct: Account, usd: dict[str, float], ccys: set[str] | None) -> dict[str, Any]:
    coins, total_usd = [], 0.0
    for ccy in sorted(acct.balances):
        if ccys and ccy not in ccys:
            continue
        total, locked = acct.balances[ccy], acct.frozen.get(ccy, Decimal(0))
        usd_value = float(total) * usd.get(ccy, 0.0)
        total_usd += usd_value
        coin: dict[str, Any] = dict.fromkeys(_COIN_ZERO, "0")
        coin.update(
            {
                "availableToBorrow": "",
                "availableToWithdraw": "",
                "equity": dec(total),
                "usdValue": f"{usd_value:.8f}",
                "collateralSwitch": True,
                "walletBalance": dec(total),
                "locked": dec(locked),
                "marginCollateral": True,
                "coin": ccy,
            }
        )
        coins.append(coin)
    t = f"{total_usd:.8f}"
    return {
        "totalEquity": t,
        "accountIMRate": "0",
        "totalMarginBalance": t,
        "totalInitialMargin": "0",
        "accountType": "UNIFIED",
        "totalAvailableBalance": t,
        "accountMMRate": "0",
        "totalPerpUPL": "0",
        "totalWalletBalance": t,
        "accountLTV": "0",
        "totalMaintenanceMargin": "0",
        "coin": coins,
    }


def fee_rate(symbol: str, maker: Decimal, taker: Decimal) -> dict[str, str]:
    return {"symbol": symbol_id(symbol), "takerFeeRate": dec(taker), "makerFeeRate": dec(maker)}


def query_api(key: ApiKey, created_iso: str) -> dict[str, Any]:
    spot = ["SpotTrade"] if "trade" in key.permissions else []
    wallet_perms = ["AccountTransfer", "SubMemberTransfer"] + (["Withdraw"] if "withdraw" in key.permissions else [])
    return {
        "id": str(abs(hash(key.key)) % 10**8),
        "note": key.label or key.key,
        "apiKey": key.key,
        "readOnly": 0 if "trade" in key.permissions or "withdraw" in key.permissions else 1,
        "secret": "",
        "permissions": {
            "ContractTrade": [],
            "Spot": spot,
            "Wallet": wallet_perms,
            "Options": [],
            "Derivatives": [],
            "CopyTrading": [],
            "BlockTrade": [],
            "Exchange": [],
            "NFT": [],
        },
        "ips": list(key.ip_whitelist) or ["*"],
        "type": 1,
        "deadlineDay": -2,
        "expiredAt": "",
        "createdAt": created_iso,
        "unified": 0,
        "uta": 1,
        "userID": UID,
        "inviterID": 0,
        "vipLevel": "No VIP",
        "mktMakerLevel": "0",
        "affiliateID": 0,
        "rsaPublicKey": "",
        "isMaster": True,
    }


def account_info(updated_ms: int) -> dict[str, Any]:
    return {
        "marginMode": "REGULAR_MARGIN",
        "updatedTime": str(updated_ms),
        "unifiedMarginStatus": 6,
        "dcpStatus": "OFF",
        "timeWindow": 10,
        "smpGroup": 0,
        "isMasterTrader": False,
        "spotHedgingStatus": "OFF",
    }


# ---------------------------------------------------------------------- orders
def order_status(order: Order) -> str:
    if order.status == "canceled":
        return "PartiallyFilledCanceled" if order.filled else "Cancelled"
    return {"live": "New", "partially_filled": "PartiallyFilled", "filled": "Filled"}[order.status]


def time_in_force(order: Order) -> str:
    if order.type == "market":
        return "IOC"
    return "PostOnly" if order.tif == "PO" else order.tif


def reject_reason(order: Order, user_canceled: bool) -> str:
    if order.status != "canceled" or user_canceled:
        return "EC_NoError"
    if order.tif == "PO":
        return "EC_PostOnlyWillTakeLiquidity"
    return "EC_CancelForNoFullFill"


def order_dict(order: Order, spec: SymbolSpec, user_canceled: bool) -> dict[str, Any]:
    quote_qty = order.quote_amount
    qty = dec(order.amount) if quote_qty else fixed(order.amount, spec.lot)
    leaves_qty = order.amount - order.filled if order.is_open and not quote_qty else Decimal(0)
    leaves_value = (leaves_qty * order.price) if order.price is not None and order.is_open else Decimal(0)
    if quote_qty and order.is_open:
        leaves_value = order.amount - order.cost
    return {
        "symbol": symbol_id(order.symbol),
        "orderType": order.type.capitalize(),
        "orderLinkId": order.client_id,
        "slLimitPrice": "0",
        "orderId": order.order_id,
        "cancelType": "CancelByUser" if user_canceled else "UNKNOWN",
        "avgPrice": dec(order.avg_price),
        "stopOrderType": "",
        "lastPriceOnCreated": "",
        "orderStatus": order_status(order),
        "createType": "CreateByUser",
        "takeProfit": "0",
        "cumExecValue": dec(order.cost),
        "smpType": "None",
        "triggerDirection": 0,
        "blockTradeId": "",
        "cumFeeDetail": {order.fee_currency: dec(order.fee)} if order.fee else {},
        "rejectReason": reject_reason(order, user_canceled),
        "isLeverage": "0",
        "price": dec(order.price) if order.price is not None else "0",
        "orderIv": "",
        "createdTime": str(order.created_ms),
        "tpTriggerBy": "",
        "positionIdx": 0,
        "timeInForce": time_in_force(order),
        "leavesValue": dec(leaves_value),
        "updatedTime": str(order.updated_ms),
        "side": order.side.capitalize(),
        "smpGroup": 0,
        "triggerPrice": "0",
        "tpLimitPrice": "0",
        "cumExecFee": dec(order.fee),
        "slTriggerBy": "",
        "leavesQty": fixed(leaves_qty, spec.lot),
        "closeOnTrigger": False,
        "slippageToleranceType": "UNKNOWN",
        "placeType": "",
        "cumExecQty": fixed(order.filled, spec.lot),
        "reduceOnly": False,
        "qty": qty,
        "stopLoss": "0",
        "marketUnit": ("quoteCoin" if quote_qty else "baseCoin") if order.type == "market" else "",
        "smpOrderId": "",
        "slippageTolerance": "0",
        "triggerBy": "",
        "extraFees": "",
    }


def order_push(order: Order, spec: SymbolSpec, user_canceled: bool) -> dict[str, Any]:
    """One entry of the private ``order`` topic (the REST fields plus category, fee currency, pnl)."""
    d = order_dict(order, spec, user_canceled)
    d.update({"category": "spot", "feeCurrency": order.fee_currency if order.fee else "", "closedPnl": "0"})
    return d


def execution(order: Order, fill: Fill, spec: SymbolSpec, fee_rate_: Decimal, seq: int) -> dict[str, Any]:
    return {
        "symbol": symbol_id(order.symbol),
        "orderType": order.type.capitalize(),
        "underlyingPrice": "",
        "orderLinkId": order.client_id,
        "orderId": order.order_id,
        "stopOrderType": "",
        "execTime": str(fill.ts_ms),
        "feeCurrency": fill.fee_currency,
        "createType": "CreateByUser",
        "feeRate": dec(fee_rate_),
        "tradeIv": "",
        "blockTradeId": "",
        "markPrice": "",
        "execPrice": dec(fill.price),
        "markIv": "",
        "orderQty": dec(order.amount) if order.quote_amount else fixed(order.amount, spec.lot),
        "orderPrice": dec(order.price) if order.price is not None else "0",
        "execValue": dec(fill.price * fill.amount),
        "closedSize": "",
        "execType": "Trade",
        "seq": seq,
        "side": order.side.capitalize(),
        "indexPrice": "",
        "leavesQty": fixed(
            max(Decimal(0), order.amount - order.filled) if not order.quote_amount else Decimal(0), spec.lot
        ),
        "isMaker": fill.maker,
        "execFee": dec(fill.fee),
        "execId": fill.trade_id,
        "marketUnit": ("quoteCoin" if order.quote_amount else "baseCoin") if order.type == "market" else "",
        "execQty": fixed(fill.amount, spec.lot),
    }
