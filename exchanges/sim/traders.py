"""Other traders on the loopback market: competing takers that close dislocations.

Each dislocation gets one reaction time drawn from :attr:`Takers.reaction` with an RNG seeded from
``(seed, symbol, venue, start_ms)``, so the same seed gives the same reactions whatever arb does. At the
first market step at or after ``start_ms + reaction`` the competitor takes, with one IOC limit order
through the venue's matching engine, every level on the dislocated side priced better than the fair
(latent) mid; its fills are on the venue's trade tape (public trades) like anyone's, and the
dislocation ends at that step. What arb took before then is arb's; what is left is the competitor's.
Makers are the replenishment of :mod:`exchanges.sim.depth`.
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass
from decimal import Decimal

from exchanges.sim.market import Dislocation, MarketProcess
from exchanges.sim.matching import MatchingEngine
from exchanges.sim.orders import Reject
from exchanges.sim.profiles import Takers

log = logging.getLogger(__name__)

UNLIMITED = Decimal(10) ** 15


@dataclass(frozen=True, slots=True)
class Closure:
    """One dislocation a competitor closed: the original entry, its reaction and what it took."""

    dislocation: Dislocation
    reaction_ms: float
    closed_ms: int
    filled: Decimal  # base amount the competitor's IOC took


class Competitors:
    """Competing takers on every venue of ``market`` (``engines``: venue -> its matching engine)."""

    def __init__(self, market: MarketProcess, engines: dict[str, MatchingEngine], takers: Takers, seed: int) -> None:
        self.market, self.engines, self.takers, self.seed = market, engines, takers, seed
        self.closures: list[Closure] = []
        self.order_log: list[dict[str, object]] = []  # their placements (kept out of the venues' order log)
        self._due: dict[Dislocation, float] = {}
        for engine in engines.values():
            engine.fund(takers.account, {c: UNLIMITED for s in market.symbols for c in s.split("/")})

    def reaction_ms(self, d: Dislocation) -> float:
        """The competitors' reaction to ``d`` (deterministic per seed and dislocation)."""
        rng = random.Random(f"{self.seed}:taker:{d.symbol}:{d.venue}:{d.start_ms}")
        return self.takers.reaction.draw(rng)

    def on_step(self, now_ms: int) -> list[Closure]:
        """Close every live dislocation whose reaction time has come; returns the closures of this step."""
        out = []
        for d in self.market.live_dislocations(now_ms):
            if d.venue not in self.engines:
                continue
            reaction = self._due.setdefault(d, self.reaction_ms(d))
            if now_ms < d.start_ms + reaction:
                continue
            filled = self._take(d, now_ms)
            self.market.end_dislocation(d, now_ms)
            self._due.pop(d, None)
            closure = Closure(d, reaction, now_ms, filled)
            self.closures.append(closure)
            out.append(closure)
        return out

    def _take(self, d: Dislocation, now_ms: int) -> Decimal:
        """One IOC through the engine for every level better than the fair mid on the dislocated side."""
        engine, book = self.engines[d.venue], self.market.book(d.venue, d.symbol)
        grid, spec = book.grid, self.market.spec(d.venue, d.symbol)
        fair = self.market.mids[d.symbol] / float(grid.tick)
        if d.bps < 0:  # the venue is cheap: buy its asks below fair
            side, limit = "buy", math.floor(fair)
            lots = sum(n for t, n in book.sorted_levels("ask", published=False) if t <= limit)
        else:  # the venue is rich: sell into its bids above fair
            side, limit = "sell", math.ceil(fair)
            lots = sum(n for t, n in book.sorted_levels("bid", published=False) if t >= limit)
        amount = grid.size(lots)
        if spec.max_size is not None:
            amount = min(amount, (spec.max_size // grid.lot) * grid.lot)
        if lots <= 0 or amount < spec.min_size:
            return Decimal(0)
        saved, engine.order_log = engine.order_log, self.order_log
        try:
            order = engine.place(
                account=self.takers.account,
                key="competitor",
                symbol=d.symbol,
                side=side,
                type="limit",
                amount=amount,
                price=grid.price(limit),
                tif="IOC",
                now_ms=now_ms,
            )
        except Reject as e:  # a venue filter refused it: the dislocation still ends (someone else took it)
            log.info("sim.competitor.rejected venue=%s symbol=%s reason=%s", d.venue, d.symbol, e.reason)
            return Decimal(0)
        finally:
            engine.order_log = saved
        return order.filled
