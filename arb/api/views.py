"""The read endpoints' documents: plain JSON-able dicts built from the run's objects and the journal.

Money is Decimal text, times are epoch ms. Nothing here carries a secret: config values come from the
``[risk]``/``[scanner]`` limits only, never venue options or credentials."""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import defaultdict
from dataclasses import fields
from decimal import Decimal
from typing import Any

from arb.api.context import ApiContext
from arb.api.reader import Reader
from arb.clock import monotonic_ms, wall_ms
from arb.core.model import Episode, dec
from arb.scan.engine import REASONS

CURVE_POINTS = 500
_ACK = re.compile(r"^ack_exposure by (\S+): #(\d+)")


def episode_doc(ep: Episode) -> dict[str, Any]:
    """An episode as the API and the stream show it (from the engine's object)."""
    o = ep.peak
    return {
        "id": ep.id,
        "symbol": ep.symbol,
        "buy_venue": ep.buy_venue,
        "sell_venue": ep.sell_venue,
        "start_ms": ep.start_ms,
        "end_ms": ep.end_ms,
        "duration_ms": ep.duration_ms if ep.end_ms is not None else None,
        "end_reason": None if ep.end_reason is None else str(ep.end_reason),
        "evaluations": ep.evaluations,
        "net_profit": None if o is None else str(o.net_profit),
        "net_bps": None if o is None else str(o.net_bps.quantize(Decimal("0.01"))),
        "amount": None if o is None else str(o.buy.amount),
    }


def episode_row_doc(r: dict[str, Any]) -> dict[str, Any]:
    """An episode from its journal row."""
    bps = r.get("peak_net_bps")
    return {
        "id": r["id"],
        "symbol": r["symbol"],
        "buy_venue": r["buy_venue"],
        "sell_venue": r["sell_venue"],
        "start_ms": r["start_ms"],
        "end_ms": r.get("end_ms"),
        "duration_ms": r.get("duration_ms"),
        "end_reason": r.get("end_reason"),
        "evaluations": r.get("evaluations"),
        "net_profit": r.get("peak_net_profit"),
        "net_bps": None if bps is None else str(dec(bps).quantize(Decimal("0.01"))),
        "amount": r.get("peak_buy_amount"),
    }


def trade_doc(ts_ms: int, s: dict[str, Any]) -> dict[str, Any]:
    """A trade (an arbitrage's outcome) from :meth:`arb.trade.settle.Outcome.summary`."""
    legs = s.get("legs") or []
    buy: dict[str, Any] = next((x for x in legs if x.get("side") == "buy"), {})
    sell: dict[str, Any] = next((x for x in legs if x.get("side") == "sell"), {})
    return {
        "ts_ms": ts_ms,
        "opportunity_id": s.get("opportunity_id"),
        "symbol": s.get("symbol"),
        "buy_venue": buy.get("venue"),
        "sell_venue": sell.get("venue"),
        "ok": bool(s.get("ok")),
        "pnl": s.get("pnl_quote"),
        "planned_net": s.get("planned_net"),
        "exposure": s.get("exposure"),
        "outcome": "; ".join(s.get("notes") or []) or ("filled" if s.get("ok") else "failed"),
        "detail": s,
    }


def _venues(ctx: ApiContext) -> dict[str, Any]:
    sc = ctx.scanner
    now = monotonic_ms()
    eng = sc.engine
    wall = wall_ms()
    lat: dict[str, list[int]] = defaultdict(list)
    for (venue, _sym), slot in list(eng.books.items()):
        ts = slot.book.get("timestamp") if isinstance(slot.book, dict) else None
        if isinstance(ts, int | float) and ts > 0:
            lat[venue].append(int(wall - (now - slot.recv_ms) - ts))  # received (wall) − the venue's stamp
    return {
        v: {
            "status": h.status,
            "reason": h.reason,
            "updates_per_s": round(h.rate, 1),
            "updates": h.updates,
            "last_update_age_ms": h.age_ms(now),
            "latency_ms": int(statistics.median(lat[v])) if lat.get(v) else None,
            "reconnects": h.reconnects,
            "errors": h.errors,
        }
        for v, h in list(sc.feeds.health.items())
    }


