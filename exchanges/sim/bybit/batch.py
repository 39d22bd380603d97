"""Bybit v5 ``POST /v5/order/create-batch``: up to 10 spot orders in one request, as Bybit answers it.

The response is ``retCode 0`` with one ``result.list`` entry per order (``category, symbol, orderId,
orderLinkId, createAt``; empty ids for a refused one) and the per-order outcome in
``retExtInfo.list`` (``{code, msg}``, 0/"OK" when placed). Each order is validated and matched like a
single ``order/create`` (same engine filters and error codes), in request order. Placement faults
(delay, dropped answer, error after acceptance) apply to single placements only.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from exchanges.sim.bybit.auth import BybitError, param_error, reject_error
from exchanges.sim.bybit.format import symbol_id
from exchanges.sim.bybit.rest import KEY, P, json_body, private, server_of
from exchanges.sim.bybit.trade import parse_create
from exchanges.sim.orders import Reject

routes = web.RouteTableDef()
MAX_BATCH = 10  # spot


@routes.post(P + "/order/create-batch")
@private("order/create-batch", "trade")
async def order_create_batch(request: web.Request) -> web.Response:
    server, key = server_of(request), request[KEY]
    body = json_body(request)
    items = body.get("request") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise param_error("request is required")
    if len(items) > MAX_BATCH:
        raise BybitError(170010, f"Exceeded the maximum number of orders in a batch: {MAX_BATCH}")
    category = body.get("category")
    results: list[dict[str, Any]] = []
    infos: list[dict[str, Any]] = []

    def refuse(e: BybitError) -> None:
        results.append({**entry, "orderLinkId": str(p.get("orderLinkId", ""))})
        infos.append({"code": e.code, "msg": e.msg})

    for item in items:
        p = {**(item if isinstance(item, dict) else {}), "category": category}
        entry = {
            "category": category,
            "symbol": str(p.get("symbol", "")),
            "orderId": "",
            "orderLinkId": "",
            "createAt": "",
        }
        try:
            kw = parse_create(server, p)
        except BybitError as e:  # refused before the engine: the order log records it here
            server.log_rejected_order(key.key, p, str(e.code))
            refuse(e)
            continue
        try:
            order = server.place_order(key, server.now_ms(), **kw)
        except Reject as r:  # the engine logged it
            refuse(reject_error(r))
            continue
        results.append(
            {
                **entry,
                "symbol": symbol_id(order.symbol),
                "orderId": order.order_id,
                "orderLinkId": order.client_id,
                "createAt": str(order.created_ms),
            }
        )
        infos.append({"code": 0, "msg": "OK"})
    payload = {
        "retCode": 0,
        "retMsg": "OK",
        "result": {"list": results},
        "retExtInfo": {"list": infos},
        "time": server.now_ms(),
    }
    return web.Response(text=json.dumps(payload, separators=(",", ":")), content_type="application/json")
