"""Benchmark 4: `arb.evaluate` per call on crossing books of 5, 20, 50 and 400 levels.

Both books are BTC-like (tick 0.1, OKX lot 1e-8 buying, Binance lot 1e-5 selling, 0.1% taker in
base on the buy); the sell venue's bids sit 40 bps above the buy venue's asks and both ladders
deepen by 1 bp a level, so the profit-maximising size walks into the book until the marginal
level stops paying — the search has to work, not stop at the top level.
"""

from __future__ import annotations

import random
import time
from decimal import Decimal
from typing import Any

from arb.evaluator import evaluate
from arb.model import Fee, Limits, MarketSpec

BUY = MarketSpec("BTC/USDT", "BTC", "USDT", Decimal("0.00000001"), Decimal("0.1"), Decimal("0.00001"), None,
                 Decimal("1"))
SELL = MarketSpec("BTC/USDT", "BTC", "USDT", Decimal("0.00001"), Decimal("0.01"), Decimal("0.00001"), None,
                  Decimal("5"))
FEE = Fee(Decimal("0.001"))


def books(levels: int, seed: int = 1) -> tuple[dict[str, Any], dict[str, Any]]:
    r = random.Random(seed)
    mid = 65000.0
    asks = [[round(mid * (1 + i / 10_000), 1), round(r.uniform(0.005, 0.05), 8)] for i in range(levels)]
    bids = [[round(mid * (1.004 - i / 10_000), 2), round(r.uniform(0.005, 0.05), 5)] for i in range(levels)]
    buy = {"bids": [[round(mid - 0.1, 1), 1.0]], "asks": asks}
    sell = {"bids": bids, "asks": [[round(mid * 1.0041, 2), 1.0]]}
    return buy, sell


def measure(levels_list: tuple[int, ...] = (5, 20, 50, 400), repeat: int = 300) -> list[dict[str, Any]]:
    out = []
    lim = Limits(min_net_bps=Decimal("1"), slippage_bps=Decimal("1"))
    for levels in levels_list:
        buy, sell = books(levels)
        opp = evaluate(buy, sell, buy_market=BUY, sell_market=SELL, buy_fee=FEE, sell_fee=FEE, limits=lim)
        t0 = time.perf_counter_ns()
        for _ in range(repeat):
            evaluate(buy, sell, buy_market=BUY, sell_market=SELL, buy_fee=FEE, sell_fee=FEE, limits=lim)
        us = (time.perf_counter_ns() - t0) / repeat / 1000
        out.append({
            "levels": levels,
            "us_per_call": round(us, 1),
            "levels_walked": [opp.buy.levels, opp.sell.levels] if opp else None,
            "net_profit": str(opp.net_profit) if opp else None,
            "approx": opp.meta["approx"] if opp else None,
        })
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(measure(), indent=1))
