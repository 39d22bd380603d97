"""Opportunity episodes and the evaluation snapshots that let anyone recompute them.

An episode is keyed by (symbol, buy venue, sell venue). It starts with the first evaluation that
yields an opportunity for the key and ends when none has for ``gap_ms`` (``end_reason="gap"``), or
when either book goes stale or crossed (``"stale"``/``"crossed"``), or at shutdown. It holds the
peak and last opportunity; the tracker also keeps the inputs of the start, peak and last
evaluations so the journal can store them as snapshots.

A snapshot is plain JSON: the levels the evaluator read from both books (exact strings), markets,
fees, limits, balances and book ages. ``reevaluate(snapshot)`` runs :func:`arb.evaluate` on it
again and must give the same result; tests check that over every snapshot of a demo run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from arb.core.codec import (
    balances_from_json,
    balances_to_json,
    fee_from_json,
    fee_to_json,
    limits_from_json,
    limits_to_json,
    market_from_json,
    market_to_json,
)
from arb.core.evaluator import evaluate
from arb.core.model import Balances, Episode, EpisodeEnd, Fee, Limits, MarketSpec, Opportunity

Key = tuple[str, str, str]


@dataclass(slots=True)
class _Tracked:
    ep: Episode
    start_inputs: dict[str, Any]
    peak_inputs: dict[str, Any]
    last_inputs: dict[str, Any]
    miss_ms: int | None = None  # first evaluation without an opportunity since the last hit


class EpisodeTracker:
    """Pure bookkeeping of open episodes; the caller supplies every timestamp."""

    def __init__(self, run_id: str, gap_ms: int) -> None:
        self.run_id = run_id
        self.gap_ms = gap_ms
        self.open: dict[Key, _Tracked] = {}
        self._by_venue: dict[tuple[str, str], set[Key]] = {}  # (symbol, venue) -> open keys using it
        self._seq = 0

    def observe(self, opp: Opportunity, inputs: dict[str, Any], now_ms: int) -> Episode | None:
        """Record an opportunity; returns the Episode if this evaluation started one."""
        t = self.open.get(opp.key)
        if t is None:
            self._seq += 1
            ep = Episode(
                id=f"{self.run_id}-{self._seq}",
                symbol=opp.symbol,
                buy_venue=opp.buy_venue,
                sell_venue=opp.sell_venue,
                start_ms=now_ms,
                last_ms=now_ms,
                peak=opp,
                last=opp,
            )
            key = opp.key
            self.open[key] = _Tracked(ep, inputs, inputs, inputs)
            for venue in (key[1], key[2]):
                self._by_venue.setdefault((key[0], venue), set()).add(key)
            return ep
        ep = t.ep
        ep.evaluations += 1
        ep.last, ep.last_ms = opp, now_ms
        t.last_inputs, t.miss_ms = inputs, None
        if ep.peak is None or opp.net_profit > ep.peak.net_profit:
            ep.peak, t.peak_inputs = opp, inputs
        return None

    def miss(self, key: Key, now_ms: int) -> None:
        """An evaluation (or a detector update) for ``key`` found no opportunity."""
        t = self.open.get(key)
        if t is not None and t.miss_ms is None:
            t.miss_ms = now_ms

    def keys_for(self, symbol: str, venue: str) -> tuple[Key, ...]:
        """Open episode keys that use ``venue``'s book for ``symbol`` (an index, O(1))."""
        keys = self._by_venue.get((symbol, venue))
        return tuple(keys) if keys else ()

    def end(self, key: Key, now_ms: int, reason: EpisodeEnd) -> _Tracked | None:
        t = self.open.pop(key, None)
        if t is None:
            return None
        for venue in (key[1], key[2]):
            self._by_venue.get((key[0], venue), set()).discard(key)
        ep = t.ep
        ep.end_ms = max(ep.last_ms, t.miss_ms if t.miss_ms is not None else now_ms)
        ep.end_reason = reason
        return t

    def sweep(self, now_ms: int) -> list[_Tracked]:
        """End every episode with no opportunity for ``gap_ms``."""
        due = [k for k, t in self.open.items() if now_ms - t.ep.last_ms >= self.gap_ms]
        return [t for k in due if (t := self.end(k, now_ms, "gap")) is not None]

    def close_all(self, now_ms: int) -> list[_Tracked]:
        return [t for k in list(self.open) if (t := self.end(k, now_ms, "shutdown")) is not None]


# ----------------------------------------------------------------------------- snapshots
def _levels(side: Any, n: int) -> list[list[str]]:
    return [[str(level[0]), str(level[1])] for level in side[:n]]


def snapshot(
    opp: Opportunity,
    buy_book: Any,
    sell_book: Any,
    *,
    buy_market: MarketSpec,
    sell_market: MarketSpec,
    buy_fee: Fee,
    sell_fee: Fee,
    limits: Limits,
    balances: Balances,
    book_age_ms: tuple[int, int],
    stream_age_ms: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """The evaluation's inputs, limited to the levels it read, plus its result.

    ``book_age_ms``: since each book last changed (a quiet book may be old); ``stream_age_ms``: since the stream
    carrying it last delivered a good book — what made it current (at most ``max_book_age_ms``)."""
    nb = max(1, int(opp.meta.get("buy_levels_loaded", len(buy_book["asks"]))))
    ns = max(1, int(opp.meta.get("sell_levels_loaded", len(sell_book["bids"]))))
    return {
        "symbol": opp.symbol,
        "buy_venue": opp.buy_venue,
        "sell_venue": opp.sell_venue,
        "buy_book": {"bids": _levels(buy_book["bids"], 1), "asks": _levels(buy_book["asks"], nb)},
        "sell_book": {"bids": _levels(sell_book["bids"], ns), "asks": _levels(sell_book["asks"], 1)},
        "buy_market": market_to_json(buy_market),
        "sell_market": market_to_json(sell_market),
        "buy_fee": fee_to_json(buy_fee),
        "sell_fee": fee_to_json(sell_fee),
        "limits": limits_to_json(limits),
        "balances": balances_to_json(balances),
        "book_age_ms": {"buy": book_age_ms[0], "sell": book_age_ms[1]},
        **({"stream_age_ms": {"buy": stream_age_ms[0], "sell": stream_age_ms[1]}} if stream_age_ms else {}),
        "result": {
            "buy_amount": str(opp.buy.amount),
            "sell_amount": str(opp.sell.amount),
            "buy_limit": str(opp.buy.limit_price),
            "sell_limit": str(opp.sell.limit_price),
            "net_profit": str(opp.net_profit),
            "net_bps": str(opp.net_bps),
        },
    }


def reevaluate(snap: dict[str, Any]) -> Opportunity | None:
    """Run the evaluator again on a stored snapshot's inputs."""
    return evaluate(
        snap["buy_book"],
        snap["sell_book"],
        buy_market=market_from_json(snap["buy_market"]),
        sell_market=market_from_json(snap["sell_market"]),
        buy_fee=fee_from_json(snap["buy_fee"]),
        sell_fee=fee_from_json(snap["sell_fee"]),
        limits=limits_from_json(snap["limits"]),
        balances=balances_from_json(snap["balances"]),
        symbol=snap["symbol"],
        buy_venue=snap["buy_venue"],
        sell_venue=snap["sell_venue"],
    )
