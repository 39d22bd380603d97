"""Binance spot public trades and 24 h tickers from the venue's trade tape.

REST ``GET /api/v3/aggTrades`` (ccxt's default for ``fetch_trades``: ``a, p, q, f, l, T, m, M``) and
``GET /api/v3/trades`` (``id, price, qty, quoteQty, time, isBuyerMaker, isBestMatch``); the
``<symbol>@trade`` stream's events (``e: trade, E, s, t, p, q, T, m, M``); ``/api/v3/ticker/24hr`` and
``/ticker/price`` with the last trade price and the 24 h open/high/low/volume.
``m`` / ``isBuyerMaker`` is true when the taker sold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from exchanges.sim.binance import format as fmt
from exchanges.sim.binance.rest import (
    API,
    PARAMS,
    endpoint,
    int_param,
    per_symbol,
    per_symbol_reply,
    reply,
    server_of,
    symbol_param,
)
from exchanges.sim.tape import PublicTrade

if TYPE_CHECKING:
    from exchanges.sim.binance.app import BinanceServer

routes = web.RouteTableDef()


def agg_trade(t: PublicTrade) -> dict[str, Any]:
    tid = int(t.trade_id)
    return {
        "a": tid,
        "p": fmt.n8(t.price),
        "q": fmt.n8(t.amount),
        "f": tid,
        "l": tid,
        "T": t.ts_ms,
        "m": t.side == "sell",
        "M": True,
    }


def trade(t: PublicTrade) -> dict[str, Any]:
    return {
        "id": int(t.trade_id),
        "price": fmt.n8(t.price),
        "qty": fmt.n8(t.amount),
        "quoteQty": fmt.n8(t.price * t.amount),
        "time": t.ts_ms,
        "isBuyerMaker": t.side == "sell",
        "isBestMatch": True,
    }


def trade_event(t: PublicTrade, event_ms: int) -> dict[str, Any]:
    return {
        "e": "trade",
        "E": event_ms,
        "s": fmt.symbol_id(t.symbol),
        "t": int(t.trade_id),
        "p": fmt.n8(t.price),
        "q": fmt.n8(t.amount),
        "T": t.ts_ms,
        "m": t.side == "sell",
        "M": True,
    }


def ticker_24hr(server: BinanceServer, symbol: str) -> dict[str, Any]:
    book, now = server.market.book(server.venue, symbol), server.now_ms()
    bid, ask = fmt.top(book, server.level_fmt(symbol))
    s = server.ticker_stats(symbol)
    window = server.engine.tape.trades(symbol, s.trades) if s.trades else []
    change = s.last - s.open
    return {
        "symbol": fmt.symbol_id(symbol),
        "priceChange": fmt.n8(change),
        "priceChangePercent": f"{change / s.open * 100:.3f}" if s.open else "0.000",
        "weightedAvgPrice": fmt.n8(s.quote_volume / s.volume if s.volume else s.last),
        "prevClosePrice": fmt.n8(s.open),
        "lastPrice": fmt.n8(s.last),
        "lastQty": fmt.n8(s.last_size),
        "bidPrice": bid[0],
        "bidQty": bid[1],
        "askPrice": ask[0],
        "askQty": ask[1],
        "openPrice": fmt.n8(s.open),
        "highPrice": fmt.n8(s.high),
        "lowPrice": fmt.n8(s.low),
        "volume": fmt.n8(s.volume),
        "quoteVolume": fmt.n8(s.quote_volume),
        "openTime": now - 86_400_000,
        "closeTime": now,
        "firstId": int(window[-1].trade_id) if window else -1,
        "lastId": int(window[0].trade_id) if window else -1,
        "count": s.trades,
    }


def _recent(request: web.Request) -> list[PublicTrade]:
    server, params = server_of(request), request[PARAMS]
    symbol = symbol_param(server, params)
    assert symbol is not None
    limit = max(1, min(int_param(params, "limit", 500) or 500, 1000))
    return list(reversed(server.engine.tape.trades(symbol, limit)))  # Binance lists oldest first


@routes.get(API + "/aggTrades")
@endpoint(4)
async def agg_trades(request: web.Request) -> web.Response:
    return reply([agg_trade(t) for t in _recent(request)])


@routes.get(API + "/trades")
@endpoint(25)
async def trades(request: web.Request) -> web.Response:
    return reply([trade(t) for t in _recent(request)])


@routes.get(API + "/ticker/24hr")
@endpoint(per_symbol(2, 80))
async def ticker_24hr_route(request: web.Request) -> web.Response:
    return per_symbol_reply(request, ticker_24hr)


@routes.get(API + "/ticker/price")
@endpoint(per_symbol(2, 4))
async def ticker_price(request: web.Request) -> web.Response:
    return per_symbol_reply(
        request, lambda server, s: {"symbol": fmt.symbol_id(s), "price": fmt.n8(server.ticker_stats(s).last)}
    )
