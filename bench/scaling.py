"""Scaling figure: book messages/s handled by 1 and by 2 arb workers, 3 loopback venues × 300 symbols.

The venues are loopback OKX ``books`` servers in this process (3 ports) serving 300 synthetic symbols
from pre-built frames (per-symbol cycles whose ``seqId``/``prevSeqId`` chain is renumbered as they are
sent, written as raw WebSocket frames in chunks, paced only by TCP back-pressure), so the servers cost
little and the workers' own work sets the rate. Each worker is a separate process running arb's
scanner core — stock ccxt.pro okx clients, :class:`arb.scan.feeds.Feeds` and :class:`arb.scan.engine.Engine`
— for its shard of the symbols (``crc32(symbol) mod N``, as ``--workers N`` splits them), all venues each;
it counts every message ccxt handles over a window after warm-up. (``arb sim`` can serve 300 symbols too
— ``--symbols`` takes any list — but its market process would need a core of its own to move 900 books,
which a 2-core machine does not have to spare.)

    .venv/bin/python -m bench.scaling [--seconds 6] [--symbols 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import struct
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from bench.frames import OkxBookGen, inst_id, okx_instruments

VENUES = 3
CYCLE = 40  # pre-built update frames per symbol, replayed with fresh sequence numbers
ROOT = Path(__file__).resolve().parent.parent


def symbols(n: int) -> list[str]:
    return [f"S{i:03d}/USDT" for i in range(n)]


def ws_frame(text: str) -> bytes:
    data = text.encode()
    n = len(data)
    if n < 126:
        return bytes((0x81, n)) + data
    if n < 65536:
        return bytes((0x81, 126)) + struct.pack("!H", n) + data
    return bytes((0x81, 127)) + struct.pack("!Q", n) + data


class Venue:
    """One loopback venue: snapshots on subscribe, then an endless valid update stream per symbol."""

    def __init__(self, syms: list[str], seed: int) -> None:
        self.snap: dict[str, str] = {}
        self.cycle: dict[str, list[str]] = {}
        for i, s in enumerate(syms):
            g = OkxBookGen(s, seed=seed + i)
            self.snap[inst_id(s)] = re.sub(r'"ts":"\d+"', '"ts":"%d"', g.snapshot())
            frames = [g.update(2) for _ in range(CYCLE)]
            # renumber as sent: "prevSeqId":P,"seqId":Q → templates
            self.cycle[inst_id(s)] = [
                re.sub(r'"ts":"\d+"', '"ts":"%d"', f).replace(
                    f'"prevSeqId":{1000 + k},"seqId":{1001 + k}', '"prevSeqId":%d,"seqId":%d'
                )
                for k, f in enumerate(frames)
            ]

    async def handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False, autoping=True)
        await ws.prepare(request)
        subscribed: list[str] = []
        got = asyncio.Event()

        async def reader() -> None:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT or msg.data == "ping":
                    continue
                req = json.loads(msg.data)
                if req.get("op") == "subscribe":
                    for arg in req.get("args", []):
                        subscribed.append(arg["instId"])
                        await ws.send_str(json.dumps({"event": "subscribe", "arg": arg}))
                        await ws.send_str(self.snap[arg["instId"]] % (time.time_ns() // 1_000_000))
                    got.set()

        task = asyncio.create_task(reader())
        await got.wait()
        await asyncio.sleep(0.2)  # the rest of the subscriptions
        transport = request.transport
        assert transport is not None
        seq = {s: 1000 for s in subscribed}
        k = 0
        try:
            while not ws.closed and not transport.is_closing():
                if transport.get_write_buffer_size() > 4 << 20:  # ~0.5 s of frames queued: check back later
                    await asyncio.sleep(0.005)
                    continue
                chunk = []
                now = time.time_ns() // 1_000_000  # fresh books: the engine evaluates them
                for s in subscribed:
                    q = seq[s]
                    chunk.append(ws_frame(self.cycle[s][k % CYCLE] % (now, q, q + 1)))
                    seq[s] = q + 1
                k += 1
                transport.write(b"".join(chunk))
                await asyncio.sleep(0)
        except ConnectionError:
            pass
        finally:
            task.cancel()
        return ws


async def serve(syms: list[str]) -> tuple[list[int], list[web.AppRunner]]:
    ports, runners = [], []
    for v in range(VENUES):
        venue = Venue(syms, seed=1 + 1000 * v)
        app = web.Application()
        app.router.add_get("/ws/v5/public", venue.handler)
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        ports.append(runner.addresses[0][1])
        runners.append(runner)
    return ports, runners


# ---------------------------------------------------------------------------------------- a worker
async def work(ports: list[int], syms: list[str], seconds: float) -> dict[str, Any]:
    import ccxt.pro as ccxtpro

    from arb.core.model import Fee, Limits, MarketSpec
    from arb.scan.engine import Engine
    from arb.scan.feeds import Feeds
    from arb.scan.scanner import ScanSink

    exchanges = {}
    processed = [0]
    for i, p in enumerate(ports):
        ex = ccxtpro.okx(
            {
                "urls": {"api": {"ws": f"ws://127.0.0.1:{p}/ws/v5"}},
                "options": {"fetchMarkets": {"types": ["spot"]}},
                "streaming": {"keepAlive": 600_000},
            }
        )
        ex.set_markets(ex.parse_markets(okx_instruments(syms)))
        inner = ex.handle_message

        def counting(client: Any, message: Any, inner: Any = inner) -> Any:
            processed[0] += 1
            return inner(client, message)

        ex.handle_message = counting
        exchanges[f"v{i}"] = ex
    engine = Engine(
        run_id="scaling",
        markets={},
        fees={},
        limits=Limits(max_notional=Decimal("1000")),
        sink=ScanSink("scaling", None, None),
        max_book_age_ms=600_000,
    )
    for v in exchanges:
        for s in syms:
            spec = MarketSpec(s, s.split("/")[0], "USDT", Decimal("0.00000001"), Decimal("0.1"), None, None, None)
            engine.add_market(v, s, spec, Fee(Decimal("0.001")))
    feeds = Feeds(exchanges, syms, engine.on_book, engine.on_event)
    tasks = [asyncio.create_task(feeds._watch(v, syms, many=True)) for v in exchanges]
    await asyncio.sleep(2.0)  # warm-up: subscriptions, snapshots, steady stream
    n0, cpu0, t0 = processed[0], time.process_time(), time.monotonic()
    await asyncio.sleep(seconds)
    n, cpu, wall = processed[0] - n0, time.process_time() - cpu0, time.monotonic() - t0
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for ex in exchanges.values():
        await ex.close()
    return {"symbols": len(syms), "processed": n, "seconds": round(wall, 3), "cpu_s": round(cpu, 3)}


def run_workers(ports: list[int], syms: list[str], n: int, seconds: float) -> list[dict[str, Any]]:
    base = [sys.executable, "-m", "bench.scaling", "--ports", ",".join(map(str, ports))]
    base += ["--symbols", str(len(syms)), "--seconds", str(seconds)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen([*base, "--worker", f"{i}/{n}"], cwd=ROOT, stdout=subprocess.PIPE, env=env) for i in range(n)
    ]
    out = []
    for p in procs:
        stdout, _ = p.communicate(timeout=seconds + 60)
        out.append(json.loads(stdout.decode().strip().splitlines()[-1]))
    return out


async def _measure(n_symbols: int, seconds: float) -> dict[str, Any]:
    syms = symbols(n_symbols)
    ports, runners = await serve(syms)
    try:
        result: dict[str, Any] = {"venues": VENUES, "symbols": n_symbols}
        for n in (1, 2):
            cpu0 = time.process_time()
            per = await asyncio.to_thread(run_workers, ports, syms, n, seconds)
            rate = sum(w["processed"] / w["seconds"] for w in per)
            per_cpu = sum(w["processed"] for w in per) / max(1e-9, sum(w["cpu_s"] for w in per))
            result[f"workers_{n}"] = {
                "msgs_per_s": round(rate),
                "msgs_per_cpu_s": round(per_cpu),  # what one worker handles per second of a core it has alone
                "servers_cpu_s": round(time.process_time() - cpu0, 2),
                "per_worker": per,
            }
        result["ratio"] = round(result["workers_2"]["msgs_per_s"] / max(1, result["workers_1"]["msgs_per_s"]), 2)
        return result
    finally:
        for r in runners:
            await r.cleanup()


def measure(symbols_n: int = 300, seconds: float = 6.0) -> dict[str, Any]:
    return asyncio.run(_measure(symbols_n, seconds))


def line(r: dict[str, Any]) -> str:
    w1, w2 = r["workers_1"], r["workers_2"]
    return (
        f"{r['venues']} venues x {r['symbols']} symbols: 1 worker {w1['msgs_per_s']} msg/s, 2 workers "
        f"{w2['msgs_per_s']} msg/s -> x{r['ratio']} (per CPU-second: {w1['msgs_per_cpu_s']} / {w2['msgs_per_cpu_s']})"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--symbols", type=int, default=300)
    ap.add_argument("--seconds", type=float, default=6.0)
    ap.add_argument("--worker", default=None, help="internal: run one worker i/N against --ports")
    ap.add_argument("--ports", default="")
    a = ap.parse_args()
    if a.worker is not None:
        from arb.scale.partition import parse_shard

        shard = parse_shard(a.worker)
        mine = shard.mine(symbols(a.symbols))
        print(json.dumps(asyncio.run(work([int(p) for p in a.ports.split(",")], mine, a.seconds))), flush=True)
        return
    r = measure(a.symbols, a.seconds)
    print(line(r))
    print(json.dumps(r))


if __name__ == "__main__":
    main()
