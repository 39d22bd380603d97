"""Binance spot wire formats: exchangeInfo symbols, depth, tickers, account (orders: ``order_format``).

Pure functions of simulator state. Key sets follow Binance responses recorded in ccxt's test data
(see tests/fixtures/binance/). Quantities and prices go out as strings with 8 decimals, ids and times
as integers, as Binance sends them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from exchanges.sim.book import Grid, VenueBook
from exchanges.sim.market import SymbolSpec
from exchanges.sim.orders import Account

UID = 354937868
ZERO8 = "0.00000000"


def n8(value: Decimal | None) -> str:
    """Decimal -> Binance's fixed 8-decimal string (more decimals only when 8 would lose value)."""
    if value is None:
        return ZERO8
    text = f"{value:.8f}"
    return text if Decimal(text) == value else format(value.normalize(), "f")


class LevelFormatter:
    """Integer ticks/lots -> 8-decimal strings without Decimal arithmetic (hot path of the depth stream)."""

    __slots__ = ("lot_scale", "tick_scale")

    def __init__(self, grid: Grid) -> None:
        self.tick_scale = grid.tick_mult * 10 ** (8 - grid.price_dec) if grid.price_dec <= 8 else 0
        self.lot_scale = grid.lot_mult * 10 ** (8 - grid.lot_dec) if grid.lot_dec <= 8 else 0
        if not self.tick_scale or not self.lot_scale:
            raise ValueError("Binance prices and quantities have at most 8 decimals")

    def level(self, tick: int, lots: int) -> list[str]:
        p, q = tick * self.tick_scale, lots * self.lot_scale
        return [f"{p // 100_000_000}.{p % 100_000_000:08d}", f"{q // 100_000_000}.{q % 100_000_000:08d}"]


def symbol_id(symbol: str) -> str:
    return symbol.replace("/", "")


def min_notional(spec: SymbolSpec) -> Decimal:
    """NOTIONAL filter minimum: 5 in stablecoin quotes (as Binance lists it), a token amount otherwise."""
    return Decimal("5") if spec.quote in ("USDT", "USDC", "FDUSD", "TUSD", "BUSD") else Decimal("0.0001")


