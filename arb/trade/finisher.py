"""Bringing a sent leg to its final state and journaling it with its fills (steps 4-5 of the executor).

Outcomes come from ``watch_orders`` (:class:`arb.trade.orders.OrderRouter`); after ``order_timeout_ms``
without a final state, REST is the fall-back and an IOC still open is cancelled. When the venue's update
lacks the fills, the order's trades are fetched until they add up to the filled amount. The terminal
state is journaled together with the fills in one fsynced transaction (``Journal.record_leg``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from arb.core.ledger import LegFill, MalformedOrder
from arb.retry import Backoff
from arb.store import Journal
from arb.trade.legs import FILL_FETCHES, leg_record
from arb.trade.orders import OrderRouter, brief, idempotent

log = logging.getLogger("arb.trade.executor")  # one logger name for the executor's parts
# the one back-off policy (arb.retry): trade fetches until fills add up
TRADES_BACKOFF = Backoff(0.05, 1.0)


class LegFinisher:
    """final state / trades / journal. What it needs from the executor is declared here."""

    venues: Mapping[str, Any]
    send: Mapping[str, Any]
    journal: Journal
    router: OrderRouter
    timeout_s: float
    throttle: Any | None
    clock: Callable[[], int]
    on_journal: Callable[[LegFill], Any]

    async def look(self, leg: LegFill) -> dict[str, Any] | None:
        raise NotImplementedError

    async def finish(self, leg: LegFill) -> LegFill:
        """Bring a leg to its final state (WS, REST fall-back, cancel), fetch its trades, journal it."""
        leg = await self._final(leg)
        await self._journal_leg(leg)
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

    async def _journal_leg(self, leg: LegFill) -> None:
        """The leg's outcome and fills in one fsynced transaction; not terminal while its fills are incomplete."""
        client = self.venues.get(leg.venue)
        has_trades = bool(client is not None and client.has.get("fetchOrderTrades"))
        fields, fills = leg_record(leg, has_trades, self.clock())
        await self.journal.commit_leg(leg.client_id, fields, fills)
        self.on_journal(leg)
