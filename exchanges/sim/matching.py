"""Venue-independent matching engine: orders against a venue's simulated book, balances, fees.

One :class:`MatchingEngine` per venue. Orders take liquidity from the :class:`~exchanges.sim.market.MarketProcess`
book (``consume``), so the next published book shows the fill and the level refills over time.
Money is ``Decimal`` throughout; a reject is a :class:`Reject` with a venue-neutral ``reason`` that
the dialect maps to the venue's real error code.

Fee currency rule ("received"): a buy pays its fee in base, a sell in quote, as OKX and Bybit spot do.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from exchanges.sim import filters, order_log
from exchanges.sim.book import Grid
from exchanges.sim.market import MarketProcess
from exchanges.sim.orders import ORDER_TYPES, TIFS, Account, Fill, Order, OrderListener, Reject
from exchanges.sim.tape import PublicTrade, TradeTape

MAX_QUANTITY = Decimal("1e15")  # larger amounts/prices are rejected as bad parameters

__all__ = ["Account", "Fill", "MatchingEngine", "Order", "OrderListener", "Reject"]


class MatchingEngine:
    """Orders, balances and the order log for one venue."""

    def __init__(
        self,
        venue: str,
        market: MarketProcess,
        *,
        taker_fee: Decimal = Decimal("0.001"),
        maker_fee: Decimal = Decimal("0.0008"),
        client_id_scope: str = "pending",
        order_log: list[dict[str, Any]] | None = None,
        first_order_id: int = 600_000_000_000_000_000,
    ) -> None:
        if client_id_scope not in ("pending", "all", "none"):
            raise ValueError(f"client_id_scope must be pending, all or none (got {client_id_scope!r})")
        self.venue, self.market = venue, market
        self.taker_fee, self.maker_fee = taker_fee, maker_fee
        self.client_id_scope = client_id_scope
        self.order_log: list[dict[str, Any]] = order_log if order_log is not None else []
        self.accounts: dict[str, Account] = {}
        self.orders: dict[str, Order] = {}
        self.resting: dict[str, Order] = {}  # open GTC orders by id
        self.by_client_id: dict[tuple[str, str], Order] = {}  # latest order per (account, client id)
        self._ids = itertools.count(first_order_id, 7919)
        self._trade_ids = itertools.count(100_000_001)
        self.listeners: list[OrderListener] = []
        self.forced_fill_ratio: Decimal | None = None  # fault: fill at most this share of an order
        self.tape = TradeTape()  # every fill of every account: the venue's public trades

    # ------------------------------------------------------------------ accounts
    def account(self, name: str) -> Account:
        return self.accounts.setdefault(name, Account())

    def fund(self, account: str, balances: dict[str, Decimal]) -> None:
        acct = self.account(account)
        for ccy, amount in balances.items():
            acct.add(ccy, Decimal(amount))

    # ------------------------------------------------------------------ lookups
    def find(self, account: str, order_id: str | None = None, client_id: str | None = None) -> Order:
        order = None
        if order_id:
            order = self.orders.get(order_id)
        elif client_id:
            order = self.by_client_id.get((account, client_id))
        if order is None or order.account != account:
            raise Reject("not_found", order_id or client_id or "")
        return order

    def open_orders(self, account: str, symbol: str | None = None) -> list[Order]:
        return [
            o
            for o in self.orders.values()
            if o.account == account and o.is_open and (symbol is None or o.symbol == symbol)
        ]

    def account_orders(self, account: str) -> list[Order]:
        return [o for o in self.orders.values() if o.account == account]

    # ------------------------------------------------------------------ orders
    def place(
        self,
        *,
        account: str,
        key: str,
        symbol: str,
        side: str,
        type: str,
        amount: Decimal,
        price: Decimal | None,
        tif: str = "GTC",
        client_id: str = "",
        now_ms: int,
        quote_amount: bool = False,
        tag: str = "",
        fault_reject: bool = False,
        arrival_ms: int | None = None,
    ) -> Order:
        """Validate, match and (GTC) rest an order. Raises Reject; every outcome goes to the order log."""
        entry = order_log.new_entry(
            self.order_log, self.venue, now_ms, key, client_id, symbol, side, type, tif, amount, price, arrival_ms
        )
        order = Order(
            order_id="",  # numbered once accepted
            client_id=client_id,
            account=account,
            key=key,
            symbol=symbol,
            side=side,
            type=type,
            tif=tif,
            amount=amount,
            price=price,
            created_ms=now_ms,
            updated_ms=now_ms,
            quote_amount=quote_amount,
            tag=tag,
        )
        try:
            if fault_reject:
                raise Reject("fault_reject", "injected by fault config")
            limit_ticks = self._validate(order)
        except Reject as e:
            entry.update(status="rejected", reject_reason=e.reason)
            raise
        spec = self.market.spec(self.venue, symbol)
        order.order_id, order.fee_currency = str(next(self._ids)), spec.base if side == "buy" else spec.quote
        self.orders[order.order_id] = order
        if client_id:
            self.by_client_id[(account, client_id)] = order
        self._match(order, limit_ticks, now_ms)
        order.log = entry
        order_log.sync(order)
        return order

    def _validate(self, o: Order) -> int | None:
        """Raise the Reject the order deserves, if any; returns a limit order's price in ticks."""
        if (self.venue, o.symbol) not in self.market.books:
            raise Reject("unknown_symbol", o.symbol)
        if o.side not in ("buy", "sell"):
            raise Reject("bad_side", o.side)
        if o.type not in ORDER_TYPES or o.tif not in TIFS:
            raise Reject("bad_type", f"{o.type}/{o.tif}")
        spec, grid = self.market.spec(self.venue, o.symbol), self.market.book(self.venue, o.symbol).grid
        if not o.amount.is_finite() or o.amount <= 0 or o.amount > MAX_QUANTITY:
            raise Reject("bad_amount", str(o.amount))
        limit_ticks: int | None = None
        if o.type == "limit":
            if o.price is None or not o.price.is_finite() or o.price <= 0 or o.price > MAX_QUANTITY:
                raise Reject("bad_price", str(o.price))
            limit_ticks = grid.ticks_of(o.price)
            if limit_ticks is None:
                raise Reject("tick_size", f"{o.price} is not a multiple of {spec.tick}")
        if not o.quote_amount:
            if o.amount < spec.min_size:
                raise Reject("min_size", f"{o.amount} < {spec.min_size}")
            if grid.lots_of(o.amount) is None:
                raise Reject("lot_size", f"{o.amount} is not a multiple of {spec.lot}")
        opposite = self._levels(o)[:1]
        best = grid.price(opposite[0][0]) if opposite else None
        filters.check(spec, o, Decimal(str(self.market.venue_mid(self.venue, o.symbol))), best)
        if o.client_id:
            self._check_client_id(o.account, o.client_id)
        self._check_funds(o, spec.base, spec.quote, grid)
        return limit_ticks

    def _match(self, order: Order, limit_ticks: int | None, now_ms: int) -> None:
        """Take what the order may take now; close it (IOC/FOK/PO/market/filled) or rest the remainder."""
        if order.tif == "PO" and self._crosses(order, limit_ticks):
            self._close(order, "canceled", now_ms)
            return
        if order.tif == "FOK" and self._available(order, limit_ticks) < order.amount:
            self._close(order, "canceled", now_ms)
            return
        self._take(order, limit_ticks, now_ms)
        done = order.cost >= order.amount if order.quote_amount else order.filled >= order.amount
        if done or (order.quote_amount and order.filled > 0 and order.type == "market"):
            self._close(order, "filled", now_ms)
        elif order.type == "market" or order.tif in ("IOC", "FOK") or self.forced_fill_ratio is not None:
            self._close(order, "canceled", now_ms)
        else:
            self._rest(order, self.account(order.account))

    def cancel(self, account: str, *, order_id: str | None, client_id: str | None, now_ms: int) -> Order:
        order = self.find(account, order_id, client_id)
        if order.status == "canceled":
            raise Reject("already_canceled", order.order_id)
        if order.status == "filled":
            raise Reject("already_filled", order.order_id)
        return self._close(order, "canceled", now_ms)

    def match_resting(self, symbol: str, now_ms: int) -> None:
        """Resting GTC orders take liquidity the market moved through (called after each step)."""
        for order in [o for o in self.resting.values() if o.symbol == symbol]:
            grid = self.market.book(self.venue, symbol).grid
            assert order.price is not None
            before = order.filled
            self._take(order, grid.ticks_of(order.price), now_ms, maker=True)
            if order.filled != before:
                self._unfreeze_filled(order)
                if order.filled >= order.amount:
                    self._close(order, "filled", now_ms)

    # ------------------------------------------------------------------ internals
    def _check_client_id(self, account: str, client_id: str) -> None:
        prev = self.by_client_id.get((account, client_id))
        if prev is None or self.client_id_scope == "none":
            return
        if self.client_id_scope == "all" or prev.is_open:
            raise Reject("duplicate_client_id", client_id)

    def _check_funds(self, o: Order, base: str, quote: str, grid: Grid) -> None:
        if o.side == "sell":
            need, ccy = o.amount, base
        elif o.quote_amount:
            need, ccy = o.amount, quote
        elif o.price is not None:
            need, ccy = o.amount * o.price, quote
        else:  # market buy by base amount: estimate against the current asks
            need, ccy, left = Decimal(0), quote, o.amount
            for tick, lots in self.market.book(self.venue, o.symbol).sorted_levels("ask", published=False):
                take = min(left, grid.size(lots))
                need += take * grid.price(tick)
                left -= take
                if left <= 0:
                    break
        acct = self.account(o.account)
        if acct.free(ccy) < need:
            raise Reject("insufficient_balance", f"{ccy} free {acct.free(ccy)} < {need}")

    def _levels(self, order: Order) -> list[tuple[int, int]]:
        side = "ask" if order.side == "buy" else "bid"
        return self.market.book(self.venue, order.symbol).sorted_levels(side, published=False)

    @staticmethod
    def _marketable(order: Order, tick: int, limit_ticks: int | None) -> bool:
        if limit_ticks is None:
            return True
        return tick <= limit_ticks if order.side == "buy" else tick >= limit_ticks

    def _crosses(self, order: Order, limit_ticks: int | None) -> bool:
        levels = self._levels(order)
        return bool(levels) and self._marketable(order, levels[0][0], limit_ticks)

    def _available(self, order: Order, limit_ticks: int | None) -> Decimal:
        grid = self.market.book(self.venue, order.symbol).grid
        total = Decimal(0)
        for tick, lots in self._levels(order):
            if not self._marketable(order, tick, limit_ticks):
                break
            total += grid.size(lots)
        return total

    def _cap(self, order: Order) -> Decimal:
        if self.forced_fill_ratio is None:
            return order.amount
        lot = self.market.spec(self.venue, order.symbol).lot
        return (order.amount * self.forced_fill_ratio // lot) * lot

    def _take(self, order: Order, limit_ticks: int | None, now_ms: int, maker: bool = False) -> None:
        rate = self.maker_fee if maker else self.taker_fee
        grid = self.market.book(self.venue, order.symbol).grid
        spec = self.market.spec(self.venue, order.symbol)
        cap = self._cap(order) if not order.quote_amount else order.amount
        book_side = "ask" if order.side == "buy" else "bid"
        acct = self.account(order.account)
        for tick, lots in self._levels(order):
            if not self._marketable(order, tick, limit_ticks):
                break
            px = grid.price(tick)
            if order.quote_amount:
                left_lots = int((order.amount - order.cost) / px / grid.lot)
            else:
                left_lots = grid.lots_of(cap - order.filled) or 0
            take = min(lots, left_lots)
            if take <= 0:
                break
            qty = grid.size(take)
            self.market.consume(self.venue, order.symbol, book_side, tick, take)
            quote = qty * px
            if order.side == "buy":
                fee = qty * rate
                acct.add(spec.quote, -quote)
                acct.add(spec.base, qty - fee)
            else:
                fee = quote * rate
                acct.add(spec.base, -qty)
                acct.add(spec.quote, quote - fee)
            order.filled += qty
            order.cost += quote
            order.fee += fee
            order.updated_ms = now_ms
            fill = Fill(str(next(self._trade_ids)), order.order_id, px, qty, fee, order.fee_currency, now_ms, maker)
            order.fills.append(fill)
            taker_side = order.side if not maker else ("sell" if order.side == "buy" else "buy")
            self.tape.record(PublicTrade(fill.trade_id, order.symbol, now_ms, px, qty, taker_side))
            done = order.cost >= order.amount if order.quote_amount else order.filled >= order.amount
            order.status = "filled" if done else "partially_filled"
            self._emit(order, fill)

    def _rest(self, order: Order, acct: Account) -> None:
        spec = self.market.spec(self.venue, order.symbol)
        assert order.price is not None
        self.resting[order.order_id] = order
        if not order.fills:
            self._emit(order, None)
        if order.side == "buy":
            order.frozen = (order.amount - order.filled) * order.price
            acct.freeze(spec.quote, order.frozen)
        else:
            order.frozen = order.amount - order.filled
            acct.freeze(spec.base, order.frozen)

    def _unfreeze_filled(self, order: Order) -> None:
        spec = self.market.spec(self.venue, order.symbol)
        assert order.price is not None
        acct = self.account(order.account)
        want = (order.amount - order.filled) * (order.price if order.side == "buy" else 1)
        ccy = spec.quote if order.side == "buy" else spec.base
        acct.freeze(ccy, want - order.frozen)
        order.frozen = want

    def _close(self, order: Order, status: str, now_ms: int) -> Order:
        self.resting.pop(order.order_id, None)
        if order.frozen:
            spec = self.market.spec(self.venue, order.symbol)
            ccy = spec.quote if order.side == "buy" else spec.base
            self.account(order.account).freeze(ccy, -order.frozen)
            order.frozen = Decimal(0)
        changed = order.status != status
        order.status, order.updated_ms = status, now_ms
        if changed:
            self._emit(order, None)
        order_log.sync(order)
        return order

    def _emit(self, order: Order, fill: Fill | None) -> None:
        for listener in self.listeners:
            listener(order, fill)

    def log_reject(
        self, now_ms: int, key: str, client_id: str, symbol: str, reason: str, arrival_ms: int | None = None, **f: Any
    ) -> None:
        """Record an order the venue refused before it reached the engine (auth, rate limit, bad input, expiry)."""
        entry = order_log.new_entry(
            self.order_log,
            self.venue,
            now_ms,
            key,
            client_id,
            symbol,
            str(f.get("side", "")),
            str(f.get("type", "")),
            str(f.get("tif", "")),
            f.get("amount"),
            f.get("price"),
            arrival_ms,
        )
        entry.update(status="rejected", reject_reason=reason)
