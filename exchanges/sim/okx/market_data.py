"""OKX v5 public trades and 24 h tickers: ``GET /api/v5/market/trades`` (and ``history-trades``), the WS
``trades`` channel's frames, and ``market/ticker(s)`` values from the trade tape.

Field names as OKX documents and ccxt's okx parser reads them: ``instId, tradeId, px, sz, side, ts,
count`` (side = the taker's side); tickers carry ``last``/``lastSz`` of the last trade and ``open24h``,
``high24h``, ``low24h``, ``vol24h`` (base), ``volCcy24h`` (quote) over the last 24 h.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from exchanges.sim.dialect_util import dec
from exchanges.sim.okx.format import inst_id
from exchanges.sim.okx.rest import P, bad_param, public, query_symbol, reply, server_of
from exchanges.sim.tape import PublicTrade, Stats

if TYPE_CHECKING:
    from exchanges.sim.book import VenueBook

routes = web.RouteTableDef()


def trade(t: PublicTrade) -> dict[str, str]:
    return {
        "instId": inst_id(t.symbol),
        "side": t.side,
        "sz": dec(t.amount),
        "px": dec(t.price),
        "source": "0",
        "tradeId": t.trade_id,
        "ts": str(t.ts_ms),
        "count": "1",
    }


def trades_push(t: PublicTrade) -> dict[str, Any]:
    return {"arg": {"channel": "trades", "instId": inst_id(t.symbol)}, "data": [trade(t)]}


def ticker(book: VenueBook, s: Stats, ts_ms: int) -> dict[str, Any]:
    bids, asks = book.sorted_levels("bid")[:1], book.sorted_levels("ask")[:1]
    g = book.grid
    bid = (g.price_str(bids[0][0]), g.size_str(bids[0][1])) if bids else ("", "")
    ask = (g.price_str(asks[0][0]), g.size_str(asks[0][1])) if asks else ("", "")
    return {
        "instType": "SPOT",
        "instId": inst_id(book.symbol),
        "last": dec(s.last),
        "lastSz": dec(s.last_size),
        "askPx": ask[0],
        "askSz": ask[1],
        "bidPx": bid[0],
        "bidSz": bid[1],
        "open24h": dec(s.open),
        "high24h": dec(s.high),
        "low24h": dec(s.low),
        "volCcy24h": dec(s.quote_volume),
        "vol24h": dec(s.volume),
        "ts": str(ts_ms),
        "sodUtc0": dec(s.open),
        "sodUtc8": dec(s.open),
    }


def _limit(request: web.Request, default: int, most: int) -> int:
    try:
        limit = int(request.query.get("limit", str(default)))
    except ValueError:
        raise bad_param("limit") from None
    return max(1, min(limit, most))


@routes.get(P + "/market/trades")
@public("market/trades")
async def market_trades(request: web.Request) -> web.Response:
    server, symbol = server_of(request), query_symbol(request)
    return reply([trade(t) for t in server.engine.tape.trades(symbol, _limit(request, 100, 500))])


@routes.get(P + "/market/history-trades")
@public("market/history-trades")
async def market_history_trades(request: web.Request) -> web.Response:
    server, symbol = server_of(request), query_symbol(request)
    return reply([trade(t) for t in server.engine.tape.trades(symbol, _limit(request, 100, 100))])
