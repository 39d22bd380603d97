"""OKX v5 REST plumbing (middleware, auth/rate-limit decorators) and public + account routes.

Trading routes live in :mod:`exchanges.sim.okx.trade`. Errors use OKX's real codes and HTTP statuses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from aiohttp import web

from exchanges.sim.base import ApiKey
from exchanges.sim.dialect_util import BODY, KEY, SERVER_KEY, Handler, RestDialect, authorize, rest_middleware
from exchanges.sim.okx import format as fmt
from exchanges.sim.okx.auth import (
    NO_PERMISSION,
    RATE_LIMITED,
    UNAVAILABLE,
    OkxError,
    authenticate_rest,
    bad_param,
    missing_param,
)

if TYPE_CHECKING:
    from exchanges.sim.okx.app import OkxServer

routes = web.RouteTableDef()
P = "/api/v5"
INST_TYPES = ("SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION")


def reply(data: list[Any], status: int = 200, code: str = "0", msg: str = "", **extra: Any) -> web.Response:
    return web.json_response({"code": code, "data": data, "msg": msg, **extra}, status=status)


def server_of(request: web.Request) -> OkxServer:
    return request.app[SERVER_KEY]


def error_response(server: OkxServer, e: OkxError) -> web.Response:
    return web.json_response(e.body(), status=e.status)


def http_error(e: web.HTTPException) -> web.Response:
    if isinstance(e, web.HTTPMethodNotAllowed):
        return web.json_response({"code": "50115", "data": [], "msg": "Invalid request method."}, status=405)
    return web.json_response({"code": str(e.status), "msg": e.reason}, status=e.status)


def internal_error(server: OkxServer) -> web.Response:
    return web.json_response({"code": "50026", "data": [], "msg": "System error. Try again later."}, status=500)


def log_rejected_orders(server: OkxServer, request: web.Request, body: str, code: str) -> None:
    """Record the order(s) of a placement refused before the engine (auth, rate limit) in the order log."""
    try:
        parsed = json.loads(body) if body else []
    except ValueError:
        parsed = []
    items = parsed if isinstance(parsed, list) else [parsed]
    for p in items or [{}]:
        p = p if isinstance(p, dict) else {}
        server.engine.log_reject(
            server.now_ms(),
            request.headers.get("OK-ACCESS-KEY", ""),
            str(p.get("clOrdId", "")),
            str(p.get("instId", "")),
            code,
            side=p.get("side", ""),
            type=p.get("ordType", ""),
        )


PLACEMENTS = frozenset({("POST", P + "/trade/order"), ("POST", P + "/trade/batch-orders")})
DIALECT = RestDialect(
    name="okx",
    ws_prefixes=("/ws/",),
    errors=OkxError,
    error_response=error_response,
    internal_error=internal_error,
    rate_limited=RATE_LIMITED,
    no_permission=NO_PERMISSION,
    placements=PLACEMENTS,
    log_rejected=log_rejected_orders,
    http_error=http_error,
    unavailable=lambda: web.json_response(UNAVAILABLE.body(), status=UNAVAILABLE.status),
)
okx_middleware = rest_middleware(DIALECT)


def public(endpoint: str) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        async def wrapper(request: web.Request) -> web.StreamResponse:
            server = server_of(request)
            if not server.limiter.allow(f"ip:{request.remote}", endpoint, server.now_ms()):
                raise RATE_LIMITED
            return await fn(request)

        return wrapper

    return deco


def private(endpoint: str, permission: str) -> Callable[[Handler], Handler]:
    """Verify the signature, the key's permission and its per-key rate limit, then run the handler."""

    def deco(fn: Handler) -> Handler:
        async def wrapper(request: web.Request) -> web.StreamResponse:
            server = server_of(request)
            body = await request.text()
            request[BODY] = body
            authenticate = partial(
                authenticate_rest,
                server.keys,
                request.headers,
                request.method,
                request.raw_path,
                body,
                request.remote,
                server.now_ms(),
            )
            authorize(DIALECT, request, body, authenticate, permission, endpoint)
            return await fn(request)

        return wrapper

    return deco


