"""Pure parts of the API, as properties: PnL per day and the curve are exact Decimal sums of the journal's
trades; the latency histogram is cumulative and counts every order once."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from arb.api.metrics import LATENCY_BUCKETS_S, latency_histogram
from arb.api.views import pnl
from arb.trade.controls import Controls, parse_direction

DAY_MS = 86_400_000
pnls = st.decimals(min_value=Decimal("-1000"), max_value=Decimal("1000"), places=8, allow_nan=False)
trades = st.lists(st.tuples(st.integers(min_value=1_700_000_000_000, max_value=1_700_000_000_000 + 5 * DAY_MS), pnls))


@given(trades)
def test_pnl_days_and_curve_are_exact_sums(items: list[tuple[int, Decimal]]) -> None:
    items.sort()
    rows = [{"ts_ms": t, "detail": {"pnl_quote": str(p)}} for t, p in reversed(items)]  # newest first
    doc = pnl(SimpleNamespace(trader=None), rows)  # type: ignore[arg-type]
    total = sum((p for _t, p in items), Decimal(0))
    assert sum((Decimal(d["realised"]) for d in doc["days"]), Decimal(0)) == total
    assert sum(d["trades"] for d in doc["days"]) == len(items)
    assert [d["day"] for d in doc["days"]] == sorted(d["day"] for d in doc["days"])
    if items:
        assert Decimal(doc["curve"][-1]["cumulative"]) == total
        assert [c["ts_ms"] for c in doc["curve"]] == sorted(c["ts_ms"] for c in doc["curve"])
    assert len(doc["curve"]) <= 500


def test_pnl_curve_is_thinned_to_500_points_ending_at_the_total() -> None:
    rows = [{"ts_ms": 1_700_000_000_000 + i, "detail": {"pnl_quote": "0.01"}} for i in range(1234)][::-1]
    doc = pnl(SimpleNamespace(trader=None), rows)  # type: ignore[arg-type]
    assert 400 <= len(doc["curve"]) <= 500 and doc["curve"][-1]["cumulative"] == "12.34"


@given(st.lists(st.floats(min_value=0, max_value=100, allow_nan=False)))
def test_latency_histogram_is_cumulative_and_complete(values: list[float]) -> None:
    buckets, total = latency_histogram(values)
    counts = [c for _le, c in buckets]
    assert counts == sorted(counts) and counts[-1] == len(values) and buckets[-1][0] == "+Inf"
    assert len(buckets) == len(LATENCY_BUCKETS_S) + 1
    for (le, c), bound in zip(buckets, LATENCY_BUCKETS_S, strict=False):
        assert c == sum(v <= bound for v in values) and float(le) == bound
    assert abs(total - sum(values)) <= 1e-9 * max(1.0, total)


def test_controls_pause_blocks_everything_and_directions_one_way() -> None:
    c = Controls()
    key = parse_direction("BTC/USDT/okx/binance")
    assert key == ("BTC/USDT", "okx", "binance") and c.blocks(key) is None
    assert c.disable(key, "ops", 1) and not c.disable(key, "ops", 2)
    assert c.blocks(key) == "operator_disabled" and c.blocks(("BTC/USDT", "binance", "okx")) is None
    assert c.pause("ops", 3, "deploy") and not c.pause("bob", 4)
    assert c.blocks(("ETH/USDT", "okx", "bybit")) == "paused" and c.paused is not None and c.paused.who == "ops"
    assert c.resume() and not c.resume() and c.enable(key) and c.blocks(key) is None
    for bad in ("BTC/USDT/okx", "BTC/USDT/okx/okx", "BTC//okx/binance", ""):
        try:
            parse_direction(bad)
        except ValueError as e:
            assert "SYMBOL/BUY_VENUE/SELL_VENUE" in str(e)
        else:
            raise AssertionError(bad)
