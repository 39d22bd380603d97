"""Sending one leg and, when the send is not confirmed, looking it up by client id (never sending it again).

The part of :class:`arb.trade.executor.Executor` that talks to a venue to place an order: steps 2-4 of the
executor's docstring. After a timeout, 5xx, 429, unreadable or unexpected answer on send the order is
looked up by client id until its expiry has passed (a 429 is answered before the order is processed: one
look-up); it is never re-sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import ccxt.pro as ccxtpro

from arb.core.ledger import LegFill
from arb.retry import Backoff
from arb.store import Journal
from arb.trade.eager import start_now
from arb.trade.legs import REFUSED
from arb.trade.orders import brief, idempotent
from arb.trade.wsorders import WsOrderClient
from exchanges.profiles import profile
from exchanges.profiles.calls import expiring, find_order

log = logging.getLogger("arb.trade.executor")  # one logger name for the executor's parts
# the one back-off policy (arb.retry): look-ups until an order's expiry
LOOKUP_BACKOFF = Backoff(0.05, 0.5)

# ccxt constructor options for the clients that only send and cancel orders. ccxt's limiter refills
# its tokens only while a request waits, so after any call the next one always waits that call's
# cost, however long the client was idle: an order would sit 7 ms (OKX), 10 ms (Binance) or 50 ms
# (Bybit) before leaving. Send clients run without it; the executor paces their orders itself with
# asyncio-throttle's sliding window at each venue's documented order rate (VenueProfile.order_rate),
# which lets a burst through after idle time and still holds the sustained rate.
SEND_CLIENT_OPTIONS: dict[str, Any] = {"enableRateLimit": False}


class LegSender:
    """send / look up. What it needs from the executor is declared here; the executor provides it."""

    venues: Mapping[str, Any]
    send: Mapping[str, Any]
    send_pace: dict[str, Any]
    journal: Journal
    timeout_s: float
    expiry_ms: int
    throttle: Any | None
    clock: Callable[[], int]
    on_order_result: Callable[[str, bool], Any]
    _windows: dict[str, tuple[int, int]]

    async def _send(self, leg: LegFill, placing: Awaitable[Any] | None = None) -> LegFill:
        """Send ``leg`` (or take the order :meth:`send_now` already handed over) and journal what the venue said."""
        assert leg.price is not None
        _, expires_ms = self._windows[leg.client_id]
        try:
            async with asyncio.timeout(self.timeout_s):
                placed = await (self._place(leg) if placing is None else placing)
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
        await self.journal.commit_order_update(
            leg.client_id,
            state="open" if leg.state == "open" else "sent",
            venue_order_id=leg.order_id,
            updated_ms=self.clock(),
        )
        return leg

    async def _place(self, leg: LegFill) -> Any:
        """A slot in the venue's order-rate window, then the order to ccxt, signed inside its expiry window."""
        client = self.send[leg.venue]
        params = profile(getattr(client, "id", leg.venue)).order_params(leg.client_id)
        assert leg.price is not None
        pace = self.send_pace.get(leg.venue)
        if pace is not None:
            async with pace:
                pass
        with expiring(self._windows[leg.client_id][0], self.expiry_ms):
            return await client.create_order(leg.symbol, "limit", leg.side, float(leg.amount), float(leg.price), params)

    def ready_now(self, venue: str) -> bool:
        """Whether an order to ``venue`` can be handed over right here (:meth:`send_now`): its WebSocket is ready.
        Never over HTTP: that request is made from the leg's own task (aiohttp ties its timers to the current task)."""
        client = self.send[venue]
        return isinstance(client, WsOrderClient) and client.ws_ready()

    def send_now(self, leg: LegFill) -> asyncio.Future[Any]:
        """The leg's order handed to its venue's ready WebSocket right here, in the caller's task
        (:func:`arb.trade.eager.start_now`: ccxt builds, signs and writes the frame before this returns); the
        future gives ccxt's answer, awaited by :meth:`_send` in the leg's task."""
        return start_now(self._place(leg))

    async def _unconfirmed(self, leg: LegFill, e: BaseException, expires_ms: int) -> LegFill:
        self.on_order_result(leg.venue, False)
        why = brief(e)
        log.warning("order.send_unconfirmed venue=%s client_id=%s error=%s", leg.venue, leg.client_id, why)
        await self.journal.commit_order_update(
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
