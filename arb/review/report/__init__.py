"""``arb report``: look back at what the scanner saw and what the executor did.

:func:`build` reads one journal (read-only) into a :class:`Report`: named pandas tables (money as
``Decimal``) and a JSON-able ``summary``. :mod:`arb.review.report.render` prints it with rich, writes a
self-contained HTML page (plots from :mod:`arb.review.report.plots` embedded as base64 PNG) and exports the
tables as CSV or Parquet.

Definitions (also in the README "Review" section):

* PnL series = realised PnL per opportunity (quote) from the journal's fills with the ledger's
  :class:`arb.core.ledger.Position`, the run's own math (:mod:`arb.review.report.trades`); daily PnL = sum per
  UTC day, idle days 0, over the reviewed span (first run start, or ``--since``, to the last run end
  / last trade).
* Capital = ``--capital`` if given, else the sum of the starting balances of the quote currencies
  traded (first journaled balance per venue), else the run's configured quote ``paper_balances``,
  else the configured total notional ``scanner.max_notional`` × venues; the source is printed.
* Sharpe = mean(daily PnL / capital) / std(daily PnL / capital, sample) × sqrt(365); fewer than 2
  days → "n/a". Max drawdown on the cumulative PnL curve (quote and % of capital), its duration
  from the peak to recovery or to the end of the span. Win rate = opportunities with PnL > 0 ÷
  opportunities traded.
* Executed / ok / failed = the executor's trade events (the counts of the run's outcome line);
  failed trades with why, halts with reason and times, exposures: :mod:`arb.review.report.incidents`.
* A journal without fills (alert-only) still gets episodes, capture and distributions; the
  summary says PnL is not available.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from arb.core.model import ZERO
from arb.inventory import journaled
from arb.review.report import data, incidents, inventory, stats
from arb.review.report import trades as trade_tables
from arb.review.report.data import Filters
from arb.store import Journal
from arb.store.schema import APPLICATION_ID

__all__ = ["Filters", "Report", "build", "open_journal"]

SHARPE_DEFINITION = "mean(daily PnL / capital) / std(daily PnL / capital, ddof=1) × sqrt(365), UTC days"


@dataclass(slots=True)
class Report:
    """Everything ``arb report`` shows: tables by name and a summary document."""

    tables: dict[str, pd.DataFrame]
    summary: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def has_pnl(self) -> bool:
        return bool(self.summary["pnl"]["available"])


def open_journal(path: str) -> Journal:
    """Open a journal read-only; a missing, corrupt or newer-schema file raises StoreError (one line).

    A journal of an older schema is migrated first (forward-only, as any run would on open; v1 → v2
    re-keys fills per order). Fills an older arb already dropped cannot come back: the report then
    counts those orders with their order totals and says so.
    """
    if _needs_migration(Path(path)):
        Journal.open(path, create=False).close()
    return Journal.open(path, create=False, readonly=True)


def _needs_migration(path: Path) -> bool:
    import arb.store

    if not path.is_file():  # a Postgres URL too: opened read-only, it says if it must be migrated first
        return False
    try:
        with contextlib.closing(sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)) as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    except sqlite3.Error:
        return False  # the read-only open below says what is wrong, in one line
    return app_id == APPLICATION_ID and 0 < version < len(arb.store.MIGRATIONS)


def _s(x: Decimal | None) -> str | None:
    return None if x is None else str(x)


def _span(ld: data.Loaded, trades: pd.DataFrame, f: Filters) -> tuple[int | None, int | None]:
    starts = [r["started_ms"] for r in ld.runs] + [e["start_ms"] for e in ld.episodes]
    ends = [r["ended_ms"] or r["started_ms"] for r in ld.runs] + [e["end_ms"] or e["start_ms"] for e in ld.episodes]
    if not trades.empty:
        starts.append(int(trades["ts_ms"].min()))
        ends.append(int(trades["ts_ms"].max()))
    start = min(starts) if starts else None
    if f.since_ms is not None:
        start = f.since_ms if start is None else max(start, f.since_ms)
    return start, max(ends) if ends else None


def build(
    journal: Journal,
    filters: Filters | None = None,
    *,
    capital: Decimal | None = None,
    target: dict[tuple[str, str], Decimal] | None = None,
) -> Report:
    """Read the journal under ``filters`` and compute every table and statistic of the review."""
    f = filters or Filters()
    ld = data.load(journal, f)
    tables = data.episode_tables(ld.episodes)
    tt = trade_tables.trades(ld, f)
    trades, fills = tt.trades, tt.fills
    tables["trades"], tables["fills"] = trades, fills
    execution, tables["failed_trades"] = incidents.executed(ld, f)
    tables["halts"] = incidents.halts(ld, f)
    exposure_doc, tables["exposures"] = incidents.exposures(ld, f)
    traded = {e for e in trades["episode_id"] if e} if not trades.empty else set()
    cap_doc, tables["capture_reasons"] = data.capture(ld, traded)
    tables["fees_by_venue"] = data.fees_by_venue(fills)
    inv = inventory.inventory(ld)
    tables["inventory"], tables["inventory_latest"] = inv, inventory.inventory_latest(inv)
    # the rebalancing planner (arb.inventory): the same plan `arb rebalance` shows, over the journaled networks
    moves = journaled.inputs(
        ld.runs,
        ld.balances,
        ld.events,
        trades.to_dict("records") if not trades.empty else [],
        ld.episodes,
        configured=target or inventory.configured_target(ld.runs),
    )
    plan = journaled.plan_from(moves)
    tables["rebalance"] = journaled.frame(plan)
    start, end = _span(ld, trades, f)
    ts = [int(t) for t in trades["ts_ms"]] if not trades.empty else []
    pnl = list(trades["pnl"]) if not trades.empty else []
    quotes = {data.base_quote(s)[1] for s in {*(e["symbol"] for e in ld.episodes), *(o["symbol"] for o in ld.orders)}}
    cap, cap_source = capital, "--capital"
    if cap is None:
        cap, cap_source = (
            inventory.capital(inv, quotes),
            f"sum of starting {'/'.join(sorted(quotes)) or 'quote'} balances",
        )
    if cap is None:
        venues = {v for e in ld.episodes for v in (e["buy_venue"], e["sell_venue"])} | {o["venue"] for o in ld.orders}
        cap, cap_source = inventory.configured_capital(ld.runs, quotes, venues)
    cap_f = float(cap) if cap else None
    daily = stats.daily_pnl(ts, pnl, start, end) if ts else pd.Series([], dtype=object)
    tables["daily_pnl"] = pd.DataFrame({"day": [str(d) for d in daily.index], "pnl": list(daily)})
    cum = []
    running = ZERO
    for p in pnl:
        running += p
        cum.append(running)
    tables["pnl_curve"] = pd.DataFrame(
        {"ts_ms": ts, "opportunity_id": list(trades["opportunity_id"]) if ts else [], "pnl": pnl, "cum_pnl": cum}
    )
    dd = stats.max_drawdown(ts, pnl, cap_f, start, end)
    sharpe = stats.sharpe(list(daily), cap_f) if ts else None
    slip = [x for x in trades["slippage_quote"] if x is not None] if ts else []
    notes: list[str] = list(tt.notes)
    net_after, net_note = journaled.net_after(sum(pnl, ZERO) if ts else None, plan)
    if not ts:
        notes.append("PnL is not available: the journal has no fills (alert-only or nothing traded)")
    if not ld.episodes and not ts:
        notes.append("the journal has no episodes under these filters")
    summary: dict[str, Any] = {
        "journal": str(journal.path),
        "filters": {"since_ms": f.since_ms, "symbol": f.symbol, "venue": f.venue},
        "runs": [
            {
                "id": r["id"],
                "mode": r["mode"],
                "started_ms": r["started_ms"],
                "ended_ms": r["ended_ms"],
                "status": r["status"],
            }
            for r in ld.runs
        ],
        "span": {"start_ms": start, "end_ms": end},
        "episodes": {
            "detected": len(ld.episodes),
            "net_bps": stats.describe([float(e["peak_net_bps"]) for e in ld.episodes if e["peak_net_bps"] is not None]),
            "duration_ms": stats.describe([float(e["duration_ms"] or 0) for e in ld.episodes]),
        },
        "capture": cap_doc
        | {
            "not_traded": dict(
                zip(tables["capture_reasons"]["reason"], map(int, tables["capture_reasons"]["episodes"]), strict=True)
            )
        },
        "pnl": {
            "available": bool(ts),
            "trades": len(ts),
            "total": _s(sum(pnl, ZERO)) if ts else None,
            "by_run": {str(k): str(sum(g["pnl"], ZERO)) for k, g in trades.groupby("run_id", sort=False)} if ts else {},
            "daily": {str(d): str(v) for d, v in daily.items()},
            "days": len(daily),
            "mean_daily": _s(sum(daily, ZERO) / len(daily)) if len(daily) else None,
            "capital": _s(cap),
            "capital_source": cap_source,
            "sharpe": sharpe,
            "sharpe_definition": SHARPE_DEFINITION,
            "max_drawdown": dd.as_dict() if ts else None,
            "win_rate": stats.win_rate(pnl),
            "fees_quote": _s(sum(trades["fees_quote"], ZERO)) if ts else None,
            "slippage_quote_mean": _s(sum(slip, ZERO) / len(slip)) if slip else None,
            "net_after_rebalancing": _s(net_after),
            "net_after_rebalancing_note": net_note,
        },
        "execution": execution | {"halts": len(tables["halts"]), "exposures": exposure_doc},
        "rebalance": {
            "target": moves.target_source,
            "networks": moves.networks_source,
            "complete": plan.complete,
            "fee_quote": _s(plan.fee_quote),
            "simulated": journaled.SIMULATED,
            "transfers": [
                {k: str(v) if isinstance(v, Decimal) else v for k, v in r.items()}
                for r in tables["rebalance"].to_dict("records")
            ],
        },
    }
    return Report(tables, summary, notes)
