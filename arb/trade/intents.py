"""Order intents: the deterministic client id of each leg, committed to the journal before anything is sent.

Step 1 of the executor: each leg gets ``VenueProfile.client_order_id(opportunity_id, leg, attempt)`` and
its intent row (leg, attempt, ``sent_ms``, ``expires_ms = sent_ms + execution.order_expiry_ms +
EXPIRY_SKEW_MS``) is committed, fsynced, before the send. An id already journaled is looked up, not sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from arb.core.ledger import LegFill
from arb.store import Journal
from arb.trade.legs import EXPIRY_SKEW_MS, FALLBACK_EXPIRY_MS, expiry_of
from exchanges.profiles import profile
from exchanges.profiles.calls import has_expiry

log = logging.getLogger("arb.trade.executor")  # one logger name for the executor's parts


class Intents:
    """next attempt / intent. What it needs from the executor is declared here; the executor provides it."""

    venues: Mapping[str, Any]
    send: Mapping[str, Any]
    journal: Journal
    run_id: str
    expiry_ms: int
    clock: Callable[[], int]
    _windows: dict[str, tuple[int, int]]

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
