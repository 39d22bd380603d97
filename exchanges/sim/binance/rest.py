"""Binance spot REST: middleware (faults, weights, bans, error bodies), public market data, account, sapi.

Order endpoints live in :mod:`exchanges.sim.binance.trade`. Every route declares its request weight;
the IP budget is Binance's 6000 per minute, answered with HTTP 429 / -1003 when spent and HTTP 418
(IP ban) when a client keeps going after 429s.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from aiohttp import web

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
from exchanges.sim.dialect_util import KEY, SERVER_KEY, Handler, RestDialect, authorize, rest_middleware

if TYPE_CHECKING:
    from exchanges.sim.binance.app import BinanceServer

PARAMS: web.RequestKey[dict[str, str]] = web.RequestKey("binance_params", dict)
routes = web.RouteTableDef()
Weight = int | Callable[[dict[str, str]], int]
API = "/api/v3"
SAPI = "/sapi/v1"
WEIGHT = "REQUEST_WEIGHT"


def server_of(request: web.Request) -> BinanceServer:
    return request.app[SERVER_KEY]


def reply(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


def error_response(e: BinanceError) -> web.Response:
    headers = {"Retry-After": "60"} if e.status in (418, 429) else None
    return web.json_response(e.body(), status=e.status, headers=headers)


def log_rejected_order(
    server: BinanceServer,
    key: str,
    params: dict[str, str],
    code: str,
    now: int | None = None,
    arrival: int | None = None,
) -> None:
    """Record a new order refused before the engine (auth, rate limit, bad params, expiry) in the order log."""
    server.engine.log_reject(
        server.now_ms() if now is None else now,
        key,
        params.get("newClientOrderId", ""),
        server.symbol_or_id(params),
        code,
        arrival,
        side=params.get("side", "").lower(),
        type=params.get("type", "").lower(),
    )


def log_rejected_request(server: BinanceServer, request: web.Request, body: str, code: str) -> None:
    params = dict(parse_qsl(request.rel_url.raw_query_string) + parse_qsl(body))
    log_rejected_order(server, request.headers.get("X-MBX-APIKEY", ""), params, code)


def refuse_banned(server: BinanceServer, request: web.Request) -> None:
    until = server.banned_until.get(str(request.remote), 0)
    if until > server.now_ms():
        raise banned(until)


PLACEMENTS = frozenset({("POST", API + "/order")})
DIALECT = RestDialect(
    name="binance",
    ws_prefixes=("/ws", "/stream"),
    errors=BinanceError,
    error_response=lambda server, e: error_response(e),
    internal_error=lambda server: reply(
        {"code": -1000, "msg": "An unknown error occurred while processing the request."}, 500
    ),
    rate_limited=TOO_MUCH_WEIGHT,
    no_permission=REJECTED_KEY,
    placements=PLACEMENTS,
    log_rejected=log_rejected_request,
    before=refuse_banned,
)
binance_middleware = rest_middleware(DIALECT)


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
                authenticate = partial(
                    authenticate_rest,
                    server.keys,
                    request.headers.get("X-MBX-APIKEY"),
                    request.rel_url.raw_query_string,
                    body,
                    params,
                    request.remote,
                    now,
                )
                authorize(DIALECT, request, body, authenticate, "trade" if security == "TRADE" else "read")
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
        return server.listed()
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


def per_symbol_reply(request: web.Request, item: Callable[[BinanceServer, str], Any]) -> web.Response:
    """``item`` for the requested symbol (an object) or symbols (a list; default every symbol)."""
    server, params = server_of(request), request[PARAMS]
    out = [item(server, s) for s in symbols_param(server, params)]
    return reply(out[0] if params.get("symbol") else out)


def _book_ticker(server: BinanceServer, symbol: str) -> dict[str, Any]:
    return fmt.book_ticker(server.market.book(server.venue, symbol), server.level_fmt(symbol))


@routes.get(API + "/ticker/bookTicker")
@endpoint(per_symbol(2, 4))
async def book_ticker(request: web.Request) -> web.Response:
    return per_symbol_reply(request, _book_ticker)


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
