"""What the risk gate believes each venue holds: balances, reservations of orders in flight, settlement. Pure.

The rule: the gate never believes in money the venue does not have.

* **Reserve on acceptance / send.** Each leg holds exactly what its order can consume on its venue
  (:func:`leg_need`: a limit buy ``amount × limit × (1 + taker)`` quote when the fee is charged in
  quote, else ``amount × limit``; a sell ``amount`` base). The two legs of an accepted opportunity are
  reserved at acceptance (before any other opportunity is checked); a hedge or retry leg when it is sent.
* **Settle on the final state.** When a leg's order reaches a final state, its hold is replaced by the
  leg's actual flows (:func:`arb.core.ledger.flows`: base, quote and fees in any currency) and the rest is
  released. A leg whose state is unknown keeps its hold (the order may still execute) until reconcile
  decides it (:meth:`BalanceBook.resolve`); the hold then stays until a snapshot taken after that.
* **Snapshots only when quiet.** A ``fetch_balance`` answer says what the venue held at some instant
  during the request. If any order on that venue was in flight when the request started, or any hold
  on it was added or settled while it ran, that instant may or may not include those orders' fills: the
  snapshot is ambiguous and is not applied (the venue is marked :attr:`BalanceBook.pending` so the
  caller asks again soon). A quiet snapshot replaces the venue's balances and drops holds of orders
  settled before it started.

``spendable = free − min_balances − holds``. ``known`` is False when balances are not tracked (paper
without ``paper_balances``): every spendable amount is then ``None`` (unbounded).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from arb.core.ledger import TERMINAL, LegFill, flows
from arb.core.model import ONE, ZERO, Fee


def leg_need(side: str, amount: Decimal, limit: Decimal, base: str, quote: str, fee: Fee | None) -> dict[str, Decimal]:
    """The most an IOC limit order can take from its venue's free balance (what the venue reserves for it).

    Without a known fee, 1% headroom covers the fee in quote on a buy.
    """
    if side == "buy":
        rate = (fee.taker if fee.currency == "quote" else ZERO) if fee is not None else Decimal("0.01")
        return {quote: amount * limit * (ONE + rate)}
    return {base: amount}


@dataclass(slots=True)
class Hold:
    """One leg's reservation on one venue."""

    token: str  # the opportunity it belongs to
    venue: str
    side: str
    amounts: dict[str, Decimal]
    client_id: str | None = None  # bound when the leg is sent
    fresh: bool = True  # sent by this run after the hold: its flows are not in any applied snapshot
    state: str = "active"  # active | unknown (sent, outcome not known) | stale (decided; until the next snapshot)
    stale_gen: int = 0


@dataclass(frozen=True, slots=True)
class Ticket:
    """Taken when a balance fetch starts; the answer is applied only if the venue stayed quiet."""

    venue: str
    gen: int
    busy: bool


