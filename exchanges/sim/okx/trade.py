"""OKX v5 REST trading routes: place (single and batch), cancel, order details, pending/history, fills."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from aiohttp import web

from exchanges.sim.base import ApiKey
from exchanges.sim.matching import Order, Reject
from exchanges.sim.okx import format as fmt
from exchanges.sim.okx.auth import BUSY, EXPIRED, OkxError, bad_param, missing_param, reject_code
from exchanges.sim.okx.rest import KEY, P, json_body, private, query_symbol, reply, server_of, symbol_of
from exchanges.sim.placement import submit

if TYPE_CHECKING:
    from exchanges.sim.okx.app import OkxServer

routes = web.RouteTableDef()
CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9]{1,32}$")
TAG_RE = re.compile(r"^[A-Za-z0-9]{0,16}$")
ORD_TYPES = {
    "market": ("market", "GTC"),
    "limit": ("limit", "GTC"),
    "ioc": ("limit", "IOC"),
    "fok": ("limit", "FOK"),
    "post_only": ("limit", "PO"),
}


def parse_order_params(server: OkxServer, p: Any) -> dict[str, Any]:
    """OKX order params -> engine kwargs; raises OkxError with the per-order sCode."""
    if not isinstance(p, dict):
        raise OkxError(200, "50002", "Json data format error")
    for name in ("instId", "tdMode", "side", "ordType", "sz"):
        if not p.get(name):
            raise missing_param(name)
    for name in ("instId", "tdMode", "side", "ordType", "tgtCcy", "clOrdId", "tag"):
        if p.get(name) is not None and not isinstance(p[name], str):
            raise bad_param(name)
    symbol = symbol_of(server, str(p["instId"]))
    if p["tdMode"] != "cash":
        raise bad_param("tdMode")
    if p["side"] not in ("buy", "sell"):
        raise bad_param("side")
    if p["ordType"] not in ORD_TYPES:
        raise bad_param("ordType")
    type_, tif = ORD_TYPES[p["ordType"]]
    amount = _decimal(p["sz"], "sz")
    price = None
    if type_ == "limit":
        if not p.get("px"):
            raise missing_param("px")
        price = _decimal(p["px"], "px")
    client_id = str(p.get("clOrdId") or "")
    if client_id and not CLIENT_ID_RE.match(client_id):
        raise bad_param("clOrdId")
    tag = str(p.get("tag") or "")
    if not TAG_RE.match(tag):
        raise bad_param("tag")
    tgt = p.get("tgtCcy") or ""
    if tgt not in ("", "base_ccy", "quote_ccy"):
        raise bad_param("tgtCcy")
    quote_amount = tgt == "quote_ccy" and type_ == "market" and p["side"] == "buy"
    return {
        "symbol": symbol,
        "side": p["side"],
        "type": type_,
        "tif": tif,
        "amount": amount,
        "price": price,
        "client_id": client_id,
        "tag": tag,
        "quote_amount": quote_amount,
    }


def _decimal(value: Any, name: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise bad_param(name) from None
    if not d.is_finite() or d <= 0:
        raise bad_param(name)
    return d


def place_one(server: OkxServer, key: ApiKey, p: Any, now: int, arrival: int) -> dict[str, Any]:
    cl = str(p.get("clOrdId", "")) if isinstance(p, dict) else ""
    tag = str(p.get("tag", "")) if isinstance(p, dict) else ""
    try:
        kw = parse_order_params(server, p)
    except OkxError as e:
        inst = str(p.get("instId", "")) if isinstance(p, dict) else ""
        server.engine.log_reject(now, key.key, cl, inst, e.code, arrival)
        return {"clOrdId": cl, "ordId": "", "sCode": e.code, "sMsg": e.msg, "tag": tag, "ts": str(now)}
    try:
        order: Order = server.place_order(key, now, arrival, **kw)
    except Reject as e:
        code, msg = reject_code(e)
        return {"clOrdId": cl, "ordId": "", "sCode": code, "sMsg": msg, "tag": tag, "ts": str(now)}
    return {
        "clOrdId": order.client_id,
        "ordId": order.order_id,
        "sCode": "0",
        "sMsg": "Order placed",
        "tag": order.tag,
        "ts": str(now),
    }


def batch_reply(results: list[dict[str, Any]], in_us: int) -> web.Response:
    failed = sum(1 for r in results if r["sCode"] != "0")
    code, msg = (
        ("0", "")
        if not failed
        else ("1", "All operations failed")
        if failed == len(results)
        else ("2", "Batch operation partially succeeded")
    )
    return reply(results, code=code, msg=msg, inTime=str(in_us), outTime=str(int(time.time() * 1e6)))


def exp_time(request: web.Request) -> int | None:
    """The ``expTime`` request header (ms): the placement is not processed after it."""
    text = request.headers.get("expTime")
    if text is None or text == "":
        return None
    if not text.isdigit():
        raise bad_param("expTime")
    return int(text)


def expiry_check(items: list[Any], deadline: int | None, msg: str) -> Callable[[int], OkxError | None]:
    """The request's ``expTime`` check (REST header or WS ``expTime``): past ``deadline``, every item is
    refused with OKX's expiry code (``msg``: the answer's top-level message, which REST and WS word apart)."""

    def expired(now: int) -> OkxError | None:
        if deadline is None or now <= deadline:
            return None
        data = [
            {
                "clOrdId": str(p.get("clOrdId", "")) if isinstance(p, dict) else "",
                "ordId": "",
                "sCode": EXPIRED[0],
                "sMsg": EXPIRED[1],
                "tag": str(p.get("tag", "")) if isinstance(p, dict) else "",
                "ts": str(now),
            }
            for p in items
        ]
        return OkxError(200, "1", msg, data)

    return expired


async def place_orders(request: web.Request, items: list[Any]) -> web.Response:
    """Place ``items`` as one request (faults and ``expTime`` apply to the request, as on OKX)."""
    in_us = int(time.time() * 1e6)
    server, key = server_of(request), request[KEY]
    deadline = exp_time(request)

    expired = expiry_check(items, deadline, "All operations failed")

    def reject_log(now: int, arrival: int, code: str) -> None:
        for p in items:
            p = p if isinstance(p, dict) else {}
            inst = str(p.get("instId", ""))
            server.engine.log_reject(
                now, key.key, str(p.get("clOrdId", "")), inst, EXPIRED[0], arrival, side=p.get("side", "")
            )

    results = await submit(
        server,
        expired=expired,
        place=lambda now, arrival: [place_one(server, key, p, now, arrival) for p in items],
        reject_log=reject_log,
        error_after_accept=lambda: BUSY,
        accepted=lambda rs: any(r["sCode"] == "0" for r in rs),
    )
    return batch_reply(results, in_us)


@routes.post(P + "/trade/order")
@private("trade/order", "trade")
async def trade_order(request: web.Request) -> web.Response:
    p = json_body(request)
    if not isinstance(p, dict):
        raise OkxError(400, "50002", "Json data format error")
    return await place_orders(request, [p])


@routes.post(P + "/trade/batch-orders")
@private("trade/batch-orders", "trade")
async def trade_batch_orders(request: web.Request) -> web.Response:
    items = json_body(request)
    if not isinstance(items, list):
        items = [items]
    if not items:
        raise OkxError(400, "50000", "Body can not be empty.")
    if len(items) > 20:
        raise OkxError(400, "51111", "Maximum 20 orders can be placed in bulk.")
    return await place_orders(request, items)


def cancel_one(server: OkxServer, key: ApiKey, p: Any) -> dict[str, Any]:
    now = server.now_ms()
    if not isinstance(p, dict):
        raise OkxError(400, "50002", "Json data format error")
    symbol = symbol_of(server, p.get("instId"))
    ord_id, cl = str(p.get("ordId") or ""), str(p.get("clOrdId") or "")
    if not ord_id and not cl:
        raise OkxError(200, "51003", "Either client order ID or order ID is required.")
    try:
        order = server.engine.find(key.account, ord_id or None, None if ord_id else cl)
        if order.symbol != symbol:
            raise Reject("not_found", ord_id or cl)
        server.engine.cancel(key.account, order_id=order.order_id, client_id=None, now_ms=now)
    except Reject as e:
        code, msg = reject_code(e)
        return {"clOrdId": cl, "ordId": ord_id, "sCode": code, "sMsg": msg, "ts": str(now)}
    return {"clOrdId": order.client_id, "ordId": order.order_id, "sCode": "0", "sMsg": "", "ts": str(now)}


@routes.post(P + "/trade/cancel-order")
@private("trade/cancel-order", "trade")
async def trade_cancel_order(request: web.Request) -> web.Response:
    in_us = int(time.time() * 1e6)
    return batch_reply([cancel_one(server_of(request), request[KEY], json_body(request))], in_us)


@routes.post(P + "/trade/cancel-batch-orders")
@private("trade/cancel-batch-orders", "trade")
async def trade_cancel_batch(request: web.Request) -> web.Response:
    in_us = int(time.time() * 1e6)
    items = json_body(request)
    items = items if isinstance(items, list) else [items]
    server, key = server_of(request), request[KEY]
    return batch_reply([cancel_one(server, key, p) for p in items], in_us)


@routes.get(P + "/trade/order")
@private("trade/order:get", "read")
async def trade_get_order(request: web.Request) -> web.Response:
    server, key, symbol = server_of(request), request[KEY], query_symbol(request)
    ord_id, cl = request.query.get("ordId"), request.query.get("clOrdId")
    if not ord_id and not cl:
        raise OkxError(200, "51003", "Either client order ID or order ID is required.")
    try:
        order = server.engine.find(key.account, ord_id or None, None if ord_id else cl)
    except Reject:
        raise OkxError(200, "51603", "Order does not exist") from None
    if order.symbol != symbol:
        raise OkxError(200, "51603", "Order does not exist")
    return reply([server.order_dict(order)])


def _filter_orders(server: OkxServer, request: web.Request, orders: list[Order]) -> list[dict[str, Any]]:
    inst_type = request.query.get("instType")
    if inst_type and inst_type not in ("SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION"):
        raise bad_param("instType")
    if inst_type and inst_type != "SPOT":
        return []
    symbol = symbol_of(server, request.query.get("instId"), required=False)
    try:
        limit = min(100, int(request.query.get("limit", "100")))
    except ValueError:
        raise bad_param("limit") from None
    picked = [o for o in orders if symbol in (None, o.symbol)]
    picked.sort(key=lambda o: (o.created_ms, o.order_id), reverse=True)
    return [server.order_dict(o) for o in picked[:limit]]


@routes.get(P + "/trade/orders-pending")
@private("trade/orders-pending", "read")
async def trade_orders_pending(request: web.Request) -> web.Response:
    server, key = server_of(request), request[KEY]
    return reply(_filter_orders(server, request, server.engine.open_orders(key.account)))


@routes.get(P + "/trade/orders-history")
@private("trade/orders-history", "read")
async def trade_orders_history(request: web.Request) -> web.Response:
    server, key = server_of(request), request[KEY]
    if not request.query.get("instType"):
        raise missing_param("instType")
    done = [o for o in server.engine.account_orders(key.account) if not o.is_open]
    return reply(_filter_orders(server, request, done))


@routes.get(P + "/trade/fills")
@private("trade/fills", "read")
async def trade_fills(request: web.Request) -> web.Response:
    return reply(_fills(request))


@routes.get(P + "/trade/fills-history")
@private("trade/fills-history", "read")
async def trade_fills_history(request: web.Request) -> web.Response:
    if not request.query.get("instType"):
        raise missing_param("instType")
    return reply(_fills(request))


def _fills(request: web.Request) -> list[dict[str, Any]]:
    server, key = server_of(request), request[KEY]
    symbol = symbol_of(server, request.query.get("instId"), required=False)
    ord_id = request.query.get("ordId")
    try:
        limit = min(100, int(request.query.get("limit", "100")))
    except ValueError:
        raise bad_param("limit") from None
    out: list[Any] = []
    for o in server.engine.account_orders(key.account):
        if symbol not in (None, o.symbol) or ord_id not in (None, o.order_id):
            continue
        out.extend(
            (f.ts_ms, f.trade_id, fmt.fill_dict(o, f, server.engine.maker_fee, server.engine.taker_fee))
            for f in o.fills
        )
    out.sort(key=lambda t: (t[0], t[1]), reverse=True)
    return [d for _, _, d in out[:limit]]
