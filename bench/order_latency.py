"""Benchmark 2b: decision → both orders received by the simulators, live mode on loopback, per order transport.

The simulators (OKX, Binance, Bybit, frequent dislocations) run in their OWN process
(``python -m bench.order_latency --serve``, the same ``LoopbackExchanges`` as ``arb sim``), which stamps the
wall-clock nanosecond at which each order reaches a venue's matching engine (wrapping the order log's
``new_entry`` in that process: a measurement hook, no simulator change) and writes the stamps when told to stop.
The live trader runs here with keys, real ccxt.pro clients and dedicated send clients as ``arb run --live``
builds them. "Decision" is the trader's ``decision`` event (synchronous on the feed task) stamped here; both
processes read the same wall clock. The figure includes scheduling the execution, the journal's fsynced
commit of both order intents, signing, ccxt's send (WebSocket frame or HTTP request) and the simulator's
parsing and authentication of the order. It is split at the moment the order leaves arb's hands (ccxt's
WebSocket ``Client.send`` returned, or the REST request handed to ``fetch``): ``decision_to_both_handed_over_ms``
is arb's part, ``handed_over_to_engine_ms`` the wire and the simulator.

Run once per transport, each with a fresh simulator process: ``execution.order_transport = "ws"``
(orders over each venue's WebSocket trading API, sockets logged in before the first decision) and
``"rest"``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import re
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
VENUES = ("okx", "binance", "bybit")
RATE_LIMIT = True  # ccxt's own limiter on for the market/read clients, as in production


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


# ------------------------------------------------------------------------------- the simulator process
async def _serve(stamps_path: str) -> None:
    from exchanges.sim.harness import LoopbackExchanges

    received: dict[str, int] = {}
    arrived: dict[str, int] = {}  # client id -> its WS order request read off the socket by the simulator
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with LoopbackExchanges(
        venues=list(VENUES),
        symbols=SYMBOLS,
        seed=5,
        update_interval_ms=50,
        dislocation_rate_per_min=30.0,
        dislocation_bps=(40.0, 90.0),
        dislocation_ms=(300, 900),
    ) as sim:
        from exchanges.sim import order_log

        inner = order_log.new_entry  # every order reaching a matching engine (or refused) gets its entry here

        def stamped(*args: Any, **kw: Any) -> Any:
            entry = inner(*args, **kw)
            received.setdefault(entry["client_id"], time.time_ns())
            return entry

        order_log.new_entry = stamped
        _stamp_arrivals(arrived)
        keys = {
            v: {"key": k.key, "secret": k.secret, "passphrase": k.passphrase}
            for v in VENUES
            for k in [sim.keys[v]["trader"]]
        }
        configs = {v: sim.ccxt_config(v, None) for v in VENUES}
        sys.stdout.write(json.dumps({"configs": configs, "keys": keys}) + "\n")
        sys.stdout.flush()
        await stop.wait()
    Path(stamps_path).write_text(json.dumps({"engine": received, "socket": arrived}))


def _stamp_arrivals(arrived: dict[str, int]) -> None:
    """In the simulator process: stamp each WS order request when the venue's socket handler reads it (before the
    simulator's own task hop, placement and matching engine), wrapping each dialect's entry point."""
    from exchanges.sim.binance import ws_trade as binance_ws
    from exchanges.sim.bybit import ws_trade as bybit_ws
    from exchanges.sim.okx import ws_trade as okx_ws

    for module, name in ((okx_ws, "handle"), (binance_ws, "handle"), (bybit_ws, "on_text")):
        inner = getattr(module, name)

        def stamped(*args: Any, _inner: Any = inner) -> Any:
            now = time.time_ns()
            text = " ".join(a if isinstance(a, str) else json.dumps(a, default=str) for a in args[2:])
            for cid in CLIENT_ID_RE.findall(text):
                arrived.setdefault(cid, now)
            return _inner(*args)

        setattr(module, name, stamped)


# ------------------------------------------------------------------------------- the trader (this process)
async def _run(transport: str, seconds: float, min_trades: int) -> dict[str, Any]:
    import ccxt.pro as ccxtpro

    from arb.config import Config
    from arb.store import Journal
    from arb.trade.collector import settle_heap
    from arb.trade.executor import SEND_CLIENT_OPTIONS
    from arb.trade.trader import Trader
    from exchanges.profiles import profile

    tmp = Path(tempfile.mkdtemp(prefix=f"arb-bench-orders-{transport}-"))
    stamps_path = tmp / "received.json"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.order_latency", "--serve", str(stamps_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        cwd=str(Path(__file__).resolve().parents[1]),
    )  # fmt: skip
    assert proc.stdout is not None
    hello = json.loads(await proc.stdout.readline())
    configs, keys = hello["configs"], hello["keys"]
    decided: dict[str, int] = {}
    env: dict[str, str] = {}
    for v in VENUES:
        up = v.upper()
        env |= {f"ARB_{up}_API_KEY": keys[v]["key"], f"ARB_{up}_SECRET": keys[v]["secret"]}
        env[f"ARB_{up}_PASSWORD"] = keys[v]["passphrase"]
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
            "venues": {v: {"options": {k: x for k, x in configs[v].items() if k != "enableRateLimit"}} for v in VENUES},
            "execution": {"mode": "live", "on_partial": "hold", "order_timeout_ms": 2000, "order_transport": transport},
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

    def make(v: str, **extra: Any) -> Any:
        k = keys[v]
        creds = {"apiKey": k["key"], "secret": k["secret"], "password": k["passphrase"]}
        return getattr(ccxtpro, v)(configs[v] | creds | {"enableRateLimit": RATE_LIMIT} | extra)

    clients = {v: make(v) for v in VENUES}
    send = {v: make(v, **SEND_CLIENT_OPTIONS) for v in VENUES}  # as `arb run --live` builds them
    handed = _stamp_hand_over(send)
    journal = Journal.open(tmp / "arb.db")
    trader = Trader(cfg, market_clients=clients, send_clients=send, journal=journal)
    trader.before_ready.append(settle_heap)  # as `arb run` does

    def on(kind: str, payload: Any) -> None:
        if kind == "decision" and payload.get("verdict") == "accept":
            decided[payload["opportunity_id"]] = time.time_ns()

    trader.listeners.append(on)
    task = asyncio.create_task(trader.run())
    t_end = time.monotonic() + seconds
    while (time.monotonic() < t_end or len(decided) < min_trades) and time.monotonic() < t_end + 60:
        await asyncio.sleep(0.2)
        if task.done():
            break
    trader.stop()
    with contextlib.suppress(Exception):
        await task
    _stamp_hand_over(None)
    gc.unfreeze()  # settle_heap froze this process's heap: the benchmarks after this one run as before
    ws = {v: [getattr(c, "ws_orders", 0), getattr(c, "rest_orders", 0)] for v, c in trader.send_clients.items()}
    for c in (*clients.values(), *trader.send_clients.values()):
        await c.close()
    journal.close()
    proc.send_signal(signal.SIGTERM)
    await proc.wait()
    stamps = json.loads(stamps_path.read_text())
    received: dict[str, int] = stamps["engine"]
    arrived: dict[str, int] = stamps["socket"]
    lat: list[float] = []
    legs: list[float] = []
    arb_part: list[float] = []  # decision -> both orders handed to the socket / HTTP request (this process)
    wire: list[float] = []  # one order: handed over -> at the simulator's matching engine (other process)
    at_socket: list[float] = []  # decision -> both requests read by the simulator's socket handlers

    for opp_id, t0 in decided.items():
        stamps, hand, sock = [], [], []
        for leg in ("buy", "sell"):
            ids = [i for i in (profile(v).client_order_id(opp_id, leg) for v in VENUES) if i in received]
            if ids:
                stamps.append(received[ids[0]])
                if ids[0] in arrived:
                    sock.append(arrived[ids[0]])
                if ids[0] in handed:
                    hand.append(handed[ids[0]])
                    wire.append((received[ids[0]] - handed[ids[0]]) / 1e6)
        if len(stamps) == 2:
            lat.append((max(stamps) - t0) / 1e6)
            legs.append(abs(stamps[0] - stamps[1]) / 1e6)
        if len(hand) == 2:
            arb_part.append((max(hand) - t0) / 1e6)
        if len(sock) == 2:
            at_socket.append((max(sock) - t0) / 1e6)
    if not lat:
        return {"error": "no trades matched", "decisions": len(decided), "transport": transport}
    return {
        "transport": transport,
        "trades": len(lat),
        "decision_to_both_orders_ms": {
            "p50": round(_pct(lat, 50), 3),
            "p99": round(_pct(lat, 99), 3),
            "max": round(max(lat), 3),
        },
        "gap_between_legs_ms": {"p50": round(_pct(legs, 50), 3), "p99": round(_pct(legs, 99), 3)},
        "decision_to_both_handed_over_ms": _p(arb_part),
        "handed_over_to_engine_ms": _p(wire),
        "decision_to_both_at_simulator_socket_ms": _p(at_socket),
        "orders_ws_rest_per_venue": ws,
        "simulators": "own process",
    }


def _p(xs: list[float]) -> dict[str, float] | None:
    return {"p50": round(_pct(xs, 50), 3), "p99": round(_pct(xs, 99), 3)} if xs else None


CLIENT_ID_RE = re.compile(r'"?(?:clOrdId|newClientOrderId|orderLinkId)"?\s*[:=]\s*"?([A-Za-z0-9_-]+)')
_WS_SEND: list[Any] = []


def _stamp_hand_over(send: dict[str, Any] | None) -> dict[str, int]:
    """Stamp (wall ns) the moment each order leaves arb's hands: handed to ccxt's ``Client.send``, which writes
    the WebSocket frame at once, or the REST request handed to ``fetch``; ``None`` undoes the WebSocket hook."""
    from ccxt.async_support.base.ws.client import Client

    if send is None:
        if _WS_SEND:
            Client.send = _WS_SEND.pop()
        return {}
    handed: dict[str, int] = {}

    def note(text: str) -> None:
        m = CLIENT_ID_RE.search(text)
        if m:
            handed.setdefault(m.group(1), time.time_ns())

    ws_send = Client.send
    _WS_SEND.append(ws_send)

    async def stamped_send(self: Any, message: Any) -> Any:
        # stamped as ccxt's send is called: it writes the frame before its first suspension (once it returns,
        # the simulator may already have read the frame); the search for the client id is after the stamp
        now = time.time_ns()
        result = await ws_send(self, message)
        m = CLIENT_ID_RE.search(json.dumps(message) if isinstance(message, dict) else str(message))
        if m:
            handed.setdefault(m.group(1), now)
        return result

    Client.send = stamped_send
    for c in send.values():
        fetch = c.fetch

        async def stamped_fetch(url: str, method: str = "GET", headers: Any = None, body: Any = None, f: Any = fetch):
            note(f"{url} {body or ''}")
            return await f(url, method, headers, body)

        c.fetch = stamped_fetch
    return handed


def measure(seconds: float = 15.0, min_trades: int = 50) -> dict[str, Any]:
    """Both transports, WebSocket first; ``{"ws": {...}, "rest": {...}}``."""
    return {t: asyncio.run(_run(t, seconds, min_trades)) for t in ("ws", "rest")}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        asyncio.run(_serve(sys.argv[2]))
    else:
        print(json.dumps(measure(), indent=1))
