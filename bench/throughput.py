"""Benchmark 3: sustained book updates per second, ccxt alone versus ccxt + arb, same harness.

`bench.frame_server` replays pre-built OKX frames from a separate process (3 venues × 20
symbols) at a fixed rate; this process consumes them with stock ccxt.pro okx clients
(`watch_order_book_for_symbols`), either alone (recording only book age) or through arb's
Feeds + Engine (the alert-mode scanner core). A rate is sustained when the books' age at
wake-up stays low (p90 < 250 ms over the run) and at least 90% of the offered frames were processed.
CPU µs per message is this process's CPU time over the frames ccxt processed; it includes
per-wake-up overheads that shrink per message as rates rise, so arb's share is reported as the
difference with ccxt alone at the same rate.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from decimal import Decimal
from typing import Any

import ccxt.pro as ccxtpro

from bench.frames import okx_instruments

VENUES, SYMBOLS = 3, 20
SYMS = [f"C{i:03d}/USDT" for i in range(SYMBOLS)]


def _exchange(port: int) -> Any:
    ex = ccxtpro.okx(
        {
            "urls": {"api": {"ws": f"ws://127.0.0.1:{port}/ws/v5"}},
            "options": {"fetchMarkets": {"types": ["spot"]}},
            "streaming": {"keepAlive": 10_000},
        }
    )
    ex.set_markets(ex.parse_markets(okx_instruments(SYMS)))
    return ex


async def _consume(ports: list[int], with_arb: bool, seconds: float) -> tuple[list[int], int, int, float]:
    from arb.core.model import Fee, Limits, MarketSpec
    from arb.scan.engine import Engine
    from arb.scan.feeds import Feeds
    from arb.scan.scanner import ScanSink

    exchanges = {f"v{i}": _exchange(p) for i, p in enumerate(ports)}
    processed = [0]
    for ex in exchanges.values():  # count every frame ccxt handles (measurement only, no behaviour change)
        inner_handle = ex.handle_message

        def counting(client: Any, message: Any, inner_handle: Any = inner_handle) -> Any:
            processed[0] += 1
            return inner_handle(client, message)

        ex.handle_message = counting
    ages: list[int] = []
    wakes = 0
    stop = time.monotonic() + seconds
    if with_arb:
        sink = ScanSink("tp", None, None)
        engine = Engine(
            run_id="tp",
            markets={},
            fees={},
            limits=Limits(max_notional=Decimal("1000")),
            sink=sink,
            max_book_age_ms=10_000,
        )
        spec = {
            s: MarketSpec(s, s.split("/")[0], "USDT", Decimal("0.00000001"), Decimal("0.1"), None, None, None)
            for s in SYMS
        }
        for v in exchanges:
            for s in SYMS:
                engine.add_market(v, s, spec[s], Fee(Decimal("0.001")))

        def on_book(venue: str, symbol: str, book: Any, recv_ms: int) -> None:
            nonlocal wakes
            wakes += 1
            ages.append(time.time_ns() // 1_000_000 - (book.get("timestamp") or 0))
            engine.on_book(venue, symbol, book, recv_ms)

        feeds = Feeds(exchanges, SYMS, on_book, engine.on_event)

        async def run_venue(v: str) -> None:
            await feeds._watch(v, SYMS, many=True)

        tasks = [asyncio.create_task(run_venue(v)) for v in exchanges]
    else:

        async def loop(ex: Any) -> None:
            nonlocal wakes
            while True:
                book = await ex.watch_order_book_for_symbols(SYMS)
                wakes += 1
                ages.append(time.time_ns() // 1_000_000 - (book.get("timestamp") or 0))

        tasks = [asyncio.create_task(loop(ex)) for ex in exchanges.values()]
    while not ages and time.monotonic() < stop:  # start measuring at the first delivered book
        await asyncio.sleep(0.005)
    cpu0, n0 = time.process_time(), processed[0]
    await asyncio.sleep(max(0.0, stop - time.monotonic()))
    cpu = time.process_time() - cpu0
    n = processed[0] - n0
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for ex in exchanges.values():
        await ex.close()
    return ages, wakes, n, cpu


async def _one(rate: float, with_arb: bool, seconds: float) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.frame_server",
        "--venues",
        str(VENUES),
        "--symbols",
        str(SYMBOLS),
        "--rate",
        str(rate),
        "--seconds",
        str(seconds),
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    ports = json.loads(await proc.stdout.readline())["ports"]
    ages, wakes, processed, cpu = await _consume(ports, with_arb, seconds)
    sent = json.loads(await proc.stdout.readline())["sent"]
    await proc.wait()
    ages = sorted(ages[len(ages) // 10 :]) or [10**9]
    p90 = ages[int(0.9 * (len(ages) - 1))]
    expected = rate * (seconds - 0.5)
    return {
        "rate": rate,
        "sent": sent,
        "processed": processed,
        "wakes": wakes,
        "age_p90_ms": p90,
        "sustained": p90 < 250 and processed >= 0.9 * expected,
        "cpu_us_per_msg": round(cpu / max(1, processed) * 1e6, 2),
    }


def measure(
    rates: tuple[float, ...] = (4000, 8000, 15000, 25000, 35000, 50000), seconds: float = 3.0
) -> dict[str, Any]:
    out: dict[str, Any] = {"venues": VENUES, "symbols": SYMBOLS, "runs": []}
    best = {False: 0.0, True: 0.0}
    cpu = {False: [], True: []}
    for rate in rates:
        for with_arb in (False, True):
            r = asyncio.run(_one(rate, with_arb, seconds))
            r["with_arb"] = with_arb
            out["runs"].append(r)
            if r["sustained"]:
                best[with_arb] = max(best[with_arb], rate)
                cpu[with_arb].append(r["cpu_us_per_msg"])
        alone, with_arb = out["runs"][-2], out["runs"][-1]
        with_arb["arb_added_cpu_us_per_msg"] = round(with_arb["cpu_us_per_msg"] - alone["cpu_us_per_msg"], 2)
        if not any(x["sustained"] for x in out["runs"][-2:]):
            break
    out["sustained_ccxt_alone"] = best[False]
    out["sustained_with_arb"] = best[True]
    out["ratio"] = round(best[True] / best[False], 3) if best[False] else None
    out["cpu_us_per_msg_ccxt_alone"] = round(sum(cpu[False]) / len(cpu[False]), 2) if cpu[False] else None
    out["cpu_us_per_msg_with_arb"] = round(sum(cpu[True]) / len(cpu[True]), 2) if cpu[True] else None
    return out


if __name__ == "__main__":
    print(json.dumps(measure(), indent=1))
