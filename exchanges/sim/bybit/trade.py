"""Bybit v5 spot order endpoints: create, cancel, cancel-all, realtime, history, execution list.

``orderLinkId`` must be unique (Bybit rejects a reuse with 170141 "Duplicate clientOrderId.", also
after the first order closed); when omitted Bybit generates a numeric one. Market buys default to
``marketUnit=quoteCoin`` (qty is the quote amount), market sells to ``baseCoin``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from aiohttp import web

from exchanges.sim.bybit import format as fmt
from exchanges.sim.bybit.auth import (
    DEFAULT_RECV_WINDOW,
    INVALID_SYMBOL,
    ORDER_NOT_EXISTS,
    SYSTEM_ERROR,
    BybitError,
    invalid_value,
    param_error,
    reject_error,
)
from exchanges.sim.bybit.rest import KEY, P, category_of, int_of, json_body, private, reply, server_of, symbol_of
from exchanges.sim.orders import Order, Reject
from exchanges.sim.placement import submit

if TYPE_CHECKING:
    from exchanges.sim.base import ApiKey
    from exchanges.sim.bybit.app import BybitServer

routes = web.RouteTableDef()
LINK_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,36}$")
TIFS = {"GTC": "GTC", "IOC": "IOC", "FOK": "FOK", "PostOnly": "PO"}


def spot_only(params: dict[str, Any]) -> None:
    if category_of(params) != "spot":
        raise param_error("symbol invalid")  # the simulator lists spot instruments only


def decimal_of(params: dict[str, Any], name: str) -> Decimal:
    raw = params.get(name)
    if raw is None or raw == "":
        raise param_error(f"{name} is required")
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        raise invalid_value(name) from None
    if not value.is_finite() or value <= 0:
        raise invalid_value(name)
    return value


def parse_create(server: BybitServer, p: dict[str, Any]) -> dict[str, Any]:
    """Bybit create-order params -> engine kwargs; raises the BybitError Bybit returns."""
    spot_only(p)
    sid = p.get("symbol")
    if not sid:
        raise param_error("symbol is required")
    symbol = server.symbols_by_id.get(str(sid))
    if symbol is None:
        raise INVALID_SYMBOL
    side, otype = p.get("side"), p.get("orderType")
    if side not in ("Buy", "Sell"):
        raise param_error("side invalid")
    if otype not in ("Limit", "Market"):
        raise param_error("orderType invalid")
    for unsupported in ("triggerPrice", "takeProfit", "stopLoss"):
        if p.get(unsupported):
            raise invalid_value(unsupported)
    if p.get("orderFilter") not in (None, "", "Order"):
        raise invalid_value("orderFilter")
    if str(p.get("isLeverage", "0")) not in ("0", ""):
        raise invalid_value("isLeverage")
    amount = decimal_of(p, "qty")
    link_id = p.get("orderLinkId") or server.new_link_id()
    if not isinstance(link_id, str) or not LINK_ID_RE.match(link_id):
        raise param_error("orderLinkId invalid")
    s = side.lower()
    price: Decimal | None = None
    quote_amount = False
    if otype == "Limit":
        price = decimal_of(p, "price")
        tif_text = p.get("timeInForce") or "GTC"
        if tif_text not in TIFS:
            raise param_error("timeInForce invalid")
        tif = TIFS[tif_text]
    else:
        unit = p.get("marketUnit") or ("quoteCoin" if s == "buy" else "baseCoin")
        if unit not in ("baseCoin", "quoteCoin"):
            raise param_error("marketUnit invalid")
        quote_amount, tif = unit == "quoteCoin", "IOC"
        if quote_amount and s == "sell":
            amount, quote_amount = server.base_for_quote(symbol, amount), False
    return {
        "symbol": symbol,
        "side": s,
        "type": otype.lower(),
        "tif": tif,
        "amount": amount,
        "price": price,
        "client_id": link_id,
        "quote_amount": quote_amount,
    }


def place(server: BybitServer, key: ApiKey, kw: dict[str, Any], now: int, arrival: int | None = None) -> Order:
    """One parsed order into the matching engine (REST and WebSocket), a refusal as Bybit's error."""
    try:
        return server.place_order(key, now, arrival, **kw)
    except Reject as e:
        raise reject_error(e) from None


@routes.post(P + "/order/create")
@private("order/create", "trade")
async def order_create(request: web.Request) -> web.Response:
    server, key = server_of(request), request[KEY]
    p = json_body(request)
    try:
        kw = parse_create(server, p)
    except BybitError as e:
        server.log_rejected_order(key.key, p, str(e.code))
        raise

    order = await submit(
        server,
        expired=lambda now: expired(request.headers, now),
        place=lambda now, arrival: place(server, key, kw, now, arrival),
        reject_log=lambda now, arrival, code: server.log_rejected_order(key.key, p, code, now, arrival),
        error_after_accept=lambda: SYSTEM_ERROR,
    )
    return reply(server, {"orderId": order.order_id, "orderLinkId": order.client_id})


def expired(headers: Any, now: int) -> BybitError | None:
    """``X-BAPI-TIMESTAMP`` + ``X-BAPI-RECV-WINDOW`` checked again when the order reaches the matching engine."""
    ts = int(headers.get("X-BAPI-TIMESTAMP", "0") or 0)
    window = int(headers.get("X-BAPI-RECV-WINDOW", str(DEFAULT_RECV_WINDOW)) or DEFAULT_RECV_WINDOW)
    if now - window <= ts:
        return None
    return BybitError(
        10002,
        "invalid request, please check your server timestamp or recv_window param. "
        f"req_timestamp[{ts}],server_timestamp[{now}],recv_window[{window}]",
    )


