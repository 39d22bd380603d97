"""Journal → pandas tables for the review: episodes, capture, fees, inventory (trades: :mod:`arb.review.report.trades`).

Money stays ``Decimal`` in every table (exports write it exactly); only the statistics and plots
convert to float.

Conventions the report reads from the journal (written by :mod:`arb.trade.trader` / :mod:`arb.trade.executor`,
live, paper and ``arb backtest`` alike):

* An order belongs to an opportunity through ``orders.opportunity_id``; the trader names it
  ``<episode_id>.<evaluation>`` (``:`` also accepted), which links it to its episode.
* ``events`` of kind ``decision`` (``detail`` JSON ``{"verdict", "buy", "sell", "opportunity_id"?, ...}``):
  ``accept`` or a refusal reason, journaled once per change of reason per (symbol, buy, sell). An
  untraded episode's reason is the last decision for its key up to its end, bucketed by
  :data:`REASONS`; an accepted opportunity without fills counts as "latency" (the book moved before
  the IOC orders arrived) or "balance" (refused for funds); an episode without a decision that
  ended on a stale or crossed book counts as "stale book".
* ``events`` of kind ``trade`` (the executor's outcome summary): ``{"opportunity_id",
  "planned_net", ...}``; ``expected_net``/``episode_id``/``expected_buy_vwap``/``expected_sell_vwap``
  are read too when present.
* Trades (PnL per opportunity, venues, slippage) are built in :mod:`arb.review.report.trades` with the
  ledger's own :class:`arb.core.ledger.Position`; failed trades, halts and exposures in
  :mod:`arb.review.report.incidents`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from arb.core.kinds import EventKind, Verdict
from arb.core.model import ZERO
from arb.store import Journal

BELOW = "below threshold after sizing"
BALANCE = "balance"
RISK_HALT = "risk halt"
RISK_LIMIT = "risk limit (notional, exposure, in flight, venue paused)"
STALE = "stale book"
FUNDS = "InsufficientFunds"  # the cause code of an order refused for lack of funds
LATENCY = "latency (book moved before the orders arrived)"
BUSY = "busy (pair in flight or cooling down)"
OPERATOR = "operator (paused or direction disabled through the control API)"
COORDINATOR = "coordinator unreachable (workers share limits through it)"
REASONS: dict[str, str] = {  # the gate's refusal verdicts → capture buckets (halted_* → risk halt)
    Verdict.DEPTH: BELOW,
    Verdict.MIN_BALANCE: BALANCE,
    Verdict.DIRECTION_DISABLED: BALANCE,
    Verdict.NOTIONAL: RISK_LIMIT,
    Verdict.EXPOSURE_ASSET: RISK_LIMIT,
    Verdict.EXPOSURE_VENUE: RISK_LIMIT,
    Verdict.EXPOSURE_UNPRICED: RISK_LIMIT,
    Verdict.IN_FLIGHT: RISK_LIMIT,
    Verdict.VENUE_PAUSED: RISK_LIMIT,
    Verdict.PAIR_IN_FLIGHT: BUSY,
    Verdict.COOLDOWN: BUSY,
    Verdict.CONFIRMING: "not confirmed (execution.confirm_updates)",
    Verdict.PAUSED: OPERATOR,
    Verdict.OPERATOR_DISABLED: OPERATOR,
    Verdict.COORDINATOR: COORDINATOR,
    # words older journals may hold
    "below_threshold": BELOW,
    "balance": BALANCE,
    "stale": STALE,
    "stale_book": STALE,
    "latency": LATENCY,
}
ALERT_ONLY = "not executed (alert-only run)"
NO_DECISION = "no decision recorded"


@dataclass(frozen=True, slots=True)
class Filters:
    since_ms: int | None = None
    symbol: str | None = None
    venue: str | None = None


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _detail(row: dict[str, Any]) -> dict[str, Any]:
    try:
        d = json.loads(row.get("detail") or "")
    except (TypeError, ValueError):
        return {}
    return d if isinstance(d, dict) else {}


def base_quote(symbol: str) -> tuple[str, str]:
    base, _, quote = symbol.partition("/")
    return base, quote.split(":")[0]


def hour(ts_ms: int) -> str:
    return dt.datetime.fromtimestamp(ts_ms // 3_600_000 * 3600, dt.UTC).strftime("%Y-%m-%d %H:00")


@dataclass(slots=True)
class Loaded:
    """Rows read from one journal under the filters (lists of dicts as :class:`Journal` returns them)."""

    runs: list[dict[str, Any]]
    episodes: list[dict[str, Any]]
    orders: list[dict[str, Any]]
    fills: list[dict[str, Any]]
    balances: list[dict[str, Any]]
    events: list[dict[str, Any]]
    exposures: list[dict[str, Any]] = field(default_factory=list)
    halts: list[dict[str, Any]] = field(default_factory=list)


def load(journal: Journal, f: Filters) -> Loaded:
    episodes = journal.episodes(symbol=f.symbol, venue=f.venue, since_ms=f.since_ms)
    orders = [o for o in journal.orders() if f.symbol is None or o["symbol"] == f.symbol]
    balances = [b for b in journal.balances(f.venue) if f.since_ms is None or b["ts_ms"] >= f.since_ms]
    if f.symbol is not None:
        balances = [b for b in balances if b["asset"] in base_quote(f.symbol)]
    events = journal.events(since_ms=f.since_ms)
    return Loaded(
        journal.runs(), episodes, orders, journal.fills(), balances, events, journal.exposures(), journal.halts()
    )


def trade_events(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The executor's outcome summaries by opportunity id."""
    return {
        str(d["opportunity_id"]): d
        for e in events
        if e["kind"] == EventKind.TRADE and (d := _detail(e)).get("opportunity_id")
    }


