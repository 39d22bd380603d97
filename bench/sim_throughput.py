"""Book updates per second that ``arb sim`` sustains (OKX by default; any venues together with --venues).

Starts ``arb sim`` as a subprocess (the real entry point), subscribes one raw WebSocket client per venue
to every symbol in that venue's own dialect, counts book update frames for ``--seconds`` once every
symbol's chain has started, and checks each venue's continuity rule (OKX ``prevSeqId``, Binance
``U = last u + 1``, Bybit ``u`` + 1 per topic). Prints one line per venue, the total, and a JSON line.

    .venv/bin/python bench/sim_throughput.py [--update-ms 5] [--seconds 5] [--symbols 10]
        [--venues okx,binance,bybit] [--ccxt]

``--ccxt`` adds a stock ccxt.pro client per venue watching the same books and reports its wake-ups.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from exchanges.sim.market import DEFAULT_SYMBOLS  # noqa: E402

Check = Callable[[dict[str, Any], dict[str, int]], tuple[bool, bool]]  # frame, state -> (is_update, in_order)


async def start_sim(venues: list[str], symbols: list[str], update_ms: int) -> tuple[Any, dict[str, Any]]:
    """``arb sim`` for ``venues``; returns the process and each venue's ccxt config (its stdout lines)."""
    cmd = [
        sys.executable,
        "-m",
        "arb.cli",
        "sim",
        "--venues",
        ",".join(venues),
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
    configs = {}
    for _ in venues:
        line = json.loads(await asyncio.wait_for(proc.stdout.readline(), 30))
        configs[line["venue"]] = line["config"]
    return proc, configs


def okx_check(frame: dict[str, Any], last: dict[str, int]) -> tuple[bool, bool]:
    data, inst = (frame.get("data") or [{}])[0], frame.get("arg", {}).get("instId", "")
    if frame.get("action") == "snapshot":
        last[inst] = data["seqId"]
        return False, True
    if frame.get("action") != "update":
        return False, True
    ok = data["prevSeqId"] == last.get(inst)
    last[inst] = data["seqId"]
    return True, ok


def binance_check(frame: dict[str, Any], last: dict[str, int]) -> tuple[bool, bool]:
    if frame.get("e") != "depthUpdate":
        return False, True
    sym = frame["s"]
    ok = sym not in last or frame["U"] == last[sym] + 1  # the first diff seen sets the chain
    last[sym] = frame["u"]
    return True, ok


def bybit_check(frame: dict[str, Any], last: dict[str, int]) -> tuple[bool, bool]:
    topic = frame.get("topic", "")
    if not topic.startswith("orderbook."):
        return False, True
    u = frame["data"]["u"]
    ok = frame["type"] == "snapshot" or last.get(topic) == u - 1
    last[topic] = u
    return frame["type"] == "delta", ok


def subscription(venue: str, config: dict[str, Any], symbols: list[str]) -> tuple[str, list[str], Check]:
    """(WS URL, subscribe frames, continuity check) of a raw client for ``venue``'s book channel."""
    ws = config["urls"]["api"]["ws"]
    if venue == "okx":
        args = [{"channel": "books", "instId": s.replace("/", "-")} for s in symbols]
        return ws + "/public", [json.dumps({"op": "subscribe", "args": args})], okx_check
    if venue == "binance":
        streams = [s.replace("/", "").lower() + "@depth@100ms" for s in symbols]
        return ws["spot"] + "/0", [json.dumps({"method": "SUBSCRIBE", "params": streams, "id": 1})], binance_check
    if venue == "bybit":
        topics = [f"orderbook.50.{s.replace('/', '')}" for s in symbols]
        msgs = [json.dumps({"op": "subscribe", "args": topics[i : i + 10]}) for i in range(0, len(topics), 10)]
        return ws["public"]["spot"], msgs, bybit_check
    raise ValueError(f"no raw client for venue {venue!r}")


async def count_raw(venue: str, config: dict[str, Any], symbols: list[str], seconds: float) -> dict[str, Any]:
    url, requests, check = subscription(venue, config, symbols)
    updates, gaps, last = 0, 0, {}
    start: float | None = None  # set once every symbol's chain has started
    async with aiohttp.ClientSession() as http, http.ws_connect(url, max_msg_size=0) as ws:
        for r in requests:
            await ws.send_str(r)
        while True:
            msg = await ws.receive()
            if msg.type != aiohttp.WSMsgType.TEXT:
                raise RuntimeError(f"{venue}: websocket closed: {msg.type}")
            is_update, in_order = check(json.loads(msg.data), last)
            now = time.monotonic()
            if start is None:
                if len(last) == len(symbols):
                    start = now
                continue
            updates += is_update
            gaps += not in_order
            if now - start >= seconds:
                return {
                    "venue": venue,
                    "updates": updates,
                    "seconds": round(now - start, 3),
                    "per_s": round(updates / (now - start), 1),
                    "gaps": gaps,
                }


async def count_ccxt(venue: str, config: dict[str, Any], symbols: list[str], seconds: float) -> dict[str, Any]:
    import ccxt.pro as ccxtpro

    ex = getattr(ccxtpro, venue)({**config, "apiKey": None, "secret": None, "password": None})
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


async def measure(venue: str, config: dict[str, Any], symbols: list[str], seconds: float, ccxt: bool) -> dict[str, Any]:
    jobs = [count_raw(venue, config, symbols, seconds)]
    if ccxt:
        jobs.append(count_ccxt(venue, config, symbols, seconds))
    out: dict[str, Any] = {}
    for r in await asyncio.gather(*jobs):
        out.update(r)
    return out


async def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--update-ms", type=int, default=5, help="arb sim --update-ms (per symbol)")
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--symbols", type=int, default=10)
    p.add_argument("--venues", default="okx", help="comma list, e.g. okx,binance,bybit")
    p.add_argument("--ccxt", action="store_true", help="also run a stock ccxt.pro client on the same books")
    args = p.parse_args(argv)
    venues = [v.strip() for v in args.venues.split(",") if v.strip()]
    symbols = DEFAULT_SYMBOLS[: args.symbols]
    started = time.monotonic()
    proc, configs = await start_sim(venues, symbols, args.update_ms)
    try:
        per_venue = await asyncio.gather(*(measure(v, configs[v], symbols, args.seconds, args.ccxt) for v in venues))
    finally:
        proc.send_signal(signal.SIGINT)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(proc.wait(), 10)
    total = round(sum(r["per_s"] for r in per_venue), 1)
    target = len(venues) * len(symbols) * 1000 / args.update_ms
    for r in per_venue:
        wakeups = f", ccxt wake-ups {r['ccxt_wakeups_per_s']:.0f}/s" if "ccxt_wakeups" in r else ""
        print(f"  {r['venue']:8s} {r['per_s']:8.0f} book updates/s  (order breaks {r['gaps']}{wakeups})")
    print(
        f"arb sim {','.join(venues)}: {total:.0f} book updates/s in total received over {args.seconds} s "
        f"({len(symbols)} symbols each, --update-ms {args.update_ms}, offered {target:.0f}/s, "
        f"exit {proc.returncode}, wall {time.monotonic() - started:.1f} s)"
    )
    result = {
        "per_s": total,
        "gaps": sum(r["gaps"] for r in per_venue),
        "updates": sum(r["updates"] for r in per_venue),
        "venues": per_venue,
        "symbols": len(symbols),
        "update_ms": args.update_ms,
        "target_per_s": target,
        "sim_exit": proc.returncode,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    asyncio.run(main())
