"""Binance spot WebSocket API trading (``/ws-api/v3``): ``order.place``, ``order.test``, ``order.cancel``,
``order.status``, as ccxt.pro's ``create_order_ws`` / ``cancel_order_ws`` / ``fetch_order_ws`` send them.

Every request is signed on its own: ``params`` hold ``apiKey``, ``timestamp``, ``recvWindow``? and
``signature = hex(HMAC_SHA256(secret, params sorted by name as k=v&...))``. Answers are
``{"id", "status": 200, "result": {...}, "rateLimits": [...]}`` or ``{"id", "status": <HTTP status>,
"error": {"code", "msg"}, "rateLimits": [...]}`` with the REST error codes: -1022 bad signature, -1021
outside recvWindow (checked again when the order reaches the engine), -1013 filter failures, -2010
refusals, -2013/-2011 unknown orders, 429/-1003 when the IP's request weight (shared with REST) is spent
and 418 once banned, 429/-1015 past the account's order count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from exchanges.sim.binance import order_format as ofmt
from exchanges.sim.binance.auth import (
    NO_SUCH_ORDER,
    REJECTED_KEY,
    STATUS_UNKNOWN,
    TOO_MUCH_WEIGHT,
    UNKNOWN_ORDER,
    BinanceError,
    authenticate_ws,
    banned,
)
from exchanges.sim.binance.rest import WEIGHT, log_rejected_order
from exchanges.sim.binance.trade import cancel, expired, find_order, parse_new_order, place
from exchanges.sim.dialect_util import dumps
from exchanges.sim.placement import submit
from exchanges.sim.ws_trade import run_request, take_rate_limit_burst

if TYPE_CHECKING:
    from exchanges.sim.base import ApiKey, WsSession
    from exchanges.sim.binance.app import BinanceServer

# method -> (request weight, permission), Binance's documented weights
METHODS: dict[str, tuple[int, str]] = {
    "order.place": (1, "trade"),
    "order.test": (1, "trade"),
    "order.cancel": (1, "trade"),
    "order.status": (4, "read"),
}


def flat(params: dict[str, Any]) -> dict[str, str]:
    """JSON params as the strings they were signed as (booleans lower-case, as ccxt's urlencode writes them)."""
    return {
        str(k): v if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in params.items()
    }


def rate_limits(server: BinanceServer, ip: str, key: ApiKey | None) -> list[dict[str, Any]]:
    count, _ = server.limiter.limits[WEIGHT]
    used = len(server.limiter._hits.get((f"ip:{ip}", WEIGHT), ()))
    out = [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": count, "count": used}]
    if key is not None:
        orders, _ = server.limiter.limits["ORDERS_10S"]
        n = len(server.limiter._hits.get((f"acct:{key.account}", "ORDERS_10S"), ()))
        out.append({"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": orders, "count": n})
    return out


def ok(server: BinanceServer, req_id: Any, result: Any, ip: str, key: ApiKey | None) -> str:
    return dumps({"id": req_id, "status": 200, "result": result, "rateLimits": rate_limits(server, ip, key)})


def error(server: BinanceServer, req_id: Any, e: BinanceError, ip: str, key: ApiKey | None = None) -> str:
    body = {"id": req_id, "status": e.status, "error": e.body(), "rateLimits": rate_limits(server, ip, key)}
    return dumps(body)


def handle(server: BinanceServer, session: WsSession, req_id: Any, method: str, params: Any) -> None:
    """One trading request; refusals before the engine are answered at once, placements on their own task."""
    ip, now = str(session.remote), server.now_ms()
    weight, permission = METHODS[method]
    p = flat(params) if isinstance(params, dict) else {}
    placing = method == "order.place"
    key: ApiKey | None = None
    try:
        until = server.banned_until.get(ip, 0)
        if until > now:
            raise banned(until)
        if server.throttled_until.get(ip, 0) > now or not server.limiter.allow(f"ip:{ip}", WEIGHT, now, weight):
            server.note_rate_limited(ip, now)
            raise TOO_MUCH_WEIGHT
        key = authenticate_ws(server.keys, params, session.remote, now)
        if permission not in key.permissions:
            raise REJECTED_KEY
        if placing and take_rate_limit_burst(server):
            raise TOO_MUCH_WEIGHT
        if method in ("order.place", "order.test"):
            kw = parse_new_order(server, p)
            if method == "order.test":
                session.send(ok(server, req_id, {}, ip, key))
                return
        elif method == "order.cancel":
            order = find_order(server, key, p, UNKNOWN_ORDER)
            session.send(ok(server, req_id, cancel(server, key, order, p.get("newClientOrderId")), ip, key))
            return
        else:
            order = find_order(server, key, p, NO_SUCH_ORDER)
            status = ofmt.order_query(order, order.order_id in server.user_canceled)
            session.send(ok(server, req_id, status, ip, key))
            return
    except BinanceError as e:
        if placing and (e is not TOO_MUCH_WEIGHT or server.log_rate_limited_orders):
            log_rejected_order(server, key.key if key else p.get("apiKey", ""), p, str(e.code))
        session.send(error(server, req_id, e, ip, key))
        return
    run_request(server, session, lambda: place_order(server, key, req_id, p, kw, ip))


async def place_order(
    server: BinanceServer, key: ApiKey, req_id: Any, p: dict[str, str], kw: dict[str, Any], ip: str
) -> str:
    try:
        order = await submit(
            server,
            expired=lambda now: expired(p, now),
            place=lambda now, arrival: place(server, key, kw, now, arrival),
            reject_log=lambda now, arrival, code: log_rejected_order(server, key.key, p, code, now, arrival),
            error_after_accept=lambda: STATUS_UNKNOWN,
            hang=False,
        )
    except BinanceError as e:
        return error(server, req_id, e, ip, key)
    return ok(server, req_id, ofmt.order_result(order, kw["resp_type"], False, server.now_ms()), ip, key)
