"""Real spot instrument entries as the venues list them, copied from recorded market responses.

Only the fields the simulators serve and enforce are kept; the strings are the venues' own.
Symbols without a recorded entry (SOL, LINK, AVAX and any custom pair) fall back to OKX-like values
(:data:`exchanges.sim.market.DEFAULT_SPECS`) plus the venue's usual notional filters: see
:mod:`exchanges.sim.instruments`.
"""

from __future__ import annotations

from typing import Any

OKX_ORIGIN = (
    "ccxt/ccxt ts/src/test/static/markets/okx.json (commit 3802e1a243497a0ffd025df7a97023315217391f), "
    "entries' info = OKX GET /api/v5/public/instruments?instType=SPOT data[] items"
)
# instId -> fields of the instrument entry
OKX: dict[str, dict[str, str]] = {
    "BTC-USDT": {
        "tickSz": "0.1",
        "lotSz": "0.00000001",
        "minSz": "0.00001",
        "maxLmtSz": "9999999999",
        "maxMktSz": "1000000",
        "maxLmtAmt": "20000000",
        "maxMktAmt": "1000000",
    },
    "ETH-USDT": {
        "tickSz": "0.01",
        "lotSz": "0.000001",
        "minSz": "0.0001",
        "maxLmtSz": "999999999999",
        "maxMktSz": "1000000",
        "maxLmtAmt": "20000000",
        "maxMktAmt": "1000000",
    },
    "ADA-USDT": {
        "tickSz": "0.0001",
        "lotSz": "0.0001",
        "minSz": "10",
        "maxLmtSz": "99999999999999",
        "maxMktSz": "1000000",
        "maxLmtAmt": "20000000",
        "maxMktAmt": "1000000",
    },
    "LTC-USDT": {
        "tickSz": "0.01",
        "lotSz": "0.000001",
        "minSz": "0.01",
        "maxLmtSz": "999999999999",
        "maxMktSz": "1000000",
        "maxLmtAmt": "20000000",
        "maxMktAmt": "1000000",
    },
    "XRP-USDT": {
        "tickSz": "0.0001",
        "lotSz": "0.000001",
        "minSz": "1",
        "maxLmtSz": "999999999999",
        "maxMktSz": "1000000",
        "maxLmtAmt": "20000000",
        "maxMktAmt": "1000000",
    },
    "DOGE-USDT": {
        "tickSz": "0.00001",
        "lotSz": "0.000001",
        "minSz": "10",
        "maxLmtSz": "999999999999",
        "maxMktSz": "1000000",
        "maxLmtAmt": "20000000",
        "maxMktAmt": "1000000",
    },
    "TRX-USDT": {
        "tickSz": "0.00001",
        "lotSz": "0.000001",
        "minSz": "1",
        "maxLmtSz": "999999999999",
        "maxMktSz": "1000000",
        "maxLmtAmt": "20000000",
        "maxMktAmt": "1000000",
    },
}

BINANCE_ORIGIN = (
    "ccxt/ccxt ts/src/test/static/markets/binance.json (commit 0dca8ac0a3ce97d642fd9973b3121c2d6e3e3063), "
    "entries' info.filters = Binance GET /api/v3/exchangeInfo symbols[].filters"
)


def _binance(tick: str, min_price: str, max_price: str, step: str, min_qty: str, max_qty: str, mkt_max: str) -> Any:
    return {
        "PRICE_FILTER": {"minPrice": min_price, "maxPrice": max_price, "tickSize": tick},
        "LOT_SIZE": {"minQty": min_qty, "maxQty": max_qty, "stepSize": step},
        "MARKET_LOT_SIZE": {"minQty": "0.00000000", "maxQty": mkt_max, "stepSize": "0.00000000"},
        "PERCENT_PRICE_BY_SIDE": {
            "bidMultiplierUp": "5",
            "bidMultiplierDown": "0.2",
            "askMultiplierUp": "5",
            "askMultiplierDown": "0.2",
            "avgPriceMins": "5",
        },
        "NOTIONAL": {
            "minNotional": "5.00000000",
            "applyMinToMarket": True,
            "maxNotional": "9000000.00000000",
            "applyMaxToMarket": False,
            "avgPriceMins": "5",
        },
        "MAX_NUM_ORDERS": {"maxNumOrders": "200"},
    }


