"""OKX v5 WebSocket: text ping/pong, login, public ``books``/``books5``/``bbo-tbt``, private ``orders``.

Subscription keys held in :attr:`WsSession.subscriptions`:
``("books", instId)``, ``("books5", instId)``, ``("bbo-tbt", instId)``, ``("orders", instType, instId)``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from exchanges.sim.base import VenueServer, WsSession
from exchanges.sim.dialect_util import dumps
from exchanges.sim.market import BookUpdate
from exchanges.sim.matching import Fill, Order
from exchanges.sim.okx import format as fmt
from exchanges.sim.okx import market_data, ws_trade
from exchanges.sim.okx.auth import login_error
from exchanges.sim.tape import PublicTrade

PUBLIC_BOOK_CHANNELS = {"books": 400, "books5": 5, "bbo-tbt": 1}
PUBLIC_CHANNELS = {*PUBLIC_BOOK_CHANNELS, "trades"}
PRIVATE_CHANNELS = {"orders", "account"}
INST_TYPES = {"ANY", "SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION"}


class OkxWs(VenueServer):
    """WS half of the OKX dialect (mixed into :class:`exchanges.sim.okx.app.OkxServer`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sub_index: dict[tuple[str, ...], set[WsSession]] = defaultdict(set)

    # ------------------------------------------------------------------ outgoing
    def publish_book(self, update: BookUpdate) -> None:
        inst = fmt.inst_id(update.symbol)
        book = self.market.book(self.venue, update.symbol)
        ts = self.now_ms()
        subs = self.sub_index.get(("books", inst))
        if subs:
            g = book.grid
            bids = [fmt.level(g, t, n) for t, n in update.bids]
            asks = [fmt.level(g, t, n) for t, n in update.asks]
            text = dumps(fmt.books_update(book, bids, asks, update.prev_seq, ts))
            for s in list(subs):
                s.send(text, book_update=True)
        for channel in ("books5", "bbo-tbt"):
            subs = self.sub_index.get((channel, inst))
            if subs:
                text = dumps(fmt.books_top(book, ts, channel, PUBLIC_BOOK_CHANNELS[channel]))
                for s in list(subs):
                    s.send(text)

    def publish_trade(self, trade: PublicTrade) -> None:
        subs = self.sub_index.get(("trades", fmt.inst_id(trade.symbol)))
        if subs:
            text = dumps(market_data.trades_push(trade))
            for s in list(subs):
                s.send(text)

    def push_account(self, account: str, only: WsSession | None = None) -> None:
        """The ``account`` channel: the account's balances, on subscribe and after every balance change."""
        for session in [only] if only is not None else list(self.sessions):
            if session.key is None or session.key.account != account:
                continue
            for sub in session.subscriptions:
                if sub[0] != "account":
                    continue
                ccys = {sub[1]} if sub[1] else None
                data = fmt.balance(self.engine.account(account), self.usd_prices(), self.now_ms(), ccys)
                arg = {"channel": "account", "uid": fmt.UID, **({"ccy": sub[1]} if sub[1] else {})}
                event = "snapshot" if only is not None else "event_update"  # first push on subscribe: snapshot
                session.send(dumps({"arg": arg, "eventType": event, "curPage": 1, "lastPage": True, "data": [data]}))

    def on_order_event(self, order: Order, fill: Fill | None) -> None:
        self.push_account(order.account)
        inst = fmt.inst_id(order.symbol)
        spec = self.market.spec(self.venue, order.symbol)
        data: list[dict[str, Any]] | None = None
        for session in list(self.sessions):
            if session.key is None or session.key.account != order.account:
                continue
            for sub in session.subscriptions:
                if sub[0] != "orders" or sub[1] not in ("ANY", "SPOT") or sub[2] not in ("", inst):
                    continue
                if data is None:
                    data = [fmt.order_push(order, spec, fill, self.market.mids[order.symbol])]
                arg = {"channel": "orders", "instType": sub[1], "uid": fmt.UID}
                if sub[2]:
                    arg["instId"] = sub[2]
                session.send(dumps({"arg": arg, "data": data}))

    def on_session_closed(self, session: WsSession) -> None:
        for sub in session.subscriptions:
            self.sub_index.get(sub, set()).discard(session)

    # ------------------------------------------------------------------ incoming
    def _error(self, session: WsSession, code: str, msg: str, req_id: Any = None) -> None:
        body: dict[str, Any] = {"event": "error", "code": code, "msg": msg, "connId": session.conn_id}
        if req_id is not None:
            body["id"] = req_id
        session.send(dumps(body))

    async def on_ws_text(self, session: WsSession, text: str) -> None:
        if text == "ping":
            session.pings += 1
            session.send("pong")
            return
        try:
            msg = json.loads(text)
        except ValueError:
            self._error(session, "60012", f"Illegal request: {text[:512]}")
            return
        if not isinstance(msg, dict):
            self._error(session, "60012", f"Illegal request: {text[:512]}")
            return
        op, args = msg.get("op"), msg.get("args")
        if op == "login":
            self._login(session, args)
        elif op in ws_trade.TRADE_OPS:
            ws_trade.handle(self, session, msg)  # type: ignore[arg-type]  # self is the OkxServer
        elif op in ("subscribe", "unsubscribe"):
            if not isinstance(args, list) or not args:
                self._error(session, "60012", f"Illegal request: {text[:512]}")
                return
            for arg in args:
                self._subscribe(session, arg, op == "subscribe")
            self.subscriptions_changed()
        else:
            self._error(session, "60019", f"Invalid op: {op}", msg.get("id"))

    def _login(self, session: WsSession, args: Any) -> None:
        if not isinstance(args, list) or not args:
            self._error(session, "60012", "Illegal request: login args")
            return
        if len(args) > 1:
            self._error(session, "60031", "The WebSocket endpoint does not support multiple account batch login.")
            return
        err = login_error(self.keys, args[0], session.remote, self.now_ms())
        if err:
            self._error(session, *err)
            return
        session.key = self.keys[str(args[0]["apiKey"])]
        session.send(dumps({"event": "login", "code": "0", "msg": "", "connId": session.conn_id}))

    def _subscribe(self, session: WsSession, arg: Any, on: bool) -> None:
        if not isinstance(arg, dict) or not isinstance(arg.get("channel"), str):
            self._error(session, "60012", f"Illegal request: {dumps(arg)}")
            return
        channel, inst = arg["channel"], arg.get("instId")
        private = session.path.endswith("/private")
        public = session.path.endswith("/public")
        key: tuple[str, ...]
        if channel in PUBLIC_CHANNELS and public:
            if not isinstance(inst, str) or inst.replace("-", "/") not in self.market.symbols:
                self._no_channel(session, channel, inst)
                return
            key = (channel, inst)
        elif channel in PRIVATE_CHANNELS and private:
            if session.key is None:
                self._error(session, "60011", "Please log in")
                return
            inst_type = arg.get("instType")
            if channel == "account":
                ccy = arg.get("ccy")
                if ccy is not None and not isinstance(ccy, str):
                    self._no_channel(session, channel, inst)
                    return
                key = ("account", ccy or "")
            elif (
                not isinstance(inst_type, str)
                or inst_type not in INST_TYPES
                or (
                    inst is not None
                    and (not isinstance(inst, str) or inst.replace("-", "/") not in self.market.symbols)
                )
            ):
                self._no_channel(session, channel, inst)
                return
            else:
                key = (channel, inst_type, inst or "")
        else:
            self._no_channel(session, channel, inst)
            return
        session.send(dumps({"event": "subscribe" if on else "unsubscribe", "arg": arg, "connId": session.conn_id}))
        if not on:
            session.subscriptions.discard(key)
            self.sub_index.get(key, set()).discard(session)
            return
        session.subscriptions.add(key)
        self.sub_index[key].add(session)
        if channel == "account" and session.key is not None:
            self.push_account(session.key.account, only=session)
        if channel in PUBLIC_BOOK_CHANNELS:
            book = self.market.book(self.venue, str(inst).replace("-", "/"))
            if channel == "books":
                session.send(dumps(fmt.books_snapshot(book, self.now_ms())))
            else:
                session.send(dumps(fmt.books_top(book, self.now_ms(), channel, PUBLIC_BOOK_CHANNELS[channel])))

    def _no_channel(self, session: WsSession, channel: str, inst: Any) -> None:
        self._error(
            session,
            "60018",
            f"Wrong URL or channel:{channel},instId:{inst} doesn't exist. "
            "Please use the correct URL, channel and parameters referring to API document.",
        )
