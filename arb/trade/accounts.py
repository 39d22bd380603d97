"""What the trader holds and has made: balances with reservations, marks, and the day's PnL. Pure.

* **Balances** are :class:`arb.trade.balances.BalanceBook` (free − minimums − holds of orders in flight); the
  engine reads them through :meth:`Accounts.balances_for` only (a read-only view, nothing flows back).
* **Marks** are mids keyed by ``(venue, symbol)``; the last known one stays when a book goes stale, and a
  symbol's mark is the mean over its venues.
* **Day PnL** has one source: every opportunity's legs as journaled (orders and their fills). Per
  opportunity the ledger's :class:`~arb.core.ledger.Position` gives ``quote_net`` (realised) and the
  residual ``base_net`` beyond dust (the exposure; dust is :func:`arb.trade.dust.dust_of`, the rule the
  executor records exposures by), valued at the mark of the venue that holds it (unrealised). Realised and
  unrealised can therefore never disagree about which legs they count: an opportunity whose quote flows are
  in the day also has its unmatched base marked, however its exposure was found (the trade itself, a sweep,
  or the reconcile on start). A residual no mid values yet (a restart before the first book) is valued at
  the price its own legs traded it at, never at 0: its purchase alone is not a loss. An opportunity counts
  on the UTC day of its first order; after an operator resumed a daily-loss halt, from that moment on.
* **One price rule** (:meth:`Marks.value`) for an open base: the day's residuals and the exposure limits
  (:mod:`arb.trade.risk`) both value it at its venue's mid, else the symbol's mean, else its legs' traded price.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from arb.core.ledger import LegFill, Position, flows
from arb.core.model import ZERO, Balances, MarketSpec
from arb.trade.balances import BalanceBook
from arb.trade.dust import dust_of

DAY_MS = 86_400_000
VenueSymbol = tuple[str, str]


def utc_day(now_ms: int) -> int:
    return now_ms // DAY_MS


class Marks:
    """Mids by ``(venue, symbol)``; the last one seen is kept while a book is stale."""

    def __init__(self) -> None:
        self.mids: dict[VenueSymbol, Decimal] = {}

    def update(self, mids: Mapping[VenueSymbol, Decimal]) -> None:
        self.mids.update(mids)

    def symbol(self, symbol: str) -> Decimal | None:
        got = [m for (_, s), m in self.mids.items() if s == symbol]
        return sum(got, ZERO) / len(got) if got else None

    def get(self, venue: str, symbol: str) -> Decimal | None:
        """The mid on ``venue``, else the symbol's mean over venues, else None (no book seen yet)."""
        return self.mids.get((venue, symbol)) or self.symbol(symbol)

    def of(self, venue: str, symbol: str) -> Decimal:
        """:meth:`get`, 0 when no book has been seen."""
        return self.get(venue, symbol) or ZERO

    def value(self, venue: str, symbol: str, traded: Decimal | None) -> Decimal | None:
        """The price an open base of ``symbol`` held on ``venue`` is worth — the one rule of the day's PnL and the
        exposure limits: the mid on ``venue``, else the symbol's mean over venues, else ``traded`` (the price its
        own legs traded it at, :func:`traded_price`), else None (nothing prices it)."""
        return self.get(venue, symbol) or (traded if traded is not None and traded > ZERO else None)


def traded_price(legs: Iterable[LegFill], long: bool) -> Decimal | None:
    """The average price ``legs`` bought (``long``) or sold their base at (their cost over their fills, as their
    quote flows count in realised); None when none did: what a residual of theirs is worth while no mid values it."""
    done = [x for x in legs if x.filled and x.side == ("buy" if long else "sell")]
    filled = sum((x.filled for x in done), ZERO)
    return sum((x.cost for x in done), ZERO) / filled if filled else None


@dataclass(slots=True)
class OpportunityLegs:
    symbol: str
    first_ms: int
    legs: dict[str, LegFill] = field(default_factory=dict)  # client id → its latest journaled state

    def position(self) -> Position:
        return Position.of(self.symbol, self.legs.values())

    def residual(self, markets: Mapping[VenueSymbol, MarketSpec], marks: Marks) -> tuple[str | None, Decimal]:
        """(venue holding it, base not matched by the other legs); dust (:func:`arb.trade.dust.dust_of` over the
        legs' venues, the mids standing in for the bids) is no residual."""
        base, quote = self.symbol.split("/")[0], self.symbol.split("/")[1].split(":")[0]
        by_venue: dict[str, Decimal] = {}
        for leg in self.legs.values():
            by_venue[leg.venue] = by_venue.get(leg.venue, ZERO) + flows(leg, base, quote)[0]
        net = sum(by_venue.values(), ZERO)
        dust = dust_of(markets, self.symbol, by_venue, lambda v: marks.mids.get((v, self.symbol))) or ZERO
        if net == ZERO or ZERO <= net < dust:
            return None, ZERO
        venue = max(by_venue, key=lambda v: by_venue[v] if net > 0 else -by_venue[v])
        return venue, net

    def traded_price(self, long: bool) -> Decimal | None:
        """The average price this opportunity bought (``long``) or sold its base at: what a residual is worth
        while no mid values it."""
        return traded_price(self.legs.values(), long)


