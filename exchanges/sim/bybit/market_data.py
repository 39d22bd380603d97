"""Bybit v5 public trades, 24 h tickers, coin info and system status.

``GET /v5/market/recent-trade`` (``execId, symbol, price, size, side, time, isBlockTrade``; ``side`` =
the taker's), the ``publicTrade.{symbol}`` topic's frames (``T, s, S, v, p, L, i, BT``), tickers with
``lastPrice`` of the last trade and 24 h ``prevPrice24h``/``highPrice24h``/``lowPrice24h``/``volume24h``
/``turnover24h``; ``GET /v5/asset/coin/query-info`` (``rows[].chains[]``: ``chainDeposit``/
``chainWithdraw`` follow the venue's :class:`~exchanges.sim.wallets.Wallets` switch, ``withdrawFee``,
``withdrawMin``, ``depositMin``, ``minAccuracy``, ``confirmation``, ``safeConfirmNumber``);
``GET /v5/system/status`` (no maintenance: an empty ``list``).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from exchanges.sim.book import VenueBook
from exchanges.sim.bybit.format import levels, symbol_id
from exchanges.sim.bybit.rest import KEY, P, category_of, int_of, private, public, reply, server_of, symbol_of
from exchanges.sim.dialect_util import dec
from exchanges.sim.tape import PublicTrade, Stats
from exchanges.sim.wallets import Network

routes = web.RouteTableDef()


def trade(t: PublicTrade) -> dict[str, Any]:
    return {
        "execId": t.trade_id,
        "symbol": symbol_id(t.symbol),
        "price": dec(t.price),
        "size": dec(t.amount),
        "side": t.side.capitalize(),
        "time": str(t.ts_ms),
        "isBlockTrade": False,
        "isRPITrade": False,
    }


def trade_message(t: PublicTrade, ts: int) -> dict[str, Any]:
    data = {
        "T": t.ts_ms,
        "s": symbol_id(t.symbol),
        "S": t.side.capitalize(),
        "v": dec(t.amount),
        "p": dec(t.price),
        "L": "",
        "i": t.trade_id,
        "BT": False,
        "RPI": False,
    }
    return {"topic": f"publicTrade.{symbol_id(t.symbol)}", "type": "snapshot", "ts": ts, "data": [data]}


def ticker(book: VenueBook, s: Stats) -> dict[str, str]:
    bids, asks = levels(book, "bid", 1), levels(book, "ask", 1)
    bid = bids[0] if bids else ["", ""]
    ask = asks[0] if asks else ["", ""]
    return {
        "symbol": symbol_id(book.symbol),
        "bid1Price": bid[0],
        "bid1Size": bid[1],
        "ask1Price": ask[0],
        "ask1Size": ask[1],
        "lastPrice": dec(s.last),
        "prevPrice24h": dec(s.open),
        "price24hPcnt": f"{(s.last - s.open) / s.open:.4f}" if s.open else "0",
        "highPrice24h": dec(s.high),
        "lowPrice24h": dec(s.low),
        "turnover24h": dec(s.quote_volume),
        "volume24h": dec(s.volume),
        "usdIndexPrice": dec(s.last),
    }


def coin_chain(n: Network) -> dict[str, Any]:
    _okx, _binance, chain, chain_type, _name = n.ids()
    decimals = max(0, -n.withdraw_step.normalize().as_tuple().exponent)  # type: ignore[operator]
    return {
        "chainType": chain_type,
        "confirmation": str(n.deposit_confirmations),
        "withdrawFee": dec(n.withdraw_fee),
        "depositMin": dec(n.withdraw_min / 2),
        "withdrawMin": dec(n.withdraw_min),
        "chain": chain,
        "chainDeposit": "1" if n.deposit_enabled else "0",
        "chainWithdraw": "1" if n.withdraw_enabled else "0",
        "minAccuracy": str(decimals),
        "withdrawPercentageFee": "0",
        "contractAddress": "",
        "safeConfirmNumber": str(n.withdraw_confirmations),
    }


@routes.get(P + "/market/recent-trade")
@public("market/recent-trade")
async def recent_trade(request: web.Request) -> web.Response:
    server = server_of(request)
    category = category_of(request.query)
    symbol = symbol_of(server, request.query)
    assert symbol is not None
    limit = int_of(request.query, "limit", 60, 1, 60)
    items = [trade(t) for t in server.engine.tape.trades(symbol, limit)]
    return reply(server, {"category": category, "list": items})


@routes.get(P + "/market/tickers")
@public("market/tickers")
async def tickers(request: web.Request) -> web.Response:
    server = server_of(request)
    category = category_of(request.query)
    if category != "spot":
        return reply(server, {"category": category, "list": []})
    only = symbol_of(server, request.query, required=False)
    items = [
        ticker(server.market.book(server.venue, s), server.ticker_stats(s))
        for s in server.listed()
        if only in (None, s)
    ]
    return reply(server, {"category": "spot", "list": items})


@routes.get(P + "/asset/coin/query-info")
@private("asset/coin/query-info", "read")
async def coin_query_info(request: web.Request) -> web.Response:
    server, key = server_of(request), request[KEY]
    acct, only = server.engine.account(key.account), request.query.get("coin")
    rows = [
        {"name": ccy, "coin": ccy, "remainAmount": dec(acct.free(ccy)), "chains": [coin_chain(n) for n in nets]}
        for ccy, nets in server.wallets.networks.items()
        if not only or ccy == only
    ]
    return reply(server, {"rows": rows})


@routes.get(P + "/system/status")
@public("system/status")
async def system_status(request: web.Request) -> web.Response:
    return reply(server_of(request), {"list": []})
