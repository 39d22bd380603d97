"""Benchmark 2: simulator send → arb decision, on loopback, with the simulator in its own process.

`arb sim` runs OKX, Binance and Bybit in a child process and, with ARB_SIM_STAMPS set, writes the
wall-clock nanosecond at which each book update's frames were queued (venue, symbol, seq). The
scanner here records, for each book ccxt delivers, when ccxt handed it over (`delivered`) and when
arb's decision for it was complete (`decided`: detector, evaluator if crossing, episodes, journal
enqueue). Books are matched by sequence number — the ccxt book's nonce is the simulator's seq
for OKX (seqId) and Binance (u); ccxt keeps no Bybit sequence in the book, so Bybit books are
scanned but not timed. Both processes read the same wall clock.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

SYMBOLS = [f"{b}/USDT" for b in ("BTC", "ETH", "SOL", "XRP", "DOGE", "ADA", "LTC", "TRX", "LINK", "AVAX")]


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


async def _run(seconds: float, update_ms: int, min_updates: int) -> dict[str, Any]:
    import ccxt.pro as ccxtpro

    from arb.core.model import Limits
    from arb.scan.scanner import Scanner
    from arb.store import Journal

    tmp = Path(tempfile.mkdtemp(prefix="arb-bench-lat-"))
    stamps = tmp / "stamps.tsv"
    env = {**os.environ, "ARB_SIM_STAMPS": str(stamps), "PYTHONUNBUFFERED": "1"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "arb.cli",
        "sim",
        "--symbols",
        ",".join(SYMBOLS),
        "--update-ms",
        str(update_ms),
        "--dislocation-rate",
        "6",
        "--dislocation-bps",
        "30:80",
        "--dislocation-ms",
        "500:1500",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=env,
    )
    assert proc.stdout is not None
    configs: dict[str, dict[str, Any]] = {}
    while len(configs) < 3:
        line = json.loads(await proc.stdout.readline())
        cfg = {k: v for k, v in line["config"].items() if k not in ("apiKey", "secret", "password")}
        configs[line["venue"]] = cfg
    exchanges = {v: getattr(ccxtpro, v)(c) for v, c in configs.items()}
    journal = Journal.open(tmp / "j.db")
    scanner = Scanner(
        exchanges,
        SYMBOLS,
        journal=journal,
        own_exchanges=True,
        limits=Limits(min_net_bps=Decimal("5"), max_notional=Decimal("1000")),
    )
    seen: list[tuple[str, str, int, int, int]] = []
    inner = scanner.engine.on_book

    def timed(venue: str, symbol: str, book: Any, recv_ms: int) -> None:
        t0 = time.time_ns()
        inner(venue, symbol, book, recv_ms)
        if venue != "bybit":
            seen.append((venue, symbol, book.get("nonce"), t0, time.time_ns()))

    scanner.feeds.on_book = timed
    task = asyncio.create_task(scanner.run())
    t_end = time.monotonic() + seconds
    while time.monotonic() < t_end or len(seen) < min_updates:
        await asyncio.sleep(0.2)
        if time.monotonic() > t_end + 60:
            break
    scanner.stop()
    await task
    journal.close()
    proc.send_signal(signal.SIGTERM)
    await proc.wait()
    sent: dict[tuple[str, str, int], int] = {}
    for row in stamps.read_text().splitlines():
        venue, symbol, seq, ns = row.split("\t")
        sent[(venue, symbol, int(seq))] = int(ns)
    delivered, decided = [], []
    for venue, symbol, nonce, t0, t1 in seen[len(seen) // 20 :]:  # skip warm-up (snapshots, connects)
        ns = sent.get((venue, symbol, nonce))
        if ns is not None:
            delivered.append((t0 - ns) / 1e6)
            decided.append((t1 - ns) / 1e6)
    if not decided:
        return {"error": "no updates matched"}
    arb_only = [d - c for c, d in zip(delivered, decided, strict=True)]
    return {
        "updates_timed": len(decided),
        "books": len(SYMBOLS) * 3,
        "update_ms": update_ms,
        "send_to_ccxt_delivery_ms": {
            "p50": round(_pct(delivered, 50), 3),
            "p99": round(_pct(delivered, 99), 3),
            "max": round(max(delivered), 3),
        },
        "send_to_decision_ms": {
            "p50": round(_pct(decided, 50), 3),
            "p99": round(_pct(decided, 99), 3),
            "max": round(max(decided), 3),
        },
        "arb_decision_ms": {
            "p50": round(_pct(arb_only, 50), 4),
            "p99": round(_pct(arb_only, 99), 4),
            "max": round(max(arb_only), 3),
            "mean": round(statistics.fmean(arb_only), 4),
        },
        "episodes": scanner.engine.stats.episodes_started,
    }


def measure(seconds: float = 8.0, update_ms: int = 20, min_updates: int = 10_000) -> dict[str, Any]:
    return asyncio.run(_run(seconds, update_ms, min_updates))


if __name__ == "__main__":
    print(json.dumps(measure(), indent=1))