def json_body(request: web.Request) -> Any:
    body = request[BODY]
    if not body:
        raise OkxError(400, "50000", "Body can not be empty.")
    try:
        return json.loads(body)
    except ValueError:
        raise OkxError(400, "50002", "Json data format error") from None


def symbol_of(server: OkxServer, inst: str | None, *, required: bool = True) -> str | None:
    if not inst:
        if required:
            raise missing_param("instId")
        return None
    if not isinstance(inst, str):
        raise bad_param("instId")
    symbol = inst.replace("-", "/")
    if symbol not in server.market.symbols:
        raise OkxError(200, "51001", "Instrument ID does not exist.")
    return symbol


def query_symbol(request: web.Request) -> str:
    """The symbol of the required ``instId`` query parameter."""
    symbol = symbol_of(server_of(request), request.query.get("instId"))
    assert symbol is not None
    return symbol


def inst_type_of(query: Any, *, known_only: bool = True) -> str:
    """The required ``instType``; ``known_only``: one of OKX's types, else 51000."""
    inst_type = query.get("instType")
    if not inst_type:
        raise missing_param("instType")
    if known_only and inst_type not in INST_TYPES:
        raise bad_param("instType")
    return str(inst_type)


# ------------------------------------------------------------------------------- public
@routes.get(P + "/public/time")
@public("public/time")
async def public_time(request: web.Request) -> web.Response:
    return reply([{"ts": str(server_of(request).now_ms())}])


@routes.get(P + "/system/status")
@public("system/status")
async def system_status(request: web.Request) -> web.Response:
    return reply([])


@routes.get(P + "/public/instruments")
@public("public/instruments")
async def instruments(request: web.Request) -> web.Response:
    server = server_of(request)
    if inst_type_of(request.query) != "SPOT":
        return reply([])
    only = symbol_of(server, request.query.get("instId"), required=False)
    specs = [server.market.spec(server.venue, s) for s in server.listed() if only in (None, s)]
    return reply([fmt.instrument(s, server.instrument_state.get(s.symbol, "live")) for s in specs])


@routes.get(P + "/market/ticker")
@public("market/ticker")
async def ticker(request: web.Request) -> web.Response:
    return reply([server_of(request).ticker(query_symbol(request))])


@routes.get(P + "/market/tickers")
@public("market/tickers")
async def tickers(request: web.Request) -> web.Response:
    server = server_of(request)
    if inst_type_of(request.query, known_only=False) != "SPOT":
        return reply([])
    return reply([server.ticker(s) for s in server.listed()])


@routes.get(P + "/market/books")
@public("market/books")
async def books(request: web.Request) -> web.Response:
    server, symbol = server_of(request), query_symbol(request)
    try:
        depth = int(request.query.get("sz", "1"))
    except ValueError:
        raise bad_param("sz") from None
    book = server.market.book(server.venue, symbol)
    bids, asks = fmt.book_levels(book, max(1, min(depth, 400)))
    return reply([{"asks": asks, "bids": bids, "ts": str(server.now_ms())}])


# ------------------------------------------------------------------------------- account
@routes.get(P + "/account/balance")
@private("account/balance", "read")
async def account_balance(request: web.Request) -> web.Response:
    server, key = server_of(request), request[KEY]
    ccys = {c for c in request.query.get("ccy", "").split(",") if c} or None
    acct = server.engine.account(key.account)
    return reply([fmt.balance(acct, server.usd_prices(), server.now_ms(), ccys)])


@routes.get(P + "/account/trade-fee")
@private("account/trade-fee", "read")
async def account_trade_fee(request: web.Request) -> web.Response:
    server = server_of(request)
    inst_type_of(request.query)
    symbol_of(server, request.query.get("instId"), required=False)
    return reply([fmt.trade_fee(server.engine.maker_fee, server.engine.taker_fee, server.now_ms())])


@routes.get(P + "/account/config")
@private("account/config", "read")
async def account_config(request: web.Request) -> web.Response:
    key: ApiKey = request[KEY]
    return reply([fmt.account_config(key.permissions, key.ip_whitelist, key.label or key.key)])
