"""OKX v5 WebSocket trading on ``/ws/v5/private`` after ``login``: ops ``order``, ``batch-orders``,
``cancel-order`` and ``batch-cancel-orders``, as ccxt.pro's ``create_order_ws`` / ``cancel_order_ws`` send them.

Request ``{"id", "op", "args": [...], "expTime"?}``; each arg names the instrument by ``instId`` or by its
numeric ``instIdCode`` (what ccxt sends when the instrument lists one). Answer
``{"id", "op", "code", "msg", "data": [{clOrdId, ordId, tag, ts, sCode, sMsg}], "inTime", "outTime"}``:
code "0" all placed, "1" all failed, "2" partly, with each order's OKX sCode. Request-level errors (not
logged in, rate limit, system busy) carry their code at the top with empty ``data``.

Placements share the REST road: the key's ``trade/order`` (``trade/batch-orders``) limit, the placement
faults, ``expTime`` checked when the order reaches the engine, the engine's filters and ``clOrdId`` rule,
and the order log.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from exchanges.sim.dialect_util import dumps
from exchanges.sim.okx import format as fmt
from exchanges.sim.okx.auth import BUSY, EXPIRED, RATE_LIMITED, OkxError
from exchanges.sim.okx.trade import cancel_one, expiry_check, place_one
from exchanges.sim.placement import submit
from exchanges.sim.ws_trade import run_request, take_rate_limit_burst

if TYPE_CHECKING:
    from exchanges.sim.base import ApiKey, WsSession
    from exchanges.sim.okx.app import OkxServer

PLACE_OPS = {"order": "trade/order", "batch-orders": "trade/batch-orders"}
CANCEL_OPS = {"cancel-order": "trade/cancel-order", "batch-cancel-orders": "trade/cancel-batch-orders"}
TRADE_OPS = frozenset(PLACE_OPS) | frozenset(CANCEL_OPS)
MAX_BATCH = 20


def now_us() -> str:
    return str(int(time.time() * 1e6))


def answer(msg: dict[str, Any], code: str, text: str, data: list[Any], in_us: str) -> str:
    return dumps(
        {
            "id": msg.get("id"),
            "op": msg.get("op"),
            "code": code,
            "msg": text,
            "data": data,
            "inTime": in_us,
            "outTime": now_us(),
        }
    )


def batch_code(results: list[dict[str, Any]]) -> str:
    failed = sum(1 for r in results if r["sCode"] != "0")
    return "0" if not failed else "1" if failed == len(results) else "2"


def with_inst_id(server: OkxServer, arg: Any) -> Any:
    """An arg naming its instrument by ``instIdCode`` -> the same arg with ``instId`` (unknown code: left as is)."""
    if not isinstance(arg, dict) or arg.get("instId") or arg.get("instIdCode") in (None, ""):
        return arg
    codes = {str(fmt.inst_id_code(s)): fmt.inst_id(s) for s in server.market.symbols}
    inst = codes.get(str(arg["instIdCode"]))
    return {**arg, "instId": inst if inst is not None else f"code:{arg['instIdCode']}"}


def handle(server: OkxServer, session: WsSession, msg: dict[str, Any]) -> None:
    """One trading op (``msg["op"]`` in TRADE_OPS) from ``session``; answered on its own task."""
    in_us = now_us()
    op, args = str(msg["op"]), msg.get("args")
    key = session.key
    if key is None or not session.path.endswith("/private"):
        session.send(answer(msg, "60011", "Please log in", [], in_us))
        return
    if not isinstance(args, list) or not args:
        session.send(answer(msg, "60012", f"Illegal request: {dumps(msg)[:512]}", [], in_us))
        return
    if len(args) > MAX_BATCH or (op in ("order", "cancel-order") and len(args) > 1):
        session.send(answer(msg, "51111", "Maximum 20 orders can be placed in bulk.", [], in_us))
        return
    if "trade" not in key.permissions:
        session.send(answer(msg, "50120", "API key doesn't have permission", [], in_us))
        return
    items = [with_inst_id(server, a) for a in args]
    endpoint = PLACE_OPS.get(op) or CANCEL_OPS[op]
    limited = take_rate_limit_burst(server) if op in PLACE_OPS else False
    if limited or not server.limiter.allow(f"key:{key.key}", endpoint, server.now_ms()):
        if op in PLACE_OPS and server.log_rate_limited_orders:
            log_refused(server, key, items, RATE_LIMITED.code)
        session.send(answer(msg, RATE_LIMITED.code, RATE_LIMITED.msg, [], in_us))
        return
    if op in CANCEL_OPS:
        results = []
        for p in items:
            try:
                results.append(cancel_one(server, key, p))
            except OkxError as e:
                results.append({"clOrdId": "", "ordId": "", "sCode": e.code, "sMsg": e.msg, "ts": str(server.now_ms())})
        session.send(answer(msg, batch_code(results), "", results, in_us))
        return
    deadline = msg.get("expTime")
    if deadline not in (None, "") and not str(deadline).isdigit():
        session.send(answer(msg, "51000", "Parameter expTime error", [], in_us))
        return
    run_request(server, session, lambda: place(server, key, msg, items, int(deadline) if deadline else None, in_us))


async def place(
    server: OkxServer, key: ApiKey, msg: dict[str, Any], items: list[Any], deadline: int | None, in_us: str
) -> str:
    expired = expiry_check(items, deadline, "")  # the WS answer carries no top-level message

    try:
        results = await submit(
            server,
            expired=expired,
            place=lambda now, arrival: [place_one(server, key, p, now, arrival) for p in items],
            reject_log=lambda now, arrival, code: log_refused(server, key, items, EXPIRED[0], now, arrival),
            error_after_accept=lambda: BUSY,
            accepted=lambda rs: any(r["sCode"] == "0" for r in rs),
            hang=False,
        )
    except OkxError as e:
        return answer(msg, e.code, e.msg, e.data, in_us)
    return answer(msg, batch_code(results), "", results, in_us)


def log_refused(
    server: OkxServer, key: ApiKey, items: list[Any], code: str, now: int | None = None, arrival: int | None = None
) -> None:
    for p in items:
        p = p if isinstance(p, dict) else {}
        server.engine.log_reject(
            server.now_ms() if now is None else now,
            key.key,
            str(p.get("clOrdId", "")),
            str(p.get("instId", "")),
            code,
            arrival,
            side=p.get("side", ""),
            type=p.get("ordType", ""),
        )
