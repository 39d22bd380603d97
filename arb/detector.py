"""Which venue pairs cross for a symbol, updated incrementally per book update.

Pure and allocation-light: the detector keeps top of book per (venue, symbol) as floats and, on an
update from one venue, re-checks only the ordered pairs involving that venue — O(venues) for that
symbol, never a rescan. Floats are a pre-screen only, made inclusive by a tiny relative epsilon so
rounding can never hide a cross; every candidate is confirmed on exact Decimals by the evaluator.

A pair is ``(buy_venue, sell_venue)``: buy on the first venue's ask, sell on the second's bid.
It crosses after taker fees when ``bid_sell·(1−f_sell)·(1−φ_buy) > ask_buy·(1+ψ_buy)`` (φ/ψ: the
buy fee when charged in base/quote, as in :mod:`arb.evaluator`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from arb.model import Fee

Pair = tuple[str, str]
_EPS = 1e-12


@dataclass(slots=True)
class _Factors:
    buy_cost: float = 1.0  # ask multiplier when buying here (1+ψ)
    buy_keep: float = 1.0  # fraction of bought base that can be sold (1−φ)
    sell_keep: float = 1.0  # bid multiplier when selling here (1−f)


@dataclass(slots=True)
class Crosses:
    """Result of one update: pairs involving the updated venue that cross after fees, and how many
    cross only before fees (near misses, for the "why nothing fired" counters)."""

    symbol: str
    venue: str
    pairs: list[Pair] = field(default_factory=list)
    raw_only: int = 0


class Detector:
    def __init__(self) -> None:
        self._tops: dict[str, dict[str, tuple[float, float]]] = {}  # symbol -> venue -> (bid, ask)
        self._factors: dict[tuple[str, str], _Factors] = {}
        self._crossing: dict[str, set[Pair]] = {}

    def set_fee(self, venue: str, symbol: str, fee: Fee) -> None:
        rate = float(fee.taker)
        f = _Factors(sell_keep=1.0 - rate)
        if fee.currency == "received":
            f.buy_keep = 1.0 - rate
        else:
            f.buy_cost = 1.0 + rate
        self._factors[(venue, symbol)] = f

    def _f(self, venue: str, symbol: str) -> _Factors:
        f = self._factors.get((venue, symbol))
        if f is None:
            f = self._factors[(venue, symbol)] = _Factors()
        return f

    def update(self, venue: str, symbol: str, bid: float | None, ask: float | None) -> Crosses:
        """New top of book for (venue, symbol). An empty or crossed book removes the venue."""
        out = Crosses(symbol, venue)
        tops = self._tops.setdefault(symbol, {})
        crossing = self._crossing.setdefault(symbol, set())
        if bid is None or ask is None or not (0.0 < bid < ask):
            self.remove(venue, symbol)
            return out
        tops[venue] = (bid, ask)
        fv = self._f(venue, symbol)
        for other, (obid, oask) in tops.items():
            if other == venue:
                continue
            fo = self._f(other, symbol)
            # buy here, sell there
            pair = (venue, other)
            if obid * fo.sell_keep * fv.buy_keep * (1.0 + _EPS) > ask * fv.buy_cost:
                crossing.add(pair)
                out.pairs.append(pair)
            else:
                crossing.discard(pair)
                if obid > ask:
                    out.raw_only += 1
            # buy there, sell here
            pair = (other, venue)
            if bid * fv.sell_keep * fo.buy_keep * (1.0 + _EPS) > oask * fo.buy_cost:
                crossing.add(pair)
                out.pairs.append(pair)
            else:
                crossing.discard(pair)
                if bid > oask:
                    out.raw_only += 1
        return out

    def remove(self, venue: str, symbol: str) -> None:
        """Forget a venue's book (stale, crossed, disconnected) and every pair involving it."""
        tops = self._tops.get(symbol)
        if tops is not None:
            tops.pop(venue, None)
        crossing = self._crossing.get(symbol)
        if crossing:
            for pair in [p for p in crossing if venue in p]:
                crossing.discard(pair)

    def crossing(self, symbol: str) -> set[Pair]:
        """Every pair currently crossing after fees for ``symbol``."""
        return set(self._crossing.get(symbol, ()))

    def venues(self, symbol: str) -> list[str]:
        return list(self._tops.get(symbol, {}))
