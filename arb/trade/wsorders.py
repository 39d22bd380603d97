"""Orders over the venue's WebSocket trading API (ccxt.pro ``create_order_ws``), REST as the fallback.

:class:`WsOrderClient` wraps one send client (``execution.order_transport = "ws"``): the executor keeps
calling ``create_order`` with the same client-id and expiry params, inside the same ``expiring`` window
(:mod:`exchanges.profiles.calls`); every other attribute is the wrapped ccxt client's. Where ccxt has WebSocket
order entry (OKX private socket ``order``/``batch-orders``, Binance WS API ``order.place``, Bybit ``/v5/trade``
``order.create``) the order goes over the socket, which :meth:`WsOrderClient.warm` connects and logs in before
the first decision, so no order waits for a handshake.

The one rule: an order is sent at most once, over one transport.

* Before an order is handed to ccxt the socket must be ready: connected and, where the venue wants it,
  logged in (checked on ccxt's own client state, no await). Not ready: the order goes over REST at once; the
  WebSocket path was never tried for it, so the REST send is its first and only one. The socket is then
  reconnected in the background for the next order.
* Once ``create_order_ws`` is called the order may be on the wire. The venue's refusal comes back as ccxt's
  mapped error (InvalidOrder, InsufficientFunds, RateLimitExceeded, ...) exactly as over REST; anything
  else (timeout, connection closed, 5xx/busy, unreadable answer) propagates as it is, and the executor looks
  the order up by client id until its expiry: never re-sent, not over WebSocket and not over REST. Even
  "connection closed before send" is treated so: from outside ccxt's send task, a frame that never left
  cannot be told from one that left just before the close. When in doubt, look up.

The venue's own expiry travels as over REST: Binance ``recvWindow`` in the signed params (set while ccxt
signs; its nonce is pinned to ``sent_ms`` by ``calls.arm``), OKX ``expTime`` at the top of the op, Bybit
``X-BAPI-TIMESTAMP`` (= ``sent_ms``) and ``X-BAPI-RECV-WINDOW`` in the request header.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from arb.trade.orders import brief
from exchanges.profiles.calls import sending

log = logging.getLogger(__name__)
TRANSPORTS = ("ws", "rest")
WS_VENUES = ("okx", "binance", "bybit")  # ccxt ids whose create_order_ws arb uses
WARM_TIMEOUT_S = 10.0  # connecting and logging in a trading socket
_OWN = ("_client", "_venue", "_warming", "ws_orders", "rest_orders")


def trade_url(client: Any) -> str:
    """The URL of the venue's WebSocket trading endpoint, as ccxt's create_order_ws computes it."""
    cid = client.id
    if cid == "okx":
        return str(client.get_url("private", "private"))
    if cid == "binance":
        return str(client.urls["api"]["ws"]["ws-api"]["spot"])
    return str(client.implode_hostname(client.urls["api"]["ws"]["private"]["trade"]))


def _time_difference(client: Any) -> int:
    try:
        return int((client.options or {}).get("timeDifference") or 0)
    except (TypeError, ValueError):
        return 0


ORDER_OPS = {"okx": ("order", "batch-orders"), "bybit": ("order.create",), "binance": ("order.place",)}


def _order_watch(client: Any) -> Any:
    """``client.watch`` for order requests: the venue's expiry added (OKX ``expTime``, Bybit header) when sent
    inside ``calls.expiring``, and the frame written at once in the caller's task when the socket is open.

    ccxt's own ``watch`` hands the frame to a done-callback that starts a task that writes it: two trips
    through the event loop, behind every book update waiting there. Here the order's future is registered the
    same way (``client.future``, the subscription entry ccxt's message handler dispatches on) and the frame is
    written by ``client.send`` directly; a write error is ccxt's ``on_error`` (the future is rejected). Anything
    else (not an order, no open socket) is ccxt's ``watch`` unchanged.
    """
    watch, cid = client.watch, client.id
    ops = ORDER_OPS.get(cid, ())

    def order_watch(
        url: str, message_hash: Any, message: Any = None, subscribe_hash: Any = None, subscription: Any = None
    ) -> Any:
        op = message.get("op", message.get("method")) if isinstance(message, dict) else None
        if op not in ops:
            return watch(url, message_hash, message, subscribe_hash, subscription)
        window = sending()
        if window is not None and cid in ("okx", "bybit"):
            stamp, ms = window
            stamp -= _time_difference(client)
            if cid == "okx":
                message = {**message, "expTime": str(stamp + ms)}
            else:
                header = {
                    **(message.get("header") or {}),
                    "X-BAPI-TIMESTAMP": str(stamp),
                    "X-BAPI-RECV-WINDOW": str(ms),
                }
                message = {**message, "header": header}
        conn = (getattr(client, "clients", None) or {}).get(url)
        if (
            conn is None
            or conn.closed()
            or not conn.connected.done()
            or subscribe_hash is None
            or subscribe_hash in conn.subscriptions
        ):
            return watch(url, message_hash, message, subscribe_hash, subscription)
        future = conn.future(message_hash)
        conn.subscriptions[subscribe_hash] = subscription or True

        async def send_then_wait() -> Any:
            try:
                await conn.send(message)
            except Exception as e:  # as ccxt's own send task does: the connection is failed, futures rejected
                conn.on_error(e)
            return await future

        return send_then_wait()

    return order_watch


def _window_sign_params(client: Any) -> Any:
    """Binance ``sign_params`` that signs an order sent inside ``calls.expiring`` with its window as
    ``recvWindow`` (ccxt lets ``options.recvWindow`` override a ``recvWindow`` param, so the option is set for
    the duration of the synchronous signing); the timestamp is ``sent_ms`` (``calls.arm`` pins the nonce)."""
    sign_params = client.sign_params

    def window_sign_params(params: Any = None) -> Any:
        window = sending()
        if window is None:
            return sign_params(params if params is not None else {})
        options, before = client.options, client.options.get("recvWindow", _MISSING)
        options["recvWindow"] = window[1]
        try:
            return sign_params(params if params is not None else {})
        finally:
            if before is _MISSING:
                options.pop("recvWindow", None)
            else:
                options["recvWindow"] = before

    return window_sign_params


_MISSING = object()


class WsOrderClient:
    """A send client whose ``create_order`` goes over the venue's WebSocket trading API when its socket is ready.

    Attribute reads and writes other than its own go to the wrapped ccxt client (so ``calls.arm`` patches
    the real client's ``sign``/``nonce``). ``ws_orders`` / ``rest_orders`` count what went where.
    """

    def __init__(self, client: Any, venue: str = "") -> None:
        object.__setattr__(self, "_client", client)
        object.__setattr__(self, "_venue", venue or getattr(client, "id", ""))
        object.__setattr__(self, "_warming", None)
        object.__setattr__(self, "ws_orders", 0)
        object.__setattr__(self, "rest_orders", 0)
        if client.id in ORDER_OPS:
            client.watch = _order_watch(client)
        if client.id == "binance":
            client.sign_params = _window_sign_params(client)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _OWN:
            object.__setattr__(self, name, value)
        else:
            setattr(self._client, name, value)

    @property
    def wrapped(self) -> Any:
        return self._client

    # -- the socket ----------------------------------------------------------------------------------
    def ws_ready(self) -> bool:
        """Connected and (OKX, Bybit) logged in, from ccxt's own client state; never awaits."""
        c = self._client
        conn = (getattr(c, "clients", None) or {}).get(trade_url(c))
        if conn is None or conn.closed() or not conn.connected.done() or conn.connected.cancelled():
            return False
        if conn.connected.exception() is not None:
            return False
        if c.id == "binance":  # every WS API request is signed on its own: no login
            return True
        auth = conn.futures.get("authenticated")
        return bool(
            "authenticated" in conn.subscriptions
            and auth is not None
            and auth.done()
            and not auth.cancelled()
            and auth.exception() is None
        )

    async def warm(self) -> None:
        """Connect (and log in) the trading socket now; raises what ccxt raises (network, authentication)."""
        c = self._client
        if c.id == "okx":
            await c.authenticate()
        elif c.id == "bybit":
            await c.authenticate(trade_url(c))
        else:  # Binance: no login; the WS API's own ``ping`` request opens the socket and proves it answers
            url = trade_url(c)
            req = str(c.request_id(url))
            await c.watch(url, req, {"id": req, "method": "ping"}, req, {"method": lambda cl, m: cl.resolve(m, req)})

    def _rewarm(self) -> None:
        """Reconnect in the background (one attempt at a time); failures are logged, the next order retries."""
        if self._warming is not None and not self._warming.done():
            return

        async def run() -> None:
            try:
                async with asyncio.timeout(WARM_TIMEOUT_S):
                    await self.warm()
            except Exception as e:
                log.warning("orders.ws_connect_failed venue=%s error=%s", self._venue, brief(e))

        object.__setattr__(self, "_warming", asyncio.ensure_future(run()))

    # -- orders --------------------------------------------------------------------------------------
    async def create_order(
        self,
        symbol: str,
        type: str,
        side: str,
        amount: float,
        price: float | None = None,
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        c, params = self._client, dict(params or {})
        if not self.ws_ready():  # nothing went over the socket for this order: REST is its only send
            self._rewarm()
            self.rest_orders += 1
            log.info("orders.rest_fallback venue=%s reason=socket not ready", self._venue)
            return dict(await c.create_order(symbol, type, side, amount, price, params))
        self.ws_orders += 1
        return dict(await c.create_order_ws(symbol, type, side, amount, price, params))

    async def close(self) -> None:
        if self._warming is not None:
            self._warming.cancel()
        await self._client.close()


def supports_ws(client: Any) -> bool:
    """Whether arb places orders over ``client``'s WebSocket trading API (a ccxt.pro client of a known venue)."""
    return getattr(client, "id", "") in WS_VENUES and bool((getattr(client, "has", None) or {}).get("createOrderWs"))


def order_transport(clients: Mapping[str, Any] | None, transport: str) -> dict[str, Any] | None:
    """The send clients for ``execution.order_transport``: wrapped for WebSocket order entry where supported."""
    if not clients:
        return None
    if transport not in TRANSPORTS:
        raise ValueError(f"order transport {transport!r}: use one of {', '.join(TRANSPORTS)}")
    if transport == "rest":
        return dict(clients)
    return {v: WsOrderClient(c, v) if supports_ws(c) else c for v, c in clients.items()}


def send_clients_for(cfg: Any, clients: Mapping[str, Any] | None) -> dict[str, Any]:
    """The trader's send clients under ``cfg.execution.order_transport``."""
    return order_transport(clients, cfg.execution.order_transport) or {}


async def prepare_send_clients(send: Mapping[str, Any], market_clients: Mapping[str, Any]) -> dict[str, str]:
    """Before the first decision: the send clients take the market clients' markets (no extra REST call) and
    their order sockets are connected and logged in. Returns {venue: why} of sockets that could not be."""
    for v, c in send.items():
        c.set_markets(market_clients[v].markets, getattr(market_clients[v], "currencies", None))
    return await warm_all(send)


async def warm_all(clients: Mapping[str, Any] | None, timeout_s: float = WARM_TIMEOUT_S) -> dict[str, str]:
    """Connect and log in every WebSocket order client before the first decision; {venue: error} of those that
    could not (their orders go over REST until a background reconnect succeeds)."""
    failed: dict[str, str] = {}
    wrapped = [(v, c) for v, c in (clients or {}).items() if isinstance(c, WsOrderClient)]

    async def one(venue: str, c: WsOrderClient) -> None:
        try:
            async with asyncio.timeout(timeout_s):
                await c.warm()
        except Exception as e:
            failed[venue] = brief(e)
            log.warning("orders.ws_connect_failed venue=%s error=%s", venue, failed[venue])

    await asyncio.gather(*(one(v, c) for v, c in wrapped))
    return failed