class BalanceBook:
    """Balances per venue and asset: last quiet snapshot plus settled flows since, and holds of orders in flight."""

    def __init__(self, min_balances: Mapping[str, Mapping[str, Decimal]] | None = None, known: bool = True) -> None:
        self.min = {v: dict(a) for v, a in (min_balances or {}).items()}
        self.known = known
        self.free: dict[str, dict[str, Decimal]] = {}
        self.expected: dict[str, dict[str, Decimal]] = {}  # totals: snapshot + settled flows
        self.holds: list[Hold] = []
        self.pending: set[str] = set()  # venues whose last snapshot was ambiguous: fetch again soon
        self.gen: dict[str, int] = {}  # bumped by every hold change on the venue

    # -- snapshots -----------------------------------------------------------------------------------
    def fetch_started(self, venue: str) -> Ticket:
        busy = any(h.venue == venue and h.state in ("active", "unknown") for h in self.holds)
        return Ticket(venue, self.gen.get(venue, 0), busy)

    def quiet(self, ticket: Ticket) -> bool:
        """True when no order on the venue could have changed its balance while the fetch ran."""
        return not ticket.busy and self.gen.get(ticket.venue, 0) == ticket.gen

    def exact(self, venue: str) -> bool:
        """No decided-but-unsettled order on the venue: expected totals are comparable with a snapshot."""
        return not any(h.venue == venue and h.state == "stale" for h in self.holds)

    def set_fetched(
        self, venue: str, totals: Mapping[str, Decimal], free: Mapping[str, Decimal], ticket: Ticket | None = None
    ) -> bool:
        """Apply a fetched snapshot if it is unambiguous (see the module doc); returns whether it was applied.

        ``ticket`` None: no order can be in flight (start-up), applied as is.
        """
        if ticket is not None and not self.quiet(ticket):
            self.pending.add(venue)
            return False
        self.expected[venue] = dict(totals)
        self.free[venue] = dict(free)
        limit = ticket.gen if ticket is not None else self.gen.get(venue, 0)
        self.holds = [h for h in self.holds if not (h.venue == venue and h.state == "stale" and h.stale_gen <= limit)]
        self.pending.discard(venue)
        return True

    # -- holds ---------------------------------------------------------------------------------------
    def _bump(self, venue: str) -> int:
        self.gen[venue] = self.gen.get(venue, 0) + 1
        return self.gen[venue]

    def reserve(
        self, token: str, venue: str, side: str, amounts: Mapping[str, Decimal], client_id: str | None = None
    ) -> Hold:
        h = Hold(token, venue, side, dict(amounts), client_id)
        self.holds.append(h)
        self._bump(venue)
        return h

    def sent(self, token: str, leg: LegFill, need: Mapping[str, Decimal], *, fresh: bool = True) -> Hold:
        """A leg is being sent: bind it to its opportunity's unbound hold on that venue and side, or hold ``need``.

        ``fresh`` False: the leg is an order sent earlier (looked up, not sent now); a snapshot taken before
        may already hold its fills, so when it settles its hold waits for the next snapshot instead.
        """
        for h in self.holds:
            if h.client_id == leg.client_id:
                return h
        for h in self.holds:
            if h.token == token and h.client_id is None and h.venue == leg.venue and h.side == leg.side:
                h.client_id = leg.client_id
                return h
        h = self.reserve(token, leg.venue, leg.side, need, leg.client_id)
        h.fresh = fresh
        return h

    def settle(self, leg: LegFill) -> bool:
        """A leg came back: final → its flows replace its hold; otherwise the hold stays (state unknown).

        Returns True when the leg was settled.
        """
        h = next((x for x in self.holds if x.client_id == leg.client_id), None)
        if leg.state not in TERMINAL:
            if h is not None:
                h.state = "unknown"
            return False
        if h is None or not h.fresh:  # its fills may be in a snapshot already: wait for the next one
            if h is not None:
                h.state, h.stale_gen = "stale", self._bump(h.venue)
            if leg.venue in self.free:  # tracked: fetch it again
                self.pending.add(leg.venue)
            return False
        self.holds.remove(h)
        base, quote = leg.symbol.split("/")[0], leg.symbol.split("/")[1].split(":")[0]
        db, dq, other = flows(leg, base, quote)
        if leg.venue in self.free:
            for asset, d in ((base, db), (quote, dq), *((c, -f) for c, f in other.items())):
                if d:
                    self.apply(leg.venue, asset, d)
        self._bump(leg.venue)
        return True

    def release(self, token: str) -> None:
        """The opportunity is over: holds never sent are released; sent legs never settled stay as unknown."""
        for h in list(self.holds):
            if h.token != token or h.state != "active":
                continue
            if h.client_id is None:
                self.holds.remove(h)
                self._bump(h.venue)
            else:
                h.state = "unknown"

    def resolve(self, client_id: str) -> None:
        """Reconcile decided an unknown leg: its effect is in the venue's balance from now on, not in ours;
        keep the hold until a snapshot that started after this replaces the venue's balances."""
        for h in self.holds:
            if h.client_id == client_id and h.state == "unknown":
                h.state, h.stale_gen = "stale", self._bump(h.venue)

    def unknown_ids(self) -> list[str]:
        return [h.client_id for h in self.holds if h.state == "unknown" and h.client_id is not None]

    # -- reading ------------------------------------------------------------------------------------------
    def apply(self, venue: str, asset: str, delta: Decimal) -> None:
        for book in (self.expected, self.free):
            v = book.setdefault(venue, {})
            v[asset] = v.get(asset, ZERO) + delta

    def held(self, venue: str, asset: str) -> Decimal:
        return sum((h.amounts.get(asset, ZERO) for h in self.holds if h.venue == venue), ZERO)

    def spendable(self, venue: str, asset: str) -> Decimal | None:
        """Free minus the configured minimum minus holds (None = unbounded)."""
        if not self.known or venue not in self.free:
            return None
        floor = self.min.get(venue, {}).get(asset, ZERO)
        return max(ZERO, self.free[venue].get(asset, ZERO) - floor - self.held(venue, asset))

    def below_minimum(self, venue: str) -> list[str]:
        """Assets whose free balance is below the configured minimum."""
        free = self.free.get(venue, {})
        return [a for a, m in self.min.get(venue, {}).items() if free.get(a, ZERO) < m]

    def drift(
        self, venue: str, totals: Mapping[str, Decimal], tolerance: Decimal
    ) -> list[tuple[str, Decimal, Decimal]]:
        """Assets whose fetched total differs from the expected one by more than ``tolerance`` (a fraction)."""
        out: list[tuple[str, Decimal, Decimal]] = []
        exp = self.expected.get(venue)
        if not self.known or exp is None:
            return out
        for asset in sorted(set(exp) | set(totals)):
            e, a = exp.get(asset, ZERO), totals.get(asset, ZERO)
            if e == a:
                continue
            if e == ZERO or abs(a - e) / abs(e) > tolerance:
                out.append((asset, e, a))
        return out
