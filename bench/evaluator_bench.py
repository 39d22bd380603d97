"""Benchmark 4: `arb.evaluate` per call on crossing books of 5, 20, 50 and 400 levels.

Both books are BTC-like (tick 0.1, OKX lot 1e-8 buying, Binance lot 1e-5 selling, 0.1% taker in
base on the buy); the sell venue's bids sit 40 bps above the buy venue's asks and both ladders
deepen by 1 bp a level, so the profit-maximising size walks into the book until the marginal
level stops paying — the search has to work, not stop at the top level.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from arb import native
from arb.core.books import _FLOATS
from arb.core.evaluator import evaluate
from arb.core.model import Fee, Limits, MarketSpec

BUY = MarketSpec(
    "BTC/USDT", "BTC", "USDT", Decimal("0.00000001"), Decimal("0.1"), Decimal("0.00001"), None, Decimal("1")
)
SELL = MarketSpec(
    "BTC/USDT", "BTC", "USDT", Decimal("0.00001"), Decimal("0.01"), Decimal("0.00001"), None, Decimal("5")
)
FEE = Fee(Decimal("0.001"))


def books(levels: int, seed: int = 1) -> tuple[dict[str, Any], dict[str, Any]]:
    r = random.Random(seed)
    mid = 65000.0
    asks = [[round(mid * (1 + i / 10_000), 1), round(r.uniform(0.005, 0.05), 8)] for i in range(levels)]
    bids = [[round(mid * (1.004 - i / 10_000), 2), round(r.uniform(0.005, 0.05), 5)] for i in range(levels)]
    buy = {"bids": [[round(mid - 0.1, 1), 1.0]], "asks": asks}
    sell = {"bids": bids, "asks": [[round(mid * 1.0041, 2), 1.0]]}
    return buy, sell


def measure(
    levels_list: tuple[int, ...] = (5, 20, 50, 400),
    repeat: int = 300,
    fn: Callable[..., Any] = evaluate,
    cold: bool = False,
) -> list[dict[str, Any]]:
    """Per-call times of ``fn`` on each book size: p50 and p99 of ``repeat`` timed calls (after a warm-up).
    The same books every call, so their floats always hit the ladders' float → Decimal memo; ``cold`` empties
    it before each timed call (every level converted afresh, as on a book whose prices were never seen)."""
    evaluate = fn
    out = []
    lim = Limits(min_net_bps=Decimal("1"), slippage_bps=Decimal("1"))
    for levels in levels_list:
        buy, sell = books(levels)
        opp = evaluate(buy, sell, buy_market=BUY, sell_market=SELL, buy_fee=FEE, sell_fee=FEE, limits=lim)
        for _ in range(10):
            evaluate(buy, sell, buy_market=BUY, sell_market=SELL, buy_fee=FEE, sell_fee=FEE, limits=lim)
        ns = []
        for _ in range(repeat):
            if cold:
                _FLOATS.clear()
            t0 = time.perf_counter_ns()
            evaluate(buy, sell, buy_market=BUY, sell_market=SELL, buy_fee=FEE, sell_fee=FEE, limits=lim)
            ns.append(time.perf_counter_ns() - t0)
        out.append(
            {
                "levels": levels,
                "us_per_call": round(sum(ns) / len(ns) / 1000, 1),
                "p50_us": round(percentile(ns, 50) / 1000, 1),
                "p99_us": round(percentile(ns, 99) / 1000, 1),
                "levels_walked": [opp.buy.levels, opp.sell.levels] if opp else None,
                "net_profit": str(opp.net_profit) if opp else None,
                "approx": opp.meta["approx"] if opp else None,
                "_ns": ns,
            }
        )
    return out


def percentile(xs: list[int], q: float) -> float:
    s = sorted(xs)
    return float(s[min(len(s) - 1, int(len(s) * q / 100))])


def summary(rows: list[dict[str, Any]]) -> dict[str, float]:
    """p50/p99 over every timed call of every book size together (each size weighs the same); drops the samples."""
    ns = [x for r in rows for x in r.pop("_ns")]
    return {"p50_us": round(percentile(ns, 50) / 1000, 1), "p99_us": round(percentile(ns, 99) / 1000, 1)}


def plateau(lots: int, sell_lot: str = "0.7") -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A worst case: ``lots`` buy lots of exactly equal net (level 2 pays exactly its fee), no cap.
    With sell lot 0.7 every 7th lot completes whole sell lots (the answer is B=7); with 1, every
    lot ties (B=1)."""
    buy = {"bids": [["89", "1"]], "asks": [["90", "0.3"], ["99.9", str(lots)]]}
    sell = {"bids": [["100", str(lots + 1)]], "asks": [["101", "1"]]}
    kw = {
        "buy_market": MarketSpec("X/USDT", "X", "USDT", Decimal("1"), Decimal("0.01")),
        "sell_market": MarketSpec("X/USDT", "X", "USDT", Decimal(sell_lot), Decimal("0.01")),
        "buy_fee": Fee(Decimal("0")),
        "sell_fee": Fee(Decimal("0.001"), "quote"),
    }
    return buy, sell, kw


def measure_worst(lots_list: tuple[int, ...] = (200_000, 1_200_000)) -> list[dict[str, Any]]:
    """Single-evaluation time on equal-net plateaus of ``lots`` lots (exactness's worst case)."""
    out = []
    for lots, sell_lot in [(n, lot) for lot in ("1", "0.7") for n in lots_list]:
        buy, sell, kw = plateau(lots, sell_lot)
        t0 = time.perf_counter_ns()
        opp = evaluate(buy, sell, **kw)
        ms = (time.perf_counter_ns() - t0) / 1e6
        out.append(
            {
                "plateau_lots": lots,
                "sell_lot": sell_lot,
                "ms_per_call": round(ms, 2),
                "buy_amount": str(opp.buy.amount) if opp else None,
                "net_profit": str(opp.net_profit) if opp else None,
                "steps": opp.meta["steps"] if opp else None,
            }
        )
    return out


def measure_pure(repeat: int = 300) -> dict[str, Any]:
    """The summary of the pure Python evaluator (``ARB_PURE_PYTHON=1``), in a process of its own on this run."""
    env = {**os.environ, "ARB_PURE_PYTHON": "1"}
    cmd = [sys.executable, "-m", "bench.evaluator_bench", "--summary", str(repeat)]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True, cwd=Path(__file__).parents[1])
    return dict(json.loads(run.stdout))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--summary"]:
        print(json.dumps({"runs": native.STATUS, **summary(measure(repeat=int(sys.argv[2])))}))
        raise SystemExit(0)
    rows = measure()
    cold = summary(measure(cold=True))
    out = {"runs": native.STATUS, "crossing": rows, "summary": summary(rows), "cold": cold}
    print(json.dumps({**out, "worst": measure_worst()}, indent=1))
