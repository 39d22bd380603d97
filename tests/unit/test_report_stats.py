"""Summary statistics against numbers worked out by hand."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest

from arb.review.report import stats

DAY = 86_400_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def test_daily_pnl_sums_per_utc_day_and_fills_idle_days_with_zero() -> None:
    ts = [T0 + 1, T0 + DAY - 1, T0 + 2 * DAY + 5]  # two trades on Jan 1 (the second at 23:59:59.999), one on Jan 3
    daily = stats.daily_pnl(ts, [Decimal("1.5"), Decimal("-0.5"), Decimal("2")], end_ms=T0 + 3 * DAY)
    assert list(daily.index) == [dt.date(2026, 1, d) for d in (1, 2, 3, 4)]
    assert list(daily) == [Decimal("1.0"), 0, Decimal("2"), 0]


def test_sharpe_is_mean_over_sample_std_of_daily_returns_times_sqrt_365() -> None:
    # returns 0.001, 0.003, -0.001: mean 0.001, deviations 0, 0.002, -0.002 -> sample var 4e-6 -> std 0.002
    assert stats.sharpe([10, 30, -10], 10_000) == pytest.approx(0.5 * math.sqrt(365))


@pytest.mark.parametrize(("daily", "capital"), [([5], 1000), ([], 1000), ([1, 2], None), ([3, 3, 3], 1000)])
def test_sharpe_is_undefined_with_one_day_no_capital_or_no_variance(daily: list[float], capital: float | None) -> None:
    assert stats.sharpe(daily, capital) is None


def test_max_drawdown_peak_trough_recovery_and_duration() -> None:
    # curve 0 → 5 → 2 → 4 → 1 → 6: peak 5 at t=1, trough 1 at t=4 (4 below), recovered at t=5
    dd = stats.max_drawdown([1, 2, 3, 4, 5], [5, -3, 2, -3, 5], capital=200, start_ms=0)
    assert (dd.abs_quote, dd.peak_ms, dd.trough_ms, dd.end_ms, dd.recovered) == (4.0, 1, 4, 5, True)
    assert dd.duration_ms == 4 and dd.pct_of_capital == pytest.approx(2.0)


def test_max_drawdown_not_recovered_runs_to_the_end_of_the_span() -> None:
    dd = stats.max_drawdown([10, 20], [3, -5], capital=None, start_ms=0, end_ms=100)
    assert (dd.abs_quote, dd.peak_ms, dd.trough_ms, dd.end_ms, dd.recovered, dd.duration_ms) == (
        5.0,
        10,
        20,
        100,
        False,
        90,
    )
    assert dd.pct_of_capital is None


def test_drawdown_from_the_start_counts_a_first_loss() -> None:
    dd = stats.max_drawdown([10], [-2], capital=1000, start_ms=0, end_ms=50)
    assert (dd.abs_quote, dd.peak_ms, dd.end_ms, dd.recovered) == (2.0, 0, 50, False)


def test_no_drawdown_when_pnl_only_rises() -> None:
    dd = stats.max_drawdown([1, 2], [1, 1], capital=100)
    assert (dd.abs_quote, dd.duration_ms, dd.peak_ms) == (0.0, 0, None)


def test_equal_drawdowns_report_the_first() -> None:
    dd = stats.max_drawdown([1, 2, 3, 4], [2, -2, 2, -2], start_ms=0)
    assert (dd.peak_ms, dd.trough_ms, dd.end_ms) == (1, 2, 3)


def test_win_rate_counts_strictly_positive_trades() -> None:
    assert stats.win_rate([Decimal(1), Decimal(0), Decimal(-1), Decimal(2)]) == 0.5
    assert stats.win_rate([]) is None


def test_describe_empty_and_values() -> None:
    assert stats.describe([])["mean"] is None
    d = stats.describe([1.0, 2.0, 3.0, 4.0])
    assert (d["count"], d["mean"], d["median"], d["max"]) == (4, 2.5, 2.5, 4.0)