def bucket(verdict: str) -> str:
    if verdict.startswith("halted"):  # Verdict.HALTED_* (one per halt reason)
        return RISK_HALT
    return REASONS.get(verdict, f"other: {verdict}")


def episode_of(opp_id: str, known: set[str], trade_event: dict[str, Any] | None = None) -> str | None:
    """The episode an opportunity id belongs to (``<episode>.<n>``, ``<episode>:<n>`` or the id itself)."""
    if trade_event and trade_event.get("episode_id"):
        return str(trade_event["episode_id"])
    if opp_id in known:
        return opp_id
    for sep in (".", ":"):
        head = opp_id.rsplit(sep, 1)[0]
        if head in known:
            return head
    return None


def rejection_cause(order: dict[str, Any]) -> str | None:
    """Why the venue refused an order, as a code (the ccxt exception class).

    Read from the ``cause`` column; rows without one (journals written before it existed) kept only
    the reason text, whose first word is then the error class (``"InsufficientFunds: USDT free 5 …"``).
    """
    if order.get("cause"):
        return str(order["cause"])
    head, sep, _ = (order.get("reason") or "").partition(": ")
    return head if sep and head.isidentifier() else None


def _not_traded_reason(
    e: dict[str, Any],
    decided: list[tuple[int, str]],
    accepted: dict[str, list[str]],
    orders: dict[str, list[dict[str, Any]]],
    mode: str | None,
) -> str:
    for opp_id in accepted.get(e["id"], []):  # accepted, sent, nothing filled
        rows = orders.get(opp_id, [])
        if any(rejection_cause(o) == FUNDS for o in rows):
            return BALANCE
        return LATENCY if rows else NO_DECISION
    end = e["end_ms"] or e["last_ms"] or e["start_ms"]
    last = [v for t, v in decided if t <= end]
    if last and last[-1] != Verdict.ACCEPT:
        return bucket(last[-1])
    if e.get("end_reason") in ("stale", "crossed"):
        return STALE
    return ALERT_ONLY if mode in ("alert", "backtest-alert") else NO_DECISION


