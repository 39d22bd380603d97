"""Order intents: the deterministic client id of each leg, committed to the journal before anything is sent.

Step 1 of the executor: each leg gets ``VenueProfile.client_order_id(opportunity_id, leg, attempt)`` and
its intent row (leg, attempt, ``sent_ms``, ``expires_ms = sent_ms + execution.order_expiry_ms +
EXPIRY_SKEW_MS``) is committed, fsynced, before the send. Both legs of a decision commit in ONE transaction
(one fsync, :meth:`arb.store.Journal.record_order_intents`), awaited on the journal's writer thread so the
event loop runs on during the fsync (:mod:`arb.store.offloop`). An id already journaled is looked up, not sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from arb.core.ledger import LegFill
from arb.store import Journal
from arb.store.offloop import URGENT
from arb.trade.legs import EXPIRY_SKEW_MS, FALLBACK_EXPIRY_MS, expiry_of
from exchanges.profiles import profile
from exchanges.profiles.calls import has_expiry

log = logging.getLogger("arb.trade.executor")  # one logger name for the executor's parts
# (intent rows, their (sent_ms, expires_ms) windows, the commit's future): intents queued by begin_intents
Begun = tuple[list[dict[str, Any]], list[tuple[int, int]], "asyncio.Future[list[dict[str, Any] | None]]"]


class IntentSpec(NamedTuple):
    """One leg to journal: where, which side, how much, at what limit; ``leg`` buy | sell | hedge | retry."""

    venue: str
    side: str
    amount: Decimal
    price: Decimal
    leg: str
    attempt: int = 0


class Intents:
    """next attempt / intent. What it needs from the executor is declared here; the executor provides it."""

    venues: Mapping[str, Any]
    send: Mapping[str, Any]
    journal: Journal
    run_id: str
    expiry_ms: int
    clock: Callable[[], int]
    _windows: dict[str, tuple[int, int]]
    _begun: dict[str, Begun]
    _rows: dict[str, dict[str, Any]]

    def next_attempt(self, opp_id: str, venue: str, leg: str) -> int:
        """The first attempt number of ``leg`` (hedge | retry) not yet journaled for this opportunity."""
        rows = self.journal.orders(opportunity_id=opp_id)
        used = {r["client_id"] for r in rows}
        n = 1 + max((r.get("attempt") or 0 for r in rows if r.get("leg") == leg), default=0)
        prof = profile(getattr(self.venues[venue], "id", venue))
        while prof.client_order_id(opp_id, leg, n) in used:  # ids of journals from before the leg column
            n += 1
        return n

    async def _intent(
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
        """One leg's intent (a hedge or retry order), committed and fsynced before it is sent."""
        return (await self._intents(opp_id, symbol, [IntentSpec(venue, side, amount, price, leg, attempt)]))[0]

    def begin_intents(self, opp_id: str, symbol: str, specs: list[IntentSpec]) -> None:
        """Queue the intents' commit on the journal's writer thread now (sync, e.g. at the decision, before the
        execution's task has even started); :meth:`_intents` with the same ``opp_id`` awaits it. Never raises:
        a failure is raised by that await."""
        try:
            pending = self._begin(opp_id, symbol, specs)
        except Exception as e:  # e.g. no such venue: raised where the execution awaits it
            fut = asyncio.get_running_loop().create_future()
            fut.set_exception(e)
            pending = ([], [], fut)
        self._begun[opp_id] = pending

    def _begin(self, opp_id: str, symbol: str, specs: list[IntentSpec]) -> Begun:
        now = self.clock()
        rows: list[dict[str, Any]] = []
        windows: list[tuple[int, int]] = []
        for s in specs:
            cid = profile(getattr(self.venues[s.venue], "id", s.venue)).client_order_id(opp_id, s.leg, s.attempt)
            span = self.expiry_ms if has_expiry(self.send[s.venue]) else FALLBACK_EXPIRY_MS
            windows.append((now, now + span + EXPIRY_SKEW_MS))
            rows.append(
                {
                    "client_id": cid,
                    "run_id": self.run_id,
                    "opportunity_id": opp_id,
                    "venue": s.venue,
                    "symbol": symbol,
                    "side": s.side,
                    "type": "limit",
                    "tif": "IOC",
                    "amount": s.amount,
                    "price": s.price,
                    "created_ms": now,
                    "leg": s.leg,
                    "attempt": s.attempt,
                    "sent_ms": now,
                    "expires_ms": windows[-1][1],
                }
            )
        return rows, windows, self.journal.commit_now(URGENT, self.journal.record_order_intents, rows)

    def _take(self, opp_id: str, symbol: str, specs: list[IntentSpec]) -> Begun:
        """The intents' commit queued by :meth:`begin_intents` for ``opp_id``, or queued now."""
        pending = self._begun.pop(opp_id, None)
        return pending if pending is not None else self._begin(opp_id, symbol, specs)

    def _journaled(
        self, symbol: str, spec: IntentSpec, row: dict[str, Any], window: tuple[int, int], existing: Any
    ) -> LegFill:
        """The leg of one committed intent; ``existing``: the row already journaled under its id (look up, not send)."""
        cid = str(row["client_id"])
        fill = LegFill(spec.venue, symbol, spec.side, cid, spec.amount, spec.price)
        if existing is not None:  # same id already journaled: it may be at the venue; look it up, never resend
            log.warning("order.duplicate_intent client_id=%s state=%s", cid, existing["state"])
            sent = existing.get("sent_ms") or existing["created_ms"]
            self._windows[cid], self._rows[cid] = (int(str(sent)), expiry_of(existing)), existing
            return fill.with_state("unknown", "duplicate intent: looked up, not sent")
        self._windows[cid], self._rows[cid] = window, row
        return fill

    def intent_row(self, client_id: str) -> dict[str, Any]:
        """The journaled intent of a leg in hand (as committed: no read back from the journal on the send path), or
        the journal's row of any other order ({} if none)."""
        row = self._rows.get(client_id)
        return row if row is not None else self.journal.get_order(client_id) or {}

    async def _intents(self, opp_id: str, symbol: str, specs: list[IntentSpec]) -> list[LegFill]:
        """Every leg's intent in ONE journal transaction, one fsync (both legs of a decision), before any send.

        The commit runs on the journal's writer thread, first in its queue (:mod:`arb.store.offloop`), queued by
        :meth:`begin_intents` or here; durable when this returns, while the event loop (feeds, other trades'
        sends) ran on."""
        rows, windows, fut = self._take(opp_id, symbol, specs)
        done = await fut
        return [self._journaled(symbol, *x) for x in zip(specs, rows, windows, done, strict=True)]
