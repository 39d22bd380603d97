"""Whether an opportunity's inventory can be restored by transfers, and at what cost: the mark on its episode.

An arbitrage buys base on the buy venue and sells it on the sell venue, so base piles up where arb buys and
quote where it sells. Restoring the inventory means base from the buy venue to the sell venue and quote from
the sell venue back to the buy venue, each over a network both venues list, with withdrawals open at the
source and deposits open at the destination. :func:`mark` answers "yes" / "no" / "unknown" for the pair of
moves (:func:`arb.inventory.networks.route` picks the cheapest open network of each); the cost is one such
transfer each way, valued in quote at the opportunity's buy price, per unit of base traded.

:class:`TransferMarks` is what the scanner's sink holds: it marks episodes (:meth:`~TransferMarks.apply`) and,
under ``[scanner] require_transferable``, says which ones to skip (:meth:`~TransferMarks.allowed`: only
"yes" passes; "unknown" is skipped too, because "require" means proven — without keys every opportunity is
skipped, and the run says so once at start).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from arb.core.model import Episode, Opportunity
from arb.inventory.networks import NetworkTable, Route, Status, route


def assets_of(symbol: str) -> tuple[str, str]:
    base, _, rest = symbol.partition("/")
    return base, rest.split(":")[0]


@dataclass(frozen=True, slots=True)
class TransferMark:
    """The two restoring moves of one direction (base buy→sell venue, quote sell→buy venue) and their verdict."""

    status: Status
    base: Route
    quote: Route

    def cost_quote(self, price: Decimal) -> Decimal | None:
        """One transfer each way, valued in quote (base fee × ``price`` + quote fee); None when a fee is unknown."""
        if self.status != "yes" or self.base.fee is None or self.quote.fee is None:
            return None
        return self.base.fee * price + self.quote.fee

    def cost_per_unit(self, amount: Decimal, price: Decimal) -> Decimal | None:
        """:meth:`cost_quote` per unit of base traded (``amount``), quote per base."""
        cost = self.cost_quote(price)
        return None if cost is None or amount <= 0 else cost / amount

    @property
    def detail(self) -> str:
        return "; ".join(_leg(r) for r in (self.base, self.quote))


def _leg(r: Route) -> str:
    head = f"{r.asset} {r.source}→{r.dest}"
    if r.status == "yes":
        fee = "?" if r.fee is None else format(r.fee.normalize(), "f")
        return f"{head} via {r.network} (fee {fee} {r.asset})"
    return f"{head} {'not possible' if r.status == 'no' else 'unknown'}: {r.reason}"


def combine(a: Status, b: Status) -> Status:
    if "no" in (a, b):
        return "no"
    return "unknown" if "unknown" in (a, b) else "yes"


def mark(table: NetworkTable, symbol: str, buy_venue: str, sell_venue: str) -> TransferMark:
    """Can the inventory one (symbol, buy venue, sell venue) trade uses be restored? See the module doc."""
    base, quote = assets_of(symbol)
    b = route(table, base, buy_venue, sell_venue)
    q = route(table, quote, sell_venue, buy_venue)
    return TransferMark(combine(b.status, q.status), b, q)


class TransferMarks:
    """The sink's view of transferability: the current network table (swapped in by the watcher) and marks per
    (symbol, buy venue, sell venue), recomputed only when the table changes."""

    def __init__(self, table: NetworkTable | None = None, *, require: bool = False) -> None:
        self.table = table or NetworkTable()
        self.require = require
        self.version = 0
        self._cache: dict[tuple[str, str, str], TransferMark] = {}
        self.skipped = 0  # opportunities not delivered under require_transferable
        self.on_table: list[Callable[[NetworkTable], None]] = []

    def set_table(self, table: NetworkTable) -> None:
        self.table = table
        self.version += 1
        self._cache.clear()
        for f in self.on_table:
            f(table)

    def of(self, symbol: str, buy_venue: str, sell_venue: str) -> TransferMark:
        key = (symbol, buy_venue, sell_venue)
        m = self._cache.get(key)
        if m is None:
            m = self._cache[key] = mark(self.table, symbol, buy_venue, sell_venue)
        return m

    def apply(self, ep: Episode, opp: Opportunity | None = None) -> bool:
        """Mark ``ep`` from the current table and its opportunity (``opp`` or its last); True when the mark
        changed (the caller journals the episode again)."""
        m = self.of(ep.symbol, ep.buy_venue, ep.sell_venue)
        o = opp or ep.last or ep.peak
        cost = None if o is None else m.cost_per_unit(o.buy.amount, o.buy.vwap)
        changed = (ep.transferable, ep.transfer_detail) != (m.status, m.detail)
        ep.transferable, ep.transfer_cost, ep.transfer_detail = m.status, cost, m.detail
        return changed

    def allowed(self, ep: Episode) -> bool:
        """Whether ``ep`` may be announced and acted on: always without ``require``; with it, only "yes"."""
        return not self.require or ep.transferable == "yes"