class DayPnl:
    """Today's PnL per opportunity from its legs (see the module doc); fed by every journaled leg."""

    def __init__(self, markets: Mapping[VenueSymbol, MarketSpec] | None = None) -> None:
        self.markets: Mapping[VenueSymbol, MarketSpec] = markets if markets is not None else {}
        self.opportunities: dict[str, OpportunityLegs] = {}
        self.since_ms = 0  # an operator's resume of a daily-loss halt: opportunities before it do not count

    def record(self, opp_id: str, leg: LegFill, ts_ms: int) -> None:
        """A leg of ``opp_id`` as journaled (``ts_ms``: when the opportunity's first order was made, if new)."""
        entry = self.opportunities.get(opp_id)
        if entry is None:
            entry = self.opportunities[opp_id] = OpportunityLegs(leg.symbol, ts_ms)
        entry.legs[leg.client_id] = leg

    def load(self, opportunities: Iterable[tuple[str, str, int, Iterable[LegFill]]], since_ms: int = 0) -> None:
        """Start from the journal: (opportunity id, symbol, first order ms, legs) of the window."""
        self.opportunities.clear()
        for opp_id, symbol, first_ms, legs in opportunities:
            self.opportunities[opp_id] = OpportunityLegs(symbol, first_ms, {leg.client_id: leg for leg in legs})
        self.since_ms = since_ms

    def resume(self, now_ms: int) -> None:
        self.since_ms = now_ms

    def _today(self, now_ms: int) -> Iterable[OpportunityLegs]:
        start = max(utc_day(now_ms) * DAY_MS, self.since_ms)
        return (e for e in self.opportunities.values() if start <= e.first_ms < start + DAY_MS)

    def realised_on(self, day: int) -> Decimal:
        """Σ quote_net of the opportunities whose first order was on UTC ``day`` (after any resume)."""
        return sum(
            (
                e.position().quote_net
                for e in self.opportunities.values()
                if utc_day(e.first_ms) == day and e.first_ms >= self.since_ms
            ),
            ZERO,
        )

    def pnl(self, now_ms: int, marks: Marks) -> tuple[Decimal, Decimal]:
        """(realised: Σ quote_net, unrealised: Σ residual base × its venue's mark, or the price its legs traded it
        at while no mark is known) of today's opportunities."""
        realised = unrealised = ZERO
        for e in self._today(now_ms):
            realised += e.position().quote_net
            venue, base = e.residual(self.markets, marks)
            if venue is not None:
                unrealised += base * (marks.value(venue, e.symbol, e.traded_price(base > 0)) or ZERO)
        return realised, unrealised

    def prune(self, now_ms: int) -> None:
        """Forget opportunities older than yesterday (the daily summary still needs yesterday's)."""
        keep = (utc_day(now_ms) - 1) * DAY_MS
        for k in [k for k, e in self.opportunities.items() if e.first_ms < keep]:
            del self.opportunities[k]


class Accounts:
    """Balances with reservations, marks and the day's PnL of one run."""

    def __init__(self, balances: BalanceBook, markets: Mapping[VenueSymbol, MarketSpec] | None = None) -> None:
        self.balances = balances
        self.marks = Marks()
        self.day = DayPnl(markets)  # the run's markets (filled in place at start): the dust rule's lots and minimums
        self._opp_of: dict[str, str] = {}  # client id → opportunity id, learnt from the legs seen

    def balances_for(self, symbol: str, buy_venue: str, sell_venue: str) -> Balances:
        """What the engine may size with (read-only, engine-side): spendable quote on the buy venue and base on
        the sell venue (free − minimums − holds of orders in flight)."""
        base, quote = symbol.split("/")
        b = self.balances
        return Balances(quote_on_buy=b.spendable(buy_venue, quote), base_on_sell=b.spendable(sell_venue, base))

    def opportunity_of(self, client_id: str) -> str | None:
        return self._opp_of.get(client_id)

    def leg_journaled(self, opp_id: str, leg: LegFill, first_ms: int) -> None:
        """A leg of ``opp_id`` (sent, or its state and fills journaled); ``first_ms``: the opportunity's first
        order, used when the day book does not know it yet."""
        self._opp_of[leg.client_id] = opp_id
        self.day.record(opp_id, leg, first_ms)

    def pnl(self, now_ms: int) -> tuple[Decimal, Decimal]:
        return self.day.pnl(now_ms, self.marks)
