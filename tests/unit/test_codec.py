"""One codec for the evaluator's inputs: every MarketSpec, Fee, Limits and Balances survives JSON exactly."""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

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
from arb.core.model import Balances, Fee, Limits, MarketSpec

money = st.decimals(
    min_value=Decimal("1e-12"), max_value=Decimal("1e9"), allow_nan=False, allow_infinity=False, places=8
)
maybe = st.none() | money


@given(money, money, maybe, maybe, maybe, maybe)
def test_market_round_trips(step: Decimal, tick: Decimal, a: Decimal | None, b: Decimal | None, c, d) -> None:  # type: ignore[no-untyped-def]
    m = MarketSpec("BTC/USDT", "BTC", "USDT", step, tick, a, b, c, d)
    assert market_from_json(json.loads(json.dumps(market_to_json(m)))) == m


@given(st.decimals(min_value=0, max_value=Decimal("0.1"), places=6), st.sampled_from(["quote", "received"]))
def test_fee_round_trips(rate: Decimal, currency: str) -> None:
    f = Fee(rate, currency, "account")
    assert fee_from_json(json.loads(json.dumps(fee_to_json(f)))) == f
    assert fee_from_json({"taker": "0.001", "currency": "quote"}).source == "recording"  # older documents


@given(money, money, maybe, money, maybe, maybe)
def test_limits_and_balances_round_trip(bps, profit, cap, slip, q, b) -> None:  # type: ignore[no-untyped-def]
    lim = Limits(bps, profit, cap, slip)
    assert limits_from_json(json.loads(json.dumps(limits_to_json(lim)))) == lim
    bal = Balances(q, b)
    assert balances_from_json(json.loads(json.dumps(balances_to_json(bal)))) == bal