# ---------------------------------------------------------------------- public data
RATE_LIMITS = [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
    {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
    {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
]
ORDER_TYPES = ["LIMIT", "LIMIT_MAKER", "MARKET"]


def filters(spec: SymbolSpec) -> list[dict[str, Any]]:
    """The symbol's exchangeInfo filters, rendered from the venue's spec (see exchanges/sim/instruments.py)."""
    max_price = spec.max_price or (spec.tick * 10**7 if spec.mid > 1 else Decimal(1000))
    bid_up, bid_down, ask_up, ask_down = (str(m) if m is not None else "0" for m in spec.band)
    return [
        {
            "filterType": "PRICE_FILTER",
            "minPrice": n8(spec.min_price or spec.tick),
            "maxPrice": n8(max_price),
            "tickSize": n8(spec.tick),
        },
        {
            "filterType": "LOT_SIZE",
            "minQty": n8(spec.min_size),
            "maxQty": n8(spec.max_size or Decimal(9_000_000)),
            "stepSize": n8(spec.lot),
        },
        {
            "filterType": "MARKET_LOT_SIZE",
            "minQty": ZERO8,
            "maxQty": n8(spec.max_market_size or spec.max_size or Decimal(9_000_000)),
            "stepSize": ZERO8,
        },
        {
            "filterType": "PERCENT_PRICE_BY_SIDE",
            "bidMultiplierUp": bid_up,
            "bidMultiplierDown": bid_down,
            "askMultiplierUp": ask_up,
            "askMultiplierDown": ask_down,
            "avgPriceMins": 5,
        },
        {
            "filterType": "NOTIONAL",
            "minNotional": n8(spec.min_notional or min_notional(spec)),
            "applyMinToMarket": True,
            "maxNotional": n8(spec.max_notional or Decimal(9_000_000)),
            "applyMaxToMarket": False,
            "avgPriceMins": 5,
        },
        {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
    ]


def symbol_info(spec: SymbolSpec, status: str = "TRADING") -> dict[str, Any]:
    return {
        "symbol": symbol_id(spec.symbol),
        "status": status,
        "baseAsset": spec.base,
        "baseAssetPrecision": 8,
        "quoteAsset": spec.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ORDER_TYPES,
        "icebergAllowed": False,
        "ocoAllowed": False,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": False,
        "cancelReplaceAllowed": False,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": filters(spec),
        "permissions": ["SPOT"],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }


def exchange_info(symbols: list[dict[str, Any]], now_ms: int) -> dict[str, Any]:
    return {
        "timezone": "UTC",
        "serverTime": now_ms,
        "rateLimits": RATE_LIMITS,
        "exchangeFilters": [],
        "symbols": symbols,
    }


def depth(book: VenueBook, fmt: LevelFormatter, limit: int) -> dict[str, Any]:
    return {
        "lastUpdateId": book.seq,
        "bids": [fmt.level(t, n) for t, n in book.sorted_levels("bid")[:limit]],
        "asks": [fmt.level(t, n) for t, n in book.sorted_levels("ask")[:limit]],
    }


def top(book: VenueBook, fmt: LevelFormatter) -> tuple[list[str], list[str]]:
    bids, asks = book.sorted_levels("bid")[:1], book.sorted_levels("ask")[:1]
    bid = fmt.level(*bids[0]) if bids else [ZERO8, ZERO8]
    ask = fmt.level(*asks[0]) if asks else [ZERO8, ZERO8]
    return bid, ask


def book_ticker(book: VenueBook, fmt: LevelFormatter) -> dict[str, Any]:
    bid, ask = top(book, fmt)
    return {
        "symbol": symbol_id(book.symbol),
        "bidPrice": bid[0],
        "bidQty": bid[1],
        "askPrice": ask[0],
        "askQty": ask[1],
    }


def depth_update(
    sid: str, event_ms: int, first_id: int, last_id: int, bids: list[list[str]], asks: list[list[str]]
) -> dict[str, Any]:
    return {"e": "depthUpdate", "E": event_ms, "s": sid, "U": first_id, "u": last_id, "b": bids, "a": asks}


# ---------------------------------------------------------------------- account
def account(
    acct: Account, can_trade: bool, can_withdraw: bool, maker: Decimal, taker: Decimal, now_ms: int
) -> dict[str, Any]:
    return {
        "makerCommission": int(maker * 10_000),
        "takerCommission": int(taker * 10_000),
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {"maker": n8(maker), "taker": n8(taker), "buyer": ZERO8, "seller": ZERO8},
        "canTrade": can_trade,
        "canWithdraw": can_withdraw,
        "canDeposit": True,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": now_ms,
        "accountType": "SPOT",
        "balances": [balance_entry(acct, ccy, "asset", "free", "locked") for ccy in sorted(acct.balances)],
        "permissions": ["SPOT"],
        "uid": UID,
    }


def balance_entry(acct: Account, ccy: str, k_asset: str, k_free: str, k_locked: str) -> dict[str, str]:
    locked = acct.frozen.get(ccy, Decimal(0))
    return {k_asset: ccy, k_free: n8(acct.balances.get(ccy, Decimal(0)) - locked), k_locked: n8(locked)}


def trade_fee(symbol: str, maker: Decimal, taker: Decimal) -> dict[str, str]:
    return {
        "symbol": symbol_id(symbol),
        "makerCommission": format(maker.normalize(), "f"),
        "takerCommission": format(taker.normalize(), "f"),
    }


def api_restrictions(permissions: frozenset[str], ip_whitelist: tuple[str, ...], created_ms: int) -> dict[str, Any]:
    return {
        "ipRestrict": bool(ip_whitelist),
        "createTime": created_ms,
        "enableReading": "read" in permissions,
        "enableSpotAndMarginTrading": "trade" in permissions,
        "enableWithdrawals": "withdraw" in permissions,
        "enableInternalTransfer": False,
        "enableMargin": False,
        "enableFutures": False,
        "permitsUniversalTransfer": False,
        "enableVanillaOptions": False,
        "enableFixApiTrade": False,
        "enableFixReadOnly": False,
        "enablePortfolioMarginTrading": False,
    }
