"""Placing and finding orders on the simulators with stock ccxt.pro clients, per venue.

``find_by_client_id`` uses each venue's own client-id parameter (OKX ``clOrdId``, Binance
``origClientOrderId``, Bybit ``orderLinkId`` with an empty ``orderId``: ccxt would send ``orderId=None``).
``expiring`` sets the venue's own request expiry on a client: Binance/Bybit ``options.recvWindow``,
OKX the ``expTime`` header (absolute, so set it right before each placement).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ccxt.pro as ccxtpro

from exchanges.sim.harness import LoopbackExchanges

LOOKUP_PARAM = {"okx": "clOrdId", "binance": "origClientOrderId", "bybit": "orderLinkId"}
SESSION = {"bybit": {"options": {"enableUnifiedAccount": None, "enableUnifiedMargin": None}}}


def client(sim: LoopbackExchanges, venue: str, *, timeout_ms: int | None = None, window_ms: int | None = None) -> Any:
    """A stock ccxt.pro client of ``venue`` (trader key); ``window_ms`` = the venue's receive window."""
    config = sim.ccxt_config(venue)
    for k, v in SESSION.get(sim.dialect_of(venue), {}).items():
        config.setdefault(k, {}).update(v)
    if timeout_ms is not None:
        config["timeout"] = timeout_ms
    if window_ms is not None and sim.dialect_of(venue) in ("binance", "bybit"):
        config.setdefault("options", {})["recvWindow"] = window_ms
    ex = getattr(ccxtpro, sim.dialect_of(venue))(config)
    ex.sim_window_ms = window_ms
    return ex


def expiring(ex: Any, sim: LoopbackExchanges, venue: str) -> None:
    """Before a placement: OKX's ``expTime`` header = now + the client's window (others sign their window)."""
    window = getattr(ex, "sim_window_ms", None)
    if window is not None and sim.dialect_of(venue) == "okx":
        ex.headers = {**(ex.headers or {}), "expTime": str(sim.venue(venue).now_ms() + window)}


async def find_by_client_id(ex: Any, venue: str, symbol: str, client_id: str, dialect: str | None = None) -> Any:
    """The venue's order with ``client_id`` (ccxt OrderNotFound when the venue has none)."""
    dialect = dialect or venue
    param = {LOOKUP_PARAM[dialect]: client_id}
    if dialect == "bybit":
        return await ex.fetch_open_order("", symbol, param)  # realtime: open and recently closed orders
    return await ex.fetch_order(None, symbol, param)


async def marketable_buy(ex: Any, sim: LoopbackExchanges, venue: str, symbol: str, client_id: str) -> Any:
    """An IOC buy of one minimum lot-multiple 0.5% above the best ask (fills at once when it lands; inside
    every venue's price limit, e.g. Bybit BTC/USDT's 1%)."""
    await ex.load_markets()
    ask = sim.book(venue, symbol).asks[0][0]
    price = float(ex.price_to_precision(symbol, float(ask * Decimal("1.005"))))
    amount = float(ex.amount_to_precision(symbol, 0.001))
    expiring(ex, sim, venue)
    params = {"timeInForce": "IOC", "clientOrderId": client_id}
    return await ex.create_order(symbol, "limit", "buy", amount, price, params)
