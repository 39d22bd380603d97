"""A separate process that replays pre-built OKX `books` frames over WebSocket at a fixed rate.

    python -m bench.frame_server --venues 3 --symbols 20 --rate 6000 --seconds 4

Listens on 127.0.0.1 (one port per venue, printed as JSON on stdout), answers ccxt's subscribe
and text `ping`, sends each symbol's snapshot on subscribe and then update frames round-robin at
``rate`` messages per second in total, stamping `ts` with the wall clock at send. Prints the
number of frames sent when done. Pre-built so the replay, not frame building, sets the pace.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from aiohttp import WSMsgType, web

from bench.frames import OkxBookGen


def build(symbols: list[str], updates: int, seed: int) -> tuple[dict[str, str], list[str]]:
    gens = {s: OkxBookGen(s, seed=seed + i) for i, s in enumerate(symbols)}
    snaps = {s: g.snapshot() for s, g in gens.items()}
    frames = []
    for i in range(updates):
        s = symbols[i % len(symbols)]
        frames.append(gens[s].update(2).replace(f'"ts":"{gens[s].ts}"', '"ts":"%d"'))
    return snaps, frames


async def serve(venues: int, symbols: list[str], rate: float, seconds: float, seed: int) -> None:
    per_venue_rate = rate / venues
    sent = 0
    started = asyncio.Event()
    runners = []
    ports = []
    for v in range(venues):
        snaps, frames = build(symbols, max(1000, int(per_venue_rate * seconds) + 100), seed + 100 * v)

        async def ws_handler(
            request: web.Request, snaps: dict[str, str] = snaps, frames: list[str] = frames
        ) -> web.WebSocketResponse:
            nonlocal sent
            ws = web.WebSocketResponse(autoping=True)
            await ws.prepare(request)
            subscribed = asyncio.Event()

            async def reader() -> None:
                async for msg in ws:
                    if msg.type != WSMsgType.TEXT:
                        continue
                    if msg.data == "ping":
                        await ws.send_str("pong")
                        continue
                    req = json.loads(msg.data)
                    if req.get("op") == "subscribe":
                        for arg in req.get("args", []):
                            await ws.send_str(json.dumps({"event": "subscribe", "arg": arg}))
                        for snap in snaps.values():
                            await ws.send_str(snap)
                        subscribed.set()
                        started.set()

            rt = asyncio.create_task(reader())
            await subscribed.wait()
            batch = max(1, int(per_venue_rate / 200))  # send in 5 ms slices
            t0, i = time.monotonic(), 0
            try:
                while i < len(frames) and not ws.closed:
                    target = t0 + i / per_venue_rate
                    delay = target - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    now = time.time_ns() // 1_000_000
                    for f in frames[i : i + batch]:
                        await ws.send_str(f % now)
                    sent += min(batch, len(frames) - i)
                    i += batch
            except ConnectionError:  # the consumer finished its window and hung up: expected
                pass
            finally:
                rt.cancel()
            await ws.close()
            return ws

        app = web.Application()
        app.router.add_get("/ws/v5/public", ws_handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        ports.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        runners.append(runner)
    print(json.dumps({"ports": ports}), flush=True)
    await started.wait()
    await asyncio.sleep(seconds + 1)
    print(json.dumps({"sent": sent}), flush=True)
    for r in runners:
        await r.cleanup()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--venues", type=int, default=3)
    ap.add_argument("--symbols", type=int, default=20)
    ap.add_argument("--rate", type=float, default=6000)
    ap.add_argument("--seconds", type=float, default=4)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    syms = [f"C{i:03d}/USDT" for i in range(a.symbols)]
    asyncio.run(serve(a.venues, syms, a.rate, a.seconds, a.seed))


if __name__ == "__main__":
    main()
