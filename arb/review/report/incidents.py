"""What went wrong, from the journal: failed trades and why, halts with reason and times, exposures.

* **Executed** opportunities are the executor's ``trade`` events (one per opportunity sent): ``ok``
  when both legs filled completely and nothing was left exposed, else failed. These are the counts
  the run's outcome line prints ("trades ok N, failed M").
* **Failed trades**: each failed ``trade`` event with its opportunity's own venues, realised PnL
  (hedges included), the base left exposed and why: every main leg that did not fill completely
  (state, filled/amount, the venue's reason), every hedge or retry leg (named by the order's ``leg``
  when journaled), and the executor's notes.
* **Halts**: the journal's ``halts`` table, plus the ``halt`` events ("trading halted: <reason>:
  <detail>") of reasons a run did not journal there (older journals; the kill switch, whose file is its
  state), each ended by the run's next ``resume`` event for that reason ("halt lifted: <reason>") or
  by the end of the run.
* **Exposures**: every row of the ``exposures`` table, open or flattened.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd

from arb.core.kinds import EventKind
from arb.core.model import ZERO, dec
from arb.review.report.data import Filters, Loaded, _detail, base_quote
from arb.review.report.trades import venues_of

FAILED_COLUMNS = ["opportunity_id", "symbol", "buy_venue", "sell_venue", "ts_ms", "pnl", "exposure", "why"]
# most telling first: a narrow terminal drops columns from the right
HALT_COLUMNS = ["reason", "start_ms", "end_ms", "ended_by", "detail", "run_id"]
EXPOSURE_COLUMNS = [
    "id",
    "symbol",
    "venue",
    "base_delta",
    "state",
    "updated_ms",
    "opportunity_id",
    "detail",
    "created_ms",
]
HALTED, LIFTED = "trading halted: ", "halt lifted: "


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """Object columns: times stay integers (or None), money stays Decimal, in every export."""
    return pd.DataFrame(rows, columns=columns, dtype=object)


def _keep(f: Filters, symbol: str | None, venues: tuple[str | None, ...], ts_ms: int | None) -> bool:
    return (
        (f.symbol is None or symbol == f.symbol)
        and (f.venue is None or f.venue in venues)
        and (f.since_ms is None or ts_ms is None or ts_ms >= f.since_ms)
    )


def _same(a: Any, b: Any) -> bool:
    try:
        return a is not None and b is not None and dec(a) == dec(b)
    except (TypeError, ValueError, ArithmeticError):
        return False


def _why(ev: dict[str, Any], roles: dict[str, str]) -> str:
    parts = []
    for i, leg in enumerate(x for x in ev.get("legs") or [] if isinstance(x, dict)):
        role = ("buy", "sell")[i] if i < 2 else roles.get(str(leg.get("client_id")), "hedge/retry")
        complete = leg.get("state") == "closed" and _same(leg.get("filled"), leg.get("amount"))
        if i < 2 and complete:
            continue
        name = role if role == leg.get("side") else f"{role} {leg.get('side')}"
        text = f"{name} {leg.get('venue')} {leg.get('state')} {leg.get('filled')}/{leg.get('amount')}"
        parts.append(text + (f" ({leg['reason']})" if leg.get("reason") else ""))
    parts += [str(n) for n in ev.get("notes") or []]
    return "; ".join(parts) or "not recorded"


def executed(ld: Loaded, f: Filters) -> tuple[dict[str, int], pd.DataFrame]:
    """({"executed", "ok", "failed"}, the failed trades table) from the executor's trade events."""
    episodes = {e["id"]: e for e in ld.episodes}
    orders: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for o in ld.orders:
        if o.get("opportunity_id"):
            orders[o["opportunity_id"]].append(o)
    roles = {o["client_id"]: str(o["leg"]) for o in ld.orders if o.get("leg")}  # schema v2: hedge | retry
    counts = {"executed": 0, "ok": 0, "failed": 0}
    failed: list[dict[str, Any]] = []
    for e in ld.events:
        if e["kind"] != EventKind.TRADE or not (ev := _detail(e)).get("opportunity_id"):
            continue
        opp_id = str(ev["opportunity_id"])
        symbol = ev.get("symbol") or e.get("symbol")
        buy, sell = venues_of(opp_id, ev, episodes, orders.get(opp_id, []))
        if not _keep(f, symbol, (buy, sell), e["ts_ms"]):
            continue
        counts["executed"] += 1
        if ev.get("ok"):
            counts["ok"] += 1
            continue
        counts["failed"] += 1
        failed.append(
            {
                "opportunity_id": opp_id,
                "symbol": symbol,
                "buy_venue": buy,
                "sell_venue": sell,
                "ts_ms": e["ts_ms"],
                "pnl": dec(ev["pnl_quote"]) if ev.get("pnl_quote") else ZERO,
                "exposure": dec(ev["exposure"]) if ev.get("exposure") else ZERO,
                "why": _why(ev, roles),
            }
        )
    return counts, _frame(failed, FAILED_COLUMNS)


