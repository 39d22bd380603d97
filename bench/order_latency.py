"""Benchmark 2b: decision → both orders received by the simulators, live mode on loopback.

The live trader (keys, real ccxt.pro REST order placement) runs against OKX, Binance and Bybit
simulators with frequent dislocations. "Decision" is the moment the trader accepts an opportunity
(its ``decision`` event, synchronous on the feed task); "received" is when each simulator's
matching engine logs the order (wall-clock ns, stamped by wrapping the engine's log call from
here — a measurement hook, no simulator change). The figure includes scheduling the execution
task, the journal's fsynced commit of both order intents, signing, and ccxt's HTTP round trip to
127.0.0.1. The simulators share this process and its event loop (a separate-process simulator
would only make the figure smaller), which is stated with the result.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
VENUES = ("okx", "binance", "bybit")
RATE_LIMIT = True  # ccxt's own limiter on, as in production
SEPARATE_SEND_CLIENTS = True  # as `arb run --live` builds them


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


async def _run(seconds: float, min_trades: int) -> dict[str, Any]:
    import ccxt.pro as ccxtpro

    from arb.config import Config
    from arb.store import Journal
    from arb.trade.trader import Trader
    from exchanges.profiles import profile
    from exchanges.sim.harness import LoopbackExchanges

    tmp = Path(tempfile.mkdtemp(prefix="arb-bench-orders-"))
    received: dict[str, int] = {}
    decided: dict[str, int] = {}
    async with LoopbackExchanges(
        venues=list(VENUES),
        symbols=SYMBOLS,
        seed=5,
        update_interval_ms=50,
        dislocation_rate_per_min=20.0,
        dislocation_bps=(40.0, 90.0),
        dislocation_ms=(300, 900),
    ) as sim:
        for server in sim.servers.values():
            inner = server.engine._log

            def stamped(*args: Any, inner: Any = inner, **kw: Any) -> Any:
                entry = inner(*args, **kw)
                received[entry["client_id"]] = time.time_ns()
                return entry

            server.engine._log = stamped
        env: dict[str, str] = {}
        for v in VENUES:
            k = sim.keys[v]["trader"]
            env |= {
                f"ARB_{v.upper()}_API_KEY": k.key,
                f"ARB_{v.upper()}_SECRET": k.secret,
                f"ARB_{v.upper()}_PASSWORD": k.passphrase,
            }
        cfg = Config.from_dict(
            {
                "scanner": {
                    "symbols": SYMBOLS,
                    "venues": list(VENUES),
                    "min_net_bps": 5,
                    "min_net_profit": "0.01",
                    "max_notional": 200,
                    "slippage_bps": 2,
                },
                "venues": {
                    v: {"options": {k: x for k, x in sim.ccxt_config(v, None).items() if k != "enableRateLimit"}}
                    for v in VENUES
                },
                "execution": {"mode": "live", "on_partial": "hold", "order_timeout_ms": 2000},
                "risk": {
                    "kill_file": str(tmp / "arb.kill"),
                    "max_in_flight": 3,
                    "daily_loss_limit": 10_000,
                    "max_consecutive_failures": 1000,
                },
                "store": {"path": str(tmp / "arb.db"), "paper_path": str(tmp / "p.db")},
            },
            env=env,
        )
        from arb.trade.executor import SEND_CLIENT_OPTIONS

        def make(v: str, **extra: Any) -> Any:
            return getattr(ccxtpro, v)(sim.ccxt_config(v, "trader") | {"enableRateLimit": RATE_LIMIT} | extra)

        clients = {v: make(v) for v in VENUES}
        # as `arb run --live` builds them: dedicated send clients with a small burst allowance
        send = {v: make(v, **SEND_CLIENT_OPTIONS) for v in VENUES} if SEPARATE_SEND_CLIENTS else None
        journal = Journal.open(tmp / "arb.db")
        trader = Trader(cfg, market_clients=clients, send_clients=send, journal=journal)

        def on(kind: str, payload: Any) -> None:
            if kind == "decision" and payload.get("verdict") == "accept":
                decided[payload["opportunity_id"]] = time.time_ns()

        trader.listeners.append(on)
        task = asyncio.create_task(trader.run())
        t_end = time.monotonic() + seconds
        while (time.monotonic() < t_end or len(decided) < min_trades) and time.monotonic() < t_end + 60:
            await asyncio.sleep(0.2)
        trader.stop()
        await task
        for c in (*clients.values(), *(send or {}).values()):
            await c.close()
        journal.close()
    lat: list[float] = []
    legs: list[float] = []
    for opp_id, t0 in decided.items():
        venues = {"buy": None, "sell": None}
        stamps = []
        for leg in venues:
            ids = [profile(v).client_order_id(opp_id, leg) for v in VENUES]
            got = [received[i] for i in ids if i in received]
            if got:
                stamps.append(min(got))
        if len(stamps) == 2:
            lat.append((max(stamps) - t0) / 1e6)
            legs.append(abs(stamps[0] - stamps[1]) / 1e6)
    if not lat:
        return {"error": "no trades matched", "decisions": len(decided)}
    return {
        "trades": len(lat),
        "decision_to_both_orders_ms": {
            "p50": round(_pct(lat, 50), 3),
            "p99": round(_pct(lat, 99), 3),
            "max": round(max(lat), 3),
        },
        "gap_between_legs_ms": {"p50": round(_pct(legs, 50), 3), "p99": round(_pct(legs, 99), 3)},
        "simulators": "in-process (shared event loop)",
    }


def measure(seconds: float = 15.0, min_trades: int = 50) -> dict[str, Any]:
    return asyncio.run(_run(seconds, min_trades))


if __name__ == "__main__":
    print(json.dumps(measure(), indent=1))
