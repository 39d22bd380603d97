"""Imbalance handling of an opportunity (the base of :class:`arb.trade.executor.Executor`): measure, record, flatten.

A base imbalance beyond dust is an **exposure**: journaled (``exposures``, fsynced), alerted, then handled
by a policy: ``hedge`` (IOC on the better of the two venues, guarded at ``HEDGE_BAND_BPS`` beyond the walked
price), ``retry`` (the missing leg again at its original limit, up to ``RETRY_ATTEMPTS`` times; only while the
opportunity itself runs — reconcile passes ``hold`` instead, so a missing second leg is never sent after a
restart) or ``hold``. While any leg's outcome is not final (unknown, or not yet confirmed sent/expired) the
exposure is held: acting on it could double the position; reconcile settles it once the venue has answered
or the order's expiry has passed.

Every hedge or retry order gets a fresh attempt number from the journal (``orders.leg``/``attempt`` and the
ids already used), so an earlier run's hedge is never taken for a duplicate and counted twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from arb.core.books import ladders
from arb.core.evaluator import ceil_to, floor_to
from arb.core.ledger import LegFill, Position
from arb.core.model import BPS, ONE, ZERO, Fee, MarketSpec, Opportunity
from arb.store import Journal
from arb.trade.dust import HEDGE_BAND_BPS, dust_of
from arb.trade.orders import brief

log = logging.getLogger(__name__)

RETRY_ATTEMPTS = 2


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
    plan: dict[str, str] | None = None  # the evaluated plan (executor.plan_of): venues, expected VWAPs, limits

    @property
    def ok(self) -> bool:
        """Both legs filled completely and nothing is left exposed."""
        main = self.legs[:2]
        return self.exposure == ZERO and all(leg.state == "closed" and leg.filled == leg.amount for leg in main)

    def summary(self) -> dict[str, Any]:
        return {
            "opportunity_id": self.opportunity_id,
            "symbol": self.symbol,
            "ok": self.ok,
            "base_net": str(self.position.base_net),
            "quote_net": str(self.position.quote_net),
            "pnl_quote": str(self.position.pnl_quote),
            "exposure": str(self.exposure),
            "exposure_id": self.exposure_id,
            "planned_net": None if self.planned_net is None else str(self.planned_net),
            "fees": {c: str(f) for c, f in self.position.fees},
            "legs": [
                {
                    "venue": x.venue,
                    "side": x.side,
                    "client_id": x.client_id,
                    "state": x.state,
                    "amount": str(x.amount),
                    "price": str(x.price),
                    "filled": str(x.filled),
                    "avg_price": None if x.avg_price is None else str(x.avg_price),
                    "fees": {c: str(f) for c, f in x.fees},
                    "reason": x.reason,
                    "cause": x.cause,  # a refusal's code (ccxt exception class), for readers to match
                }
                for x in self.legs
            ],
            "notes": self.notes,
            **(self.plan or {}),
        }


async def patient_claim(claim: Callable[[], str | None], wait_s: float = 2.0, every_s: float = 0.05) -> str | None:
    """A hedge or retry order's shared claim (workers on one coordinator): None to send it, else why not.

    What other workers hold is an opportunity in flight, gone within a second or two, so a refusal is asked again
    until ``wait_s``; a coordinator that cannot be reached does not hold back an order that reduces risk (the venue
    decides, as in one process)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    while True:
        why = claim()
        if why is None or why == "coordinator":
            return None
        if loop.time() >= deadline:
            return why
        await asyncio.sleep(every_s)