def find(server: BybitServer, key: ApiKey, p: Any) -> Order:
    order_id, link_id = p.get("orderId") or None, p.get("orderLinkId") or None
    if order_id is None and link_id is None:
        raise param_error("orderId or orderLinkId is required")
    try:
        return server.engine.find(key.account, str(order_id) if order_id else None, link_id)
    except Reject:
        raise ORDER_NOT_EXISTS from None


def cancel_one(server: BybitServer, key: ApiKey, order: Order) -> dict[str, str]:
    if not order.is_open:
        raise ORDER_NOT_EXISTS
    server.user_canceled.add(order.order_id)  # before the engine emits, so pushes say CancelByUser
    try:
        server.engine.cancel(key.account, order_id=order.order_id, client_id=None, now_ms=server.now_ms())
    except Reject:
        server.user_canceled.discard(order.order_id)
        raise ORDER_NOT_EXISTS from None
    return {"orderId": order.order_id, "orderLinkId": order.client_id}


@routes.post(P + "/order/cancel")
@private("order/cancel", "trade")
async def order_cancel(request: web.Request) -> web.Response:
    server, key = server_of(request), request[KEY]
    p = json_body(request)
    spot_only(p)
    symbol = symbol_of(server, p)
    order = find(server, key, p)
    if order.symbol != symbol:
        raise ORDER_NOT_EXISTS
    return reply(server, cancel_one(server, key, order))


@routes.post(P + "/order/cancel-all")
@private("order/cancel-all", "trade")
async def order_cancel_all(request: web.Request) -> web.Response:
    server, key = server_of(request), request[KEY]
    p = json_body(request)
    spot_only(p)
    symbol = symbol_of(server, p, required=False)
    done = [cancel_one(server, key, o) for o in server.engine.open_orders(key.account, symbol)]
    return reply(server, {"list": done, "success": "1"})


def order_page(server: BybitServer, orders: list[Order], query: Any, default: int) -> dict[str, Any]:
    limit = int_of(query, "limit", default, 1, 50)
    start = int_of(query, "cursor", 0, 0, 10**9)
    orders = sorted(orders, key=lambda o: (o.created_ms, int(o.order_id)), reverse=True)
    page = orders[start : start + limit]
    more = start + limit < len(orders)
    return {
        "list": [server.order_dict(o) for o in page],
        "nextPageCursor": str(start + limit) if more else "",
        "category": "spot",
    }


def _filtered(server: BybitServer, key: ApiKey, query: Any, orders: list[Order]) -> list[Order]:
    symbol = symbol_of(server, query, required=False)
    order_id, link_id = query.get("orderId"), query.get("orderLinkId")
    return [
        o
        for o in orders
        if symbol in (None, o.symbol) and order_id in (None, "", o.order_id) and link_id in (None, "", o.client_id)
    ]


@routes.get(P + "/order/realtime")
@private("order/realtime", "read")
async def order_realtime(request: web.Request) -> web.Response:
    """Open orders; with ``orderId``/``orderLinkId`` also a recently closed one (as on a unified account)."""
    server, key, q = server_of(request), request[KEY], request.query
    spot_only(dict(q))
    by_id = bool(q.get("orderId") or q.get("orderLinkId"))
    pool = (
        server.engine.account_orders(key.account)
        if by_id and q.get("openOnly", "0") == "0"
        else server.engine.open_orders(key.account)
    )
    return reply(server, order_page(server, _filtered(server, key, q, pool), q, 20))


@routes.get(P + "/order/history")
@private("order/history", "read")
async def order_history(request: web.Request) -> web.Response:
    server, key, q = server_of(request), request[KEY], request.query
    spot_only(dict(q))
    done = [o for o in server.engine.account_orders(key.account) if not o.is_open]
    status = q.get("orderStatus")
    orders = [o for o in _filtered(server, key, q, done) if status in (None, "", fmt.order_status(o))]
    return reply(server, order_page(server, orders, q, 20))


@routes.get(P + "/execution/list")
@private("execution/list", "read")
async def execution_list(request: web.Request) -> web.Response:
    server, key, q = server_of(request), request[KEY], request.query
    spot_only(dict(q))
    limit = int_of(q, "limit", 50, 1, 100)
    start = int_of(q, "cursor", 0, 0, 10**9)
    t0, t1 = int_of(q, "startTime", 0, 0, 2**62), int_of(q, "endTime", 2**62, 0, 2**62)
    rows: list[Any] = []
    for o in _filtered(server, key, q, server.engine.account_orders(key.account)):
        spec = server.market.spec(server.venue, o.symbol)
        rows.extend(
            (f.ts_ms, int(f.trade_id), fmt.execution(o, f, spec, server.engine.taker_fee, int(f.trade_id)))
            for f in o.fills
            if t0 <= f.ts_ms <= t1
        )
    rows.sort(key=lambda r: (r[0], r[1]), reverse=True)
    page = rows[start : start + limit]
    cursor = str(start + limit) if start + limit < len(rows) else ""
    return reply(server, {"list": [r[2] for r in page], "nextPageCursor": cursor, "category": "spot"})