def halts(ld: Loaded, f: Filters) -> pd.DataFrame:
    """Halts with reason and times: the halts table, else halt/resume events per run."""
    ends = {r["id"]: r["ended_ms"] for r in ld.runs}
    rows = [
        {
            "run_id": h.get("run_id"),
            "reason": h["reason"],
            "detail": h.get("detail"),
            "start_ms": h["ts_ms"],
            "end_ms": h.get("cleared_ms") or h.get("until_ms") or ends.get(h.get("run_id")),
            "ended_by": (
                f"cleared by {h.get('cleared_by') or 'operator'}"
                if h.get("cleared_ms")
                else "its rule (until)"
                if h.get("until_ms")
                else "end of run"
                if ends.get(h.get("run_id"))
                else None
            ),
        }
        for h in ld.halts
    ]
    tabled = {(h.get("run_id"), h["reason"]) for h in ld.halts}
    open_: dict[tuple[Any, str], dict[str, Any]] = {}
    for e in ld.events:
        text = e.get("detail") or ""
        if e["kind"] == EventKind.HALT and text.startswith(HALTED):
            reason, _, detail = text[len(HALTED) :].partition(": ")
            if (e["run_id"], reason) in tabled:
                continue
            row = {
                "run_id": e["run_id"],
                "reason": reason,
                "detail": detail,
                "start_ms": e["ts_ms"],
                "end_ms": ends.get(e["run_id"]),
                "ended_by": "end of run" if ends.get(e["run_id"]) else None,
            }
            rows.append(row)
            open_[(e["run_id"], reason)] = row
        elif e["kind"] == EventKind.RESUME and text.startswith(LIFTED):
            row = open_.pop((e["run_id"], text[len(LIFTED) :].strip()), None)  # type: ignore[arg-type]
            if row is not None:
                row["end_ms"], row["ended_by"] = e["ts_ms"], "lifted"
    rows = [r for r in rows if f.since_ms is None or (r["end_ms"] or r["start_ms"]) >= f.since_ms]
    rows.sort(key=lambda r: (r["start_ms"], r["reason"]))
    return _frame(rows, HALT_COLUMNS)


def exposures(ld: Loaded, f: Filters) -> tuple[dict[str, Any], pd.DataFrame]:
    """({"open", "flattened", "open_base": {asset: base}}, every exposure row)."""
    rows = [
        {c: x.get(c) for c in EXPOSURE_COLUMNS}
        for x in ld.exposures
        if _keep(f, x["symbol"], (x["venue"],), x.get("updated_ms") or x["created_ms"])
    ]
    open_base: dict[str, Any] = defaultdict(lambda: ZERO)
    for r in rows:
        if r["state"] == "open":
            open_base[base_quote(str(r["symbol"]))[0]] += r["base_delta"]
    doc = {
        "open": sum(1 for r in rows if r["state"] == "open"),
        "flattened": sum(1 for r in rows if r["state"] == "flattened"),
        "open_base": {a: str(x) for a, x in sorted(open_base.items())},
    }
    return doc, _frame(rows, EXPOSURE_COLUMNS)
