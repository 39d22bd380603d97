"""Summary statistics of a PnL series: daily PnL, Sharpe ratio, maximum drawdown, win rate.

Pure functions of their inputs (no journal, no clock). Definitions, pinned (README "Review"):

* **PnL series**: realised PnL per opportunity, in quote, from the journal's fills (see
  :func:`arb.review.report.data.trades`), each stamped with its last fill's time.
* **Daily PnL**: the sum per UTC calendar day, over every day from the first to the last day of
  the reviewed span; a day without trades counts as 0.
* **Sharpe ratio**: ``mean(r) / std(r) × sqrt(365)`` with ``r`` = daily PnL ÷ capital and ``std``
  the sample standard deviation (``ddof=1``). 365 because crypto trades every day. ``None``
  ("n/a") with fewer than 2 days, no capital, or ``std = 0``.
* **Maximum drawdown**: on the cumulative PnL curve, which starts at 0 at the start of the span:
  the largest fall from a running peak to a later trough, in quote and as % of capital. Its
  duration runs from the peak to the first point back at or above the peak (recovery), or to the
  end of the span if it never recovers.
* **Win rate**: opportunities with PnL > 0 ÷ opportunities traded.

Floats are fine here: these are statistics, never stored as money.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

DAYS_PER_YEAR = 365


def utc_day(ts_ms: int) -> dt.date:
    return dt.datetime.fromtimestamp(ts_ms / 1000, dt.UTC).date()


def daily_pnl(
    ts_ms: Sequence[int], pnl: Sequence[Any], start_ms: int | None = None, end_ms: int | None = None
) -> pd.Series:
    """PnL summed per UTC day, every day from the first to the last (zero-filled), indexed by date.

    ``pnl`` may hold Decimals (the sum stays exact) or floats. ``start_ms``/``end_ms`` widen the
    span to include idle days of the reviewed runs.
    """
    points = [*ts_ms, *(t for t in (start_ms, end_ms) if t is not None)]
    if not points:
        return pd.Series([], dtype=object, name="pnl")
    first, last = utc_day(min(points)), utc_day(max(points))
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    sums: dict[dt.date, Any] = {d: 0 for d in days}
    for t, p in zip(ts_ms, pnl, strict=True):
        sums[utc_day(t)] = sums[utc_day(t)] + p
    return pd.Series([sums[d] for d in days], index=pd.Index(days, name="day"), dtype=object, name="pnl")


def sharpe(daily: Sequence[Any], capital: float | None) -> float | None:
    """``mean(r)/std(r)·sqrt(365)``, ``r`` = daily PnL / capital, sample std; None if undefined."""
    if capital is None or capital <= 0 or len(daily) < 2:
        return None
    cap = Decimal(str(capital))
    r = [Decimal(str(x)) / cap for x in daily]  # exact, so "no variance" is exactly zero
    mean = sum(r, Decimal(0)) / len(r)
    var = sum(((x - mean) ** 2 for x in r), Decimal(0)) / (len(r) - 1)
    if var <= 0:
        return None
    return float(mean) / math.sqrt(float(var)) * math.sqrt(DAYS_PER_YEAR)


@dataclass(frozen=True, slots=True)
class Drawdown:
    """The largest peak-to-trough fall of the cumulative PnL curve."""

    abs_quote: float  # peak − trough, ≥ 0
    pct_of_capital: float | None  # abs / capital × 100
    peak_ms: int | None
    trough_ms: int | None
    end_ms: int | None  # recovery time, or the end of the span if not recovered
    recovered: bool
    duration_ms: int  # end_ms − peak_ms (0 when there is no drawdown)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def max_drawdown(
    ts_ms: Sequence[int],
    pnl: Sequence[Any],
    capital: float | None = None,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> Drawdown:
    """Maximum drawdown of the curve ``0 → cumsum(pnl)`` (points in time order).

    The curve starts at 0 at ``start_ms`` (default: the first point's time); ``end_ms`` (default:
    the last point's time) closes an unrecovered drawdown. Ties go to the earliest drawdown.
    """
    if not ts_ms:
        return Drawdown(0.0, 0.0 if capital else None, None, None, None, True, 0)
    t0 = start_ms if start_ms is not None else ts_ms[0]
    times = [t0, *ts_ms]
    cum = [0.0]
    for p in pnl:
        cum.append(cum[-1] + float(p))
    end = max(end_ms if end_ms is not None else times[-1], times[-1])
    best, peak_i, best_peak_i, best_trough_i = 0.0, 0, None, None
    for i, c in enumerate(cum):
        if c > cum[peak_i]:
            peak_i = i
        dd = cum[peak_i] - c
        if dd > best + 1e-12:
            best, best_peak_i, best_trough_i = dd, peak_i, i
    if best_peak_i is None or best_trough_i is None:
        return Drawdown(0.0, 0.0 if capital else None, None, None, None, True, 0)
    peak_value = cum[best_peak_i]
    recovery = next((i for i in range(best_trough_i + 1, len(cum)) if cum[i] >= peak_value - 1e-12), None)
    stop = times[recovery] if recovery is not None else end
    return Drawdown(
        abs_quote=best,
        pct_of_capital=best / capital * 100 if capital else None,
        peak_ms=times[best_peak_i],
        trough_ms=times[best_trough_i],
        end_ms=stop,
        recovered=recovery is not None,
        duration_ms=stop - times[best_peak_i],
    )


def win_rate(pnl: Sequence[Any]) -> float | None:
    """Share of opportunities with PnL > 0 (None when nothing was traded)."""
    return sum(1 for p in pnl if p > 0) / len(pnl) if len(pnl) else None


def describe(values: Sequence[float]) -> dict[str, float | int | None]:
    """count, mean, p10, median, p90 and max of a distribution (None when empty)."""
    s = pd.Series([float(v) for v in values], dtype=float)
    if s.empty:
        return {"count": 0, "mean": None, "p10": None, "median": None, "p90": None, "max": None}
    return {
        "count": int(s.count()),
        "mean": float(s.mean()),
        "p10": float(s.quantile(0.1)),
        "median": float(s.median()),
        "p90": float(s.quantile(0.9)),
        "max": float(s.max()),
    }