# symbol -> filters by filterType (every symbol's PERCENT_PRICE_BY_SIDE and NOTIONAL are the same, as recorded)
BINANCE: dict[str, dict[str, dict[str, Any]]] = {
    "BTCUSDT": _binance(
        "0.01000000", "0.01000000", "1000000.00000000", "0.00001000", "0.00001000", "9000.00000000", "128.52621715"
    ),
    "ETHUSDT": _binance(
        "0.01000000", "0.01000000", "1000000.00000000", "0.00010000", "0.00010000", "9000.00000000", "3277.54882761"
    ),
    "ADAUSDT": _binance(
        "0.00010000", "0.00010000", "1000.00000000", "0.10000000", "0.10000000", "900000.00000000", "3734056.71171548"
    ),
    "LTCUSDT": _binance(
        "0.01000000", "0.01000000", "100000.00000000", "0.00100000", "0.00100000", "90000.00000000", "20716.23115062"
    ),
    "XRPUSDT": _binance(
        "0.00010000", "0.00010000", "10000.00000000", "1.00000000", "1.00000000", "9222449.00000000", "6858819.29288702"
    ),
    "DOGEUSDT": _binance(
        "0.00001000", "0.00001000", "1000.00000000", "1.00000000", "1.00000000", "9000000.00000000", "28160624.66945606"
    ),
    "TRXUSDT": _binance(
        "0.00001000", "0.00001000", "1000.00000000", "0.10000000", "0.10000000", "9000000.00000000", "7601219.25355648"
    ),
}

BYBIT_ORIGIN = (
    "ccxt/ccxt ts/src/test/static/markets/bybit.json (commit 1f8d53ec6ee5e019956c2fd2dc204102b924716d), "
    "entries' info = Bybit GET /v5/market/instruments-info?category=spot result.list[] items"
)


def _bybit(base_p: str, quote_p: str, min_q: str, max_q: str, max_amt: str, tick: str, x: str, y: str) -> Any:
    return {
        "lotSizeFilter": {
            "basePrecision": base_p,
            "quotePrecision": quote_p,
            "minOrderQty": min_q,
            "maxOrderQty": max_q,
            "minOrderAmt": "5",
            "maxOrderAmt": max_amt,
        },
        "priceFilter": {"tickSize": tick},
        "riskParameters": {"priceLimitRatioX": x, "priceLimitRatioY": y},
    }


BYBIT: dict[str, dict[str, dict[str, str]]] = {
    "BTCUSDT": _bybit("0.000001", "0.0000001", "0.000011", "83", "8000000", "0.1", "0.01", "0.02"),
    "ETHUSDT": _bybit("0.00001", "0.0000001", "0.00029", "4616.1353715", "7000000", "0.01", "0.01", "0.03"),
    "ADAUSDT": _bybit("0.01", "0.000001", "1.07", "7591573.353578", "4000000", "0.0001", "0.05", "0.1"),
    "LTCUSDT": _bybit("0.00001", "0.0000001", "0.00923", "22975.3015508", "600000", "0.01", "0.05", "0.1"),
    "XRPUSDT": _bybit("0.01", "0.000001", "0.44", "2390343.014223", "4000000", "0.0001", "0.02", "0.06"),
    "DOGEUSDT": _bybit("0.1", "0.000001", "3", "22340128.455739", "4000000", "0.00001", "0.03", "0.06"),
    "TRXUSDT": _bybit("0.01", "0.000001", "3.91", "11125945.705385", "3000000", "0.0001", "0.03", "0.06"),
}
