"""The decision gate: may this sighting trade now? Pure — every input is explicit, no clock, no I/O.

In order, the first check that fails is the verdict (:class:`arb.core.kinds.Verdict`):

0. ``paused`` / ``operator_disabled`` — an operator's controls (:mod:`arb.trade.controls`, control API);
1. ``pair_in_flight`` — an arbitrage on the same (symbol, venue pair) is still running;
2. ``cooldown`` — the pair just traded and not both of its books have changed since (when
   ``execution.cooldown_until_both_books_update``);
3. ``confirming`` — the edge has held for fewer than ``execution.confirm_updates`` evaluations in a row;
4. ``depth`` — re-evaluated as if the order were ``execution.depth_multiple`` times larger (every book
   amount divided by it), on the very books the engine evaluated, it no longer pays; in paper mode the
   books minus what the paper venues took there (``paper``: the book a live run would see after its own
   takes), re-evaluated whenever a paper take may still show in them;
5. the risk limits and halts (:meth:`arb.trade.risk.RiskGate.check`), with exposures at ``marks``.

``accept`` carries the opportunity to trade (the depth-checked one) and what the journal records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from arb.core.evaluator import evaluate
from arb.core.kinds import Verdict
from arb.core.model import Balances, Fee, Limits, MarketSpec, Opportunity, dec
from arb.scan.engine import BookSlot, Sighting
from arb.trade.accounts import Marks
from arb.trade.controls import Controls
from arb.trade.risk import RiskGate

Pair = tuple[str, str, str]  # (symbol, venue a, venue b), venues sorted


class PaperView(Protocol):
    """Paper mode: the books as the paper venues really find them (:class:`arb.trade.paper.PaperBooks`)."""

    def holds(self, venue: str, symbol: str) -> bool: ...

    def view(self, venue: str, symbol: str, book: Any) -> Any: ...


def pair_of(opp: Opportunity) -> Pair:
    a, b = sorted((opp.buy_venue, opp.sell_venue))
    return opp.symbol, a, b


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    opp: Opportunity  # the opportunity as sighted
    trade: Opportunity | None  # what to execute (re-evaluated at depth) when accepted
    info: dict[str, Any]


@dataclass(frozen=True, slots=True)
class GateRules:
    confirm_updates: int = 1
    depth_multiple: Decimal = Decimal(1)
    cooldown_until_both_books_update: bool = True


@dataclass(slots=True)
class Gate:
    """The decision and the little state it needs: pairs in flight and the book versions a cool-down waits on."""

    rules: GateRules
    risk: RiskGate
    markets: Mapping[tuple[str, str], MarketSpec]
    fees: Mapping[tuple[str, str], Fee]
    limits: Limits
    busy: set[Pair] = field(default_factory=set)
    cooldown: dict[Pair, dict[str, Any]] = field(default_factory=dict)  # venue → book version at the trade's end
    controls: Controls = field(default_factory=Controls)  # an operator's pause and directions (control API)
    paper: PaperView | None = None  # paper mode: books minus the paper venues' own takes (None: live)

    def decide(self, s: Sighting, *, balances: Balances, marks: Marks, now_ms: int) -> Decision:
        """The verdict on ``s``; ``balances``: spendable on its venues now (for the depth re-evaluation)."""
        opp, r = s.opp, self.rules
        pair = pair_of(opp)
        trade: Opportunity | None = opp
        verdict: Verdict | None = self.controls.blocks(opp.key)  # an operator's pause or direction
        if verdict is not None or pair in self.busy:
            verdict = verdict or Verdict.PAIR_IN_FLIGHT
        elif self.cooling(pair, s):
            verdict = Verdict.COOLDOWN
        elif s.streak < r.confirm_updates:
            verdict = Verdict.CONFIRMING
        elif r.depth_multiple > 1 or self.paper_took(opp):
            trade = self.at_depth(s, r.depth_multiple, balances)
            verdict = Verdict.DEPTH if trade is None else None
        if verdict is None and trade is not None:
            why = self.risk.check(trade, now_ms, marks)
            verdict = Verdict(why) if why is not None else Verdict.ACCEPT
        info: dict[str, Any] = {
            "streak": s.streak,
            "confirm_updates": r.confirm_updates,
            "depth_multiple": str(r.depth_multiple),
        }
        assert verdict is not None
        if verdict.value.startswith("exposure_") and self.risk.refusal:
            info["why"] = self.risk.refusal  # which exposure limit, at what value (the decision event carries it)
        return Decision(verdict, opp, trade if verdict == Verdict.ACCEPT else None, info)

    def cooling(self, pair: Pair, s: Sighting) -> bool:
        """True until both books of ``pair`` changed since its last trade ended."""
        seen = self.cooldown.get(pair)
        if seen is None:
            return False
        now = {s.opp.buy_venue: s.buy_book.version(), s.opp.sell_venue: s.sell_book.version()}
        if all(now.get(v) != ver for v, ver in seen.items()):
            del self.cooldown[pair]
            return False
        return True

    def paper_took(self, opp: Opportunity) -> bool:
        """Paper mode: a paper venue took liquidity these books may still show."""
        p = self.paper
        return p is not None and (p.holds(opp.buy_venue, opp.symbol) or p.holds(opp.sell_venue, opp.symbol))

    def at_depth(self, s: Sighting, k: Decimal, balances: Balances) -> Opportunity | None:
        """Re-evaluate as if the order were ``k`` times larger: every book amount divided by ``k`` (paper: of the
        books minus the paper venues' takes)."""
        opp = s.opp
        b, a = s.buy_book.usable(), s.sell_book.usable()
        if b is None or a is None:
            return None
        if self.paper is not None:
            b, a = self.paper.view(opp.buy_venue, opp.symbol, b), self.paper.view(opp.sell_venue, opp.symbol, a)

        def scaled(book: Any) -> dict[str, Any]:
            return {side: [[dec(lv[0]), dec(lv[1]) / k] for lv in book[side]] for side in ("bids", "asks")}

        key_b, key_s = (opp.buy_venue, opp.symbol), (opp.sell_venue, opp.symbol)
        return evaluate(
            scaled(b),
            scaled(a),
            buy_market=self.markets[key_b],
            sell_market=self.markets[key_s],
            buy_fee=self.fees[key_b],
            sell_fee=self.fees[key_s],
            limits=self.limits,
            balances=balances,
            symbol=opp.symbol,
            buy_venue=opp.buy_venue,
            sell_venue=opp.sell_venue,
        )

    # -- the state the next decisions depend on ---------------------------------------------------------
    def begin(self, pair: Pair) -> None:
        self.busy.add(pair)

    def end(self, pair: Pair, versions: Mapping[str, Any] | None) -> None:
        """The pair's trade finished; ``versions``: its books' versions now (None: no cool-down)."""
        self.busy.discard(pair)
        if versions is not None and self.rules.cooldown_until_both_books_update:
            self.cooldown[pair] = dict(versions)


def versions(books: Mapping[tuple[str, str], BookSlot], pair: Pair) -> dict[str, Any]:
    """The current versions of ``pair``'s books (None for a book not seen yet)."""
    out: dict[str, Any] = {}
    for v in pair[1:]:
        slot = books.get((v, pair[0]))
        out[v] = None if slot is None else slot.version()
    return out
