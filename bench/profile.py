"""Where arb's per-update time goes: a cProfile of the plain-update path and of a crossing evaluation.

    python -m bench.profile            # prints the top functions of each, by own time

The plain path (no pair crosses) is Engine.on_book → Detector.check; the crossing path adds the
exact evaluator, the snapshot and the episode tracker. Run next to `make bench`: the ratios there,
the breakdown here.
"""

from __future__ import annotations

import cProfile
import io
import logging
import pstats
import time
from decimal import Decimal

from arb.core.evaluator import evaluate
from arb.core.model import Fee, Limits, MarketSpec
from arb.scan.engine import Engine
from arb.scan.scanner import ScanSink
from bench.evaluator_bench import BUY, FEE, SELL, books

N = 200_000


def _engine() -> tuple[Engine, list[tuple[str, str]], dict[tuple[str, str], dict]]:
    syms = [f"C{i}/USDT" for i in range(10)]
    venues = ["a", "b", "c"]
    spec = MarketSpec("X/USDT", "X", "USDT", Decimal("0.00001"), Decimal("0.1"))
    e = Engine(
        run_id="p",
        markets={(v, s): spec for v in venues for s in syms},
        fees={(v, s): Fee(Decimal("0.001")) for v in venues for s in syms},
        limits=Limits(max_notional=Decimal(1000)),
        sink=ScanSink("p", None, None),
        max_book_age_ms=10**12,
    )
    now = int(time.time() * 1000)
    bks = {
        (v, s): {"bids": [[65000.0 - 0.1 * j, 1.0]], "asks": [[65000.2 + 0.1 * j, 1.0]], "timestamp": now}
        for j, v in enumerate(venues)
        for s in syms
    }
    for (v, s), b in bks.items():
        e.on_book(v, s, b, 0)
    return e, list(bks), bks


def _show(prof: cProfile.Profile, title: str, per: int, top: int = 8) -> None:
    out = io.StringIO()
    st = pstats.Stats(prof, stream=out)
    st.sort_stats("tottime").print_stats(top)
    print(f"== {title}: {st.total_calls / per:.1f} Python calls per operation (profiled)")  # type: ignore[attr-defined]
    body = out.getvalue()
    print(body[body.index("ncalls") :].rstrip())


def main() -> None:
    logging.disable(logging.WARNING)
    e, keys, bks = _engine()
    t0 = time.perf_counter()
    for i in range(N):
        v, s = keys[i % len(keys)]
        e.on_book(v, s, bks[(v, s)], i)
    plain_us = (time.perf_counter() - t0) / N * 1e6
    prof = cProfile.Profile()
    prof.enable()
    for i in range(N):
        v, s = keys[i % len(keys)]
        e.on_book(v, s, bks[(v, s)], i)
    prof.disable()
    print(f"plain update (no pair crosses): {plain_us:.2f} us unprofiled")
    _show(prof, "plain update", N)
    buy, sell = books(20)
    lim = Limits(min_net_bps=Decimal("1"), slippage_bps=Decimal("1"))
    n = 300
    t0 = time.perf_counter()
    for _ in range(n):
        evaluate(buy, sell, buy_market=BUY, sell_market=SELL, buy_fee=FEE, sell_fee=FEE, limits=lim)
    ev_us = (time.perf_counter() - t0) / n * 1e6
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        evaluate(buy, sell, buy_market=BUY, sell_market=SELL, buy_fee=FEE, sell_fee=FEE, limits=lim)
    prof.disable()
    print(f"\ncrossing evaluation (20-level books): {ev_us:.0f} us unprofiled")
    _show(prof, "crossing evaluation", n, top=12)


if __name__ == "__main__":
    main()
