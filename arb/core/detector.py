"""Which venue pairs cross for a symbol, updated incrementally per book update.

Pure and allocation-light: the detector keeps top of book per (venue, symbol) as floats and, on an
update from one venue, re-checks only the ordered pairs involving that venue — O(venues) for that
symbol, never a rescan. Floats are a pre-screen only, made inclusive by a tiny relative epsilon so
rounding can never hide a cross; every candidate is confirmed on exact Decimals by the evaluator.

A pair is ``(buy_venue, sell_venue)``: buy on the first venue's ask, sell on the second's bid.
It crosses after taker fees when ``bid_sell·(1−f_sell)·(1−φ_buy) > ask_buy·(1+ψ_buy)`` (φ/ψ: the
buy fee when charged in base/quote, as in :mod:`arb.core.evaluator`).
"""

from __future__ import annotations

from typing import Any

from arb.core.model import Fee

Pair = tuple[str, str]
_ONE_EPS = 1.0 + 1e-12
_NO_PAIRS: list[Pair] = []  # shared, never mutated: the common "nothing crosses" answer

# Per (symbol, venue) record: [bid, ask, buy_cost (1+ψ), buy_keep (1−φ), sell_keep (1−f), bid·sell_keep,
# ask·buy_cost, last result, epoch of the last result, the symbol's epoch cell]. bid·sell_keep and ask·buy_cost
# are kept so a check multiplies each other venue's numbers once, not per check. The symbol's epoch (one
# [int] shared by its records) moves whenever any of its tops, fees or books change: an update that leaves
# its top as it was, in an unmoved epoch, has the last result again without the loop (depth-only updates,
# most of a feed). bid is None while the venue has no usable book.
_BID, _ASK, _BUY_COST, _BUY_KEEP, _SELL_KEEP, _BID_NET, _ASK_COST, _LAST, _LAST_EPOCH, _EPOCH = range(10)


class Detector:
    def __init__(self) -> None:
        self._sym: dict[str, dict[str, list[Any]]] = {}  # symbol -> venue -> record
        self._fees: dict[tuple[str, str], tuple[float, float, float]] = {}

    def set_fee(self, venue: str, symbol: str, fee: Fee) -> None:
        rate = float(fee.taker)
        factors = (1.0, 1.0 - rate, 1.0 - rate) if fee.currency == "received" else (1.0 + rate, 1.0, 1.0 - rate)
        self._fees[(venue, symbol)] = factors
        rec = self._sym.get(symbol, {}).get(venue)
        if rec is not None:
            rec[_BUY_COST], rec[_BUY_KEEP], rec[_SELL_KEEP] = factors
            if rec[_BID] is not None:
                rec[_BID_NET], rec[_ASK_COST] = rec[_BID] * rec[_SELL_KEEP], rec[_ASK] * rec[_BUY_COST]
            rec[_EPOCH][0] += 1

    def _record(self, venue: str, symbol: str) -> list[Any]:
        venues = self._sym.get(symbol)
        if venues is None:
            venues = self._sym[symbol] = {}
        rec = venues.get(venue)
        if rec is None:
            f = self._fees.get((venue, symbol), (1.0, 1.0, 1.0))
            epoch = next(iter(venues.values()))[_EPOCH] if venues else [0]
            rec = venues[venue] = [None, None, f[0], f[1], f[2], None, None, None, -1, epoch]
            epoch[0] += 1
        return rec

    def handle(self, venue: str, symbol: str) -> tuple[list[Any], dict[str, list[Any]]]:
        """(venue's record, the symbol's records by venue) for :meth:`check_at`: stable objects, updated in
        place by :meth:`set_fee` and :meth:`remove`, so a caller may keep them per book."""
        rec = self._record(venue, symbol)
        return rec, self._sym[symbol]

    def check(self, venue: str, symbol: str, bid: float, ask: float) -> tuple[list[Pair], int]:
        """Hot path: store a sane top of book (0 < bid < ask) and return (pairs crossing after fees
        that involve ``venue``, count of pairs crossing only before fees). Allocation-free when
        nothing crosses."""
        venues = self._sym.get(symbol)
        if venues is None or (rec := venues.get(venue)) is None:
            rec = self._record(venue, symbol)
            venues = self._sym[symbol]
        return self.check_at(rec, venues, venue, bid, ask)

    @staticmethod
    def check_at(
        rec: list[Any], venues: dict[str, list[Any]], venue: str, bid: float, ask: float
    ) -> tuple[list[Pair], int]:
        """:meth:`check` on a :meth:`handle` (no look-ups by name). (Record fields by literal index: 0 bid,
        1 ask, 2 buy_cost, 3 buy_keep, 4 sell_keep, 5 bid·sell_keep, 6 ask·buy_cost, 7 last result, 8 its
        epoch, 9 the symbol's epoch cell — globals would cost a lookup each.)"""
        epoch = rec[9]
        if bid == rec[0] and ask == rec[1]:
            if rec[8] == epoch[0]:
                return rec[7]  # type: ignore[no-any-return]
        else:
            epoch[0] += 1
        rec[0] = bid
        rec[1] = ask
        pairs = _NO_PAIRS
        raw = 0
        eps = _ONE_EPS
        ask_cost = rec[6] = ask * rec[2]
        keep = rec[3] * eps
        rec[5] = net = bid * rec[4]
        bid_net = net * eps
        for other, o in venues.items():
            if o is rec or o[0] is None:
                continue
            if o[5] * keep > ask_cost:  # buy here, sell there: other bid·(1−f)·own (1−φ) > own ask·(1+ψ)
                if pairs is _NO_PAIRS:
                    pairs = []
                pairs.append((venue, other))
            elif o[0] > ask:
                raw += 1
            if bid_net * o[3] > o[6]:  # buy there, sell here
                if pairs is _NO_PAIRS:
                    pairs = []
                pairs.append((other, venue))
            elif bid > o[1]:
                raw += 1
        rec[7] = result = (pairs, raw)
        rec[8] = epoch[0]
        return result

    def remove(self, venue: str, symbol: str) -> None:
        """Forget a venue's book (stale, crossed, disconnected): no pair involving it crosses."""
        rec = self._sym.get(symbol, {}).get(venue)
        if rec is not None:
            rec[_BID] = rec[_ASK] = None
            rec[_EPOCH][0] += 1
