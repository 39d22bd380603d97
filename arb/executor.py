"""The executor: both legs of an accepted opportunity at once, as limit IOC orders, never sent twice.

For one opportunity (:meth:`Executor.execute`):

1. Each leg gets a deterministic client order id (``VenueProfile.client_order_id(opportunity_id,
   leg, attempt)``) and its intent is committed to the journal, fsynced, **before** anything is
   sent (the one disk wait on the hot path). An id already journaled is looked up, not sent.
2. Both legs go out together (``asyncio.gather(..., return_exceptions=True)``) as limit IOC at the
   evaluated worst prices, with the venue's client-id parameter.
3. Outcomes come from ``watch_orders`` (:class:`arb.orders.OrderRouter`); after
   ``order_timeout_ms`` without a final state, REST ``fetch_order`` is the fall-back. After a timeout,
   5xx, 429 or unreadable answer on send the order is looked up by client id; it is never re-sent.
   A venue's refusal (min size, precision, funds, permission) is journaled with its reason and
   never retried.
4. Fills (the venue's trades when it gives them) and fees in the currency charged are journaled;
   the opportunity's :class:`arb.ledger.Position` gives realised PnL in quote.
5. A base imbalance beyond dust is an **exposure**: journaled (``exposures``), alerted, then handled
   by ``execution.on_partial``: ``hedge`` (IOC on the better of the two venues, guarded at
   ``HEDGE_BAND_BPS`` beyond the walked price), ``retry`` (the missing leg again at its original
   limit, up to ``RETRY_ATTEMPTS`` times) or ``hold``. A leg whose state is unknown (sent, never
   confirmed) is always held: acting on it could double the position; reconcile settles it later.

Test-only hook: ``ARB_TEST_CRASH_AFTER=first_send`` in the environment makes :meth:`execute` send
the buy leg alone and then ``os._exit(137)`` (a crash between the two sends, for the restart test).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

import ccxt.pro as ccxtpro

from arb.books import ladders
from arb.engine import wall_ms
from arb.evaluator import ceil_to, floor_to
from arb.ledger import LegFill, MalformedOrder, Position
from arb.model import BPS, ONE, ZERO, Fee, MarketSpec, Opportunity
from arb.orders import OrderRouter, brief, idempotent
from arb.store import Journal
from exchanges.profiles import profile

log = logging.getLogger(__name__)

# ccxt constructor options for the clients that only send and cancel orders. ccxt's limiter refills
# its tokens only while a request waits, so after any call the next one always waits that call's
# cost, however long the client was idle: an order would sit 7 ms (OKX), 10 ms (Binance) or 50 ms
# (Bybit) before leaving. Send clients run without it; the executor paces their orders itself with
# asyncio-throttle's sliding window at each venue's documented order rate (VenueProfile.order_rate),
# which lets a burst through after idle time and still holds the sustained rate.
SEND_CLIENT_OPTIONS: dict[str, Any] = {"enableRateLimit": False}

HEDGE_BAND_BPS = Decimal(50)  # a hedge is IOC at the walked worst price widened by this (a guarded market order)
RETRY_ATTEMPTS = 2
CRASH_ENV = "ARB_TEST_CRASH_AFTER"  # test-only, see the module docstring


@dataclass(slots=True)
class Outcome:
    """What one opportunity did."""

    opportunity_id: str
    symbol: str
    legs: list[LegFill]
    position: Position
    exposure: Decimal = ZERO  # base still unmatched after the policy ran
    exposure_id: int | None = None
    planned_net: Decimal | None = None
    notes: list[str] = field(default_factory=list)
    plan: dict[str, str] = field(default_factory=dict)  # the opportunity's venues, walked VWAPs and limits

    @property
    def ok(self) -> bool:
        """Both legs filled completely and nothing is left exposed."""
        main = self.legs[:2]
        return self.exposure == ZERO and all(leg.state == "closed" and leg.filled == leg.amount for leg in main)

    def summary(self) -> dict[str, Any]:
        return {
            "opportunity_id": self.opportunity_id, "symbol": self.symbol, "ok": self.ok,
            "base_net": str(self.position.base_net), "quote_net": str(self.position.quote_net),
            "pnl_quote": str(self.position.pnl_quote), "exposure": str(self.exposure),
            "exposure_id": self.exposure_id, "planned_net": None if self.planned_net is None else str(self.planned_net),
            "fees": {c: str(f) for c, f in self.position.fees},
            "legs": [{"venue": x.venue, "side": x.side, "client_id": x.client_id, "state": x.state,
                      "amount": str(x.amount), "price": str(x.price), "filled": str(x.filled),
                      "avg_price": None if x.avg_price is None else str(x.avg_price),
                      "fees": {c: str(f) for c, f in x.fees}, "reason": x.reason} for x in self.legs],
            "notes": self.notes, **self.plan,
        }  # fmt: skip


class Executor:
    """Sends, tracks and settles legs for one run. I/O through ``venues`` (ccxt-shaped clients)."""

    def __init__(
        self,
        venues: Mapping[str, Any],
        journal: Journal,
        *,
        run_id: str,
        markets: Mapping[tuple[str, str], MarketSpec],
        fees: Mapping[tuple[str, str], Fee],
        on_partial: str = "hedge",
        order_timeout_ms: int = 3000,
        router: OrderRouter | None = None,
        submit: Callable[[str, dict[str, Any]], Any] | None = None,
        alert: Callable[[str, str, str], Any] | None = None,
        books: Callable[[str, str], Any] | None = None,
        on_order_result: Callable[[str, bool], Any] | None = None,
        throttle: Any | None = None,
        clock: Callable[[], int] = wall_ms,
        send_venues: Mapping[str, Any] | None = None,
    ) -> None:
        self.venues, self.journal, self.run_id = venues, journal, run_id
        # Clients that only send and cancel (live): they never queue behind look-ups in ccxt's limiter;
        # their pace is the venue's order rate, kept here (see SEND_CLIENT_OPTIONS).
        self.send = send_venues or venues
        self.send_pace: dict[str, Any] = {}
        if send_venues:
            from asyncio_throttle import Throttler

            for v, c in send_venues.items():
                count, period = profile(getattr(c, "id", v)).order_rate
                self.send_pace[v] = Throttler(rate_limit=count, period=period)
        self.markets, self.fees = markets, fees
        self.on_partial, self.timeout_s = on_partial, order_timeout_ms / 1000
        self.router = router or OrderRouter()
        self.submit = submit or (lambda kind, row: journal.write_batch([(kind, row)]))
        self.alert = alert or (lambda title, body, kind: None)
        self.books = books or (lambda venue, symbol: None)
        self.on_order_result = on_order_result or (lambda venue, ok: None)
        self.throttle, self.clock = throttle, clock
        self.active: set[str] = set()  # client ids this executor is handling right now
        self.crash_after = os.environ.get(CRASH_ENV)

    # -- one opportunity ---------------------------------------------------------------------------
    async def execute(self, opp_id: str, opp: Opportunity) -> Outcome:
        buy = self._intent(opp_id, opp.symbol, opp.buy_venue, "buy", opp.buy.amount, opp.buy.limit_price, "buy")
        sell = self._intent(opp_id, opp.symbol, opp.sell_venue, "sell", opp.sell.amount, opp.sell.limit_price, "sell")
        if self.crash_after == "first_send":  # test-only: crash between the two sends
            await self._send(buy)
            log.error("test.crash after=first_send client_id=%s", buy.client_id)
            os._exit(137)
        results = await asyncio.gather(self.run_leg(buy), self.run_leg(sell), return_exceptions=True)
        legs: list[LegFill] = []
        for leg, res in zip((buy, sell), results, strict=True):
            if isinstance(res, BaseException):
                log.error("leg.crashed client_id=%s error=%s", leg.client_id, brief(res))
                legs.append(leg.with_state("unknown", f"executor error: {brief(res)}"))
                if isinstance(res, asyncio.CancelledError):
                    raise res
            else:
                legs.append(res)
        out = await self.settle(opp_id, opp.symbol, (opp.buy_venue, opp.sell_venue), legs, limits=opp)
        out.planned_net = opp.net_profit
        out.plan = plan_of(opp)
        self.submit("event", self._event_row("trade", opp.symbol, json.dumps(out.summary(), separators=(",", ":"))))
        self._alert_outcome(opp, out)
        return out

    def _intent(self, opp_id: str, symbol: str, venue: str, side: str, amount: Decimal, price: Decimal,
                leg: str, attempt: int = 0) -> LegFill:  # fmt: skip
        client = self.venues[venue]
        cid = profile(getattr(client, "id", venue)).client_order_id(opp_id, leg, attempt)
        now = self.clock()
        row = {
            "client_id": cid, "run_id": self.run_id, "opportunity_id": opp_id, "venue": venue, "symbol": symbol,
            "side": side, "type": "limit", "tif": "IOC", "amount": amount, "price": price, "created_ms": now,
        }  # fmt: skip
        existing = self.journal.record_order_intent(row)
        fill = LegFill(venue, symbol, side, cid, amount, price)
        if existing is not None:  # same id already journaled: it may be at the venue; look it up, never resend
            log.warning("order.duplicate_intent client_id=%s state=%s", cid, existing["state"])
            return fill.with_state("unknown", "duplicate intent: looked up, not sent")
        return fill

    # -- one leg -----------------------------------------------------------------------------------------
    async def run_leg(self, leg: LegFill) -> LegFill:
        """Send (unless already journaled), wait for the final state, fetch trades, journal everything."""
        self.active.add(leg.client_id)
        self.router.expect(leg.venue, leg.client_id)
        try:
            if leg.state == "unknown":
                found = await self.lookup(leg, self.timeout_s)
                leg = leg.with_order(found) if found is not None else leg
            else:
                leg = await self._send(leg)
            return await self.finish(leg)
        finally:
            self.active.discard(leg.client_id)
            self.router.forget(leg.venue, leg.client_id)

    async def _send(self, leg: LegFill) -> LegFill:
        client = self.send[leg.venue]
        params = profile(getattr(client, "id", leg.venue)).order_params(leg.client_id)
        assert leg.price is not None
        pace = self.send_pace.get(leg.venue)
        try:
            async with asyncio.timeout(self.timeout_s):
                if pace is not None:
                    async with pace:
                        pass  # a slot in this venue's order-rate window
                placed = await client.create_order(leg.symbol, "limit", leg.side, float(leg.amount),
                                                   float(leg.price), params)  # fmt: skip
            leg = leg.with_order(placed)
        except ccxtpro.ExchangeError as e:  # the venue (or ccxt's checks) refused it: final, never retried
            self.on_order_result(leg.venue, False)
            log.warning("order.rejected venue=%s client_id=%s reason=%s", leg.venue, leg.client_id, brief(e))
            return leg.with_state("rejected", brief(e))
        except Exception as e:  # timeout, 5xx, 429, unreadable answer: the venue may have it; look it up
            self.on_order_result(leg.venue, False)
            why = brief(e)
            log.warning("order.send_unconfirmed venue=%s client_id=%s error=%s", leg.venue, leg.client_id, why)
            self.journal.update_order(leg.client_id, state="unknown", reason=f"send unconfirmed: {why}",
                                      updated_ms=self.clock())  # fmt: skip
            rate_limited = isinstance(e, ccxtpro.RateLimitExceeded | ccxtpro.DDoSProtection)
            found = await self.lookup(leg, 0 if rate_limited else self.timeout_s)
            if found is not None:
                return leg.with_order(found)
            if rate_limited:  # a 429 is answered before the order is processed: confirmed absent
                return leg.with_state("rejected", f"{why}; not at the venue")
            return leg.with_state("unknown", f"{why}; not found at the venue by client id")
        self.on_order_result(leg.venue, True)
        self.journal.update_order(leg.client_id, state=leg.state, venue_order_id=leg.order_id, updated_ms=self.clock())
        return leg

    async def lookup(self, leg: LegFill, window_s: float) -> dict[str, Any] | None:
        """Find an order by client id (idempotent, throttled), retrying until found or ``window_s`` passed."""
        client = self.venues[leg.venue]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + window_s
        delay = 0.05
        while True:
            try:
                return await idempotent(
                    lambda: client.fetch_order(None, leg.symbol, {"clientOrderId": leg.client_id}),
                    timeout_s=self.timeout_s, throttle=self.throttle,
                )  # fmt: skip
            except ccxtpro.OrderNotFound:
                pass
            except Exception as e:
                log.warning("order.lookup_failed venue=%s client_id=%s error=%s", leg.venue, leg.client_id, brief(e))
            if loop.time() + delay > deadline:
                return None
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)

    async def finish(self, leg: LegFill) -> LegFill:
        """Bring a leg to its final state (WS, REST fall-back, cancel), fetch its trades, journal it."""
        leg = await self._final(leg)
        self._journal_leg(leg)
        return leg

    async def _final(self, leg: LegFill) -> LegFill:
        if leg.state in ("rejected", "unknown", "intent"):
            return leg
        if not leg.terminal:
            update = await self.router.wait(leg.venue, leg.client_id, self.timeout_s)
            if update is not None:
                try:
                    leg = leg.with_order(update)
                except MalformedOrder as e:
                    log.warning("order.malformed_update venue=%s client_id=%s error=%s", leg.venue, leg.client_id, e)
        client = self.venues[leg.venue]
        for _ in range(2):
            if leg.terminal:
                break
            try:  # REST fall-back; an IOC still open after that is cancelled
                leg = leg.with_order(await self._fetch(client, leg))
                if not leg.terminal and leg.order_id:
                    cancel = self.send[leg.venue].cancel_order
                    await idempotent(partial(cancel, leg.order_id, leg.symbol), timeout_s=self.timeout_s)
            except Exception as e:
                log.warning("order.fetch_failed venue=%s client_id=%s error=%s", leg.venue, leg.client_id, brief(e))
        if leg.filled and leg.order_id and client.has.get("fetchOrderTrades"):
            try:
                trades = await idempotent(lambda: client.fetch_order_trades(leg.order_id, leg.symbol),
                                          timeout_s=self.timeout_s, throttle=self.throttle)  # fmt: skip
                leg = leg.with_trades(trades)
            except Exception as e:  # the order's aggregate stays the record
                log.warning("order.trades_failed venue=%s client_id=%s error=%s", leg.venue, leg.client_id, brief(e))
        return leg

    async def _fetch(self, client: Any, leg: LegFill) -> dict[str, Any]:
        params = {} if leg.order_id else {"clientOrderId": leg.client_id}
        return await idempotent(lambda: client.fetch_order(leg.order_id, leg.symbol, params),
                                timeout_s=self.timeout_s, throttle=self.throttle)  # fmt: skip

    def _journal_leg(self, leg: LegFill) -> None:
        now = self.clock()
        self.journal.update_order(
            leg.client_id, state=leg.state, venue_order_id=leg.order_id, filled=leg.filled, avg_price=leg.avg_price,
            fee=leg.fee, fee_currency=leg.fee_currency, reason=leg.reason, updated_ms=now,
        )  # fmt: skip
        for t in leg.trade_rows():
            self.submit("fill", {"client_id": leg.client_id, "venue": leg.venue, "trade_id": t.trade_id,
                                 "ts_ms": t.ts_ms or now, "amount": t.amount, "price": t.price, "fee": t.fee,
                                 "fee_currency": t.fee_currency})  # fmt: skip

    # -- imbalance ------------------------------------------------------------------------------------------
    async def settle(self, opp_id: str, symbol: str, venues: tuple[str, str], legs: list[LegFill], *,
                     limits: Opportunity | None = None, policy: str | None = None,
                     exposure_id: int | None = None) -> Outcome:  # fmt: skip
        """Measure the position; record, alert and handle any exposure with the policy.

        ``exposure_id``: the exposure already journaled for this opportunity (reconcile), updated in place.
        """
        policy = policy or self.on_partial
        lot = self.markets[(venues[1], symbol)].amount_step
        pos = Position.of(symbol, legs)
        out = Outcome(opp_id, symbol, legs, pos, pos.exposure(lot), exposure_id)
        if out.exposure == ZERO:
            if exposure_id is not None:
                self.journal.update_exposure(exposure_id, state="flattened", updated_ms=self.clock(),
                                             detail="settled: no exposure left")  # fmt: skip
            return out
        before = out.exposure
        if exposure_id is None:
            out.exposure_id = self._record_exposure(opp_id, symbol, venues, out.exposure, legs)
        if any(leg.state == "unknown" for leg in legs):
            out.notes.append("a leg's state is unknown: holding until reconcile settles it")
        elif policy == "retry" and limits is not None:
            legs += await self._retry(opp_id, limits, out.exposure)
        elif policy in ("hedge", "retry"):
            legs += await self._hedge(opp_id, symbol, venues, out.exposure)
        out.position, out.legs = Position.of(symbol, legs), legs
        out.exposure = left = out.position.exposure(lot)
        eid = out.exposure_id
        assert eid is not None
        if left == ZERO:
            self.journal.update_exposure(eid, state="flattened", updated_ms=self.clock(), detail=f"by {policy}")
            out.notes.append(f"exposure {before} flattened by {policy}")
            return out
        if exposure_id is not None or left != before:
            self.journal.update_exposure(eid, base_delta=left, updated_ms=self.clock())
        out.notes.append(f"open exposure {left} {symbol.split('/')[0]} (policy {policy})")
        if exposure_id is None or left != before:
            self.alert(f"arb open exposure {symbol} {left}",
                       f"opportunity {opp_id}: {left} {symbol.split('/')[0]} unmatched after {policy}; "
                       f"exposure #{eid} stays open in the journal", "warning")  # fmt: skip
        return out

    def _record_exposure(self, opp_id: str, symbol: str, venues: tuple[str, str], base: Decimal,
                         legs: list[LegFill]) -> int:  # fmt: skip
        venue = venues[0] if base > 0 else venues[1]
        detail = "; ".join(_leg_line(x) for x in legs)
        now = self.clock()
        eid = self.journal.record_exposure({"opportunity_id": opp_id, "venue": venue, "symbol": symbol,
                                            "base_delta": base, "state": "open", "created_ms": now,
                                            "updated_ms": now, "detail": detail[:1000]})  # fmt: skip
        log.warning("exposure.open id=%d opportunity=%s base=%s venue=%s", eid, opp_id, base, venue)
        asset = symbol.split("/")[0]
        self.alert(f"arb failed leg {symbol}", f"opportunity {opp_id}: {detail}; unmatched {base} {asset} "
                   f"recorded as exposure #{eid}; policy {self.on_partial}", "failure")  # fmt: skip
        return eid

    def _flatten_order(self, venue: str, symbol: str, base: Decimal) -> tuple[str, Decimal]:
        """(side, amount on the venue's lot grid) that brings ``base`` back to zero on ``venue``."""
        m, fee = self.markets[(venue, symbol)], self.fees.get((venue, symbol))
        if base > 0:
            return "sell", floor_to(base, m.amount_step)
        phi = fee.taker if fee is not None and fee.currency == "received" else ZERO
        return "buy", ceil_to(-base / (ONE - phi), m.amount_step)

    async def _retry(self, opp_id: str, opp: Opportunity, base: Decimal) -> list[LegFill]:
        """The missing leg again on its own venue, at its original limit (the price limit)."""
        venue = opp.sell_venue if base > 0 else opp.buy_venue
        limit = opp.sell.limit_price if base > 0 else opp.buy.limit_price
        plan = [(venue, limit, "sell" if base > 0 else "buy", n) for n in range(1, RETRY_ATTEMPTS + 1)]
        return await self._flatten(opp_id, opp.symbol, base, plan, lot_venue=opp.sell_venue)

    async def _hedge(self, opp_id: str, symbol: str, venues: tuple[str, str], base: Decimal) -> list[LegFill]:
        """IOC on the venue with the better price for the imbalance (then the other one)."""
        priced = [(p, v) for v in venues if (p := self._hedge_price(v, symbol, base)) is not None]
        priced.sort(key=lambda pv: -pv[0] if base > 0 else pv[0])
        plan = [(v, p, "hedge", n) for n, (p, v) in enumerate(priced, start=1)]
        return await self._flatten(opp_id, symbol, base, plan, lot_venue=venues[1])

    async def _flatten(self, opp_id: str, symbol: str, base: Decimal, plan: list[tuple[str, Decimal, str, int]],
                       *, lot_venue: str) -> list[LegFill]:  # fmt: skip
        lot = self.markets[(lot_venue, symbol)].amount_step
        legs: list[LegFill] = []
        for venue, price, name, attempt in plan:
            side, amount = self._flatten_order(venue, symbol, base)
            if not self._tradable(venue, symbol, amount, price):
                continue
            leg = await self.run_leg(self._intent(opp_id, symbol, venue, side, amount, price, name, attempt))
            legs.append(leg)
            base += Position.of(symbol, [leg]).base_net
            if leg.state == "unknown" or Position(symbol, base).exposure(lot) == ZERO:
                break
        return legs

    def _hedge_price(self, venue: str, symbol: str, base: Decimal) -> Decimal | None:
        """The limit for a hedge on ``venue``: walked worst price for the amount, widened by the band."""
        book = self.books(venue, symbol)
        if book is None:
            return None
        m = self.markets[(venue, symbol)]
        try:
            asks, bids = ladders(book, venue)
            side = bids if base > 0 else asks
            amount = abs(base)
            if not side.ensure_amount(amount):
                amount = side.depth()
            if amount <= 0:
                return None
            _, k = side.walk(amount)
            worst = side.prices[k]
        except Exception as e:
            log.warning("hedge.no_price venue=%s symbol=%s error=%s", venue, symbol, brief(e))
            return None
        band = HEDGE_BAND_BPS / BPS
        return floor_to(worst * (ONE - band), m.price_step) if base > 0 else ceil_to(worst * (ONE + band), m.price_step)

    def _tradable(self, venue: str, symbol: str, amount: Decimal, price: Decimal) -> bool:
        m = self.markets[(venue, symbol)]
        if amount <= 0 or (m.min_amount is not None and amount < m.min_amount):
            return False
        return m.min_cost is None or amount * price >= m.min_cost

    # -- plumbing ------------------------------------------------------------------------------------------
    def _event_row(self, kind: str, symbol: str | None, detail: str, venue: str | None = None) -> dict[str, Any]:
        return {"run_id": self.run_id, "ts_ms": self.clock(), "venue": venue, "symbol": symbol, "kind": kind,
                "detail": detail}  # fmt: skip

    def _alert_outcome(self, opp: Opportunity, out: Outcome) -> None:
        quote = opp.symbol.split("/")[1]
        fills = ", ".join(f"{x.side} {x.filled} @ {x.avg_price} on {x.venue} ({x.state})" for x in out.legs)
        pair = f"{opp.symbol} {opp.buy_venue}→{opp.sell_venue}"
        if out.ok:
            pnl = out.position.pnl_quote
            self.alert(f"arb filled {pair}", f"{fills}; realised {pnl} {quote} (planned {opp.net_profit})", "success")
        elif out.exposure_id is None:  # failed without leaving exposure (e.g. both legs refused)
            reasons = "; ".join(f"{x.side} {x.venue}: {x.reason}" for x in out.legs if x.reason)
            self.alert(f"arb failed {pair}", f"opportunity {out.opportunity_id}: {fills}; {reasons}", "warning")


def plan_of(opp: Opportunity) -> dict[str, str]:
    """What the trade event records of the plan: each leg's venue, walked VWAP (expected price) and limit."""
    return {"buy_venue": opp.buy_venue, "sell_venue": opp.sell_venue,
            "expected_buy_vwap": str(opp.buy.vwap), "expected_sell_vwap": str(opp.sell.vwap),
            "buy_limit": str(opp.buy.limit_price), "sell_limit": str(opp.sell.limit_price)}  # fmt: skip


def _leg_line(x: LegFill) -> str:
    return f"{x.side} {x.venue} {x.state} {x.filled}/{x.amount}" + (f" ({x.reason})" if x.reason else "")
