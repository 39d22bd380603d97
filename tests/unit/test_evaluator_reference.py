"""The optimised evaluator equals the evaluator before the speed work on random books, fees, specs and limits.

``tests/refeval`` holds that evaluator verbatim. Equal means the same :class:`Opportunity` (every amount, price,
fee and profit, as Decimals with the same digits), the same levels read (``meta``: they decide what an episode
snapshot stores) and the same reason code when nothing qualifies — on the brute-force oracle's scenarios and on
deep float books like the venues' (and the bench's).
"""

from __future__ import annotations

import random
from decimal import Decimal as D
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arb.core.errors import ArbError
from arb.core.evaluator import evaluate
from arb.core.model import Balances, Fee, Limits, MarketSpec
from tests.refeval.evaluator import evaluate as reference
from tests.unit.test_evaluator import scenario_books, scenarios


def both(buy_book: Any, sell_book: Any, **kw: Any) -> None:
    outs = []
    for f in (evaluate, reference):
        why: list[str] = []
        try:
            opp = f(buy_book, sell_book, why=why, **kw)
        except ArbError as e:
            outs.append(("error", type(e).__name__, str(e)))
            continue
        meta = None if opp is None else {k: opp.meta[k] for k in ("buy_levels_loaded", "sell_levels_loaded")}
        outs.append((opp, meta, why))
    assert outs[0] == outs[1]
    if outs[0][0] not in ("error", None):
        opp, ref = outs[0][0], outs[1][0]
        assert [str(getattr(opp, f)) for f in ("cost", "net_profit", "net_bps", "fees_quote", "dust")] == [
            str(getattr(ref, f)) for f in ("cost", "net_profit", "net_bps", "fees_quote", "dust")
        ]
        assert str(opp.buy) == str(ref.buy) and str(opp.sell) == str(ref.sell)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_equals_the_reference_on_the_oracle_scenarios(sc: Any) -> None:
    buy_book, sell_book, kw = scenario_books(sc)
    both(buy_book, sell_book, **kw)


@st.composite
def deep_books(draw: Any) -> tuple[Any, ...]:
    """Float books of up to 60 levels around a BTC-like mid, lots and ticks of real venues."""
    r = random.Random(draw(st.integers(0, 2**32)))
    levels = draw(st.integers(1, 60))
    tick_b, tick_s = D(draw(st.sampled_from(["0.1", "0.01", "1"]))), D(draw(st.sampled_from(["0.1", "0.01"])))
    lot_b, lot_s = (
        D(draw(st.sampled_from(["0.00000001", "0.00001", "0.001"]))),
        D(draw(st.sampled_from(["0.00001", "0.0001"]))),
    )
    mid = 65000.0
    edge = draw(st.integers(-5, 80)) / 10_000
    step = draw(st.integers(1, 10)) / 100_000
    asks = [[round(mid * (1 + i * step), 1), round(r.uniform(0.001, 0.5), 5)] for i in range(levels)]
    bids = [[round(mid * (1 + edge - i * step), 2), round(r.uniform(0.001, 0.5), 5)] for i in range(levels)]
    buy = {"bids": [[round(mid * 0.999, 1), 1.0]], "asks": asks}
    sell = {"bids": bids, "asks": [[round(mid * (1 + edge) * 1.001, 2), 1.0]]}
    bm = MarketSpec("BTC/USDT", "BTC", "USDT", lot_b, tick_b, D("0.00001"), None, D(draw(st.sampled_from(["1", "5"]))))
    sm = MarketSpec("BTC/USDT", "BTC", "USDT", lot_s, tick_s, D("0.00001"), None, D("5"))
    rate = st.sampled_from(["0", "0.0005", "0.001", "0.002"])
    bf = Fee(D(draw(rate)), draw(st.sampled_from(["received", "quote"])))
    sf = Fee(D(draw(rate)), "received")
    lim = Limits(
        min_net_bps=D(draw(st.sampled_from(["0", "1", "5"]))),
        min_net_profit=D(draw(st.sampled_from(["0", "0.5"]))),
        max_notional=draw(st.one_of(st.none(), st.sampled_from([D("1000"), D("20000")]))),
        slippage_bps=D(draw(st.sampled_from(["0", "1", "3"]))),
    )
    bal = Balances(
        quote_on_buy=draw(st.one_of(st.none(), st.sampled_from([D("500"), D("50000")]))),
        base_on_sell=draw(st.one_of(st.none(), st.sampled_from([D("0.01"), D("2")]))),
    )
    return buy, sell, bm, sm, bf, sf, lim, bal


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deep_books())
def test_equals_the_reference_on_deep_float_books(sc: Any) -> None:
    buy, sell, bm, sm, bf, sf, lim, bal = sc
    both(buy, sell, buy_market=bm, sell_market=sm, buy_fee=bf, sell_fee=sf, limits=lim, balances=bal)