def _books(ctx: ApiContext) -> list[dict[str, Any]]:
    out = []
    for symbol in ctx.scanner.symbols:
        v = ctx.scanner.engine.views.get(symbol)
        if v is None or v.pair is None:
            out.append(
                {"symbol": symbol, "buy_venue": None, "sell_venue": None, "edge_bps": None, "net_bps": None}
                | {"updated_ms": None}
            )
            continue
        out.append(
            {
                "symbol": symbol,
                "buy_venue": v.pair[0],
                "sell_venue": v.pair[1],
                "edge_bps": None if v.edge_bps is None else round(v.edge_bps, 2),
                "net_bps": v.net_bps,
                "updated_ms": v.updated_ms,
            }
        )
    return out


def status(ctx: ApiContext) -> dict[str, Any]:
    sc, tr = ctx.scanner, ctx.trader
    st = sc.engine.stats
    now = wall_ms()
    doc: dict[str, Any] = {
        "run_id": ctx.run_id,
        "mode": ctx.mode,
        "state": sc.status,
        "started_ms": ctx.started_ms,
        "uptime_s": round((now - ctx.started_ms) / 1000, 1),
        "trading": tr is not None,
        "ready": bool(tr.ready) if tr is not None else sc.started.is_set(),
        "paused": False,
        "halt": None,
        "venues": _venues(ctx),
        "counters": {
            "updates": st.updates,
            "evaluations": st.evaluations,
            "opportunities": st.opportunities,
            "episodes_started": st.episodes_started,
            "episodes_ended": st.episodes_ended,
            "open_episodes": len(sc.engine.tracker.open),
        },
        "near_miss": dict(st.near_miss),
        "near_miss_labels": dict(REASONS),
        "books": _books(ctx),
        "disabled_directions": {},
        "operator_disabled": {},
        "paused_venues": [],
        "in_flight": 0,
        "stats": {},
        "pnl_today": None,
        "open_exposures": 0,
        "journal": {
            "queue": sc.writer.pending if sc.writer else 0,
            "dropped": sc.writer.dropped if sc.writer else 0,
        },
        "kill_file": None if ctx.kill_file is None else str(ctx.kill_file),
    }
    if tr is not None:
        ts = tr.status()
        controls = tr.gate.controls.as_dict()
        doc |= {
            "paused": controls["paused"] is not None,
            "paused_by": controls["paused"],
            "halt": ts["halt"],
            "disabled_directions": ts["disabled_directions"],
            "operator_disabled": controls["disabled_directions"],
            "paused_venues": ts["paused_venues"],
            "in_flight": ts["in_flight"],
            "stats": ts["stats"],
            "pnl_today": ts["pnl_today"],
            "open_exposures": len(ts["open_exposures"]),
        }
    return doc


def episodes(ctx: ApiContext, recent_rows: list[dict[str, Any]]) -> dict[str, Any]:
    open_eps = [episode_doc(t.ep) for t in list(ctx.scanner.engine.tracker.open.values())]
    open_eps.sort(key=lambda e: e["start_ms"], reverse=True)
    open_ids = {e["id"] for e in open_eps}
    recent = [episode_row_doc(r) for r in recent_rows if r["id"] not in open_ids and r.get("end_ms") is not None]
    return {"open": open_eps, "recent": recent}


def trades(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"trades": [trade_doc(r["ts_ms"], r["detail"]) for r in rows]}


