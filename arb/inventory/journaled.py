"""The planner's inputs as a journal holds them, and its plan as the report and ``arb rebalance`` show it.

One path for both readers (:func:`plan_from`): balances = the newest run's latest balance per venue and asset;
target = ``[rebalance] targets``, else the newest run's configured ``execution.paper_balances``, else its
first journaled balances (the starting inventory); networks = the newest ``networks`` event the run's
watcher journaled (none: every move is "unknown"); prices = the newest traded (else detected) buy price per
base, quote = 1; PnL per unit = realised PnL ÷ base bought (per base asset) and ÷ quote spent (per quote
asset) over the journal's trades.

Paper and backtest runs never move anything: "net after rebalancing" treats the plan's transfers as instant,
each costing its network fee — the steady-state economics of the strategy, not a record of transfers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from arb.core.model import ZERO, dec
from arb.inventory.networks import NetworkTable
from arb.inventory.planner import Plan, plan
from arb.inventory.watch import journaled_table

SIMULATED = (
    "transfers are simulated as instant, each costing its network's withdrawal fee (valued at the latest "
    "price); paper and backtest runs never move funds, and arb never withdraws"
)
_Q8 = Decimal("1e-8")
REBALANCE_COLUMNS = [
    "asset",
    "from_venue",
    "to_venue",
    "amount",
    "status",
    "network",
    "fee",
    "received",
    "minimum",
    "fee_quote",
    "arrival_s",
    "flagged",
    "note",
]


@dataclass(frozen=True, slots=True)
class Inputs:
    balances: dict[tuple[str, str], Decimal]
    target: dict[tuple[str, str], Decimal]
    target_source: str
    table: NetworkTable
    networks_source: str
    prices: dict[str, Decimal]
    pnl_per_unit: dict[str, Decimal]


def _symbol_assets(symbol: str) -> tuple[str, str]:
    base, _, rest = str(symbol).partition("/")
    return base, rest.split(":")[0]


def inputs(
    runs: list[dict[str, Any]],
    balance_rows: list[dict[str, Any]],
    events: list[dict[str, Any]],
    trades: list[dict[str, Any]],
    episodes: list[dict[str, Any]],
    *,
    targets: Mapping[str, Mapping[str, Decimal]] | None = None,
    configured: Mapping[tuple[str, str], Decimal] | None = None,
) -> Inputs:
    """Everything :func:`arb.inventory.planner.plan` needs, from journal rows (see the module doc)."""
    from arb.review.report.inventory import _run_of

    run_of = _run_of(runs)
    rows = sorted((b for b in balance_rows if b.get("total") is not None), key=lambda b: b["ts_ms"])
    newest = run_of(rows[-1]["ts_ms"]) if rows else None
    first: dict[tuple[str, str], Decimal] = {}
    last: dict[tuple[str, str], Decimal] = {}
    for b in rows:
        if run_of(b["ts_ms"]) == newest:
            first.setdefault((b["venue"], b["asset"]), dec(b["total"]))
            last[(b["venue"], b["asset"])] = dec(b["total"])
    target = {(v, a): dec(x) for v, assets in (targets or {}).items() for a, x in assets.items()}
    source = "configured [rebalance] targets"
    if not target and configured:
        target, source = dict(configured), "configured execution.paper_balances (the starting inventory)"
    if not target:
        target, source = first, "starting balances of the newest run"
    table = journaled_table(events)
    stamp = max((e["ts_ms"] for e in events if e.get("kind") == "networks"), default=None)
    prices: dict[str, Decimal] = {}
    for e in episodes:
        if e.get("peak_buy_vwap") is not None:
            prices[_symbol_assets(e["symbol"])[0]] = dec(e["peak_buy_vwap"])
    pnl: dict[str, Decimal] = {}
    bought: dict[str, Decimal] = {}
    spent: dict[str, Decimal] = {}
    for t in sorted(trades, key=lambda t: t.get("ts_ms") or 0):
        base, quote = _symbol_assets(t["symbol"])
        prices[quote] = Decimal(1)
        if t.get("buy_vwap") is not None:
            prices[base] = dec(t["buy_vwap"])
        if t.get("pnl") is None or not t.get("buy_amount"):
            continue
        for asset, size in ((base, dec(t["buy_amount"])), (quote, dec(t["buy_amount"]) * dec(t["buy_vwap"] or 0))):
            pnl[asset] = pnl.get(asset, ZERO) + dec(t["pnl"])
            (bought if asset == base else spent)[asset] = (bought if asset == base else spent).get(asset, ZERO) + size
    for e in episodes:
        prices.setdefault(_symbol_assets(e["symbol"])[1], Decimal(1))
    per_unit = {a: pnl[a] / x for book in (bought, spent) for a, x in book.items() if x > 0}
    return Inputs(
        balances=last,
        target=target,
        target_source=source,
        table=table or NetworkTable(),
        networks_source="unknown: no networks journaled (run with read-only API keys)"
        if table is None
        else f"as journaled at {_iso(stamp)}",
        prices=prices,
        pnl_per_unit=per_unit,
    )


def _iso(ms: int | None) -> str:
    import datetime as dt

    return "?" if ms is None else dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def plan_from(i: Inputs, max_fee_share: Decimal = Decimal("0.5")) -> Plan:
    return plan(
        i.balances, i.target, i.table, prices=i.prices, pnl_per_unit=i.pnl_per_unit, max_fee_share=max_fee_share
    )


def table_rows(p: Plan) -> list[dict[str, Any]]:
    """The plan as the report's ``rebalance`` table: a move that cannot be made shows the amount needed."""
    return [
        {
            "asset": t.asset,
            "from_venue": t.source,
            "to_venue": t.dest,
            "amount": t.amount if t.status == "ok" else t.needed.quantize(_Q8, ROUND_DOWN),
            "status": t.status,
            "network": t.network,
            "fee": t.fee,
            "received": t.received if t.status == "ok" else None,
            "minimum": t.minimum,
            "fee_quote": t.fee_quote,
            "arrival_s": t.arrival_s,
            "flagged": t.flagged,
            "note": t.note or t.reason,
        }
        for t in p.transfers
    ]


def frame(p: Plan) -> Any:
    """:func:`table_rows` as a pandas table of Python objects (a missing arrival stays None, never NaN)."""
    import pandas as pd

    return pd.DataFrame(table_rows(p), columns=REBALANCE_COLUMNS, dtype=object)


def net_after(gross: Decimal | None, p: Plan) -> tuple[Decimal | None, str]:
    """Gross PnL net of the plan's transfer fees, and why it is not available when it is not."""
    if gross is None:
        return None, "no PnL"
    if not p.complete:
        bad = [t for t in p.transfers if t.status != "ok"]
        return None, f"{len(bad)} move(s) {'/'.join(sorted({t.status for t in bad}))}: cannot price the rebalance"
    if p.fee_quote is None:
        return None, "a transfer fee has no price"
    return gross - p.fee_quote, SIMULATED
