"""Balances over time: inventory per venue and asset, the configured target, and the capital the report measures
returns against. The rebalance that restores the target is the planner's (:mod:`arb.inventory.journaled`)."""

from __future__ import annotations

import bisect
import itertools
import json
import math
from decimal import Decimal
from typing import Any

import pandas as pd

from arb.core.model import ZERO, dec
from arb.review.report.data import Loaded, _frame

INVENTORY_COLUMNS = ["ts_ms", "run_id", "venue", "asset", "total", "source"]


def _run_of(runs: list[dict[str, Any]]) -> Any:
    """ts → the run a balance row belongs to (rows carry no run id): the first run, by start, that had not
    ended by then. A run journals its starting balances just before its run row, so a row between two runs
    is the next run's; a run that never ended (a crash) ends where the next one starts."""
    runs = sorted(runs, key=lambda r: (r["started_ms"], r["id"]))
    ends = [
        r["ended_ms"] if r["ended_ms"] is not None else (runs[i + 1]["started_ms"] - 1 if i + 1 < len(runs) else None)
        for i, r in enumerate(runs)
    ]
    bounds = list(itertools.accumulate((math.inf if e is None else e for e in ends), max))

    def of(ts_ms: int) -> Any:
        i = bisect.bisect_left(bounds, ts_ms)
        return runs[min(i, len(runs) - 1)]["id"] if runs else None

    return of


def inventory(ld: Loaded) -> pd.DataFrame:
    """Every journaled balance row (start, after each settled opportunity, refreshes, stop), oldest first,
    with the run it belongs to (:func:`_run_of`)."""
    run_of = _run_of(ld.runs)
    rows = [
        {
            "ts_ms": b["ts_ms"],
            "run_id": run_of(b["ts_ms"]),
            "venue": b["venue"],
            "asset": b["asset"],
            "total": b["total"],
            "source": b.get("source"),
        }
        for b in ld.balances
        if b["total"] is not None
    ]
    rows.sort(key=lambda r: r["ts_ms"])
    return _frame(rows, INVENTORY_COLUMNS)


def _newest_run(inv: pd.DataFrame) -> pd.DataFrame:
    """The rows of the run that journaled the latest balance: the inventory as it stands now. An older run's
    venues are not carried over (a paper run restarts from its configured balances)."""
    if inv.empty:
        return inv
    newest = inv["run_id"].iloc[-1]
    return inv[inv["run_id"] == newest] if newest is not None else inv


def inventory_latest(inv: pd.DataFrame) -> pd.DataFrame:
    """The latest balance per venue and asset, from the newest run's rows."""
    cur = _newest_run(inv)
    if cur.empty:
        return cur
    return (
        cur.sort_values("ts_ms", kind="stable")
        .groupby(["venue", "asset"], sort=True)
        .tail(1)
        .sort_values(["venue", "asset"], kind="stable")
        .reset_index(drop=True)
    )


def _first_last(inv: pd.DataFrame) -> tuple[dict[tuple[str, str], Decimal], dict[tuple[str, str], Decimal]]:
    first: dict[tuple[str, str], Decimal] = {}
    last: dict[tuple[str, str], Decimal] = {}
    for r in inv.sort_values("ts_ms", kind="stable").itertuples() if not inv.empty else []:
        first.setdefault((r.venue, r.asset), r.total)
        last[(r.venue, r.asset)] = r.total
    return first, last


def run_configs(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each run's stored config (newest first), a backtest's settings unwrapped to the same layout."""
    out: list[dict[str, Any]] = []
    for run in reversed(runs):
        try:
            cfg = json.loads(run.get("config_json") or "{}")
        except ValueError:
            continue
        if isinstance(cfg, dict):
            backtest: Any = cfg.get("backtest")
            out.append(backtest if isinstance(backtest, dict) else cfg)
    return out


def configured_target(runs: list[dict[str, Any]]) -> dict[tuple[str, str], Decimal]:
    """``execution.paper_balances`` of the newest run that has one (venue → asset → amount)."""
    for cfg in run_configs(runs):
        bal = (cfg.get("execution") or {}).get("paper_balances")
        if isinstance(bal, dict) and bal:
            return {(v, a): dec(x) for v, assets in bal.items() for a, x in assets.items()}
    return {}


def configured_capital(runs: list[dict[str, Any]], quotes: set[str], venues: set[str]) -> tuple[Decimal | None, str]:
    """Capital from the newest run's config: the configured quote paper balances, else the configured
    total notional ``scanner.max_notional`` × number of venues (enough to trade either direction)."""
    target = configured_target(runs)
    got = [x for (_, a), x in target.items() if a in quotes]
    if got:
        return sum(got, ZERO), f"sum of configured {'/'.join(sorted(quotes))} paper_balances"
    for cfg in run_configs(runs):
        notional = (cfg.get("scanner") or {}).get("max_notional")
        n = len((cfg.get("scanner") or {}).get("venues") or []) or len(venues)
        if notional is not None and n:
            return dec(notional) * n, f"configured total notional: scanner.max_notional × {n} venues"
    return None, "unknown (pass --capital)"


def capital(inv: pd.DataFrame, quotes: set[str]) -> Decimal | None:
    """Sum of the starting balances of the quote currencies traded (the Sharpe/drawdown denominator)."""
    first, _ = _first_last(inv)
    got = [x for (_, a), x in first.items() if a in quotes]
    return sum(got, ZERO) if got else None
