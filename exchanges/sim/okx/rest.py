"""OKX v5 REST plumbing (middleware, auth/rate-limit decorators) and public + account routes.

Trading routes live in :mod:`exchanges.sim.okx.trade`. Errors use OKX's real codes and HTTP statuses.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from exchanges.sim.base import ApiKey
from exchanges.sim.okx import format as fmt
from exchanges.sim.okx.auth import (
    NO_PERMISSION,
    RATE_LIMITED,
    OkxError,
    authenticate_rest,
    bad_param,
    missing_param,
)

if TYPE_CHECKING:
    from exchanges.sim.okx.app import OkxServer

log = logging.getLogger(__name__)

SERVER_KEY: web.AppKey[Any] = web.AppKey("okx_server")
BODY: web.RequestKey[str] = web.RequestKey("okx_body", str)
KEY: web.RequestKey[ApiKey] = web.RequestKey("okx_key", ApiKey)
routes = web.RouteTableDef()
P = "/api/v5"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def reply(data: list[Any], status: int = 200, code: str = "0", msg: str = "", **extra: Any) -> web.Response:
    return web.json_response({"code": code, "data": data, "msg": msg, **extra}, status=status)


def server_of(request: web.Request) -> OkxServer:
    return request.app[SERVER_KEY]  # type: ignore[no-any-return]


@web.middleware
async def okx_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Faults, uniform error bodies and request logging for every REST call."""
    if request.path.startswith("/ws/"):
        return await handler(request)
    server = server_of(request)
    f = server.faults
    started = time.monotonic()
    try:
        if f.take_rate_limit_burst():
            raise RATE_LIMITED
        if f.chance(f.rest_timeout_rate):
            await asyncio.sleep(f.rest_timeout_ms / 1000)
        if f.chance(f.rest_5xx_rate):
            raise OkxError(503, "50001", "Service temporarily unavailable. Please try again later.")
        resp = await handler(request)
    except OkxError as e:
        resp = web.json_response(e.body(), status=e.status)
    except web.HTTPMethodNotAllowed:
        resp = web.json_response({"code": "50115", "data": [], "msg": "Invalid request method."}, status=405)
    except web.HTTPException as e:
        resp = web.json_response({"code": str(e.status), "msg": e.reason}, status=e.status)
    except Exception:
        log.exception("sim.okx.rest_error path=%s", request.path)
        resp = web.json_response({"code": "50026", "data": [], "msg": "System error. Try again later."}, status=500)
    server.log_request(
        ts_ms=server.now_ms(),
        method=request.method,
        path=request.path_qs,
        status=resp.status,
        ms=round((time.monotonic() - started) * 1000, 3),
    )
    return resp


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
            try:
                key = authenticate_rest(
                    server.keys,
                    request.headers,
                    request.method,
                    request.raw_path,
                    body,
                    request.remote,
                    server.now_ms(),
                )
                if permission not in key.permissions:
                    raise NO_PERMISSION
                if not server.limiter.allow(f"key:{key.key}", endpoint, server.now_ms()):
                    raise RATE_LIMITED
            except OkxError as e:
                if endpoint in ("trade/order", "trade/batch-orders"):
                    log_rejected_orders(server, request.headers.get("OK-ACCESS-KEY", ""), body, e.code)
                raise
            request[KEY] = key
            return await fn(request)

        return wrapper

    return deco


def log_rejected_orders(server: OkxServer, key: str, body: str, code: str) -> None:
    try:
        parsed = json.loads(body) if body else []
    except ValueError:
        parsed = []
    items = parsed if isinstance(parsed, list) else [parsed]
    for p in items or [{}]:
        p = p if isinstance(p, dict) else {}
        server.engine.log_reject(
            server.now_ms(),
            key,
            str(p.get("clOrdId", "")),
            str(p.get("instId", "")),
            code,
            side=p.get("side", ""),
            type=p.get("ordType", ""),
        )


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
    inst_type = request.query.get("instType")
    if not inst_type:
        raise missing_param("instType")
    if inst_type not in ("SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION"):
        raise bad_param("instType")
    if inst_type != "SPOT":
        return reply([])
    only = symbol_of(server, request.query.get("instId"), required=False)
    specs = [server.market.spec(server.venue, s) for s in server.market.symbols if only in (None, s)]
    return reply([fmt.instrument(s, server.instrument_state.get(s.symbol, "live")) for s in specs])


@routes.get(P + "/market/ticker")
@public("market/ticker")
async def ticker(request: web.Request) -> web.Response:
    server = server_of(request)
    symbol = symbol_of(server, request.query.get("instId"))
    assert symbol is not None
    return reply([server.ticker(symbol)])


@routes.get(P + "/market/tickers")
@public("market/tickers")
async def tickers(request: web.Request) -> web.Response:
    server = server_of(request)
    inst_type = request.query.get("instType")
    if not inst_type:
        raise missing_param("instType")
    if inst_type != "SPOT":
        return reply([])
    return reply([server.ticker(s) for s in server.market.symbols])


@routes.get(P + "/market/books")
@public("market/books")
async def books(request: web.Request) -> web.Response:
    server = server_of(request)
    symbol = symbol_of(server, request.query.get("instId"))
    assert symbol is not None
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
    inst_type = request.query.get("instType")
    if not inst_type:
        raise missing_param("instType")
    if inst_type not in ("SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION"):
        raise bad_param("instType")
    symbol_of(server, request.query.get("instId"), required=False)
    return reply([fmt.trade_fee(server.engine.maker_fee, server.engine.taker_fee, server.now_ms())])


@routes.get(P + "/account/config")
@private("account/config", "read")
async def account_config(request: web.Request) -> web.Response:
    key: ApiKey = request[KEY]
    return reply([fmt.account_config(key.permissions, key.ip_whitelist, key.label or key.key)])
