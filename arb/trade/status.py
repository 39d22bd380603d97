"""A trading run's status as one JSON-ready dict (``arb run --json`` lines, the live view, alerts). Pure."""

from __future__ import annotations

from collections import Counter
from typing import Any

from arb.trade.accounts import Accounts
from arb.trade.orders import OrderRouter
from arb.trade.risk import RiskGate


def run_status(
    mode: str, ready: bool, risk: RiskGate, accounts: Accounts, stats: Counter[str], router: OrderRouter, now: int
) -> dict[str, Any]:
    realised, unrealised = accounts.pnl(now)
    h = risk.halted
    return {
        "mode": mode,
        "ready": ready,
        "halted": None if h is None else h.line(),
        "halt": None if h is None else {"reason": h.reason, "detail": h.detail, "ts_ms": h.ts_ms},
        "in_flight": len(risk.in_flight),
        "stats": dict(stats),
        "pnl_today": {"realised": str(realised), "open_exposure_at_mid": str(unrealised)},
        "open_exposures": [
            {
                "id": e.id,
                "opportunity_id": e.opportunity_id,
                "venue": e.venue,
                "symbol": e.symbol,
                "base_delta": str(e.base_delta),
            }
            for e in risk.exposures.values()
        ],
        "paused_venues": sorted(v for v in risk.errors.paused_until if risk.errors.paused(v, now)),
        "disabled_directions": {"/".join(k): why for k, why in risk.disabled.items()},
        "orders_unknown_ids": router.unknown,
        "orders_malformed": router.malformed,
    }


def status_line(st: dict[str, Any]) -> str:
    """One line for the heartbeat and the daily summary."""
    pnl, stats = st["pnl_today"], st["stats"]
    return (
        f"mode {st['mode']}; trades ok {stats.get('trades_ok', 0)} failed {stats.get('trades_failed', 0)}; "
        f"PnL today {pnl['realised']} (+ exposure at mid {pnl['open_exposure_at_mid']}); "
        f"open exposures {len(st['open_exposures'])}; halted: {st['halted'] or 'no'}"
    )
