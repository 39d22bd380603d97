"""Bybit v5 WebSocket trading on ``/v5/trade``: ``auth``, ``order.create``, ``order.cancel``, ``ping``, as
ccxt.pro's ``create_order_ws`` / ``cancel_order_ws`` send them.

The connection authenticates once (``{"op": "auth", "args": [apiKey, expires, hex(HMAC_SHA256(secret,
"GET/realtime" + expires))]}`` -> ``{"retCode": 0, "retMsg": "OK", "op": "auth", "connId"}``); each request
is ``{"reqId", "header": {"X-BAPI-TIMESTAMP", "X-BAPI-RECV-WINDOW"}, "op", "args": [{...}]}`` and is
answered ``{"reqId", "retCode", "retMsg", "op", "data", "retExtInfo", "header": {"X-Bapi-Limit", ...},
"connId"}`` with the REST codes: 10002 outside the receive window (checked on arrival and again when the
order reaches the engine), 10006 over the key's ``order/create`` limit (shared with REST), 170xxx
refusals, 170213 unknown order on cancel. Placements share the REST road (faults, engine, order log).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from exchanges.sim.bybit.auth import (
    AHEAD_TOLERANCE_MS,
    DEFAULT_RECV_WINDOW,
    NO_PERMISSION,
    ORDER_NOT_EXISTS,
    SYSTEM_ERROR,
    TOO_MANY_VISITS,
    BybitError,
    ws_auth_error,
)
from exchanges.sim.bybit.rest import symbol_of
from exchanges.sim.bybit.trade import cancel_one, expired, find, parse_create, place, spot_only
from exchanges.sim.dialect_util import dumps
from exchanges.sim.placement import submit
from exchanges.sim.ws_trade import run_request, take_rate_limit_burst

if TYPE_CHECKING:
    from exchanges.sim.base import ApiKey, WsSession
    from exchanges.sim.bybit.app import BybitServer

TRADE_PATH = "/v5/trade"
AUTH_CODES = {  # ws_auth_error's ret_msg -> the trade socket's (retCode, retMsg)
    "error:apiKey not found": (10003, "Invalid apikey"),
    "error:IP not whitelisted": (10010, "Unmatched IP, please check your API key's bound IP addresses."),
    "error:request expired": (10002, "Params Error: auth expired"),
    "error:signature verification failed": (10004, "Invalid sign"),
}
ENDPOINTS = {"order.create": "order/create", "order.cancel": "order/cancel"}
NOT_AUTHORIZED = BybitError(10003, "Request not authorized")


def _answer(server: BybitServer, session: WsSession, msg: dict[str, Any], code: int, text: str, data: Any) -> str:
    limit, _ = server.limiter.limits.get(ENDPOINTS.get(str(msg.get("op")), ""), server.limiter.default)
    now = server.now_ms()
    header = {
        "X-Bapi-Limit": str(limit),
        "X-Bapi-Limit-Status": str(limit - 1),
        "X-Bapi-Limit-Reset-Timestamp": str(now + 1000),
        "Traceid": f"{now:x}sim",
        "Timenow": str(now),
    }
    return dumps(
        {
            "reqId": msg.get("reqId"),
            "retCode": code,
            "retMsg": text,
            "op": msg.get("op"),
            "data": data,
            "retExtInfo": {},
            "header": header,
            "connId": session.conn_id,
        }
    )


def on_text(server: BybitServer, session: WsSession, text: str) -> None:
    """One frame on the trade socket."""
    try:
        msg = json.loads(text)
    except ValueError:
        msg = None
    if not isinstance(msg, dict):
        session.send(dumps({"retCode": 10001, "retMsg": "Params Error: request not json", "connId": session.conn_id}))
        return
    op = msg.get("op")
    if op == "ping":
        session.pings += 1
        session.send(
            dumps(
                {"req_id": msg.get("req_id"), "op": "pong", "args": [str(server.now_ms())], "conn_id": session.conn_id}
            )
        )
    elif op == "auth":
        err = ws_auth_error(server.keys, msg.get("args"), session.remote, server.now_ms())
        if err is None:
            session.key = server.keys[str(msg["args"][0])]
        code, text_ = (0, "OK") if err is None else AUTH_CODES.get(err, (10001, f"Params Error: {err}"))
        session.send(dumps({"retCode": code, "retMsg": text_, "op": "auth", "connId": session.conn_id}))
    elif op in ENDPOINTS:
        try:
            request(server, session, msg)
        except BybitError as e:
            session.send(_answer(server, session, msg, e.code, e.msg, {}))
    else:
        session.send(_answer(server, session, msg, 10001, f"Params Error: unknown op {op}", {}))


def _check_header(header: Any, now: int) -> None:
    header = header if isinstance(header, dict) else {}
    ts_text, window_text = str(header.get("X-BAPI-TIMESTAMP", "")), str(header.get("X-BAPI-RECV-WINDOW", ""))
    window_text = window_text or str(DEFAULT_RECV_WINDOW)
    if not ts_text.isdigit() or not window_text.isdigit():
        raise BybitError(10002, "invalid request, please check your server timestamp or recv_window param")
    ts, window = int(ts_text), int(window_text)
    if not now - window <= ts < now + AHEAD_TOLERANCE_MS:
        raise BybitError(
            10002,
            "invalid request, please check your server timestamp or recv_window param. "
            f"req_timestamp[{ts}],server_timestamp[{now}],recv_window[{window}]",
        )


def request(server: BybitServer, session: WsSession, msg: dict[str, Any]) -> None:
    """``order.create`` / ``order.cancel``: refusals before the engine at once, placements on their own task."""
    key, op, now = session.key, str(msg["op"]), server.now_ms()
    if key is None:
        raise NOT_AUTHORIZED
    args = msg.get("args")
    p = dict(args[0]) if isinstance(args, list) and len(args) == 1 and isinstance(args[0], dict) else None
    creating = op == "order.create"
    try:
        if p is None:
            raise BybitError(10001, "Params Error: args must hold one order")
        if "trade" not in key.permissions:
            raise NO_PERMISSION
        _check_header(msg.get("header"), now)
        if creating and take_rate_limit_burst(server):
            raise TOO_MANY_VISITS
        if not server.limiter.allow(f"key:{key.key}", ENDPOINTS[op], now):
            raise TOO_MANY_VISITS
        if not creating:
            spot_only(p)
            symbol = symbol_of(server, p)
            order = find(server, key, p)
            if order.symbol != symbol:
                raise ORDER_NOT_EXISTS
            session.send(_answer(server, session, msg, 0, "OK", cancel_one(server, key, order)))
            return
        kw = parse_create(server, p)
    except BybitError as e:
        if creating and (e is not TOO_MANY_VISITS or server.log_rate_limited_orders):
            server.log_rejected_order(key.key, p or {}, str(e.code))
        raise
    run_request(server, session, lambda: create(server, session, key, msg, p, kw))


async def create(
    server: BybitServer, session: WsSession, key: ApiKey, msg: dict[str, Any], p: dict[str, Any], kw: dict[str, Any]
) -> str:

    try:
        order = await submit(
            server,
            expired=lambda now: expired(msg.get("header") or {}, now),
            place=lambda now, arrival: place(server, key, kw, now, arrival),
            reject_log=lambda now, arrival, code: server.log_rejected_order(key.key, p, code, now, arrival),
            error_after_accept=lambda: SYSTEM_ERROR,
            hang=False,
        )
    except BybitError as e:
        return _answer(server, session, msg, e.code, e.msg, {})
    return _answer(server, session, msg, 0, "OK", {"orderId": order.order_id, "orderLinkId": order.client_id})
