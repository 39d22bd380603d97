"""Bybit v5 REST: middleware (faults, error envelope, logging), market data, account and API key info.

Order endpoints live in :mod:`exchanges.sim.bybit.trade`. Public routes are limited per IP (600 per 5 s,
answered with HTTP 403 as Bybit's gateway does); private routes per key and endpoint (retCode 10006).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from aiohttp import web

from exchanges.sim.bybit import format as fmt
from exchanges.sim.bybit.auth import (
    MALFORMED_JSON,
    NO_PERMISSION,
    TOO_MANY_VISITS,
    BybitError,
    authenticate_rest,
    param_error,
)
from exchanges.sim.dialect_util import BODY, KEY, SERVER_KEY, Handler, RestDialect, authorize, rest_middleware

if TYPE_CHECKING:
    from exchanges.sim.bybit.app import BybitServer

routes = web.RouteTableDef()
P = "/v5"
CATEGORIES = ("spot", "linear", "inverse", "option")
IP_LIMIT = "ip"


def server_of(request: web.Request) -> BybitServer:
    return request.app[SERVER_KEY]


def reply(server: BybitServer, result: Any) -> web.Response:
    return web.json_response(fmt.ok(result, server.now_ms()))


def error_response(server: BybitServer, e: BybitError) -> web.Response:
    return web.json_response(e.body(server.now_ms()), status=e.status)


def internal_error(server: BybitServer) -> web.Response:
    return web.json_response(BybitError(10016, "Internal server error.").body(server.now_ms()))


def log_rejected_order(server: BybitServer, request: web.Request, body: str, code: str) -> None:
    server.log_rejected_order(request.headers.get("X-BAPI-API-KEY", ""), body, code)


PLACEMENTS = frozenset({("POST", P + "/order/create")})
DIALECT = RestDialect(
    name="bybit",
    ws_prefixes=(P + "/public", P + "/private", P + "/trade"),
    errors=BybitError,
    error_response=error_response,
    internal_error=internal_error,
    rate_limited=TOO_MANY_VISITS,
    no_permission=NO_PERMISSION,
    placements=PLACEMENTS,
    log_rejected=log_rejected_order,
)
bybit_middleware = rest_middleware(DIALECT)


def public(endpoint: str) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        async def wrapper(request: web.Request) -> web.StreamResponse:
            server = server_of(request)
            if not server.limiter.allow(f"ip:{request.remote}", IP_LIMIT, server.now_ms()):
                return web.Response(status=403, text="access too frequent")
            return await fn(request)

        return wrapper

    return deco


def private(endpoint: str, permission: str) -> Callable[[Handler], Handler]:
    """Verify the signature, the key's permission and the per-key limit, then run the handler."""

    def deco(fn: Handler) -> Handler:
        async def wrapper(request: web.Request) -> web.StreamResponse:
            server = server_of(request)
            if not server.limiter.allow(f"ip:{request.remote}", IP_LIMIT, server.now_ms()):
                return web.Response(status=403, text="access too frequent")
            body = await request.text() if request.method == "POST" else ""
            request[BODY] = body
            payload = body if request.method == "POST" else request.rel_url.raw_query_string
            authenticate = partial(
                authenticate_rest, server.keys, request.headers, payload, request.remote, server.now_ms()
            )
            authorize(DIALECT, request, body, authenticate, permission, endpoint)
            return await fn(request)

        return wrapper

    return deco


def json_body(request: web.Request) -> dict[str, Any]:
    try:
        parsed = json.loads(request[BODY]) if request[BODY] else None
    except ValueError:
        raise MALFORMED_JSON from None
    if not isinstance(parsed, dict):
        raise MALFORMED_JSON
    return parsed


def category_of(params: Any, *, required: bool = True) -> str | None:
    category = params.get("category")
    if not category:
        if required:
            raise param_error("category is required")
        return None
    if category not in CATEGORIES:
        raise param_error("Illegal category")
    return str(category)


def symbol_of(server: BybitServer, params: Any, *, required: bool = True) -> str | None:
    sid = params.get("symbol")
    if not sid:
        if required:
            raise param_error("symbol is required")
        return None
    symbol = server.symbols_by_id.get(str(sid))
    if symbol is None:
        raise param_error("symbol invalid")
    return symbol


def int_of(params: Any, name: str, default: int, lo: int, hi: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise param_error(f"{name} invalid") from None
    if not lo <= value <= hi:
        raise param_error(f"{name} invalid")
    return value


# ------------------------------------------------------------------------------- market
@routes.get(P + "/market/time")
@public("market/time")
async def market_time(request: web.Request) -> web.Response:
    server = server_of(request)
    now = server.now_ms()
    return reply(server, {"timeSecond": str(now // 1000), "timeNano": str(now * 1_000_000)})


@routes.get(P + "/market/instruments-info")
@public("market/instruments-info")
async def instruments_info(request: web.Request) -> web.Response:
    server = server_of(request)
    category = category_of(request.query)
    if category != "spot":
        return reply(server, {"category": category, "list": [], "nextPageCursor": ""})
    only = symbol_of(server, request.query, required=False)
    items = [
        fmt.instrument(server.market.spec(server.venue, s), server.symbol_status.get(s, "Trading"))
        for s in server.listed()
        if only in (None, s)
    ]
    status = request.query.get("status")
    if status:
        items = [i for i in items if i["status"] == status]
    return reply(server, {"category": "spot", "list": items})


@routes.get(P + "/market/orderbook")
@public("market/orderbook")
async def orderbook(request: web.Request) -> web.Response:
    server = server_of(request)
    category = category_of(request.query)
    symbol = symbol_of(server, request.query)
    assert symbol is not None
    if category != "spot":
        raise param_error("symbol invalid")
    depth = int_of(request.query, "limit", 1, 1, 200)
    book = server.market.book(server.venue, symbol)
    return reply(server, fmt.rest_orderbook(book, depth, server.now_ms(), server.update_id(symbol)))


# ------------------------------------------------------------------------------- account
@routes.get(P + "/account/wallet-balance")
@private("account/wallet-balance", "read")
async def wallet_balance(request: web.Request) -> web.Response:
    server, key = server_of(request), request[KEY]
    account_type = request.query.get("accountType")
    if not account_type:
        raise param_error("accountType is required")
    if account_type != "UNIFIED":
        raise BybitError(10001, "accountType only support UNIFIED.")
    ccys = {c for c in request.query.get("coin", "").split(",") if c} or None
    acct = server.engine.account(key.account)
    return reply(server, {"list": [fmt.wallet(acct, server.usd_prices(), ccys)]})


@routes.get(P + "/account/fee-rate")
@private("account/fee-rate", "read")
async def fee_rate(request: web.Request) -> web.Response:
    server = server_of(request)
    category = category_of(request.query)
    only = symbol_of(server, request.query, required=False)
    if category != "spot":
        return reply(server, {"list": []})
    engine = server.engine
    return reply(
        server,
        {
            "list": [
                fmt.fee_rate(s, engine.maker_fee, engine.taker_fee) for s in server.market.symbols if only in (None, s)
            ]
        },
    )


@routes.get(P + "/user/query-api")
@private("user/query-api", "read")
async def query_api(request: web.Request) -> web.Response:
    server = server_of(request)
    created = datetime.fromtimestamp(server.started_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return reply(server, fmt.query_api(request[KEY], created))


@routes.get(P + "/account/info")
@private("account/info", "read")
async def account_info(request: web.Request) -> web.Response:
    server = server_of(request)
    return reply(server, fmt.account_info(server.started_ms))