class Settlement:
    """settle / hedge / retry. What it needs from the executor is declared here; the executor provides it."""

    journal: Journal
    markets: Mapping[tuple[str, str], MarketSpec]
    fees: Mapping[tuple[str, str], Fee]
    on_partial: str
    books: Callable[[str, str], Any]
    alert: Callable[[str, str, str], Any]
    clock: Callable[[], int]
    # a hedge or retry order's claim on what it spends (opp id, venue, symbol, side, amount, price): why not, or
    # None. Set by arb.scale when workers share balances (the order is not sent when refused).
    claim_flatten: Callable[[str, str, str, str, Decimal, Decimal], str | None] | None = None

    def next_attempt(self, opp_id: str, venue: str, leg: str) -> int:
        raise NotImplementedError

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
        raise NotImplementedError

    async def run_leg(self, leg: LegFill) -> LegFill:
        raise NotImplementedError

    async def settle(
        self,
        opp_id: str,
        symbol: str,
        venues: tuple[str, str],
        legs: list[LegFill],
        *,
        limits: Opportunity | None = None,
        policy: str | None = None,
        exposure_id: int | None = None,
    ) -> Outcome:
        """Measure the position; record, alert and handle any exposure with the policy.

        ``exposure_id``: the exposure already journaled for this opportunity (reconcile), updated in place.
        """
        policy = policy or self.on_partial
        lot = self.dust(symbol, venues)
        pos = Position.of(symbol, legs)
        out = Outcome(opp_id, symbol, legs, pos, pos.exposure(lot), exposure_id)
        if out.exposure == ZERO:
            if exposure_id is not None:
                self.journal.update_exposure(
                    exposure_id, state="flattened", updated_ms=self.clock(), detail="settled: no exposure left"
                )
            return out
        before = out.exposure
        if exposure_id is None:
            out.exposure_id = self._record_exposure(opp_id, symbol, venues, out.exposure, legs, policy)
        if any(not leg.terminal for leg in legs):
            out.notes.append("a leg's outcome is not final yet: holding until reconcile settles it")
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
            self.alert(
                f"arb open exposure {symbol} {left}",
                f"opportunity {opp_id}: {left} {symbol.split('/')[0]} unmatched after {policy}; "
                f"exposure #{eid} stays open in the journal",
                "warning",
            )
        return out

    def _record_exposure(
        self, opp_id: str, symbol: str, venues: tuple[str, str], base: Decimal, legs: list[LegFill], policy: str
    ) -> int:
        venue = venues[0] if base > 0 else venues[1]
        detail = "; ".join(leg_line(x) for x in legs)
        now = self.clock()
        eid = self.journal.record_exposure(
            {
                "opportunity_id": opp_id,
                "venue": venue,
                "symbol": symbol,
                "base_delta": base,
                "state": "open",
                "created_ms": now,
                "updated_ms": now,
                "detail": detail[:1000],
            }
        )
        log.warning("exposure.open id=%d opportunity=%s base=%s venue=%s", eid, opp_id, base, venue)
        asset = symbol.split("/")[0]
        self.alert(
            f"arb failed leg {symbol}",
            f"opportunity {opp_id}: {detail}; unmatched {base} {asset} recorded as exposure #{eid}; policy {policy}",
            "failure",
        )
        return eid

    def dust(self, symbol: str, venues: tuple[str, str]) -> Decimal:
        """Below this a long residual can be sold on neither venue: dust, not an exposure (the one rule,
        :func:`arb.trade.dust.dust_of`, at the books' best bids). A residual a hedge could sell somewhere is one."""
        limit = dust_of(self.markets, symbol, venues, lambda v: _best_bid(self.books(v, symbol)))
        return limit if limit is not None else self.markets[(venues[1], symbol)].amount_step

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
        plan = [(venue, limit, "retry")] * RETRY_ATTEMPTS
        return await self._flatten(opp_id, opp.symbol, base, plan, venues=(opp.buy_venue, opp.sell_venue))

    async def _hedge(self, opp_id: str, symbol: str, venues: tuple[str, str], base: Decimal) -> list[LegFill]:
        """IOC on the venue with the better price for the imbalance (then the other one)."""
        priced = [(p, v) for v in venues if (p := self._hedge_price(v, symbol, base)) is not None]
        priced.sort(key=lambda pv: -pv[0] if base > 0 else pv[0])
        plan = [(v, p, "hedge") for p, v in priced]
        return await self._flatten(opp_id, symbol, base, plan, venues=venues)

    async def _flatten(
        self, opp_id: str, symbol: str, base: Decimal, plan: list[tuple[str, Decimal, str]], *, venues: tuple[str, str]
    ) -> list[LegFill]:
        lot = self.dust(symbol, venues)
        legs: list[LegFill] = []
        for venue, price, name in plan:
            side, amount = self._flatten_order(venue, symbol, base)
            if not self._tradable(venue, symbol, amount, price):
                continue
            claim, order = self.claim_flatten, (opp_id, venue, symbol, side, amount, price)
            why = await patient_claim(partial(claim, *order)) if claim is not None else None
            if why is not None:  # other workers still hold what it would spend: not sent here
                log.warning("flatten.refused venue=%s symbol=%s %s %s: %s", venue, symbol, name, side, why)
                continue
            attempt = self.next_attempt(opp_id, venue, name)
            leg = await self.run_leg(await self._intent(opp_id, symbol, venue, side, amount, price, name, attempt))
            legs.append(leg)
            base += Position.of(symbol, [leg]).base_net
            if not leg.terminal or Position(symbol, base).exposure(lot) == ZERO:
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


def leg_line(x: LegFill) -> str:
    return f"{x.side} {x.venue} {x.state} {x.filled}/{x.amount}" + (f" ({x.reason})" if x.reason else "")


def outcome_alert(opp: Opportunity, out: Outcome) -> tuple[str, str, str] | None:
    """(title, body, kind) of the alert for an arbitrage's outcome; None when the exposure alert says it all."""
    quote = opp.symbol.split("/")[1]
    fills = ", ".join(f"{x.side} {x.filled} @ {x.avg_price} on {x.venue} ({x.state})" for x in out.legs)
    pair = f"{opp.symbol} {opp.buy_venue}→{opp.sell_venue}"
    if out.ok:
        pnl = out.position.pnl_quote
        return f"arb filled {pair}", f"{fills}; realised {pnl} {quote} (planned {opp.net_profit})", "success"
    if out.exposure_id is None:  # failed without leaving exposure (e.g. both legs refused)
        reasons = "; ".join(f"{x.side} {x.venue}: {x.reason}" for x in out.legs if x.reason)
        return f"arb failed {pair}", f"opportunity {out.opportunity_id}: {fills}; {reasons}", "warning"
    return None


def _best_bid(book: Any) -> Decimal | None:
    try:
        return Decimal(str(book["bids"][0][0])) if book and book.get("bids") else None
    except (KeyError, IndexError, TypeError, ArithmeticError):
        return None
