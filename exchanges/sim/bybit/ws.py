"""Bybit v5 WebSockets: public ``orderbook.{depth}.{symbol}`` (``/v5/public/spot``), private ``order``,
``execution`` and ``wallet`` (``/v5/private`` after ``op: auth``), ``op: ping`` -> pong; the trade socket
``/v5/trade`` is :mod:`exchanges.sim.bybit.ws_trade`.

Book topics send a ``snapshot`` on subscribe, then ``delta`` messages of the top-``depth`` view (size
"0" deletes a level; level 1 is always a snapshot), with ``u`` (update id per symbol, +1 per message),
``seq`` (the book's sequence), ``ts`` (simulator send time, strictly increasing per symbol) and ``cts``.
ccxt does not check ``u``: like Bybit, the server repairs a connection that missed or reordered a delta
(gap/out-of-order faults) by sending the next message of that topic as a snapshot.

Subscription keys in :attr:`WsSession.subscriptions`: the topic string (``"orderbook.50.BTCUSDT"``,
``"order"``, ``"execution"``, ``"wallet"``).
"""

from __future__ import annotations

import itertools
import json
import re
from collections import defaultdict
from typing import Any

from exchanges.sim.base import VenueServer, WsSession
from exchanges.sim.book import BookUpdate, VenueBook
from exchanges.sim.bybit import format as fmt
from exchanges.sim.bybit import market_data, ws_trade
from exchanges.sim.bybit.auth import ws_auth_error
from exchanges.sim.dialect_util import dumps
from exchanges.sim.orders import Fill, Order
from exchanges.sim.tape import PublicTrade

BOOK_TOPIC_RE = re.compile(r"^orderbook\.(\d+)\.([A-Z0-9]+)$")
TRADE_TOPIC_RE = re.compile(r"^publicTrade\.([A-Z0-9]+)$")
SPOT_DEPTHS = (1, 50, 200, 1000)
PRIVATE_TOPICS = ("order", "execution", "wallet")
MAX_ARGS = 10
PUBLIC_SPOT_PATH = "/v5/public/spot"
PRIVATE_PATH = "/v5/private"


