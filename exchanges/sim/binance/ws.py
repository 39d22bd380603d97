"""Binance spot WebSockets: market streams (``/ws``, ``/ws/<name>``) and the WS API (``/ws-api/v3``).

Market streams: raw ``/ws/<name>`` (subscribed from the path) and ``SUBSCRIBE``/``UNSUBSCRIBE``/
``LIST_SUBSCRIPTIONS`` with ``<symbol>@depth`` or ``<symbol>@depth@100ms`` diff events
``{e, E, s, U, u, b, a}``: ``U`` = previous final id + 1, ``u`` = the book's update id, so a client
syncing against ``GET /api/v3/depth`` (``lastUpdateId``) can check continuity exactly as Binance
documents. ``E`` is the simulator's send time.

WS API: trading requests in :mod:`exchanges.sim.binance.ws_trade`;
``userDataStream.subscribe.signature`` (signed like REST, params sorted by name) subscribes the
connection to the account's user data; events arrive as ``{"subscriptionId": n, "event": {...}}``
(``executionReport``, ``outboundAccountPosition``).

Subscription keys in :attr:`WsSession.subscriptions`: ``("depth", "BTCUSDT")``, ``("userData", account)``.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import defaultdict
from decimal import Decimal
from typing import Any

from aiohttp import web

from exchanges.sim.base import VenueServer, WsSession
from exchanges.sim.binance import format as fmt
from exchanges.sim.binance import market_data, ws_trade
from exchanges.sim.binance import order_format as ofmt
from exchanges.sim.binance.auth import BinanceError, authenticate_ws
from exchanges.sim.book import BookUpdate
from exchanges.sim.dialect_util import dumps
from exchanges.sim.orders import Fill, Order
from exchanges.sim.tape import PublicTrade

STREAM_RE = re.compile(r"^([a-z0-9]+)@(depth(?:5|10|20)?|trade)(?:@(100|1000)ms)?$")
WS_API_PATH = "/ws-api/v3"


class BinanceWs(VenueServer):
    """WS half of the Binance dialect (mixed into :class:`exchanges.sim.binance.app.BinanceServer`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sub_index: dict[tuple[str, str], set[WsSession]] = defaultdict(set)
        self._opened: set[WsSession] = set()  # sessions whose path streams were subscribed
        self.sub_ids: dict[WsSession, dict[int, str]] = {}  # ws-api session -> subscriptionId -> account
        self._sub_counter = itertools.count()
        self.user_canceled: dict[str, str] = {}  # order id -> clientOrderId of the cancel request
        self._reported: set[str] = set()  # order ids whose NEW execution report went out

    # ------------------------------------------------------------------ routes
    def add_ws_routes(self, app: web.Application) -> None:
        app.router.add_get("/ws", self.ws_endpoint)
        app.router.add_get("/ws/{stream}", self.ws_endpoint)  # ccxt uses /ws/<n> plus SUBSCRIBE
        app.router.add_get(WS_API_PATH, self.ws_endpoint)

    def _open_new_sessions(self) -> None:
        """Subscribe raw ``/ws/<stream>`` connections to the stream in their path (base has no open hook)."""
        for s in self.sessions - self._opened:
            self._opened.add(s)
            if s.path.startswith("/ws/"):
                self._subscribe(s, s.path[len("/ws/") :], True)

    # ------------------------------------------------------------------ outgoing
    def publish_book(self, update: BookUpdate) -> None:
        if len(self._opened) != len(self.sessions):
            self._open_new_sessions()
        sid = fmt.symbol_id(update.symbol)
        subs = self.sub_index.get(("depth", sid))
        if not subs:
            return
        lf = self.level_fmt(update.symbol)
        event = fmt.depth_update(
            sid,
            self.now_ms(),
            update.prev_seq + 1,
            update.seq,
            [lf.level(t, n) for t, n in update.bids],
            [lf.level(t, n) for t, n in update.asks],
        )
        text = dumps(event)
        for s in list(subs):
            s.send(text, book_update=True)

    def publish_trade(self, trade: PublicTrade) -> None:
        if len(self._opened) != len(self.sessions):
            self._open_new_sessions()
        subs = self.sub_index.get(("trade", fmt.symbol_id(trade.symbol)))
        if subs:
            text = dumps(market_data.trade_event(trade, self.now_ms()))
            for s in list(subs):
                s.send(text)

    def on_order_event(self, order: Order, fill: Fill | None) -> None:
        targets = [
            (s, sub_id) for s, ids in self.sub_ids.items() for sub_id, acct in ids.items() if acct == order.account
        ]
        if not targets:
            return
        now = self.now_ms()
        events = self._execution_reports(order, fill, now)
        if not events:
            return
        spec = self.market.spec(self.venue, order.symbol)
        events.append(ofmt.account_position(self.engine.account(order.account), [spec.base, spec.quote], now))
        for s, sub_id in targets:
            for event in events:
                s.send(dumps({"subscriptionId": sub_id, "event": event}))

    def _execution_reports(self, order: Order, fill: Fill | None, now: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        canceled_by = self.user_canceled.get(order.order_id)
        if order.order_id not in self._reported:
            self._reported.add(order.order_id)
            out.append(
                ofmt.execution_report(order, None, "NEW", "NEW", now, order.client_id, "", Decimal(0), Decimal(0))
            )
            if fill is None and order.status == "live":
                return out
        if fill is not None:
            cost = sum((f.price * f.amount for f in order.fills[: order.fills.index(fill) + 1]), Decimal(0))
            filled = sum((f.amount for f in order.fills[: order.fills.index(fill) + 1]), Decimal(0))
            status = "FILLED" if order.status == "filled" and filled >= order.filled else "PARTIALLY_FILLED"
            out.append(ofmt.execution_report(order, fill, "TRADE", status, now, order.client_id, "", filled, cost))
        elif order.status == "canceled":
            x = "CANCELED" if canceled_by else "EXPIRED"
            out.append(
                ofmt.execution_report(
                    order,
                    None,
                    x,
                    x,
                    now,
                    canceled_by or order.client_id,
                    order.client_id if canceled_by else "",
                    order.filled,
                    order.cost,
                )
            )
        if order.status == "filled" or (fill is None and order.status == "canceled"):
            self._reported.discard(order.order_id)  # terminal: no further reports for this order
        return out

    def on_session_closed(self, session: WsSession) -> None:
        for sub in session.subscriptions:
            self.sub_index.get(sub, set()).discard(session)
        self._opened.discard(session)
        self.sub_ids.pop(session, None)

    # ------------------------------------------------------------------ incoming
    async def on_ws_text(self, session: WsSession, text: str) -> None:
        if session not in self._opened:
            self._open_new_sessions()
        if session.path == WS_API_PATH:
            self._ws_api(session, text)
        else:
            self._stream_request(session, text)

    def _stream_request(self, session: WsSession, text: str) -> None:
        try:
            msg = json.loads(text)
        except ValueError:
            session.send(dumps({"code": 3, "msg": "Invalid JSON: expected value at line 1 column 1"}))
            return
        if not isinstance(msg, dict):
            session.send(dumps({"code": 2, "msg": "Invalid request: request must be an object"}))
            return
        req_id, method, params = msg.get("id"), msg.get("method"), msg.get("params", [])
        if req_id is not None and not ((isinstance(req_id, int) and req_id >= 0) or isinstance(req_id, str)):
            session.send(
                dumps({"code": 2, "msg": "Invalid request: request ID must be an unsigned integer", "id": None})
            )
            return
        if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
            if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
                session.send(dumps({"code": 1, "msg": "Invalid value type: expected array of strings", "id": req_id}))
                return
            for name in params:
                self._subscribe(session, name, method == "SUBSCRIBE")
            self.subscriptions_changed()
            session.send(dumps({"result": None, "id": req_id}))
        elif method == "LIST_SUBSCRIPTIONS":
            names = sorted(f"{sid.lower()}@{kind}" for kind, sid in session.subscriptions if kind in ("depth", "trade"))
            session.send(dumps({"result": names, "id": req_id}))
        elif method in ("SET_PROPERTY", "GET_PROPERTY"):
            session.send(dumps({"result": None if method == "SET_PROPERTY" else False, "id": req_id}))
        else:
            session.send(
                dumps(
                    {
                        "code": 2,
                        "msg": f"Invalid request: unknown variant `{method}`, expected one of "
                        "`SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`",
                        "id": req_id,
                    }
                )
            )

    def _subscribe(self, session: WsSession, name: str, on: bool) -> None:
        """Unknown but well-formed streams are accepted silently (as Binance does); depth diffs and trades flow."""
        m = STREAM_RE.match(name)
        if not m or m.group(2) not in ("depth", "trade"):
            return
        sid = m.group(1).upper()
        if sid not in self.symbols_by_id:
            return
        key = (m.group(2), sid)
        if on:
            session.subscriptions.add(key)
            self.sub_index[key].add(session)
        else:
            session.subscriptions.discard(key)
            self.sub_index.get(key, set()).discard(session)

    def _ws_api(self, session: WsSession, text: str) -> None:
        try:
            msg = json.loads(text)
        except ValueError:
            self._api_error(session, None, BinanceError(400, -1000, "Malformed request."))
            return
        if not isinstance(msg, dict) or not isinstance(msg.get("method"), str):
            self._api_error(
                session,
                msg.get("id") if isinstance(msg, dict) else None,
                BinanceError(400, -1102, "Mandatory parameter 'method' was not sent, was empty/null, or malformed."),
            )
            return
        req_id, method, params = msg.get("id"), msg["method"], msg.get("params", {})
        try:
            if method == "userDataStream.subscribe.signature":
                key = authenticate_ws(self.keys, params, session.remote, self.now_ms())
                session.key = key
                sub_id = next(self._sub_counter)
                self.sub_ids.setdefault(session, {})[sub_id] = key.account
                session.subscriptions.add(("userData", key.account))
                self.subscriptions_changed()
                self._api_ok(session, req_id, {"subscriptionId": sub_id})
            elif method == "userDataStream.unsubscribe":
                ids = self.sub_ids.get(session, {})
                wanted = params.get("subscriptionId") if isinstance(params, dict) else None
                for sub_id in [i for i in ids if wanted is None or i == wanted]:
                    ids.pop(sub_id)
                if not ids:
                    session.subscriptions = {s for s in session.subscriptions if s[0] != "userData"}
                self._api_ok(session, req_id, {})
            elif method in ws_trade.METHODS:
                ws_trade.handle(self, session, req_id, method, params)  # type: ignore[arg-type]  # the server
            elif method == "ping":
                self._api_ok(session, req_id, {})
            elif method == "time":
                self._api_ok(session, req_id, {"serverTime": self.now_ms()})
            else:
                raise BinanceError(400, -1020, "This operation is not supported.")
        except BinanceError as e:
            self._api_error(session, req_id, e)

    def _api_ok(self, session: WsSession, req_id: Any, result: Any) -> None:
        session.send(
            dumps(
                {
                    "id": req_id,
                    "status": 200,
                    "result": result,
                    "rateLimits": [
                        {
                            "rateLimitType": "REQUEST_WEIGHT",
                            "interval": "MINUTE",
                            "intervalNum": 1,
                            "limit": 6000,
                            "count": 2,
                        }
                    ],
                }
            )
        )

    def _api_error(self, session: WsSession, req_id: Any, e: BinanceError) -> None:
        session.send(dumps({"id": req_id, "status": e.status, "error": e.body()}))

    def level_fmt(self, symbol: str) -> fmt.LevelFormatter:
        raise NotImplementedError

    @property
    def symbols_by_id(self) -> dict[str, str]:
        raise NotImplementedError
