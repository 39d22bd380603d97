"""The executor: both legs of an accepted opportunity at once, as limit IOC orders, never sent twice.

For one opportunity (:meth:`Executor.execute`):

1. Each leg gets a deterministic client order id (``VenueProfile.client_order_id(opportunity_id,
   leg, attempt)``) and its intent is committed to the journal, fsynced, **before** anything is
   sent (the one disk wait on the hot path), with its leg and attempt, ``sent_ms`` (the timestamp
   the venue sees) and ``expires_ms`` (``sent_ms + execution.order_expiry_ms + EXPIRY_SKEW_MS``: after
   it the venue can no longer execute the order). An id already journaled is looked up, not sent.
2. Right before each send the trader's ``may_send`` hook is asked (the kill file, a cheap stat):
   an intent not sent for that reason is journaled ``rejected`` saying so.
3. Both legs go out together (``asyncio.gather(..., return_exceptions=True)``) as limit IOC at the
   evaluated worst prices, with the venue's client-id parameter and the venue's own expiry
   (:mod:`exchanges.profiles.calls`).
4. Outcomes come from ``watch_orders`` (:class:`arb.trade.orders.OrderRouter`); after
   ``order_timeout_ms`` without a final state, REST is the fall-back. After a timeout, 5xx, 429,
   unreadable or unexpected answer on send the order is looked up by client id (the venue's own
   look-up, :func:`exchanges.profiles.calls.find_order`); it is never re-sent. Not found is not
   "never sent": the look-ups go on until ``expires_ms`` has passed, and only a look-up after it
   that still finds nothing journals the order as never executed (a 429 is answered before the
   order is processed: one look-up). A venue's refusal (min size, precision, funds, permission,
   expiry) is journaled with its reason and never retried.
5. Fills: when the venue's update lacks them, the order's trades are fetched until they add up to
   the filled amount. The terminal state is journaled together with the fills, in one fsynced
   transaction (``Journal.record_leg``); an order whose fills are still incomplete stays ``sent``
   (not terminal) so reconcile keeps recovering them.
6. Imbalances are settled by :class:`arb.trade.settle.Settlement` (exposure, hedge/retry/hold).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import partial
from typing import Any

import ccxt.pro as ccxtpro

from arb.clock import wall_ms
from arb.core.kinds import EventKind
from arb.core.ledger import LegFill, MalformedOrder
from arb.core.model import Fee, MarketSpec, Opportunity
from arb.retry import Backoff
from arb.store import Journal
from arb.trade.legs import EXPIRY_SKEW_MS, FALLBACK_EXPIRY_MS, FILL_FETCHES, REFUSED, expiry_of, leg_record, plan_of
from arb.trade.orders import OrderRouter, brief, idempotent
from arb.trade.settle import HEDGE_BAND_BPS, RETRY_ATTEMPTS, Outcome, Settlement, outcome_alert
from exchanges.profiles import profile
from exchanges.profiles.calls import arm, expiring, find_order, has_expiry

log = logging.getLogger(__name__)
# the one back-off policy (arb.retry): look-ups until an order's expiry, and trade fetches until fills add up
LOOKUP_BACKOFF = Backoff(0.05, 0.5)
TRADES_BACKOFF = Backoff(0.05, 1.0)

# ccxt constructor options for the clients that only send and cancel orders. ccxt's limiter refills
# its tokens only while a request waits, so after any call the next one always waits that call's
# cost, however long the client was idle: an order would sit 7 ms (OKX), 10 ms (Binance) or 50 ms
# (Bybit) before leaving. Send clients run without it; the executor paces their orders itself with
# asyncio-throttle's sliding window at each venue's documented order rate (VenueProfile.order_rate),
# which lets a burst through after idle time and still holds the sustained rate.
SEND_CLIENT_OPTIONS: dict[str, Any] = {"enableRateLimit": False}

__all__ = [
    "EXPIRY_SKEW_MS",
    "HEDGE_BAND_BPS",
    "RETRY_ATTEMPTS",
    "SEND_CLIENT_OPTIONS",
    "Executor",
    "Outcome",
    "expiry_of",
]


class Executor(Settlement):
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
        order_expiry_ms: int = 5000,
        router: OrderRouter | None = None,
        submit: Callable[[str, dict[str, Any]], Any] | None = None,
        alert: Callable[[str, str, str], Any] | None = None,
        books: Callable[[str, str], Any] | None = None,
        on_order_result: Callable[[str, bool], Any] | None = None,
        on_leg: Callable[[str, LegFill], Any] | None = None,
        on_journal: Callable[[LegFill], Any] | None = None,
        may_send: Callable[[], str | None] | None = None,
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
        for c in self.send.values():
            arm(c)
        self.markets, self.fees = markets, fees
        self.on_partial, self.timeout_s, self.expiry_ms = on_partial, order_timeout_ms / 1000, order_expiry_ms
        self.router = router or OrderRouter()
        self.submit = submit or (lambda kind, row: journal.write_batch([(kind, row)]))
        self.alert = alert or (lambda title, body, kind: None)
        self.books = books or (lambda venue, symbol: None)
        self.on_order_result = on_order_result or (lambda venue, ok: None)
        self.on_leg = on_leg or (lambda event, leg: None)
        self.on_journal = on_journal or (lambda leg: None)  # every leg state + fills journaled (the day's PnL)
        self.may_send = may_send or (lambda: None)
        self.throttle, self.clock = throttle, clock
        self.active: set[str] = set()  # client ids this executor is handling right now
        self._windows: dict[str, tuple[int, int]] = {}  # client id -> (sent_ms, expires_ms) of legs in hand

    # -- one opportunity ---------------------------------------------------------------------------
    async def execute(self, opp_id: str, opp: Opportunity) -> Outcome:
        buy = self._intent(opp_id, opp.symbol, opp.buy_venue, "buy", opp.buy.amount, opp.buy.limit_price, "buy")
        sell = self._intent(opp_id, opp.symbol, opp.sell_venue, "sell", opp.sell.amount, opp.sell.limit_price, "sell")
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
        self.submit(
            "event", self._event_row(EventKind.TRADE, opp.symbol, json.dumps(out.summary(), separators=(",", ":")))
        )
        if (alert := outcome_alert(opp, out)) is not None:
            self.alert(*alert)
        return out

    def next_attempt(self, opp_id: str, venue: str, leg: str) -> int:
        """The first attempt number of ``leg`` (hedge | retry) not yet journaled for this opportunity."""
        rows = self.journal.orders(opportunity_id=opp_id)
        used = {r["client_id"] for r in rows}
        n = 1 + max((r.get("attempt") or 0 for r in rows if r.get("leg") == leg), default=0)
        prof = profile(getattr(self.venues[venue], "id", venue))
        while prof.client_order_id(opp_id, leg, n) in used:  # ids of journals from before the leg column
            n += 1
        return n

    def _intent(
        self,
        opp_id: str,
        symbol: str,
        venue: str,
        side: str,
        amount: Decimal,
        price: Decimal,
        leg: str,
        attempt: int = 0,
    ) -> LegFill:
        cid = profile(getattr(self.venues[venue], "id", venue)).client_order_id(opp_id, leg, attempt)
        now = self.clock()
        window = self.expiry_ms if has_expiry(self.send[venue]) else FALLBACK_EXPIRY_MS
        row = {
            "client_id": cid,
            "run_id": self.run_id,
            "opportunity_id": opp_id,
            "venue": venue,
            "symbol": symbol,
            "side": side,
            "type": "limit",
            "tif": "IOC",
            "amount": amount,
            "price": price,
            "created_ms": now,
            "leg": leg,
            "attempt": attempt,
            "sent_ms": now,
            "expires_ms": (expires := now + window + EXPIRY_SKEW_MS),
        }
        existing = self.journal.record_order_intent(row)
        fill = LegFill(venue, symbol, side, cid, amount, price)
        if existing is not None:  # same id already journaled: it may be at the venue; look it up, never resend
            log.warning("order.duplicate_intent client_id=%s state=%s", cid, existing["state"])
            sent = existing.get("sent_ms") or existing["created_ms"]
            self._windows[cid] = (int(str(sent)), expiry_of(existing))
            return fill.with_state("unknown", "duplicate intent: looked up, not sent")
        self._windows[cid] = (now, expires)
        return fill

    # -- one leg -----------------------------------------------------------------------------------------
    async def run_leg(self, leg: LegFill) -> LegFill:
        """:meth:`_run_leg` between the ``on_leg`` hooks: the risk gate holds what the order can consume from
        "send" on, and on "final" replaces the hold by the leg's flows (or keeps it if the state is unknown)."""
        self.on_leg("send", leg)
        done = leg
        try:
            done = await self._run_leg(leg)
            return done
        finally:
            self.on_leg("final", done)

    async def _run_leg(self, leg: LegFill) -> LegFill:
        """Send (unless already journaled), wait for the final state, fetch trades, journal everything."""
        self.active.add(leg.client_id)
        self.router.expect(leg.venue, leg.client_id)
        try:
            if leg.state == "unknown":
                found, absent = await self.lookup(leg, self._windows[leg.client_id][1])
                if found is not None:
                    leg = leg.with_order(found)
                elif absent:
                    leg = leg.with_state("rejected", "never executed: not at the venue after its expiry")
            else:
                blocked = self.may_send()
                if blocked is not None:
                    reason = f"not sent: {blocked}"
                    log.warning("order.not_sent venue=%s client_id=%s reason=%s", leg.venue, leg.client_id, blocked)
                    self.journal.update_order(leg.client_id, state="rejected", reason=reason, updated_ms=self.clock())
                    return leg.with_state("rejected", reason)
                leg = await self._send(leg)
            return await self.finish(leg)
        finally:
            self.active.discard(leg.client_id)
            self.router.forget(leg.venue, leg.client_id)
            self._windows.pop(leg.client_id, None)

    async def _send(self, leg: LegFill) -> LegFill:
        client = self.send[leg.venue]
        params = profile(getattr(client, "id", leg.venue)).order_params(leg.client_id)
        assert leg.price is not None
        sent_ms, expires_ms = self._windows[leg.client_id]
        pace = self.send_pace.get(leg.venue)
        try:
            async with asyncio.timeout(self.timeout_s):
                if pace is not None:
                    async with pace:
                        pass  # a slot in this venue's order-rate window
                with expiring(sent_ms, self.expiry_ms):
                    placed = await client.create_order(
                        leg.symbol, "limit", leg.side, float(leg.amount), float(leg.price), params
                    )
            leg = leg.with_update(placed)
        except REFUSED as e:  # the venue (or ccxt's checks) refused it: final, never retried
            if not isinstance(e, ccxtpro.DuplicateOrderId):
                self.on_order_result(leg.venue, False)
                log.warning("order.rejected venue=%s client_id=%s reason=%s", leg.venue, leg.client_id, brief(e))
                return leg.with_state("rejected", brief(e), cause=type(e).__name__)
            return await self._unconfirmed(leg, e, expires_ms)
        except Exception as e:  # timeout, 5xx, 429, busy, unreadable answer: the venue may have it; look it up
            return await self._unconfirmed(leg, e, expires_ms)
        self.on_order_result(leg.venue, True)
        # never a terminal state here: that is journaled with the fills (finish)
        self.journal.update_order(
            leg.client_id,
            state="open" if leg.state == "open" else "sent",
            venue_order_id=leg.order_id,
            updated_ms=self.clock(),
        )
        return leg

    async def _unconfirmed(self, leg: LegFill, e: BaseException, expires_ms: int) -> LegFill:
        self.on_order_result(leg.venue, False)
        why = brief(e)
        log.warning("order.send_unconfirmed venue=%s client_id=%s error=%s", leg.venue, leg.client_id, why)
        self.journal.update_order(
            leg.client_id, state="unknown", reason=f"send unconfirmed: {why}", updated_ms=self.clock()
        )
        rate_limited = isinstance(e, ccxtpro.RateLimitExceeded | ccxtpro.DDoSProtection)
        found, absent = await self.lookup(leg, None if rate_limited else expires_ms)
        if found is not None:
            return leg.with_order(found)
        if absent and rate_limited:  # a 429 is answered before the order is processed: confirmed absent
            return leg.with_state("rejected", f"{why}; not at the venue")
        if absent:
            return leg.with_state("rejected", f"{why}; never executed: not at the venue after its expiry")
        return leg.with_state("unknown", f"{why}; the venue could not be asked")

    async def look(self, leg: LegFill) -> dict[str, Any] | None:
        """One look-up by client id (idempotent, throttled): the order, or None when the venue has none.

        Errors other than "not found" propagate: not being able to ask is not an answer.
        """
        client = self.venues[leg.venue]
        return await idempotent(
            lambda: find_order(client, leg.symbol, leg.client_id), timeout_s=self.timeout_s, throttle=self.throttle
        )

    async def lookup(self, leg: LegFill, until_ms: int | None) -> tuple[dict[str, Any] | None, bool]:
        """Look an order up until found or ``until_ms`` (its expiry) has passed, with one look-up after it.

        Returns (order, False) when found, (None, True) when the venue answered "not found" on a look-up
        made after ``until_ms`` (``None``: one look-up), (None, False) when it could not be asked then.
        """
        attempt = 0
        while True:
            after = until_ms is None or self.clock() > until_ms
            try:
                found = await self.look(leg)
                if found is not None:
                    return found, False
                if after:
                    return None, True
            except Exception as e:
                log.warning("order.lookup_failed venue=%s client_id=%s error=%s", leg.venue, leg.client_id, brief(e))
                if after:
                    return None, False
            assert until_ms is not None
            wait_s = min(LOOKUP_BACKOFF.delay(attempt), max(0.0, (until_ms - self.clock()) / 1000) + 0.01)
            await asyncio.sleep(wait_s)
            attempt += 1

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
                    leg = leg.with_update(update)
                except MalformedOrder as e:
                    log.warning("order.malformed_update venue=%s client_id=%s error=%s", leg.venue, leg.client_id, e)
        client = self.venues[leg.venue]
        for _ in range(2):
            if leg.terminal:
                break
            try:  # REST fall-back; an IOC still open after that is cancelled
                found = await self._fetch(client, leg)
                if found is not None:
                    leg = leg.with_order(found)
                if not leg.terminal and leg.order_id:
                    cancel = self.send[leg.venue].cancel_order
                    await idempotent(partial(cancel, leg.order_id, leg.symbol), timeout_s=self.timeout_s)
            except Exception as e:
                log.warning("order.fetch_failed venue=%s client_id=%s error=%s", leg.venue, leg.client_id, brief(e))
        return await self._trades(client, leg)

    async def _trades(self, client: Any, leg: LegFill) -> LegFill:
        """The order's trades until they add up to its filled amount (``FILL_FETCHES`` tries)."""
        if not leg.filled or not leg.order_id or not client.has.get("fetchOrderTrades") or leg.fills_complete:
            return leg
        fetch = partial(client.fetch_order_trades, leg.order_id, leg.symbol)
        for i in range(FILL_FETCHES):
            try:
                trades = await idempotent(fetch, timeout_s=self.timeout_s, throttle=self.throttle)
                leg = leg.with_trades(trades)
                if leg.fills_complete:
                    return leg
            except Exception as e:  # reconcile keeps recovering them
                log.warning("order.trades_failed venue=%s client_id=%s error=%s", leg.venue, leg.client_id, brief(e))
            if i < FILL_FETCHES - 1:
                await asyncio.sleep(TRADES_BACKOFF.delay(i))
        return leg

    async def _fetch(self, client: Any, leg: LegFill) -> dict[str, Any] | None:
        if leg.order_id:
            return await idempotent(
                lambda: client.fetch_order(leg.order_id, leg.symbol), timeout_s=self.timeout_s, throttle=self.throttle
            )
        return await self.look(leg)

    def _journal_leg(self, leg: LegFill) -> None:
        """The leg's outcome and fills in one fsynced transaction; not terminal while its fills are incomplete."""
        client = self.venues.get(leg.venue)
        has_trades = bool(client is not None and client.has.get("fetchOrderTrades"))
        fields, fills = leg_record(leg, has_trades, self.clock())
        self.journal.record_leg(leg.client_id, fields, fills)
        self.on_journal(leg)

    # -- plumbing ------------------------------------------------------------------------------------------
    def _event_row(self, kind: str, symbol: str | None, detail: str, venue: str | None = None) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "ts_ms": self.clock(),
            "venue": venue,
            "symbol": symbol,
            "kind": kind,
            "detail": detail,
        }
