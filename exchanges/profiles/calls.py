"""Venue calls that ccxt does not unify: look an order up by client id, and send an order with the
venue's own expiry.

Look-up (``find_order``): each venue names the client id differently and ccxt's ``fetch_order`` does not
translate for all of them (checked in ccxt 4.5 python source):

* OKX: ``fetch_order(None, symbol, {"clOrdId": cid})`` → ``GET /api/v5/trade/order?clOrdId=…``.
* Binance: ``fetch_order(None, symbol, {"origClientOrderId": cid})`` → ``GET /api/v3/order?origClientOrderId=…``.
* Bybit: ``fetch_order`` always sends ``orderId`` (``None`` becomes the text "None") and needs
  ``options.fetchOrder.acknowledged``; so the open-order list (``/v5/order/realtime``, which also returns a
  recently closed order when asked by ``orderLinkId``) and then the order history (``/v5/order/history``)
  are asked with ``{"orderLinkId": cid}`` and the answer filtered by client id.

Expiry (``expiring``): while an order is signed, the request carries a window after which the venue
refuses it, counted from a timestamp arb pins to the journaled ``sent_ms``:

* Binance: ``recvWindow`` (ccxt reads ``options.recvWindow`` in ``sign``, or a ``recvWindow`` param);
  the venue refuses with -1021 when ``timestamp + recvWindow`` has passed on arrival.
* Bybit: ``X-BAPI-RECV-WINDOW``, which ccxt signs from ``options.recvWindow`` only (no per-request param);
  refused with 10002.
* OKX: the ``expTime`` request header (absolute ms); ccxt never sends it, so it is added to the signed
  request's headers here (not part of OKX's signature).

The window applies only to the request signed inside the ``expiring`` context (a ``ContextVar``, so
concurrent look-ups on the same client never carry it); the client's ``nonce`` returns the pinned
timestamp there, so time spent in ccxt's limiter queue cannot move the venue's deadline past
``expires_ms``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from exchanges.profiles import profile

# (timestamp in our wall clock, ms; window ms) of the order being signed in this task
_SENDING: ContextVar[tuple[int, int] | None] = ContextVar("arb_order_expiry", default=None)
_ARMED = "_arb_expiry_armed"


def _time_difference(client: Any) -> int:
    td = (getattr(client, "options", None) or {}).get("timeDifference")
    try:
        return int(td or 0)
    except (TypeError, ValueError):
        return 0


def arm(client: Any) -> None:
    """Let ``client`` sign orders with the venue's expiry inside :func:`expiring` (idempotent)."""
    if getattr(client, _ARMED, False) or not hasattr(client, "sign"):
        return
    how = profile(getattr(client, "id", "")).expiry
    if how == "none":
        return
    sign, nonce = client.sign, client.nonce

    def pinned_nonce() -> Any:
        sending = _SENDING.get()
        return nonce() if sending is None else sending[0] - _time_difference(client)

    def expiring_sign(*args: Any, **kwargs: Any) -> Any:
        sending = _SENDING.get()
        if sending is None:
            return sign(*args, **kwargs)
        stamp, window = sending
        if how == "recv_window":
            options = client.options
            before = options.get("recvWindow", _MISSING)
            options["recvWindow"] = window
            try:
                return sign(*args, **kwargs)
            finally:  # sign is synchronous: no other request is signed meanwhile
                if before is _MISSING:
                    options.pop("recvWindow", None)
                else:
                    options["recvWindow"] = before
        request = sign(*args, **kwargs)
        if how == "exp_time_header" and isinstance(request, dict):
            headers = dict(request.get("headers") or {})
            headers["expTime"] = str(stamp - _time_difference(client) + window)
            request["headers"] = headers
        return request

    client.sign, client.nonce = expiring_sign, pinned_nonce
    setattr(client, _ARMED, True)


_MISSING = object()


@contextlib.contextmanager
def expiring(stamp_ms: int, window_ms: int) -> Iterator[None]:
    """Requests signed inside carry the venue's expiry: refused after ``stamp_ms + window_ms`` (venue clock)."""
    token = _SENDING.set((stamp_ms, window_ms))
    try:
        yield
    finally:
        _SENDING.reset(token)


def sending() -> tuple[int, int] | None:
    """(timestamp ms, window ms) of the order being sent inside :func:`expiring` in this task, else None."""
    return _SENDING.get()


def has_expiry(client: Any) -> bool:
    """Whether orders sent through ``client`` carry a venue expiry (a real ccxt client of a known venue)."""
    return hasattr(client, "sign") and profile(getattr(client, "id", "")).expiry != "none"


def _cid(order: Mapping[str, Any]) -> str | None:
    from arb.trade.orders import client_id_of

    return client_id_of(order)


async def find_order(client: Any, symbol: str, client_id: str) -> dict[str, Any] | None:
    """The venue's order with our client id, or None when the venue says it has none.

    Other errors (network, auth, rate limit) propagate: "could not ask" is not "not there".
    """
    import ccxt.pro as ccxtpro

    prof = profile(getattr(client, "id", ""))
    params = prof.lookup_params(client_id)
    if prof.lookup == "order_lists" and (getattr(client, "has", None) or {}).get("fetchCanceledAndClosedOrders"):
        for call in (client.fetch_open_orders, client.fetch_canceled_and_closed_orders):
            orders = await call(symbol, None, None, dict(params))
            match = [o for o in orders or [] if _cid(o) == client_id]
            if match:
                return match[-1]
        return None
    try:
        return await client.fetch_order(None, symbol, dict(params))
    except ccxtpro.OrderNotFound:
        return None
