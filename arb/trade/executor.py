"""The executor: both legs of an accepted opportunity at once, as limit IOC orders, never sent twice.

For one opportunity (:meth:`Executor.execute`):

1. Each leg gets a deterministic client order id (``VenueProfile.client_order_id(opportunity_id,
   leg, attempt)``) and both legs' intents are committed to the journal in ONE transaction, one
   fsync, **before** anything is sent (the one disk wait on the hot path), each with its leg and
   attempt, ``sent_ms`` (the timestamp the venue sees) and ``expires_ms`` (``sent_ms +
   execution.order_expiry_ms + EXPIRY_SKEW_MS``: after it the venue can no longer execute the
   order). An id already journaled is looked up, not sent.
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
from typing import Any

from arb.clock import wall_ms
from arb.core.kinds import EventKind
from arb.core.ledger import LegFill
from arb.core.model import Fee, MarketSpec, Opportunity
from arb.store import Journal
from arb.trade.collector import collector_held
from arb.trade.finisher import TRADES_BACKOFF, LegFinisher
from arb.trade.intents import Begun, Intents, IntentSpec
from arb.trade.legs import EXPIRY_SKEW_MS, expiry_of, plan_of
from arb.trade.orders import OrderRouter, brief
from arb.trade.sender import LOOKUP_BACKOFF, SEND_CLIENT_OPTIONS, LegSender
from arb.trade.settle import HEDGE_BAND_BPS, RETRY_ATTEMPTS, Outcome, Settlement, outcome_alert
from exchanges.profiles import profile
from exchanges.profiles.calls import arm

log = logging.getLogger(__name__)

__all__ = [
    "EXPIRY_SKEW_MS",
    "HEDGE_BAND_BPS",
    "LOOKUP_BACKOFF",
    "RETRY_ATTEMPTS",
    "SEND_CLIENT_OPTIONS",
    "TRADES_BACKOFF",
    "Executor",
    "Outcome",
    "expiry_of",
]


class Executor(Intents, LegSender, LegFinisher, Settlement):
    """Sends, tracks and settles legs for one run. I/O through ``venues`` (ccxt-shaped clients).

    Its parts, one module each: :mod:`.intents` (client ids, journal before send), :mod:`.sender` (send, look
    up), :mod:`.finisher` (final state, trades, journal), :mod:`.settle` (imbalances).
    """

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
        journal.prepare_commit_now()  # its first decision's intents commit without opening a connection
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
        self._begun: dict[str, Begun] = {}  # opportunity id -> intents queued at the decision (begin)
        self._rows: dict[str, dict[str, Any]] = {}  # client id -> its intent row, for legs in hand (intent_row)
        self._second: dict[str, tuple[list[LegFill | None], list[asyncio.Future[LegFill]]]] = {}  # begin's legs

    # -- one opportunity ---------------------------------------------------------------------------
    def begin(self, opp_id: str, opp: Opportunity, run: asyncio.Task[Any] | None = None) -> None:
        """At the decision (sync, on the feed's task): both intents committed — on this thread when the journal's
        lock is free, else queued on its writer thread (:meth:`execute` awaits that). ``run``: the task just created
        to run :meth:`execute`. With it, each leg gets its task now, and when the intents are already durable each
        leg whose venue's WebSocket is ready is sent right here (:meth:`send_now`): both orders are on the wire
        when this returns, instead of after everything already queued on the event loop. No cyclic garbage
        collection runs in between (:mod:`.collector`): it runs right after, once the orders are out."""
        with collector_held():
            self._begin_now(opp_id, opp, run)

    def _begin_now(self, opp_id: str, opp: Opportunity, run: asyncio.Task[Any] | None) -> None:
        specs = _specs(opp)
        self.begin_intents(opp_id, opp.symbol, specs)
        if run is None:
            return
        begun = self._begun[opp_id]
        journaled = begun[2]
        made: list[LegFill | None] = [None, None]
        placing: list[asyncio.Future[Any] | None] = [None, None]
        if journaled.done() and not journaled.cancelled() and journaled.exception() is None:
            for i in (0, 1):
                try:
                    placing[i] = self._send_at_decision(opp.symbol, specs[i], begun, made, i)
                except Exception:  # never into the feed's task: the leg's own task sends it
                    log.exception("leg.send_now_failed opportunity=%s", opp_id)
        legs = [self._leg(opp_id, opp.symbol, specs, begun, made, i, run, placing[i]) for i in (0, 1)]
        self._second[opp_id] = (made, [asyncio.ensure_future(leg) for leg in legs])

    def _send_at_decision(
        self, symbol: str, spec: IntentSpec, begun: Begun, made: list[LegFill | None], i: int
    ) -> asyncio.Future[Any] | None:
        """Leg ``i`` of a durable decision sent now (its hold taken first, as :meth:`run_leg` does), or None: not
        over a ready WebSocket, journaled before (looked up), or not to be sent (its task journals why)."""
        rows, windows, journaled = begun
        if journaled.result()[i] is not None or not self.ready_now(spec.venue) or self.may_send() is not None:
            return None
        made[i] = leg = self._journaled(symbol, spec, rows[i], windows[i], None)
        self.on_leg("send", leg)
        self.active.add(leg.client_id)
        self.router.expect(leg.venue, leg.client_id)
        return self.send_now(leg)

    async def _leg(
        self,
        opp_id: str,
        symbol: str,
        specs: list[IntentSpec],
        begun: Begun,
        made: list[LegFill | None],
        i: int,
        run: asyncio.Task[Any] | None = None,
        placing: asyncio.Future[Any] | None = None,
    ) -> LegFill:
        """Leg ``i``: once both intents are durable, sent (unless journaled before) and followed to its end;
        ``placing``: its order was already handed over at the decision — followed whatever happens."""
        if placing is not None:  # never sent again: followed from here
            leg = made[i]
            assert leg is not None
            return await self.run_leg(leg, placing)
        rows, windows, journaled = begun
        done = await journaled
        if run is not None and (run.cancelled() or run.cancelling()):  # the run is being torn down before the
            self._second.pop(opp_id, None)  # execution started: not sent; the journaled intent is reconciled
            self._begun.pop(opp_id, None)
            raise asyncio.CancelledError
        made[i] = leg = self._journaled(symbol, specs[i], rows[i], windows[i], done[i])
        return await self.run_leg(leg)

    async def execute(self, opp_id: str, opp: Opportunity) -> Outcome:
        # both intents: one transaction, one fsync, before either leg is sent (committed by begin, or now). Legs
        # begun at the decision have their tasks (and maybe their orders out) already; else the first leg runs in
        # this task (no hop) and the second in its own, which starts as soon as this one waits.
        specs = _specs(opp)
        begun = self._take(opp_id, opp.symbol, specs)
        rows, _, journaled = begun
        made: list[LegFill | None] = [None, None]
        early = self._second.pop(opp_id, None)
        results: list[LegFill | BaseException]
        if early is not None:
            made, tasks = early
            results = await asyncio.gather(*tasks, return_exceptions=True)
        else:
            second = asyncio.ensure_future(self._leg(opp_id, opp.symbol, specs, begun, made, 1))
            try:
                first: LegFill | BaseException = await self._leg(opp_id, opp.symbol, specs, begun, made, 0)
            except asyncio.CancelledError:
                second.cancel()
                raise
            except Exception as e:  # as gather(return_exceptions=True) would give it
                first = e
            results = [first, *(await asyncio.gather(second, return_exceptions=True))]
        if journaled.done() and not journaled.cancelled() and (failed := journaled.exception()) is not None:
            raise failed  # the intents were not committed: nothing was sent
        legs: list[LegFill] = []
        for i, res in enumerate(results):
            s = specs[i]
            leg = made[i] or LegFill(s.venue, opp.symbol, s.side, str(rows[i]["client_id"]), s.amount, s.price)
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

    # -- one leg -----------------------------------------------------------------------------------------
    async def run_leg(self, leg: LegFill, placing: asyncio.Future[Any] | None = None) -> LegFill:
        """:meth:`_run_leg` between the ``on_leg`` hooks: the risk gate holds what the order can consume from
        "send" on, and on "final" replaces the hold by the leg's flows (or keeps it if the state is unknown)."""
        if placing is None:  # else taken before its order was handed over (_send_at_decision)
            self.on_leg("send", leg)
        done = leg
        try:
            done = await self._run_leg(leg, placing)
            return done
        finally:
            self.on_leg("final", done)

    async def _run_leg(self, leg: LegFill, placing: asyncio.Future[Any] | None = None) -> LegFill:
        """Send (unless already journaled), wait for the final state, fetch trades, journal everything."""
        self.active.add(leg.client_id)
        self.router.expect(leg.venue, leg.client_id)
        try:
            if placing is not None:  # handed over at the decision
                leg = await self._send(leg, placing)
            elif leg.state == "unknown":
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
                    await self.journal.commit_order_update(
                        leg.client_id, state="rejected", reason=reason, updated_ms=self.clock()
                    )
                    return leg.with_state("rejected", reason)
                leg = await self._send(leg)
            return await self.finish(leg)
        finally:
            self.active.discard(leg.client_id)
            self.router.forget(leg.venue, leg.client_id)
            self._windows.pop(leg.client_id, None)
            self._rows.pop(leg.client_id, None)

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


def _specs(opp: Opportunity) -> list[IntentSpec]:
    return [
        IntentSpec(opp.buy_venue, "buy", opp.buy.amount, opp.buy.limit_price, "buy"),
        IntentSpec(opp.sell_venue, "sell", opp.sell.amount, opp.sell.limit_price, "sell"),
    ]
