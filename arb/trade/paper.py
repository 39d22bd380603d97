"""Paper trading: a venue that fills orders against the live book instead of sending them.

:class:`PaperVenue` implements the ccxt calls the executor uses (``create_order``, ``fetch_order``,
``cancel_order``, ``fetch_order_trades``, ``fetch_open_orders``, ``fetch_balance``,
``watch_orders``), so paper and live run the same executor code (freqtrade's dry-run idea).

Fill model, per order (``latency_ms``: the one-way latency between arb and the venue):
* the order reaches the venue ``latency_ms`` after the send and meets the book as it is *then*. The
  market-data client (``client.orderbooks[symbol]``, the latest book ccxt delivered) shows the venue's
  book a push interval plus the market-data latency late, so the paper venue waits for the first book the
  venue stamped at or after the arrival and fills against whichever of it and the last book stamped
  before the arrival is nearer in time (what changed between two pushes is unknown either way). If none
  comes within :data:`BOOK_WAIT_MS` of the arrival (a venue publishes only changes: a quiet book is the
  state at arrival), the book held by then; a book without a venue timestamp is taken as the state at
  arrival. With ``latency_ms = 0`` the held book is used at once;
* the answer takes ``latency_ms`` back (an order update is seen then too), and every look-up
  (``fetch_order``, ``fetch_order_trades``, ``cancel_order``, ``fetch_open_orders``, ``fetch_balance``)
  costs a round trip, so the executor spends the time on a paper trade that it spends on a live one;
* an IOC limit takes every level at or better than its limit, up to its amount; the remainder is
  cancelled; each level taken is one trade;
* liquidity it took stays taken until the book shows liquidity coming back: a shadow of the venue's
  matching engine (:class:`arb.trade.paper_book.Shadow`) subtracts each take from its level until the
  level shows less than was taken (others took there too) or goes away; size added on top is available.
  A new book with the same sizes refills nothing. The paper gate decides on the same shadowed books
  (:meth:`book_view`), as a live run decides on books that show its own takes;
* taker fee with the same model as the evaluator: rate and currency from the run's fee table
  (``received``: base on a buy, quote on a sell);
* order and trade dicts carry exact ``Decimal`` numbers (ccxt's shape, arb's money rule);
* order ids are ``paper-<venue>-<run>-<n>`` and trade ids ``<order id>-<m>``: ``<run>`` is the run id
  (or a random nonce when none is given), so ids never repeat across runs journaled into one file;
* amounts are truncated to the market's lot with ccxt's ``amount_to_precision``; below the
  market's minimum amount the order is refused (``ccxt.InvalidOrder``); without enough free
  balance it is refused (``ccxt.InsufficientFunds``). Balances start from
  ``execution.paper_balances``; with none configured they are not limited (and not reported).
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import ccxt.pro as ccxtpro

from arb.clock import wall_ms
from arb.core.model import ONE, ZERO, Fee, dec
from arb.trade.orders import CLIENT_ID_KEYS
from arb.trade.paper_book import Shadow

BOOK_WAIT_MS = 250  # longest wait after an order's arrival for a book stamped at or after it (push + latency)
POLL_S = 0.005  # how often the book is looked at while waiting for it


class PaperVenue:
    """A ccxt-shaped trading venue backed by another client's order books."""

    def __init__(
        self,
        venue: str,
        market_client: Any,
        *,
        fees: Mapping[tuple[str, str], Fee],
        balances: Mapping[str, Decimal] | None = None,
        latency_ms: int = 50,
        clock: Callable[[], int] = wall_ms,
        run_id: str | None = None,
    ) -> None:
        self.venue = venue
        self.id_prefix = f"paper-{venue}-{run_id or uuid.uuid4().hex[:12]}"
        self.client = market_client
        self.id = getattr(market_client, "id", venue)
        self.fees = fees
        self.limited = balances is not None
        self.balances: dict[str, Decimal] = {k: dec(v) for k, v in (balances or {}).items()}
        self.latency_ms = latency_ms
        self.latency_s = latency_ms / 1000
        self.clock = clock
        self.has: dict[str, Any] = {"fetchOrderTrades": True, "watchOrders": True}
        self.orders: dict[str, dict[str, Any]] = {}
        self.by_client_id: dict[str, str] = {}
        self.trades: dict[str, list[dict[str, Any]]] = {}
        self.shadow = Shadow()  # what paper took, per symbol, side and price, until the book shows it back
        self._ids = itertools.count(1)
        self._trade_ids = itertools.count(1)
        self._updates: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    @property
    def markets(self) -> dict[str, Any]:
        return self.client.markets or {}

    # -- orders ------------------------------------------------------------------------------------
    async def create_order(
        self,
        symbol: str,
        type: str,
        side: str,
        amount: float,
        price: float | None = None,
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        params = params or {}
        cid = next((str(params[k]) for k in CLIENT_ID_KEYS if params.get(k)), None)
        if cid is not None and cid in self.by_client_id:
            raise ccxtpro.InvalidOrder(f"{self.venue} paper: duplicate client order id {cid}")
        market = self.markets.get(symbol)
        if market is None:
            raise ccxtpro.BadSymbol(f"{self.venue} paper: unknown symbol {symbol}")
        qty = dec(self.client.amount_to_precision(symbol, amount))  # raises InvalidOrder below one lot
        min_amount = (market.get("limits") or {}).get("amount", {}).get("min")
        if min_amount is not None and qty < dec(min_amount):
            raise ccxtpro.InvalidOrder(f"{self.venue} paper: amount {qty} below the minimum {min_amount}")
        limit = dec(price) if price is not None else None
        self._check_funds(market, side, qty, limit)
        arrival = self.clock() + self.latency_ms
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
            book = await self._book_at(symbol, arrival)
        else:
            book = self._held(symbol)
        order = self._fill(symbol, market, type, side, qty, limit, cid, book)
        back = arrival + self.latency_ms - self.clock()  # the answer's way back
        if back > 0:
            await asyncio.sleep(back / 1000)
        self._updates.put_nowait(dict(order))
        return dict(order)

    def _held(self, symbol: str) -> Any:
        return (getattr(self.client, "orderbooks", None) or {}).get(symbol)

    async def _book_at(self, symbol: str, arrival_ms: int) -> Any:
        """``symbol``'s book as the order met it at ``arrival_ms`` (module doc): of the last book the venue
        stamped before the arrival and the first stamped at or after it, the nearer in time."""
        before: tuple[int, dict[str, list[list[Any]]]] | None = None
        while True:
            book = self._held(symbol)
            ts = None if book is None else book.get("timestamp")
            if ts is None:
                return book
            if ts >= arrival_ms:
                if before is not None and arrival_ms - before[0] < ts - arrival_ms:
                    return before[1]
                return book
            if before is None or before[0] != ts:  # ccxt updates its book in place: keep a copy
                before = (ts, {side: [[lv[0], lv[1]] for lv in book[side]] for side in ("bids", "asks")})
            if self.clock() >= arrival_ms + BOOK_WAIT_MS:
                return book
            await asyncio.sleep(POLL_S)

    async def _round_trip(self) -> None:
        """A look-up's request and answer (two one-way latencies)."""
        if self.latency_s:
            await asyncio.sleep(2 * self.latency_s)

    def _check_funds(self, market: Mapping[str, Any], side: str, qty: Decimal, limit: Decimal | None) -> None:
        if not self.limited:
            return
        ccy, need = (market["base"], qty) if side == "sell" else (market["quote"], qty * (limit or ZERO))
        if side == "buy" and limit is None:
            return  # market buy: checked as it fills
        if self.balances.get(ccy, ZERO) < need:
            raise ccxtpro.InsufficientFunds(
                f"{self.venue} paper: {ccy} free {self.balances.get(ccy, ZERO)} < {need} needed"
            )

    def _levels(self, symbol: str, side: str, book: Any) -> list[tuple[Decimal, Decimal]]:
        """The side of ``book`` an order takes from, minus paper's takes."""
        if book is None:
            return []
        book_side = "asks" if side == "buy" else "bids"
        return self.shadow.levels(symbol, book_side, book[book_side])

    def holds(self, symbol: str) -> bool:
        """Paper took liquidity of ``symbol`` that this venue's books may still show."""
        return self.shadow.holds(symbol)

    def book_view(self, symbol: str, book: Any) -> dict[str, list[list[Decimal]]]:
        """``book`` (this venue's) as paper really finds it: minus what paper took (the gate decides on this)."""
        return self.shadow.view(symbol, book)

    def _fill(
        self,
        symbol: str,
        market: Mapping[str, Any],
        type: str,
        side: str,
        qty: Decimal,
        limit: Decimal | None,
        cid: str | None,
        book: Any,
    ) -> dict[str, Any]:
        oid = f"{self.id_prefix}-{next(self._ids)}"
        base, quote = market["base"], market["quote"]
        fee = self.fees.get((self.venue, symbol)) or Fee(Decimal("0.001"))
        fee_ccy = quote if side == "sell" or fee.currency == "quote" else base
        book_side = "asks" if side == "buy" else "bids"
        taken = self._levels(symbol, side, book)
        filled = cost = fee_total = ZERO
        trades: list[dict[str, Any]] = []
        now = self.clock()
        for px, avail in taken:
            if limit is not None and (px > limit if side == "buy" else px < limit):
                break
            amt = min(avail, qty - filled)
            if amt <= 0:
                break
            if self.limited and side == "buy" and self.balances.get(quote, ZERO) < amt * px:
                break
            f = amt * px * fee.taker if fee_ccy == quote else amt * fee.taker
            filled, cost, fee_total = filled + amt, cost + amt * px, fee_total + f
            self.shadow.take(symbol, book_side, px, amt)
            self._apply(base, quote, side, amt, amt * px, f, fee_ccy)
            trades.append(
                {
                    "id": f"{oid}-{next(self._trade_ids)}",
                    "order": oid,
                    "symbol": symbol,
                    "side": side,
                    "amount": amt,
                    "price": px,
                    "cost": amt * px,
                    "timestamp": now,
                    "fee": {"cost": f, "currency": fee_ccy},
                }
            )
        status = "closed" if filled == qty else "canceled"
        order = {
            "id": oid,
            "clientOrderId": cid,
            "symbol": symbol,
            "type": type,
            "side": side,
            "timeInForce": "IOC",
            "amount": qty,
            "price": limit,
            "filled": filled,
            "remaining": qty - filled,
            "cost": cost,
            "status": status,
            "timestamp": now,
            "average": cost / filled if filled else None,
            "fee": {"cost": fee_total, "currency": fee_ccy} if filled else None,
            "info": {"paper": True},
        }
        self.orders[oid] = order
        self.trades[oid] = trades
        if cid is not None:
            self.by_client_id[cid] = oid
        return order

    def _apply(self, base: str, quote: str, side: str, amt: Decimal, cost: Decimal, fee: Decimal, fee_ccy: str) -> None:
        if not self.limited:
            return
        sign = ONE if side == "buy" else -ONE
        self.balances[base] = self.balances.get(base, ZERO) + sign * amt
        self.balances[quote] = self.balances.get(quote, ZERO) - sign * cost
        self.balances[fee_ccy] = self.balances.get(fee_ccy, ZERO) - fee

    # -- lookups ---------------------------------------------------------------------------------------
    def _find(self, id: str | None, params: Mapping[str, Any] | None) -> dict[str, Any]:
        cid = next((str(v) for k, v in (params or {}).items() if k in CLIENT_ID_KEYS and v), None)
        oid = id or (self.by_client_id.get(cid) if cid else None)
        if oid is None or oid not in self.orders:
            raise ccxtpro.OrderNotFound(f"{self.venue} paper: order {id or cid} not found")
        return self.orders[oid]

    async def fetch_order(
        self, id: str | None, symbol: str | None = None, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        await self._round_trip()
        return dict(self._find(id, params))

    async def cancel_order(
        self, id: str, symbol: str | None = None, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        await self._round_trip()
        self._find(id, params)
        raise ccxtpro.OrderNotFound(f"{self.venue} paper: order {id} is not open (IOC orders never rest)")

    async def fetch_order_trades(
        self,
        id: str,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        await self._round_trip()
        self._find(id, None)
        return [dict(t) for t in self.trades.get(id, [])]

    async def fetch_open_orders(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        await self._round_trip()
        return []

    async def fetch_balance(self, params: dict[str, Any] | None = None) -> dict[str, Any]:
        await self._round_trip()
        out: dict[str, Any] = {"info": {"paper": True}, "free": {}, "used": {}, "total": {}}
        for ccy, v in self.balances.items():  # exact Decimals, like the order dicts (a float would round)
            out[ccy] = {"free": v, "used": ZERO, "total": v}
            out["free"][ccy], out["used"][ccy], out["total"][ccy] = v, ZERO, v
        return out

    async def watch_orders(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        first = await self._updates.get()
        out = [first]
        while not self._updates.empty():
            out.append(self._updates.get_nowait())
        return out

    async def fetch_order_book(self, symbol: str, limit: int | None = None) -> dict[str, Any]:
        return await self.client.fetch_order_book(symbol, limit)

    async def close(self) -> None:
        """The market-data client belongs to the caller; nothing to close here."""


class PaperBooks:
    """The paper gate's view (:class:`arb.trade.gate.PaperView`): each venue's book minus what its paper
    venue took, so paper decides on the books a live run would see after its own takes."""

    def __init__(self, venues: Mapping[str, PaperVenue]) -> None:
        self.venues = venues

    def holds(self, venue: str, symbol: str) -> bool:
        v = self.venues.get(venue)
        return v is not None and v.holds(symbol)

    def view(self, venue: str, symbol: str, book: Any) -> Any:
        v = self.venues.get(venue)
        return book if v is None else v.book_view(symbol, book)
