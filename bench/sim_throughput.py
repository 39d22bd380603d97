"""Book updates per second that ``arb sim`` sustains on OKX (10 symbols by default).

Starts ``arb sim`` as a subprocess (the real entry point), subscribes one raw WebSocket client to
``books`` for every symbol, counts update frames for ``--seconds`` and checks the seqId chain.
Prints one line, plus a JSON line with the figures.

    .venv/bin/python bench/sim_throughput.py [--update-ms 5] [--seconds 5] [--symbols N] [--ccxt]

``--ccxt`` adds a stock ccxt.pro okx client watching the same books and reports its wake-ups.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from exchanges.sim.market import DEFAULT_SYMBOLS  # noqa: E402


async def start_sim(symbols: list[str], update_ms: int) -> tuple[asyncio.subprocess.Process, dict[str, Any]]:
    cmd = [
        sys.executable,
        "-m",
        "arb.cli",
        "sim",
        "--venues",
        "okx",
        "--symbols",
        ",".join(symbols),
        "--update-ms",
        str(update_ms),
        "--seed",
        "1",
    ]
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 30)
    return proc, json.loads(line)


async def count_raw(ws_url: str, symbols: list[str], seconds: float) -> dict[str, Any]:
    counts, gaps = 0, 0
    last: dict[str, int] = {}
    async with aiohttp.ClientSession() as http, http.ws_connect(ws_url + "/public", max_msg_size=0) as ws:
        args = [{"channel": "books", "instId": s.replace("/", "-")} for s in symbols]
        await ws.send_str(json.dumps({"op": "subscribe", "args": args}))
        deadline = None
        while True:
            msg = await ws.receive()
            if msg.type != aiohttp.WSMsgType.TEXT:
                raise RuntimeError(f"websocket closed: {msg.type}")
            frame = json.loads(msg.data)
            action, data = frame.get("action"), (frame.get("data") or [{}])[0]
            inst = frame.get("arg", {}).get("instId", "")
            if action == "snapshot":
                last[inst] = data["seqId"]
                if len(last) == len(symbols) and deadline is None:
                    start = time.monotonic()
                    deadline = start + seconds
                continue
            if action != "update" or deadline is None:
                continue
            if data["prevSeqId"] != last.get(inst):
                gaps += 1
            last[inst] = data["seqId"]
            counts += 1
            if time.monotonic() >= deadline:
                elapsed = time.monotonic() - start
                return {
                    "updates": counts,
                    "seconds": round(elapsed, 3),
                    "per_s": round(counts / elapsed, 1),
                    "gaps": gaps,
                }


async def count_ccxt(config: dict[str, Any], symbols: list[str], seconds: float) -> dict[str, Any]:
    import ccxt.pro as ccxtpro

    ex = ccxtpro.okx({**config, "apiKey": None, "secret": None, "password": None})
    wakeups = 0
    try:
        await ex.watch_order_book_for_symbols(symbols)
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            await ex.watch_order_book_for_symbols(symbols)
            wakeups += 1
        elapsed = time.monotonic() - start
    finally:
        await ex.close()
    return {"ccxt_wakeups": wakeups, "ccxt_wakeups_per_s": round(wakeups / elapsed, 1)}


async def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--update-ms", type=int, default=5, help="arb sim --update-ms (per symbol)")
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--symbols", type=int, default=10)
    p.add_argument("--ccxt", action="store_true", help="also run a stock ccxt.pro client on the same books")
    args = p.parse_args(argv)
    symbols = DEFAULT_SYMBOLS[: args.symbols]
    proc, line = await start_sim(symbols, args.update_ms)
    try:
        ws_url = line["config"]["urls"]["api"]["ws"]
        jobs = [count_raw(ws_url, symbols, args.seconds)]
        if args.ccxt:
            jobs.append(count_ccxt(line["config"], symbols, args.seconds))
        results: dict[str, Any] = {}
        for r in await asyncio.gather(*jobs):
            results.update(r)
    finally:
        proc.send_signal(signal.SIGINT)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(proc.wait(), 10)
    target = len(symbols) * 1000 / args.update_ms
    results.update(symbols=len(symbols), update_ms=args.update_ms, target_per_s=target, sim_exit=proc.returncode)
    print(
        f"arb sim okx: {results['per_s']:.0f} book updates/s received over {results['seconds']} s "
        f"({len(symbols)} symbols, --update-ms {args.update_ms}, target {target:.0f}/s, "
        f"seq gaps {results['gaps']}, exit {proc.returncode})"
    )
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    asyncio.run(main())