def pnl(ctx: ApiContext, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Realised PnL per UTC day and a cumulative curve, from the journal's trade events (``rows`` newest first)."""
    by_day: dict[str, list[Decimal | int]] = {}
    curve: list[dict[str, Any]] = []
    total = Decimal(0)
    for r in reversed(rows):
        p = r["detail"].get("pnl_quote")
        if p is None:
            continue
        day = dt.datetime.fromtimestamp(r["ts_ms"] / 1000, dt.UTC).date().isoformat()
        acc = by_day.setdefault(day, [Decimal(0), 0])
        acc[0] = Decimal(acc[0]) + dec(p)
        acc[1] = int(acc[1]) + 1
        total += dec(p)
        curve.append({"ts_ms": r["ts_ms"], "cumulative": str(total)})
    step = max(1, -(-len(curve) // CURVE_POINTS))  # at most CURVE_POINTS, the last (the total) always kept
    today = ctx.trader.status()["pnl_today"] if ctx.trader is not None else None
    return {
        "today": today,
        "days": [{"day": d, "realised": str(v[0]), "trades": v[1]} for d, v in sorted(by_day.items())],
        "curve": curve[::-1][::step][::-1],
    }


def balances(ctx: ApiContext) -> dict[str, Any]:
    tr = ctx.trader
    if tr is None:
        return {"venues": {}}
    book = tr.risk.balances
    out: dict[str, dict[str, Any]] = {}
    for venue in sorted(set(book.expected) | set(book.free)):
        totals, free = book.expected.get(venue, {}), book.free.get(venue, {})
        out[venue] = {
            a: {
                "free": None if free.get(a) is None else str(free[a]),
                "total": None if totals.get(a) is None else str(totals[a]),
                "reserved": str(book.held(venue, a)),
                "spendable": None if (s := book.spendable(venue, a)) is None else str(s),
            }
            for a in sorted(set(totals) | set(free))
        }
    return {"venues": out}


def exposures(rows: list[dict[str, Any]], controls: list[dict[str, Any]]) -> dict[str, Any]:
    acked: dict[int, str] = {}
    for c in controls:
        m = _ACK.match(c.get("detail") or "")
        if m:
            acked.setdefault(int(m.group(2)), m.group(1))
    return {
        "exposures": [
            {
                "id": r["id"],
                "opportunity_id": r.get("opportunity_id"),
                "venue": r["venue"],
                "symbol": r["symbol"],
                "base_delta": r["base_delta"],
                "created_ms": r.get("created_ms"),
                "detail": r.get("detail"),
                "acknowledged_by": acked.get(r["id"]),
            }
            for r in rows
        ]
    }


def halts(ctx: ApiContext, rows: list[dict[str, Any]]) -> dict[str, Any]:
    cur = ctx.trader.status()["halt"] if ctx.trader is not None else None
    keys = ("id", "run_id", "reason", "detail", "ts_ms", "until_ms", "cleared_ms", "cleared_by")
    return {"current": cur, "history": [{k: r.get(k) for k in keys} for r in rows]}


def limits(ctx: ApiContext) -> dict[str, Any]:
    lim = ctx.scanner.limits
    doc: dict[str, Any] = {
        "scanner": {
            "min_net_bps": str(lim.min_net_bps),
            "min_net_profit": str(lim.min_net_profit),
            "max_notional": str(lim.max_notional),
            "slippage_bps": str(lim.slippage_bps),
        },
        "risk": None,
    }
    if ctx.risk is not None:
        doc["risk"] = {f.name: _plain(getattr(ctx.risk, f.name)) for f in fields(ctx.risk) if f.name != "kill_file"}
    return doc


def _plain(v: Any) -> Any:
    if v is None or isinstance(v, str | bool):
        return v
    if isinstance(v, Decimal | int | float):
        return str(v)
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return str(v)


async def read(ctx: ApiContext, fn: Any, default: Any) -> Any:
    """A journal query in a worker thread; ``default`` when there is no readable journal."""
    if ctx.reader is None:
        return default
    r: Reader = ctx.reader
    return await r.run(fn)