class TopicView:
    """The top-``depth`` levels a book topic has published (what every subscriber's book holds)."""

    def __init__(self, topic: str, symbol: str, depth: int, book: VenueBook) -> None:
        self.topic, self.symbol, self.depth = topic, symbol, depth
        self.sides: dict[str, dict[int, int]] = {s: dict(book.sorted_levels(s)[:depth]) for s in ("bid", "ask")}
        self.full = {s: len(self._published(book, s)) <= depth for s in ("bid", "ask")}

    @staticmethod
    def _published(book: VenueBook, side: str) -> dict[int, int]:
        return book.pub_bids if side == "bid" else book.pub_asks

    def advance(self, book: VenueBook, update: BookUpdate) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Apply one published update; return the (bids, asks) level changes of this view."""
        return self._side(book, "bid", update.bids), self._side(book, "ask", update.asks)

    def _side(self, book: VenueBook, side: str, changed: list[tuple[int, int]]) -> list[tuple[int, int]]:
        view, published = self.sides[side], self._published(book, side)
        if self.full[side] and len(published) <= self.depth:  # the view is the whole side: the diff is the update
            for tick, lots in changed:
                if lots:
                    view[tick] = lots
                else:
                    view.pop(tick, None)
            return changed
        new = dict(book.sorted_levels(side)[: self.depth])
        out = [(t, n) for t, n in new.items() if view.get(t) != n] + [(t, 0) for t in view if t not in new]
        self.sides[side], self.full[side] = new, len(published) <= self.depth
        return sorted(out, reverse=side == "bid")

    def levels(self, book: VenueBook, side: str, items: list[tuple[int, int]] | None = None) -> list[list[str]]:
        g = book.grid
        if items is None:
            items = sorted(self.sides[side].items(), reverse=side == "bid")
        return [[g.price_str(t), g.size_str(n)] for t, n in items]


class BybitWs(VenueServer):
    """WS half of the Bybit dialect (mixed into :class:`exchanges.sim.bybit.app.BybitServer`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sub_index: dict[str, set[WsSession]] = defaultdict(set)
        self.views: dict[str, TopicView] = {}
        self.views_by_symbol: dict[str, list[TopicView]] = defaultdict(list)
        self.resync: dict[WsSession, set[str]] = {}  # topics whose next message must be a snapshot
        self._update_ids = {s: 1_000_000 + i * 7_919 for i, s in enumerate(self.market.symbols)}
        self._last_ts: dict[str, int] = {}
        self._msg_ids = itertools.count(1)
        self.user_canceled: set[str] = set()

    # ------------------------------------------------------------------ ids and clocks
    def update_id(self, symbol: str) -> int:
        return self._update_ids[symbol]

    def book_ts(self, symbol: str) -> int:
        """Send time of a book message, strictly increasing per symbol (ccxt keys books by ``ts``)."""
        ts = max(self.now_ms(), self._last_ts.get(symbol, 0) + 1)
        self._last_ts[symbol] = ts
        return ts

    def last_book_ts(self, symbol: str) -> int:
        return self._last_ts.get(symbol, 0)

    # ------------------------------------------------------------------ outgoing
    def publish_book(self, update: BookUpdate) -> None:
        views = self.views_by_symbol.get(update.symbol)
        if not views:
            return
        book = self.market.book(self.venue, update.symbol)
        self._update_ids[update.symbol] += 1
        u, ts = self._update_ids[update.symbol], self.book_ts(update.symbol)
        sid = fmt.symbol_id(update.symbol)
        for view in views:
            bids, asks = view.advance(book, update)
            if not bids and not asks:
                continue
            subs = self.sub_index.get(view.topic, ())
            snapshot: str | None = None
            if view.depth == 1:
                text = snapshot = self._snapshot_text(view, book, u, ts)
            else:
                text = dumps(
                    fmt.book_message(
                        view.topic,
                        "delta",
                        sid,
                        view.levels(book, "bid", bids),
                        view.levels(book, "ask", asks),
                        u,
                        book.seq,
                        ts,
                        book.ts_ms,
                    )
                )
            for s in list(subs):
                pending = self.resync.get(s)
                if pending and view.topic in pending and getattr(s, "_held", None) is None:
                    snapshot = snapshot or self._snapshot_text(view, book, u, ts)
                    s.send(snapshot)  # not subject to book faults: this is the repair
                    pending.discard(view.topic)
                    continue
                dropped = s.dropped
                s.send(text, book_update=True)
                if s.dropped != dropped or getattr(s, "_held", None) is not None:
                    self.resync.setdefault(s, set()).add(view.topic)

    def _snapshot_text(self, view: TopicView, book: VenueBook, u: int, ts: int) -> str:
        return dumps(
            fmt.book_message(
                view.topic,
                "snapshot",
                fmt.symbol_id(view.symbol),
                view.levels(book, "bid"),
                view.levels(book, "ask"),
                u,
                book.seq,
                ts,
                book.ts_ms,
            )
        )

    def publish_trade(self, trade: PublicTrade) -> None:
        subs = self.sub_index.get(f"publicTrade.{fmt.symbol_id(trade.symbol)}")
        if subs:
            text = dumps(market_data.trade_message(trade, self.now_ms()))
            for s in list(subs):
                s.send(text)

    def on_order_event(self, order: Order, fill: Fill | None) -> None:
        sessions = [
            s
            for s in self.sessions
            if s.key is not None and s.key.account == order.account and s.subscriptions.intersection(PRIVATE_TOPICS)
        ]
        if not sessions:
            return
        now = self.now_ms()
        spec = self.market.spec(self.venue, order.symbol)
        messages = {"order": [fmt.order_push(order, spec, order.order_id in self.user_canceled)]}
        if fill is not None:
            row = fmt.execution(order, fill, spec, self.engine.taker_fee, int(fill.trade_id))
            row.update({"category": "spot", "execPnl": "0", "closedSize": ""})
            messages["execution"] = [row]
        messages["wallet"] = [fmt.wallet(self.engine.account(order.account), self.usd_prices(), None)]
        for s in sessions:
            for topic, data in messages.items():
                if topic in s.subscriptions:
                    s.send(
                        dumps({"id": f"{next(self._msg_ids):x}-sim", "topic": topic, "creationTime": now, "data": data})
                    )

    def on_session_closed(self, session: WsSession) -> None:
        self.resync.pop(session, None)
        for topic in list(session.subscriptions):
            self._drop(session, topic)

    # ------------------------------------------------------------------ incoming
    async def on_ws_text(self, session: WsSession, text: str) -> None:
        if session.path == ws_trade.TRADE_PATH:
            ws_trade.on_text(self, session, text)  # type: ignore[arg-type]  # self is the BybitServer
            return
        private = session.path == PRIVATE_PATH
        try:
            msg = json.loads(text)
        except ValueError:
            msg = None
        if not isinstance(msg, dict):
            self._reply(session, False, "error:request not json", "", None)
            return
        op, req_id, args = msg.get("op"), msg.get("req_id"), msg.get("args")
        if op == "ping":
            session.pings += 1
            if private:
                session.send(
                    dumps({"req_id": req_id, "op": "pong", "args": [str(self.now_ms())], "conn_id": session.conn_id})
                )
            else:
                self._reply(session, True, "pong", "ping", req_id)
        elif op == "auth" and private:
            err = ws_auth_error(self.keys, args, session.remote, self.now_ms())
            if err is None:
                session.key = self.keys[str(args[0])] if args else None
            self._reply(session, err is None, err or "", "auth", req_id)
        elif op in ("subscribe", "unsubscribe"):
            self._subscribe(session, op, args, req_id, private)
        else:
            self._reply(session, False, f"error:unknown op: {op}", str(op or ""), req_id)

    def _reply(self, session: WsSession, success: bool, ret_msg: str, op: str, req_id: Any) -> None:
        body: dict[str, Any] = {"success": success, "ret_msg": ret_msg, "conn_id": session.conn_id}
        if req_id is not None:
            body["req_id"] = req_id
        body["op"] = op
        session.send(dumps(body))

    def _subscribe(self, session: WsSession, op: str, args: Any, req_id: Any, private: bool) -> None:
        if not isinstance(args, list) or not args or not all(isinstance(a, str) for a in args):
            self._reply(session, False, "error:args invalid", op, req_id)
            return
        if len(args) > MAX_ARGS:
            self._reply(session, False, f"args size >{MAX_ARGS}", op, req_id)
            return
        if private and session.key is None:
            self._reply(session, False, "Request not authorized", op, req_id)
            return
        bad = [a for a in args if not self._topic_ok(a, private, session.path)]
        if bad:
            self._reply(session, False, f"error:handler not found,topic:{bad[0]}", op, req_id)
            return
        self._reply(session, True, op if not private else "", op, req_id)
        for topic in args:
            if op == "unsubscribe":
                self._drop(session, topic)
            elif topic not in session.subscriptions:
                self._add(session, topic)
        self.subscriptions_changed()

    def _topic_ok(self, topic: str, private: bool, path: str) -> bool:
        if private:
            return topic in PRIVATE_TOPICS
        t = TRADE_TOPIC_RE.match(topic)
        if t is not None:
            return path == PUBLIC_SPOT_PATH and t.group(1) in self.symbols_by_id
        m = BOOK_TOPIC_RE.match(topic)
        return (
            path == PUBLIC_SPOT_PATH
            and m is not None
            and int(m.group(1)) in SPOT_DEPTHS
            and m.group(2) in self.symbols_by_id
        )

    def _add(self, session: WsSession, topic: str) -> None:
        session.subscriptions.add(topic)
        self.sub_index[topic].add(session)
        m = BOOK_TOPIC_RE.match(topic)
        if m is None:
            return
        symbol = self.symbols_by_id[m.group(2)]
        book = self.market.book(self.venue, symbol)
        view = self.views.get(topic)
        if view is None:
            view = self.views[topic] = TopicView(topic, symbol, int(m.group(1)), book)
            self.views_by_symbol[symbol].append(view)
        session.send(self._snapshot_text(view, book, self.update_id(symbol), self.book_ts(symbol)))

    def _drop(self, session: WsSession, topic: str) -> None:
        session.subscriptions.discard(topic)
        subs = self.sub_index.get(topic)
        if subs is not None:
            subs.discard(session)
            if not subs:
                del self.sub_index[topic]
                view = self.views.pop(topic, None)
                if view is not None:
                    self.views_by_symbol[view.symbol].remove(view)

    # provided by the server class
    @property
    def symbols_by_id(self) -> dict[str, str]:
        raise NotImplementedError
