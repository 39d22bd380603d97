"""Each venue's real instrument spec per symbol: tick, lot, min/max size and notional, price filters.

Built from the recorded entries in :mod:`exchanges.sim.instrument_data` (origins noted there). A
symbol the venue has no recorded entry for (SOL/USDT, LINK/USDT, AVAX/USDT, custom pairs) keeps the
OKX-like grid of :data:`exchanges.sim.market.DEFAULT_SPECS` with the venue's usual filters
(Binance: NOTIONAL 5..9,000,000 and PERCENT_PRICE_BY_SIDE 0.2..5; Bybit: minOrderAmt 5 and price
limit ratio 0.05; OKX: its usual maximum sizes).

:func:`venue_specs` gives the ``specs`` mapping :class:`~exchanges.sim.market.MarketProcess` takes;
:func:`recorded` the venue's own entry (for the dialects' instrument endpoints).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from exchanges.sim import instrument_data as data
from exchanges.sim.market import SymbolSpec, spec_for

D = Decimal
STABLE_QUOTES = ("USDT", "USDC", "FDUSD", "TUSD", "BUSD")


def recorded(dialect: str, symbol: str) -> dict[str, Any] | None:
    """The venue's recorded entry for ``symbol`` (OKX instrument fields, Binance filters by type, Bybit
    filter objects), or None when only fallback values exist."""
    if dialect == "okx":
        return data.OKX.get(symbol.replace("/", "-"))
    if dialect == "binance":
        return data.BINANCE.get(symbol.replace("/", ""))
    if dialect == "bybit":
        return data.BYBIT.get(symbol.replace("/", ""))
    return None


def venue_spec(dialect: str, symbol: str) -> SymbolSpec:
    """``symbol``'s spec on a venue speaking ``dialect`` (okx, binance, bybit)."""
    base = spec_for(symbol)
    rec = recorded(dialect, symbol)
    if dialect == "okx":
        return _okx(base, rec)
    if dialect == "binance":
        return _binance(base, rec)
    if dialect == "bybit":
        return _bybit(base, rec)
    return base


def venue_specs(venues: dict[str, str], symbols: list[str]) -> dict[tuple[str, str], SymbolSpec]:
    """``{(venue, symbol): spec}`` for venues given as ``{venue: dialect}``."""
    return {(v, s): venue_spec(d, s) for v, d in venues.items() for s in symbols}


def _okx(base: SymbolSpec, rec: dict[str, str] | None) -> SymbolSpec:
    r = rec or {
        **{"tickSz": str(base.tick), "lotSz": str(base.lot), "minSz": str(base.min_size)},
        **{"maxLmtSz": "9999999999", "maxMktSz": "1000000", "maxLmtAmt": "20000000", "maxMktAmt": "1000000"},
    }
    return replace(
        base,
        tick=D(r["tickSz"]),
        lot=D(r["lotSz"]),
        min_size=D(r["minSz"]),
        max_size=D(r["maxLmtSz"]),
        max_market_size=D(r["maxMktSz"]),
        max_notional=D(r["maxLmtAmt"]),
        max_market_notional=D(r["maxMktAmt"]),
    )


def binance_filters(base: SymbolSpec) -> dict[str, dict[str, Any]]:
    """Binance-style filters for a symbol without a recorded entry (OKX-like grid, Binance's usual limits)."""
    max_price = base.tick * 10**7 if base.mid > 1 else D(1000)
    min_notional = "5" if base.quote in STABLE_QUOTES else "0.0001"
    return {
        "PRICE_FILTER": {"minPrice": str(base.tick), "maxPrice": str(max_price), "tickSize": str(base.tick)},
        "LOT_SIZE": {"minQty": str(base.min_size), "maxQty": "9000000", "stepSize": str(base.lot)},
        "MARKET_LOT_SIZE": {"minQty": "0", "maxQty": "9000000", "stepSize": "0"},
        "PERCENT_PRICE_BY_SIDE": data.BINANCE["BTCUSDT"]["PERCENT_PRICE_BY_SIDE"],
        "NOTIONAL": {**data.BINANCE["BTCUSDT"]["NOTIONAL"], "minNotional": min_notional},
        "MAX_NUM_ORDERS": {"maxNumOrders": "200"},
    }


def _binance(base: SymbolSpec, rec: dict[str, dict[str, Any]] | None) -> SymbolSpec:
    f = rec or binance_filters(base)
    price, lot, pct, notional = f["PRICE_FILTER"], f["LOT_SIZE"], f["PERCENT_PRICE_BY_SIDE"], f["NOTIONAL"]
    return replace(
        base,
        tick=D(price["tickSize"]).normalize(),
        lot=D(lot["stepSize"]).normalize(),
        min_size=D(lot["minQty"]).normalize(),
        max_size=D(lot["maxQty"]).normalize(),
        max_market_size=D(f["MARKET_LOT_SIZE"]["maxQty"]).normalize() or None,
        min_notional=D(notional["minNotional"]).normalize(),
        max_notional=D(notional["maxNotional"]).normalize(),
        min_price=D(price["minPrice"]).normalize(),
        max_price=D(price["maxPrice"]).normalize(),
        band=(
            D(pct["bidMultiplierUp"]),
            D(pct["bidMultiplierDown"]),
            D(pct["askMultiplierUp"]),
            D(pct["askMultiplierDown"]),
        ),
    )


def bybit_entry(base: SymbolSpec) -> dict[str, dict[str, str]]:
    """Bybit-style filters for a symbol without a recorded entry (OKX-like grid, Bybit's usual limits)."""
    return {
        "lotSizeFilter": {
            "basePrecision": str(base.lot),
            "quotePrecision": "0.00000001",
            "minOrderQty": str(base.min_size),
            "maxOrderQty": "9000000",
            "minOrderAmt": "5" if base.quote in STABLE_QUOTES else "0.0001",
            "maxOrderAmt": "8000000",
        },
        "priceFilter": {"tickSize": str(base.tick)},
        "riskParameters": {"priceLimitRatioX": "0.05", "priceLimitRatioY": "0.1"},
    }


def _bybit(base: SymbolSpec, rec: dict[str, dict[str, str]] | None) -> SymbolSpec:
    r = rec or bybit_entry(base)
    lot, x = r["lotSizeFilter"], D(r["riskParameters"]["priceLimitRatioX"])
    return replace(
        base,
        tick=D(r["priceFilter"]["tickSize"]),
        lot=D(lot["basePrecision"]),
        min_size=D(lot["minOrderQty"]),
        max_size=D(lot["maxOrderQty"]),
        min_notional=D(lot["minOrderAmt"]),
        max_notional=D(lot["maxOrderAmt"]),
        max_market_notional=D(lot["maxOrderAmt"]),
        # buy limit price at most ref x (1 + X), sell at least ref x (1 - X) (170193 / 170194)
        band=(1 + x, None, None, 1 - x),
    )
