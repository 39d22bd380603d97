"""Binance spot REST: middleware (faults, weights, bans, error bodies), public market data, account, sapi.

Order endpoints live in :mod:`exchanges.sim.binance.trade`. Every route declares its request weight;
the IP budget is Binance's 6000 per minute, answered with HTTP 429 / -1003 when spent and HTTP 418
(IP ban) when a client keeps going after 429s.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from aiohttp import web

from exchanges.sim.base import ApiKey
from exchanges.sim.binance import format as fmt
from exchanges.sim.binance.auth import (
    DUPLICATE_PARAM,
    INT_RE,
    INVALID_SYMBOL,
    REJECTED_KEY,
    TOO_MUCH_WEIGHT,
    BinanceError,
    authenticate_rest,
    banned,
    illegal,
    mandatory,
)

if TYPE_CHECKING:
    from exchanges.sim.binance.app import BinanceServer

log = logging.getLogger(__name__)

SERVER_KEY: web.AppKey[Any] = web.AppKey("binance_server")
PARAMS: web.RequestKey[dict[str, str]] = web.RequestKey("binance_params", dict)
KEY: web.RequestKey[ApiKey] = web.RequestKey("binance_key", ApiKey)
routes = web.RouteTableDef()
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Weight = int | Callable[[dict[str, str]], int]
API = "/api/v3"
SAPI = "/sapi/v1"
WEIGHT = "REQUEST_WEIGHT"


def server_of(request: web.Request) -> BinanceServer:
    return request.app[SERVER_KEY]  # type: ignore[no-any-return]


def reply(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


def error_response(e: BinanceError) -> web.Response:
    headers = {"Retry-After": "60"} if e.status in (418, 429) else None
    return web.json_response(e.body(), status=e.status, headers=headers)


@web.middleware
async def binance_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Faults, bans, uniform error bodies and request logging for every REST call."""
    if request.path.startswith("/ws") or request.path.startswith("/stream"):
        return await handler(request)
    server = server_of(request)
    f = server.faults
    started = time.monotonic()
    try:
        until = server.banned_until.get(str(request.remote), 0)
        if until > server.now_ms():
            raise banned(until)
        if f.take_rate_limit_burst():
            raise TOO_MUCH_WEIGHT
        if f.chance(f.rest_timeout_rate):
            await asyncio.sleep(f.rest_timeout_ms / 1000)
        if f.chance(f.rest_5xx_rate):  # a gateway answering for an overloaded backend
            resp: web.StreamResponse = web.Response(
                status=503,
                text="<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
                content_type="text/html",
            )
        else:
            resp = await handler(request)
    except BinanceError as e:
        resp = error_response(e)
    except web.HTTPException as e:
        resp = web.Response(status=e.status, text=e.reason)
    except Exception:
        log.exception("sim.binance.rest_error path=%s", request.path)
        resp = reply({"code": -1000, "msg": "An unknown error occurred while processing the request."}, 500)
    server.log_request(
        ts_ms=server.now_ms(),
        method=request.method,
        path=request.path_qs,
        status=resp.status,
        ms=round((time.monotonic() - started) * 1000, 3),
    )
    return resp


async def read_params(request: web.Request) -> tuple[dict[str, str], str]:
    """Query string plus form body as one dict (Binance's totalParams); duplicate names are -1101."""
    body = await request.text() if request.can_read_body else ""
    out: dict[str, str] = {}
    pairs = parse_qsl(request.rel_url.raw_query_string, keep_blank_values=True)
    pairs += parse_qsl(body, keep_blank_values=True)
    for name, value in pairs:
        if name in out:
            raise DUPLICATE_PARAM
        out[name] = value
    return out, body


def endpoint(weight: Weight, security: str = "NONE") -> Callable[[Handler], Handler]:
    """Charge the IP weight, then (``USER_DATA``/``TRADE``) verify key, timestamp and signature."""

    def deco(fn: Handler) -> Handler:
        async def wrapper(request: web.Request) -> web.StreamResponse:
            server = server_of(request)
            params, body = await read_params(request)
            request[PARAMS] = params
            now = server.now_ms()
            cost = weight(params) if callable(weight) else weight
            ip = str(request.remote)
            if server.throttled_until.get(ip, 0) > now or not server.limiter.allow(f"ip:{ip}", WEIGHT, now, cost):
                server.note_rate_limited(ip, now)
                raise TOO_MUCH_WEIGHT
            if security != "NONE":
                try:
                    key = authenticate_rest(
                        server.keys,
                        request.headers.get("X-MBX-APIKEY"),
                        request.rel_url.raw_query_string,
                        body,
                        params,
                        request.remote,
                        now,
                    )
                    if ("trade" if security == "TRADE" else "read") not in key.permissions:
                        raise REJECTED_KEY
                except BinanceError as e:
                    if request.method == "POST" and request.path == API + "/order":
                        server.engine.log_reject(
                            now,
                            request.headers.get("X-MBX-APIKEY", ""),
                            params.get("newClientOrderId", ""),
                            server.symbol_or_id(params),
                            str(e.code),
                            side=params.get("side", "").lower(),
                            type=params.get("type", "").lower(),
                        )
                    raise
                request[KEY] = key
            return await fn(request)

        return wrapper

    return deco


def symbol_param(server: BinanceServer, params: dict[str, str], *, required: bool = True) -> str | None:
    sid = params.get("symbol", "")
    if not sid:
        if required:
            raise mandatory("symbol")
        return None
    symbol = server.symbols_by_id.get(sid)
    if symbol is None:
        raise INVALID_SYMBOL
    return symbol