def capture(ld: Loaded, traded_episodes: set[str]) -> tuple[dict[str, Any], pd.DataFrame]:
    """Capture rate (episodes traded ÷ detected) and why the rest were not traded."""
    known = {e["id"] for e in ld.episodes}
    by_key: dict[tuple[str, str | None, str | None], list[tuple[int, str]]] = defaultdict(list)
    accepted: dict[str, list[str]] = defaultdict(list)
    for ev in ld.events:
        if ev["kind"] != EventKind.DECISION or not (d := _detail(ev)).get("verdict"):
            continue
        by_key[(ev["symbol"], d.get("buy"), d.get("sell"))].append((ev["ts_ms"], str(d["verdict"])))
        if d["verdict"] == "accept" and d.get("opportunity_id"):
            ep = episode_of(str(d["opportunity_id"]), known)
            if ep is not None:
                accepted[ep].append(str(d["opportunity_id"]))
    orders: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for o in ld.orders:
        if o.get("opportunity_id"):
            orders[o["opportunity_id"]].append(o)
    modes = {r["id"]: r["mode"] for r in ld.runs}
    reasons: dict[str, int] = defaultdict(int)
    for e in ld.episodes:
        if e["id"] not in traded_episodes:
            key = (e["symbol"], e["buy_venue"], e["sell_venue"])
            reasons[_not_traded_reason(e, by_key.get(key, []), accepted, orders, modes.get(e["run_id"]))] += 1
    detected = len(ld.episodes)
    traded = sum(1 for e in ld.episodes if e["id"] in traded_episodes)
    table = _frame(
        [{"reason": k, "episodes": v} for k, v in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))],
        ["reason", "episodes"],
    )
    return {"detected": detected, "traded": traded, "rate": traded / detected if detected else None}, table


def fees_by_venue(fills: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for venue, g in fills.groupby("venue", sort=True) if not fills.empty else []:
        rows.append(
            {
                "venue": venue,
                "fills": len(g),
                "notional": sum(g["amount"] * g["price"], ZERO),
                "fees_quote": sum(g["fee_quote"], ZERO),
                "fee_currencies": ",".join(sorted(set(g["fee_currency"]))),
            }
        )
    return _frame(rows, ["venue", "fills", "notional", "fees_quote", "fee_currencies"])


def episode_tables(episodes: list[dict[str, Any]]) -> dict[str, pd.DataFrame]:
    """episodes, per symbol and venue pair, and count per UTC hour."""
    cols = [
        "id",
        "run_id",
        "symbol",
        "buy_venue",
        "sell_venue",
        "start_ms",
        "end_ms",
        "duration_ms",
        "evaluations",
        "peak_net_profit",
        "peak_net_bps",
        "peak_buy_amount",
        "peak_buy_vwap",
        "peak_sell_vwap",
        "end_reason",
    ]
    eps = _frame([{c: e.get(c) for c in cols} for e in episodes], cols)
    pairs: list[dict[str, Any]] = []
    for (sym, b, s), g in eps.groupby(["symbol", "buy_venue", "sell_venue"], sort=True) if not eps.empty else []:
        bps = [float(x) for x in g["peak_net_bps"] if x is not None]
        pairs.append(
            {
                "symbol": sym,
                "buy_venue": b,
                "sell_venue": s,
                "episodes": len(g),
                "mean_peak_bps": sum(bps) / len(bps) if bps else None,
                "max_peak_bps": max(bps, default=None),
                "median_duration_ms": float(pd.Series(g["duration_ms"], dtype=float).median()),
                "sum_peak_net_profit": sum((x for x in g["peak_net_profit"] if x is not None), ZERO),
            }
        )
    by_pair = _frame(
        pairs,
        [
            "symbol",
            "buy_venue",
            "sell_venue",
            "episodes",
            "mean_peak_bps",
            "max_peak_bps",
            "median_duration_ms",
            "sum_peak_net_profit",
        ],
    )
    counts: dict[str, int] = defaultdict(int)
    for e in episodes:
        counts[hour(e["start_ms"])] += 1
    by_hour = _frame([{"hour_utc": h, "episodes": n} for h, n in sorted(counts.items())], ["hour_utc", "episodes"])
    return {"episodes": eps, "episodes_by_pair": by_pair, "episodes_by_hour": by_hour}
