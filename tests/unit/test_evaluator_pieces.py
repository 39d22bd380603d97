"""The search's pruning near the envelope's peak (arb.core.pieces.pieces_near_peak) leaves out only pieces the
full enumeration would not solve: the search finds the same size in the same steps with and without it, and
every piece whose line bound reaches the best's floor is among those it builds."""

from __future__ import annotations

from decimal import ROUND_FLOOR, localcontext
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arb.core import pieces
from arb.core.books import ladders
from arb.core.envelope import buy_depth_bound
from arb.core.errors import ArbError
from arb.core.model import Balances, Limits
from arb.core.search import _ratio, search
from arb.core.sizing import PREC, Problem
from tests.unit.test_evaluator import make_book, scenario_books, scenarios, uncapped_scenarios
from tests.unit.test_evaluator_speed import markets_and_books


def check(buy: Any, sell: Any, kw: dict[str, Any]) -> bool:
    """Run evaluate's steps up to the search; search with and without the pruning; whether it applied."""
    lim, bal = kw.get("limits") or Limits(), kw.get("balances") or Balances()
    with localcontext() as ctx:
        ctx.prec = PREC
        try:
            _, asks = ladders(buy, "b")
            bids, _ = ladders(sell, "s")
            if asks.best() is None or bids.best() is None:
                return False
            p = Problem(asks, bids, kw["buy_market"], kw["sell_market"], kw["buy_fee"], kw["sell_fee"], lim, bal)
            b_cap = buy_depth_bound(p)
            hi_index = int((b_cap / p.lb).to_integral_value(ROUND_FLOOR))
            hi = p.boundary(p.upper_ok, p.estimate_hi(b_cap), 1, hi_index, last_true=True)
            lo = None if hi is None else p.boundary(p.lower_ok, p.estimate_lo(), 1, hi, last_true=False)
            if hi is None or lo is None:
                return False
            known = p.known
            pruned = search(p, lo, hi)
            p.known = None
            full = search(p, lo, hi)
        except ArbError:
            return False
        assert pruned == full and repr(pruned) == repr(full)
        a, q = _ratio(p.lb * p.keep, p.ls)
        lo = max(lo, -(-q // a))
        if known is None or not lo <= known[0] <= hi or full[0] is None:
            return False
        every, _, _ = pieces.all_pieces(p, lo, hi, a, q)
        ah, bh = pieces.lazy_heads(p)
        near = pieces.pieces_near_peak(p, lo, hi, a, q, known[0], known[1], ah, bh, lambda pc: full[0].net)
        floor = pieces.floor_of(full[0].net)
        assert [pc for pc in every if pc[0] >= floor] == [pc for pc in near if pc[0] >= floor]
        assert set(near) <= set(every)
        return True


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(uncapped_scenarios())
def test_pruning_changes_nothing_on_lot_rounding_scenarios(sc: Any) -> None:
    asks, bids, bm, sm, bf, sf, lim, _, floats = sc
    buy = make_book(bids=[(asks[0][0] - bm.price_step, 1)], asks=asks, floats=floats)
    sell = make_book(bids=bids, asks=[(bids[0][0] + sm.price_step, 1)], floats=floats)
    check(buy, sell, {"buy_market": bm, "sell_market": sm, "buy_fee": bf, "sell_fee": sf, "limits": lim})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_pruning_changes_nothing_on_the_oracle_scenarios(sc: Any) -> None:
    check(*scenario_books(sc))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markets_and_books(), st.sampled_from(["0", "0.5", "40"]))
def test_pruning_changes_nothing_on_deep_float_books(sc: Any, min_profit: str) -> None:
    buy, sell, kw = sc
    lim = kw["limits"]
    kw["limits"] = Limits(lim.min_net_bps, type(lim.min_net_bps)(min_profit), None, lim.slippage_bps)
    kw["balances"] = Balances()
    check(buy, sell, kw)


@st.composite
def peak_books(draw: Any) -> tuple[Any, Any, dict[str, Any]]:
    """Deep books with no quote cap whose edge fades level by level (the envelope peaks inside them), levels
    from far thinner to far thicker than a lot, prices that step by 0–3 ticks (flat stretches), sell lots
    coarse or fine against buy lots: many pieces near the peak, and lines that overshoot the envelope."""
    import random
    from decimal import Decimal as D

    from arb.core.model import Fee, MarketSpec

    r = random.Random(draw(st.integers(0, 2**32)))
    lb = D(draw(st.sampled_from(["0.00000001", "0.0001", "0.01", "1"])))
    ls = lb * D(draw(st.sampled_from(["1", "7", "1000", "0.7", "13.3"])))
    tick = D(draw(st.sampled_from(["0.01", "0.1"])))
    n = draw(st.integers(3, 40))
    mid = D(draw(st.integers(100, 70000)))
    edge = D(draw(st.integers(5, 200))) / 10_000
    size = lb * draw(st.sampled_from([3, 50, 2000, 10**6]))
    ask, bid, asks, bids = mid, ((mid * (1 + edge)) / tick).to_integral_value() * tick, [], []
    for _ in range(n):
        asks.append([str(ask), str(size * D(r.randint(1, 40)) / 10)])
        bids.append([str(bid), str(size * D(r.randint(1, 40)) / 10)])
        ask += tick * r.randint(1, 3) * max(1, int(mid * edge / tick / n))
        bid -= tick * r.randint(1, 3) * max(1, int(mid * edge / tick / n))
        if bid <= tick:
            break
    buy = {"bids": [[str(mid - tick), "1"]], "asks": asks}
    sell = {"bids": bids, "asks": [[str(D(bids[0][0]) + tick), "1"]]}
    rate = st.sampled_from(["0", "0.0005", "0.001"])
    kw = {
        "buy_market": MarketSpec("X/Y", "X", "Y", lb, tick),
        "sell_market": MarketSpec("X/Y", "X", "Y", ls, tick, min_cost=draw(st.sampled_from([None, D("5")]))),
        "buy_fee": Fee(D(draw(rate)), draw(st.sampled_from(["received", "quote"]))),
        "sell_fee": Fee(D(draw(rate)), draw(st.sampled_from(["received", "quote"]))),
        "limits": Limits(
            min_net_bps=D(draw(st.sampled_from(["0", "1", "5"]))),
            min_net_profit=D(draw(st.sampled_from(["0", "0.01"]))),
            slippage_bps=D(draw(st.sampled_from(["0", "1"]))),
        ),
    }
    return buy, sell, kw


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(peak_books())
def test_pruning_changes_nothing_where_many_pieces_sit_near_the_peak(sc: Any) -> None:
    check(*sc)


def test_pruning_applies_on_the_bench_books() -> None:
    from bench import evaluator_bench as eb

    lim = Limits(min_net_bps=type(eb.FEE.taker)("1"), slippage_bps=type(eb.FEE.taker)("1"))
    kw = {"buy_market": eb.BUY, "sell_market": eb.SELL, "buy_fee": eb.FEE, "sell_fee": eb.FEE, "limits": lim}
    for levels in (5, 20, 50, 400):
        assert check(*eb.books(levels), kw)