def int_param(params: dict[str, str], name: str, default: int | None = None) -> int | None:
    text = params.get(name)
    if text is None or text == "":
        return default
    if not INT_RE.match(text):
        raise illegal(name, INT_RE.pattern)
    return int(text)


def symbols_param(server: BinanceServer, params: dict[str, str]) -> list[str]:
    """``symbol`` or ``symbols=["A","B"]`` (JSON array), default every symbol."""
    one = symbol_param(server, params, required=False)
    if one:
        return [one]
    raw = params.get("symbols")
    if not raw:
        return list(server.market.symbols)
    names = [s.strip().strip('"') for s in raw.strip().strip("[]").split(",") if s.strip()]
    if not names:
        raise illegal("symbols", '^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$')
    out = []
    for name in names:
        if name not in server.symbols_by_id:
            raise INVALID_SYMBOL
        out.append(server.symbols_by_id[name])
    return out


def depth_weight(params: dict[str, str]) -> int:
    try:
        limit = int(params.get("limit", "100"))
    except ValueError:
        return 5
    return 5 if limit <= 100 else 25 if limit <= 500 else 50 if limit <= 1000 else 250


def per_symbol(one: int, every: int) -> Callable[[dict[str, str]], int]:
    return lambda params: one if params.get("symbol") else every


# ------------------------------------------------------------------------------- public
@routes.get(API + "/ping")
@endpoint(1)
async def ping(request: web.Request) -> web.Response:
    return reply({})


@routes.get(API + "/time")
@endpoint(1)
async def server_time(request: web.Request) -> web.Response:
    return reply({"serverTime": server_of(request).now_ms()})


@routes.get(API + "/exchangeInfo")
@endpoint(20)
async def exchange_info(request: web.Request) -> web.Response:
    server = server_of(request)
    symbols = symbols_param(server, request[PARAMS])
    infos = [
        fmt.symbol_info(server.market.spec(server.venue, s), server.symbol_status.get(s, "TRADING")) for s in symbols
    ]
    return reply(fmt.exchange_info(infos, server.now_ms()))


@routes.get(API + "/depth")
@endpoint(depth_weight)
async def depth(request: web.Request) -> web.Response:
    server = server_of(request)
    params = request[PARAMS]
    symbol = symbol_param(server, params)
    assert symbol is not None
    limit = int_param(params, "limit", 100) or 100
    book = server.market.book(server.venue, symbol)
    return reply(fmt.depth(book, server.level_fmt(symbol), min(limit, 5000)))


@routes.get(API + "/ticker/24hr")
@endpoint(per_symbol(2, 80))
async def ticker_24hr(request: web.Request) -> web.Response:
    server = server_of(request)
    params = request[PARAMS]
    symbols = symbols_param(server, params)
    now = server.now_ms()
    out = [fmt.ticker_24hr(server.market.book(server.venue, s), server.level_fmt(s), now) for s in symbols]
    return reply(out[0] if params.get("symbol") else out)


@routes.get(API + "/ticker/bookTicker")
@endpoint(per_symbol(2, 4))
async def book_ticker(request: web.Request) -> web.Response:
    server = server_of(request)
    params = request[PARAMS]
    out = [
        fmt.book_ticker(server.market.book(server.venue, s), server.level_fmt(s)) for s in symbols_param(server, params)
    ]
    return reply(out[0] if params.get("symbol") else out)


@routes.get(API + "/ticker/price")
@endpoint(per_symbol(2, 4))
async def ticker_price(request: web.Request) -> web.Response:
    server = server_of(request)
    params = request[PARAMS]
    out = [
        {
            "symbol": fmt.symbol_id(s),
            "price": fmt.book_ticker(server.market.book(server.venue, s), server.level_fmt(s))["bidPrice"],
        }
        for s in symbols_param(server, params)
    ]
    return reply(out[0] if params.get("symbol") else out)


@routes.get(SAPI + "/system/status")
@endpoint(1)
async def system_status(request: web.Request) -> web.Response:
    return reply({"status": 0, "msg": "normal"})


# ------------------------------------------------------------------------------- account
@routes.get(API + "/account")
@endpoint(20, "USER_DATA")
async def account(request: web.Request) -> web.Response:
    server, key = server_of(request), request[KEY]
    acct = server.engine.account(key.account)
    body = fmt.account(
        acct,
        "trade" in key.permissions,
        "withdraw" in key.permissions,
        server.engine.maker_fee,
        server.engine.taker_fee,
        server.now_ms(),
    )
    if request[PARAMS].get("omitZeroBalances") == "true":
        body["balances"] = [b for b in body["balances"] if b["free"] != fmt.ZERO8 or b["locked"] != fmt.ZERO8]
    return reply(body)


@routes.get(SAPI + "/asset/tradeFee")
@endpoint(1, "USER_DATA")
async def trade_fee(request: web.Request) -> web.Response:
    server = server_of(request)
    symbols = [s for s in [symbol_param(server, request[PARAMS], required=False)] if s] or server.market.symbols
    return reply([fmt.trade_fee(s, server.engine.maker_fee, server.engine.taker_fee) for s in symbols])


@routes.get(SAPI + "/account/apiRestrictions")
@endpoint(1, "USER_DATA")
async def api_restrictions(request: web.Request) -> web.Response:
    server, key = server_of(request), request[KEY]
    return reply(fmt.api_restrictions(key.permissions, key.ip_whitelist, server.started_ms))
