"""Binance spot order endpoints: new order (+test), query, cancel, open orders, all orders, my trades.

Client order ids follow Binance's rule: a ``newClientOrderId`` equal to an OPEN order's is rejected with
-2010 "Duplicate order sent."; reuse after that order closed is accepted. A cancelled order reports
CANCELED, an IOC/FOK/market remainder EXPIRED, as Binance does.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

from exchanges.sim.binance import format as fmt
from exchanges.sim.binance import order_format as ofmt
from exchanges.sim.binance.auth import (
    CLIENT_ID_RE,
    DECIMAL_RE,
    INVALID_SIDE,
    INVALID_TIF,
    INVALID_TYPE,
    NO_SUCH_ORDER,
    REJECT_CODES,
    STATUS_UNKNOWN,
    TOO_MANY_ORDERS,
    UNKNOWN_ORDER,
    WOULD_TAKE,
    BinanceError,
    check_timestamp,
    illegal,
    mandatory,
    not_required,
    reject_error,
)
from exchanges.sim.binance.rest import (
    API,
    KEY,
    PARAMS,
    endpoint,
    int_param,
    log_rejected_order,
    reply,
    server_of,
    symbol_param,
)
from exchanges.sim.orders import Order, Reject
from exchanges.sim.placement import submit

if TYPE_CHECKING:
    from exchanges.sim.base import ApiKey
    from exchanges.sim.binance.app import BinanceServer

routes = web.RouteTableDef()
RESP_TYPES = ("ACK", "RESULT", "FULL")


def decimal_param(params: dict[str, str], name: str) -> Decimal:
    text = params.get(name, "")
    if not text:
        raise mandatory(name)
    if not DECIMAL_RE.match(text):
        raise illegal(name, DECIMAL_RE.pattern)
    return Decimal(text)


def parse_new_order(server: BinanceServer, p: dict[str, str]) -> dict[str, Any]:
    """Binance new-order params -> engine kwargs (plus ``resp_type``); raises the BinanceError Binance sends."""
    symbol = symbol_param(server, p)
    assert symbol is not None
    for name in ("side", "type"):
        if not p.get(name):
            raise mandatory(name)
    if p["side"] not in ("BUY", "SELL"):
        raise INVALID_SIDE
    otype, tif_text = p["type"], p.get("timeInForce")
    if otype not in fmt.ORDER_TYPES:
        raise INVALID_TYPE
    side = p["side"].lower()
    price: Decimal | None = None
    quote_amount = False
    if otype == "MARKET":
        if p.get("price"):
            raise not_required("price")
        if tif_text:
            raise not_required("timeInForce")
        has_qty, has_quote = bool(p.get("quantity")), bool(p.get("quoteOrderQty"))
        if has_qty == has_quote:
            raise BinanceError(
                400,
                -1102 if not has_qty else -1106,
                "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"
                if not has_qty
                else "Parameter 'quoteOrderQty' sent when not required.",
            )
        quote_amount = has_quote
        amount = decimal_param(p, "quoteOrderQty" if has_quote else "quantity")
        type_, tif = "market", "GTC"
    else:
        if otype == "LIMIT":
            if not tif_text:
                raise mandatory("timeInForce")
            if tif_text not in ("GTC", "IOC", "FOK"):
                raise INVALID_TIF
            tif = tif_text
        else:
            if tif_text:
                raise not_required("timeInForce")
            tif = "PO"
        amount, price = decimal_param(p, "quantity"), decimal_param(p, "price")
        type_ = "limit"
    client_id = p.get("newClientOrderId") or server.new_client_id()
    if not CLIENT_ID_RE.match(client_id):
        raise illegal("newClientOrderId", CLIENT_ID_RE.pattern)
    resp_type = p.get("newOrderRespType", "FULL")
    if resp_type not in RESP_TYPES:
        raise illegal("newOrderRespType", "ACK, RESULT, FULL")
    if amount <= 0:
        raise REJECT_CODES["bad_amount"]
    if price is not None and price <= 0:
        raise REJECT_CODES["bad_price"]
    if quote_amount and side == "sell":  # sell until the quote amount is reached: size it on the bids
        amount, quote_amount = server.base_for_quote(symbol, amount), False
    check_filters(server, symbol, side, type_, tif, amount, price, quote_amount)
    return {
        "symbol": symbol,
        "side": side,
        "type": type_,
        "tif": tif,
        "amount": amount,
        "price": price,
        "client_id": client_id,
        "quote_amount": quote_amount,
        "resp_type": resp_type,
    }


def check_filters(
    server: BinanceServer,
    symbol: str,
    side: str,
    type_: str,
    tif: str,
    amount: Decimal,
    price: Decimal | None,
    quote_amount: bool,
) -> None:
    """LIMIT_MAKER's no-take rule; PRICE/LOT/NOTIONAL/PERCENT_PRICE_BY_SIDE filters are the engine's."""
    book = server.market.book(server.venue, symbol)
    opposite = book.sorted_levels("ask" if side == "buy" else "bid", published=False)[:1]
    best = book.grid.price(opposite[0][0]) if opposite else None
    if tif == "PO" and best is not None and price is not None and (price >= best if side == "buy" else price <= best):
        raise WOULD_TAKE


def place(server: BinanceServer, key: ApiKey, kw: dict[str, Any], now: int, arrival: int | None = None) -> Order:
    if not server.limiter.allow(f"acct:{key.account}", "ORDERS_10S", now):
        raise TOO_MANY_ORDERS
    engine_kw = {k: v for k, v in kw.items() if k != "resp_type"}
    try:
        return server.place_order(key, now, arrival, **engine_kw)
    except Reject as e:
        raise reject_error(e) from None


def expired(params: dict[str, str], now: int) -> BinanceError | None:
    """The signed ``timestamp`` + ``recvWindow`` checked again when the order reaches the matching engine."""
    try:
        check_timestamp(params, now)
    except BinanceError as e:
        return e
    return None


@routes.post(API + "/order")
@endpoint(1, "TRADE")
async def new_order(request: web.Request) -> web.Response:
    server, key, params = server_of(request), request[KEY], request[PARAMS]
    try:
        kw = parse_new_order(server, params)
    except BinanceError as e:
        log_rejected_order(server, key.key, params, str(e.code))
        raise

    def reject_log(now: int, arrival: int, code: str) -> None:
        log_rejected_order(server, key.key, params, code, now, arrival)

    order = await submit(
        server,
        expired=lambda now: expired(params, now),
        place=lambda now, arrival: place(server, key, kw, now, arrival),
        reject_log=reject_log,
        error_after_accept=lambda: STATUS_UNKNOWN,
    )
    return reply(ofmt.order_result(order, kw["resp_type"], False, server.now_ms()))


@routes.post(API + "/order/test")
@endpoint(1, "TRADE")
async def test_order(request: web.Request) -> web.Response:
    parse_new_order(server_of(request), request[PARAMS])
    return reply({})


def find_order(server: BinanceServer, key: ApiKey, p: dict[str, str], missing: BinanceError) -> Order:
    symbol = symbol_param(server, p)
    order_id = int_param(p, "orderId")
    client_id = p.get("origClientOrderId") or None
    if order_id is None and client_id is None:
        raise BinanceError(400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")
    try:
        order = server.engine.find(key.account, str(order_id) if order_id is not None else None, client_id)
    except Reject:
        raise missing from None
    if order.symbol != symbol:
        raise missing
    return order


@routes.get(API + "/order")
@endpoint(4, "USER_DATA")
async def query_order(request: web.Request) -> web.Response:
    server = server_of(request)
    order = find_order(server, request[KEY], request[PARAMS], NO_SUCH_ORDER)
    return reply(ofmt.order_query(order, order.order_id in server.user_canceled))


def cancel(server: BinanceServer, key: ApiKey, order: Order, new_client_id: str | None) -> dict[str, Any]:
    if not order.is_open:
        raise UNKNOWN_ORDER
    cancel_id = new_client_id or server.new_client_id()
    server.user_canceled[order.order_id] = cancel_id  # before the engine emits, so the stream says CANCELED
    try:
        server.engine.cancel(key.account, order_id=order.order_id, client_id=None, now_ms=server.now_ms())
    except Reject:
        server.user_canceled.pop(order.order_id, None)
        raise UNKNOWN_ORDER from None
    return ofmt.cancel_result(order, cancel_id, server.now_ms())


@routes.delete(API + "/order")
@endpoint(1, "TRADE")
async def cancel_order(request: web.Request) -> web.Response:
    server, key, params = server_of(request), request[KEY], request[PARAMS]
    order = find_order(server, key, params, UNKNOWN_ORDER)
    return reply(cancel(server, key, order, params.get("newClientOrderId")))


@routes.get(API + "/openOrders")
@endpoint(lambda p: 6 if p.get("symbol") else 80, "USER_DATA")
async def open_orders(request: web.Request) -> web.Response:
    server, key = server_of(request), request[KEY]
    symbol = symbol_param(server, request[PARAMS], required=False)
    orders = sorted(server.engine.open_orders(key.account, symbol), key=lambda o: int(o.order_id))
    return reply([ofmt.order_query(o, False) for o in orders])


@routes.delete(API + "/openOrders")
@endpoint(1, "TRADE")
async def cancel_open_orders(request: web.Request) -> web.Response:
    server, key = server_of(request), request[KEY]
    symbol = symbol_param(server, request[PARAMS])
    orders = sorted(server.engine.open_orders(key.account, symbol), key=lambda o: int(o.order_id))
    if not orders:
        raise UNKNOWN_ORDER
    return reply([cancel(server, key, o, None) for o in orders])


def _limit(params: dict[str, str]) -> int:
    return max(1, min(1000, int_param(params, "limit", 500) or 500))


def _window(params: dict[str, str], ts: int) -> bool:
    start, end = int_param(params, "startTime"), int_param(params, "endTime")
    return (start is None or ts >= start) and (end is None or ts <= end)


@routes.get(API + "/allOrders")
@endpoint(20, "USER_DATA")
async def all_orders(request: web.Request) -> web.Response:
    server, key, params = server_of(request), request[KEY], request[PARAMS]
    symbol = symbol_param(server, params)
    from_id = int_param(params, "orderId")
    orders = [
        o
        for o in server.engine.account_orders(key.account)
        if o.symbol == symbol and (from_id is None or int(o.order_id) >= from_id) and _window(params, o.created_ms)
    ]
    orders.sort(key=lambda o: int(o.order_id))
    return reply([ofmt.order_query(o, o.order_id in server.user_canceled) for o in orders][-_limit(params) :])


@routes.get(API + "/myTrades")
@endpoint(20, "USER_DATA")
async def my_trades(request: web.Request) -> web.Response:
    server, key, params = server_of(request), request[KEY], request[PARAMS]
    symbol = symbol_param(server, params)
    order_id, from_id = int_param(params, "orderId"), int_param(params, "fromId")
    out: list[Any] = []
    for o in server.engine.account_orders(key.account):
        if o.symbol != symbol or (order_id is not None and int(o.order_id) != order_id):
            continue
        out.extend(
            (int(f.trade_id), ofmt.my_trade(o, f))
            for f in o.fills
            if (from_id is None or int(f.trade_id) >= from_id) and _window(params, f.ts_ms)
        )
    out.sort(key=lambda t: t[0])
    return reply([t for _, t in out][-_limit(params) :] if from_id is None else [t for _, t in out][: _limit(params)])
