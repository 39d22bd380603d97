"""The risk gate: limits, halts and circuit breakers. Pure: every call takes an explicit ``now_ms``.

:class:`RiskGate` answers "may this opportunity trade now?" with ``None`` or a one-word reason, and
turns outcomes into halts. A halt stops all new trading and says why (the trader journals an event
of kind ``halt``, alerts and shows it in status):

* ``kill`` — the kill file appeared (``arb kill``); sticky for the run (the file is its durable state).
* ``daily_loss`` — today's (UTC) PnL (:mod:`arb.trade.accounts`: realised plus residual base of the
  day's opportunities marked to mid) fell to ``-daily_loss_limit``; lifted at the next UTC midnight.
* ``consecutive_failures`` — ``max_consecutive_failures`` arbitrages in a row failed; sticky.
* ``balance_drift`` — venue balances differ from the journal beyond tolerance; sticky.

Every halt but ``kill`` is journaled and survives restarts (:mod:`arb.trade.halts`, :mod:`arb.trade.riskstate`:
:meth:`RiskGate.restore` on start); "sticky" means until an operator's :meth:`RiskGate.resume`
(``arb resume``). Balances and the holds of orders in flight live in :mod:`arb.trade.balances`.

Per-opportunity refusals (not halts): ``in_flight`` (``max_in_flight`` reached), ``notional``
(B·VWAP_buy above ``max_notional_per_trade``, the same notional the evaluator caps),
``exposure_asset`` / ``exposure_venue`` (open exposure plus in-flight notional plus this trade
above the limit), ``exposure_unpriced`` (an open exposure counting toward one of those limits has no price at
all, so this trade could push it over: refused until a price is known), ``venue_paused`` (error-rate breaker),
``direction_disabled`` (a venue lacks base or quote to trade this direction), ``min_balance``.

An open exposure always counts at a price (:func:`mark_of`, the day's PnL rule :meth:`arb.trade.accounts.Marks.value`):
its venue's mid, else the symbol's mid elsewhere, else the price its own legs traded it at (``traded_price``, loaded
from the journal with it), so a restart before a symbol's first book never counts its exposure as 0. An exposure
refusal says why in :attr:`RiskGate.refusal` (the decision event carries it).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from arb.config import RiskConfig
from arb.core.ledger import LegFill
from arb.core.model import ZERO, Fee, Opportunity
from arb.trade.accounts import DAY_MS, Marks, traded_price, utc_day
from arb.trade.balances import BalanceBook, leg_need
from arb.trade.riskstate import RiskState

ERROR_WINDOW = 20  # last order outcomes per venue the error-rate breaker looks at
ERROR_MIN_SAMPLES = 4
VENUE_PAUSE_MS = 60_000
STICKY = ("kill", "consecutive_failures", "balance_drift")


@dataclass(frozen=True, slots=True)
class Halt:
    reason: str  # kill | daily_loss | consecutive_failures | balance_drift
    detail: str
    ts_ms: int
    until_ms: int | None = None  # None = until an operator clears it (`arb resume`)
    id: int | None = None  # its row in the journal's ``halts`` table (kill halts are not journaled)

    def line(self) -> str:
        return f"trading halted: {self.reason}: {self.detail}"


@dataclass(slots=True)
class ExposureEntry:
    id: int
    opportunity_id: str
    venue: str
    symbol: str
    base_delta: Decimal
    created_ms: int | None = None
    traded_price: Decimal | None = None  # what its legs paid (long) / got (short) per base: its price while no book

    @classmethod
    def left_by(
        cls, exposure_id: int, opp_id: str, opp: Opportunity, legs: Iterable[LegFill], base: Decimal, now_ms: int
    ) -> ExposureEntry:
        """The exposure an arbitrage just left: on its buy venue when long, its sell venue when short, with the price
        its legs traded it at (:func:`arb.trade.accounts.traded_price`)."""
        venue = opp.buy_venue if base > 0 else opp.sell_venue
        return cls(exposure_id, opp_id, venue, opp.symbol, base, now_ms, traded_price(legs, base > 0))

    @property
    def asset(self) -> str:
        return self.symbol.split("/")[0]

    def line(self) -> str:
        return f"exposure #{self.id} {self.base_delta} {self.symbol} on {self.venue}"


@dataclass(slots=True)
class _InFlight:
    symbol: str
    venues: tuple[str, str]
    notional: Decimal


class VenueErrors:
    """Per-venue error-rate breaker over the last ``ERROR_WINDOW`` order outcomes."""

    def __init__(
        self,
        max_rate: Decimal,
        window: int = ERROR_WINDOW,
        min_samples: int = ERROR_MIN_SAMPLES,
        pause_ms: int = VENUE_PAUSE_MS,
    ) -> None:
        self.max_rate, self.window, self.min_samples, self.pause_ms = max_rate, window, min_samples, pause_ms
        self.outcomes: dict[str, deque[bool]] = {}
        self.paused_until: dict[str, int] = {}

    def record(self, venue: str, ok: bool, now_ms: int) -> str | None:
        """Record an order outcome; returns a one-line reason when this trips the breaker."""
        q = self.outcomes.setdefault(venue, deque(maxlen=self.window))
        q.append(ok)
        errors = sum(1 for x in q if not x)
        n = len(q)
        if n >= self.min_samples and Decimal(errors) / Decimal(n) > self.max_rate and not self.paused(venue, now_ms):
            self.paused_until[venue] = now_ms + self.pause_ms
            q.clear()
            return f"{venue}: {errors} of the last {n} orders failed; paused {self.pause_ms} ms"
        return None

    def paused(self, venue: str, now_ms: int) -> bool:
        return self.paused_until.get(venue, 0) > now_ms


@dataclass(slots=True)
class RiskGate:
    """Limits and halts for one run. The trader feeds it outcomes, balances and marks."""

    cfg: RiskConfig
    balances: BalanceBook = field(default_factory=BalanceBook)
    halted: Halt | None = None
    in_flight: dict[str, _InFlight] = field(default_factory=dict)
    exposures: dict[int, ExposureEntry] = field(default_factory=dict)
    failures_in_row: int = 0
    disabled: dict[tuple[str, str, str], str] = field(default_factory=dict)  # direction → why
    fees: Mapping[tuple[str, str], Fee] = field(default_factory=dict)  # (venue, symbol) → taker fee, for holds
    errors: VenueErrors = field(init=False)
    shared: Any = None  # arb.scale.hook.SharedLimits: limits and balances shared with other workers (Redis)
    refusal: str | None = None  # why the last check refused on an exposure limit (one line), else None

    def __post_init__(self) -> None:
        self.errors = VenueErrors(self.cfg.max_venue_error_rate)

    # -- halts ---------------------------------------------------------------------------------------
    def halt(self, reason: str, detail: str, now_ms: int) -> Halt | None:
        """Halt trading; returns the Halt when it is new (an existing halt is kept, not replaced)."""
        self.lift_expired(now_ms)
        if self.halted is not None:
            return None
        until = (utc_day(now_ms) + 1) * DAY_MS if reason == "daily_loss" else None
        self.halted = Halt(reason, detail, now_ms, until)
        return self.halted

    def restore(self, state: RiskState, now_ms: int) -> None:
        """Start from what the journal says (:mod:`arb.trade.riskstate`): the halt in force and the failures in a
        row (today's PnL is :class:`arb.trade.accounts.DayPnl`'s, loaded from the same state)."""
        h = state.halt
        if h is not None and (self.halted is None or self.halted.reason != "kill"):
            self.halted = Halt(h["reason"], h.get("detail") or "", h["ts_ms"], h.get("until_ms"), h["id"])
        self.failures_in_row = state.failures_in_row

    def resume(self, now_ms: int) -> Halt | None:
        """An operator ended the halt (`arb resume`): trading resumes, the failure count restarts, and after a
        daily-loss halt the day's loss counts from now (the caller restarts :class:`arb.trade.accounts.DayPnl`).
        Returns the halt lifted."""
        h, self.halted = self.halted, None
        self.failures_in_row = 0
        return h

    def lift_expired(self, now_ms: int) -> Halt | None:
        """Lift a halt whose time is up (daily loss at UTC midnight); returns the lifted one."""
        h = self.halted
        if h is not None and h.until_ms is not None and now_ms >= h.until_ms:
            self.halted = None
            return h
        return None

    # -- the gate -------------------------------------------------------------------------------------
    def check(self, opp: Opportunity, now_ms: int, marks: Marks | None = None) -> str | None:
        """None if ``opp`` may trade now, else the limit it breaks (one word); exposures valued at ``marks``."""
        self.refusal = None
        self.lift_expired(now_ms)
        if self.halted is not None:
            return f"halted_{self.halted.reason}"
        if len(self.in_flight) >= self.cfg.max_in_flight:
            return "in_flight"
        if opp.notional > self.cfg.max_notional_per_trade:  # the same B·VWAP the evaluator caps
            return "notional"
        for v in (opp.buy_venue, opp.sell_venue):
            if self.errors.paused(v, now_ms):
                return "venue_paused"
        if opp.key in self.disabled:
            return "direction_disabled"
        why = self.exposure_check(opp, marks or Marks())
        if why is not None:
            return why
        for venue, _side, need in self._needs(opp):
            for a, amount in need.items():
                have = self.balances.spendable(venue, a)
                if have is not None and have < amount:
                    return "min_balance"
        return self.shared.claim(opp, self._needs(opp), self) if self.shared is not None else None

    def _needs(self, opp: Opportunity) -> list[tuple[str, str, dict[str, Decimal]]]:
        """What each leg's order can consume on its venue (:func:`arb.trade.balances.leg_need`)."""
        base, quote = opp.symbol.split("/")[0], opp.symbol.split("/")[1]
        return [
            (
                leg.venue,
                side,
                leg_need(side, leg.amount, leg.limit_price, base, quote, self.fees.get((leg.venue, opp.symbol))),
            )
            for leg, side in ((opp.buy, "buy"), (opp.sell, "sell"))
        ]

    def begin(self, opp_id: str, opp: Opportunity) -> None:
        """Accepted: both legs hold what their orders can consume before any other opportunity is checked."""
        self.in_flight[opp_id] = _InFlight(opp.symbol, (opp.buy_venue, opp.sell_venue), opp.notional)
        if self.shared is not None:
            self.shared.bind(opp_id)
        for venue, side, need in self._needs(opp):
            self.balances.reserve(opp_id, venue, side, need)

    def claim_flatten(
        self, opp_id: str, venue: str, symbol: str, side: str, amount: Decimal, price: Decimal
    ) -> str | None:
        """A hedge or retry order about to be sent: with workers sharing balances it claims what it can spend first
        (another worker's holds are not its to take); why not, or None. One process: the venue decides."""
        if self.shared is None:
            return None
        base, quote = symbol.split("/")[0], symbol.split("/")[1]
        return self.shared.claim_leg(
            opp_id, venue, leg_need(side, amount, price, base, quote, self.fees.get((venue, symbol))), self
        )

    def leg_sent(self, opp_id: str, leg: LegFill, *, fresh: bool = True) -> None:
        """An order is going out (or being looked up: ``fresh`` False): it holds what it can consume."""
        base, quote = leg.symbol.split("/")[0], leg.symbol.split("/")[1]
        price = leg.price if leg.price is not None else ZERO
        need = leg_need(leg.side, leg.amount, price, base, quote, self.fees.get((leg.venue, leg.symbol)))
        self.balances.sent(opp_id, leg, need, fresh=fresh)

    def leg_final(self, leg: LegFill) -> None:
        """An order came back: its flows replace its hold when final; unknown keeps it held."""
        if self.shared is not None:
            self.shared.settle(next((h.token for h in self.balances.holds if h.client_id == leg.client_id), None), leg)
        self.balances.settle(leg)

    def end(self, opp_id: str, *, ok: bool, now_ms: int) -> Halt | None:
        """An arbitrage finished; returns a new Halt when the failure breaker trips."""
        self.in_flight.pop(opp_id, None)
        self.balances.release(opp_id)
        if self.shared is not None:
            unknown = [h.venue for h in self.balances.holds if h.token == opp_id and h.state == "unknown"]
            self.shared.end(opp_id, unknown)
        if ok:
            self.failures_in_row = 0
            return None
        self.failures_in_row += 1
        if self.failures_in_row >= self.cfg.max_consecutive_failures:
            return self.halt(
                "consecutive_failures",
                f"{self.failures_in_row} arbitrages in a row failed (risk.max_consecutive_failures = "
                f"{self.cfg.max_consecutive_failures})",
                now_ms,
            )
        return None

    def order_outcome(self, venue: str, ok: bool, now_ms: int) -> str | None:
        return self.errors.record(venue, ok, now_ms)

    # -- exposure and daily loss --------------------------------------------------------------------
    def set_exposure(self, entry: ExposureEntry) -> None:
        if entry.base_delta == ZERO:
            self.exposures.pop(entry.id, None)
        else:
            self.exposures[entry.id] = entry

    def open_exposure(self, kind: str, name: str, marks: Marks) -> tuple[Decimal, list[ExposureEntry]]:
        """(Σ |base| × price of the open exposures in asset (``kind`` "asset") or on venue (``kind`` "venue")
        ``name`` that a price values (:func:`mark_of`), the ones nothing prices)."""
        value, unpriced = ZERO, []
        for e in self.exposures.values():
            if (e.asset if kind == "asset" else e.venue) == name:
                price = mark_of(e, marks)
                if price is None:
                    unpriced.append(e)
                else:
                    value += abs(e.base_delta) * price
        return value, unpriced

    def asset_exposure(self, asset: str, marks: Marks) -> Decimal:
        """Open exposure in ``asset`` at its prices plus in-flight notional (unpriced: :meth:`open_exposure`)."""
        flying = sum((f.notional for f in self.in_flight.values() if f.symbol.split("/")[0] == asset), ZERO)
        return self.open_exposure("asset", asset, marks)[0] + flying

    def venue_exposure(self, venue: str, marks: Marks) -> Decimal:
        """Open exposure on ``venue`` at its prices plus in-flight notional (unpriced: :meth:`open_exposure`)."""
        flying = sum((f.notional for f in self.in_flight.values() if venue in f.venues), ZERO)
        return self.open_exposure("venue", venue, marks)[0] + flying

    def exposure_check(self, opp: Opportunity, marks: Marks) -> str | None:
        """``exposure_asset`` / ``exposure_venue`` when open exposure + in flight + ``opp`` exceeds the limit of its
        asset or one of its venues; ``exposure_unpriced`` when an open exposure counting toward one of them has no
        price at all (its value is unknown, so ``opp`` could push that limit over). Sets :attr:`refusal`."""
        for kind, name in (("asset", opp.symbol.split("/")[0]), ("venue", opp.buy_venue), ("venue", opp.sell_venue)):
            key = f"max_exposure_per_{kind}"
            limit: Decimal = getattr(self.cfg, key)
            counted = self.asset_exposure(name, marks) if kind == "asset" else self.venue_exposure(name, marks)
            if counted + opp.notional > limit:
                self.refusal = (
                    f"{kind} {name}: open and in flight {counted} + this trade {opp.notional} > risk.{key} = {limit}"
                )
                return f"exposure_{kind}"
            unpriced = self.open_exposure(kind, name, marks)[1]
            if unpriced:
                self.refusal = (
                    f"{kind} {name}: {'; '.join(e.line() for e in unpriced)}: no price (no book of its symbol yet, no "
                    f"journaled fills), so this trade could push risk.{key} = {limit} over"
                )
                return "exposure_unpriced"
        return None

    def check_daily_loss(self, now_ms: int, realised: Decimal, unrealised: Decimal) -> Halt | None:
        """Halt when today's PnL (:meth:`arb.trade.accounts.Accounts.pnl`) reached ``-daily_loss_limit``."""
        total = realised + unrealised
        if total <= -self.cfg.daily_loss_limit:
            return self.halt(
                "daily_loss",
                f"today's PnL {total} (realised {realised}, open exposure at mid {unrealised}) reached "
                f"-risk.daily_loss_limit = -{self.cfg.daily_loss_limit}; trading resumes after 00:00 UTC",
                now_ms,
            )
        return None

    # -- directions ------------------------------------------------------------------------------------
    def update_direction(self, key: tuple[str, str, str], why_not: str | None) -> str | None:
        """Record whether a direction can trade; returns "disabled"/"enabled" on a change."""
        if why_not is None:
            return "enabled" if self.disabled.pop(key, None) is not None else None
        if key in self.disabled:
            return None
        self.disabled[key] = why_not
        return "disabled"


def mark_of(e: ExposureEntry, marks: Marks) -> Decimal | None:
    """An exposure's price (:meth:`arb.trade.accounts.Marks.value`, the day's PnL rule): the mid on its own venue,
    else the symbol's mean over venues, else the price its legs traded it at; None when nothing prices it."""
    return marks.value(e.venue, e.symbol, e.traded_price)


def direction_blocker(
    symbol: str,
    buy_venue: str,
    sell_venue: str,
    spendable: Callable[[str, str], Decimal | None],
    min_amount: Decimal,
    min_quote: Decimal,
) -> str | None:
    """Why (symbol, buy on ``buy_venue``, sell on ``sell_venue``) cannot trade now, or None."""
    base, quote = symbol.split("/")[0], symbol.split("/")[1]
    q, b = spendable(buy_venue, quote), spendable(sell_venue, base)
    if q is not None and q < min_quote:
        return f"{buy_venue} has {q} {quote} spendable (needs {min_quote})"
    if b is not None and b < min_amount:
        return f"{sell_venue} has {b} {base} spendable (needs {min_amount})"
    return None
