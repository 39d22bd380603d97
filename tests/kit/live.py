"""The live-setup kit: simulators with venue aliases, configs, journals, traders; :class:`Setup` owns them for one
test (the ``setup`` fixture in ``tests/integration/conftest.py`` closes it).

``AliasedLoopback(venues=["okx", "okx2"], aliases={"okx2": "okx"})`` runs two OKX dialect servers on
one shared market (one latent mid, independent venue noise), so cross-venue arbitrage can be
tested before other dialects land; real dialect pairs (okx + binance) run through the same code.
``plant(sim, symbol, venue, bps)`` puts a dislocation on the market now, so an opportunity appears.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt.pro as ccxtpro

from arb.config import Config
from exchanges.sim.harness import DEMO_PASSPHRASE, LoopbackExchanges
from exchanges.sim.market import Dislocation
from exchanges.sim.registry import available_venues
from tests.kit.builders import toml_text  # re-exported: the doctor and restart tests import it from here

SYM = "BTC/USDT"


# The harness runs aliases natively (``aliases={"okx2": "okx"}``, ``sim.dialect_of(venue)``); the name stays.
AliasedLoopback = LoopbackExchanges


PAIR = ("okx", "okx2")  # two venues of one dialect: the live tests' default pair


def venue_pairs() -> list[tuple[str, str]]:
    """Pairs to run cross-venue tests on: the OKX alias pair always, real dialect pairs as they land."""
    pairs = [("okx", "okx2")]
    have = set(available_venues())
    pairs += [("okx", v) for v in ("binance", "bybit") if v in have]
    return pairs


def aliases_for(venues: tuple[str, ...]) -> dict[str, str]:
    """``okx2`` → ``okx``, ``binance2`` → ``binance``: a second server of the same dialect."""
    return {v: v[:-1] for v in venues if v.endswith("2") and v[:-1] in available_venues()}


async def start_sim(
    venues: tuple[str, ...],
    *,
    seed: int = 11,
    symbols: list[str] | None = None,
    balances: dict[str, Decimal] | None = None,
    **kwargs: Any,
) -> AliasedLoopback:
    kwargs.setdefault("update_interval_ms", None)
    kwargs.setdefault("dislocation_rate_per_min", 0.0)
    sim = AliasedLoopback(
        venues=list(venues),
        symbols=symbols or [SYM],
        seed=seed,
        aliases=aliases_for(venues),
        balances=balances,
        **kwargs,
    )
    await sim.start()
    return sim


def plant(sim: LoopbackExchanges, venue: str, bps: float, *, symbol: str = SYM, ms: int = 600_000) -> Dislocation:
    """A dislocation of ``bps`` on ``venue`` from now on (positive: venue rich → sell there)."""
    now = sim.market.now_ms
    d = Dislocation(symbol, venue, now, now + ms, bps)
    sim.market.schedule.append(d)
    return d


def unplant(sim: LoopbackExchanges) -> None:
    sim.market.schedule.clear()


FAST = {"rateLimit": 10}  # ccxt paces OKX's account calls at 400 ms; the simulators allow the bursts tests make


def client(sim: AliasedLoopback, venue: str, key: str | None = "trader", **overrides: Any) -> Any:
    cfg = sim.ccxt_config(venue, key) | FAST
    cfg.update(overrides)
    return getattr(ccxtpro, sim.dialect_of(venue))(cfg)


def venue_table(sim: AliasedLoopback, venue: str) -> dict[str, Any]:
    """A ``[venues.NAME]`` table pointing at the simulator (no credentials: those come from env)."""
    cfg = sim.ccxt_config(venue, None) | FAST
    cfg.pop("enableRateLimit", None)
    return {"ccxt_id": sim.dialect_of(venue), "options": cfg}


def key_env(sim: AliasedLoopback, venues: tuple[str, ...], key: str = "trader") -> dict[str, str]:
    env: dict[str, str] = {}
    for v in venues:
        k = sim.keys[v][key]
        up = v.upper()
        env |= {f"ARB_{up}_API_KEY": k.key, f"ARB_{up}_SECRET": k.secret, f"ARB_{up}_PASSWORD": k.passphrase}
    return env


def config_dict(
    sim: AliasedLoopback,
    venues: tuple[str, ...],
    tmp: Path,
    *,
    mode: str = "live",
    execution: dict[str, Any] | None = None,
    risk: dict[str, Any] | None = None,
    scanner: dict[str, Any] | None = None,
    notify: dict[str, Any] | None = None,
    fee_bps: int | None = None,
) -> dict[str, Any]:
    """A config document for the simulator; ``fee_bps`` sets every venue's ``taker_fee_bps`` override."""
    return {
        "scanner": {
            "symbols": [SYM],
            "venues": list(venues),
            "min_net_bps": 5,
            "min_net_profit": "0.01",
            "max_notional": 500,
            "slippage_bps": 2,
            "max_book_age_ms": 5000,
            **(scanner or {}),
        },
        "venues": {
            v: venue_table(sim, v) | ({"taker_fee_bps": fee_bps} if fee_bps is not None else {}) for v in venues
        },
        "execution": {"mode": mode, "on_partial": "hedge", "order_timeout_ms": 1000, **(execution or {})},
        "risk": {"kill_file": str(tmp / "arb.kill"), **(risk or {})},
        "store": {"path": str(tmp / "arb.db"), "paper_path": str(tmp / "arb-paper.db"), "flush_ms": 20},
        "notify": notify or {},
    }


def write_config(
    sim: AliasedLoopback, venues: tuple[str, ...], tmp: Path, name: str = "arb.toml", **kwargs: Any
) -> str:
    """:func:`config_dict` written as ``tmp/name``; returns the path (for ``arb --config``)."""
    path = tmp / name
    path.write_text(toml_text(config_dict(sim, venues, tmp, **kwargs)), encoding="utf-8")
    return str(path)


def make_config(
    sim: AliasedLoopback, venues: tuple[str, ...], tmp: Path, *, env: dict[str, str] | None = None, **kwargs: Any
) -> Config:
    d = config_dict(sim, venues, tmp, **kwargs)
    if env is None:
        env = key_env(sim, venues) if d["execution"]["mode"] == "live" else {}
    return Config.from_dict(d, env=env)


class Run:
    """A trader running in the background; its listener events on a queue."""

    def __init__(self, trader: Any) -> None:
        RUNS.append(self)
        self.trader = trader
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        trader.listeners.append(lambda kind, payload: self.events.put_nowait((kind, payload)))
        self.task = asyncio.create_task(trader.run())

    async def next(self, kind: str, timeout_s: float = 15.0) -> Any:
        """The next listener event of ``kind`` (fails if the trader stops first)."""
        async with asyncio.timeout(timeout_s):
            while True:
                getter = asyncio.ensure_future(self.events.get())
                done, _ = await asyncio.wait({getter, self.task}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    self.task.result()
                    raise AssertionError(f"trader stopped before {kind}")
                k, payload = getter.result()
                if k == kind:
                    return payload

    async def cross_once(self, sim: LoopbackExchanges, venue: str, bps: float = 60.0) -> Any:
        """Lift ``venue``'s book by ``bps`` for one market step and return the trade's outcome."""
        plant(sim, venue, bps)
        sim.step()
        return await self.next("outcome")

    async def stop(self) -> None:
        self.trader.stop()
        await asyncio.wait_for(self.task, 20)


RUNS: list[Run] = []


class Setup:
    """Builds simulators, clients, journals and traders for one test; closes everything at the end."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.closers: list[Callable[[], Any]] = []

    async def sim(self, venues: tuple[str, ...] = ("okx", "okx2"), **kwargs: Any) -> AliasedLoopback:
        sim = await start_sim(venues, **kwargs)
        self.closers.append(sim.stop)
        return sim

    def clients(
        self, sim: AliasedLoopback, venues: tuple[str, ...], key: str | None = "trader", **overrides: Any
    ) -> dict[str, Any]:
        out = {v: client(sim, v, key, **overrides.get(v, {})) for v in venues}
        self.closers += [c.close for c in out.values()]
        return out

    def trader(self, cfg: Config, clients: dict[str, Any], **kwargs: Any) -> Any:
        from arb.store import Journal
        from arb.trade.trader import Trader

        journal = Journal.open(cfg.store.paper_path if cfg.execution.mode == "paper" else cfg.store.path)
        self.closers.append(journal.close)
        return Trader(cfg, market_clients=clients, journal=journal, **kwargs)

    async def ws_trader(
        self, venues: tuple[str, ...], send_urls: dict[str, dict[str, str]] | None = None, **cfg_kw: Any
    ) -> tuple[AliasedLoopback, Any]:
        """A simulator and a live trader on it as ``arb run --live`` builds one: market clients and send-only
        clients (ccxt's limiter off), orders over the venues' WebSocket trading APIs (the default transport).
        ``send_urls``: per venue, dotted paths into a send client's ``urls`` and what to put there (e.g. a trading
        socket's URL where nothing listens)."""
        sim = await self.sim(venues)
        cfg = make_config(sim, venues, self.tmp, **cfg_kw)
        send = {v: client(sim, v, enableRateLimit=False) for v in venues}
        for v, urls in (send_urls or {}).items():
            for path, url in urls.items():
                tree = send[v].urls
                *parents, leaf = path.split(".")
                for key in parents:
                    tree = tree[key]
                tree[leaf] = url
        self.closers += [c.close for c in send.values()]
        return sim, self.trader(cfg, self.clients(sim, venues), send_clients=send)

    async def close(self) -> None:
        while RUNS:  # a test that failed half-way leaves its trader running: stop it before closing its journal
            run = RUNS.pop()
            if not run.task.done():
                run.trader.stop()
                try:
                    await asyncio.wait_for(run.task, 10)
                except BaseException:  # teardown: whatever it died of was reported by the test
                    run.task.cancel()
        for f in reversed(self.closers):
            r = f()
            if asyncio.iscoroutine(r):
                await r


def sim_order(sim: LoopbackExchanges, client_id: str) -> tuple[dict[str, Any], Any]:
    """(order log entry, engine order) of the one order with this client id (asserts it is unique)."""
    entries = [e for e in sim.order_log if e["client_id"] == client_id]
    assert len(entries) == 1, f"{client_id} reached the venue {len(entries)} times"
    entry = entries[0]
    order = sim.venue(entry["venue"]).engine.orders.get(entry["order_id"]) if entry["order_id"] else None
    return entry, order


def no_duplicate_client_ids(sim: LoopbackExchanges) -> None:
    ids = [(e["venue"], e["client_id"]) for e in sim.order_log if e["client_id"]]
    assert len(ids) == len(set(ids)), f"a client id reached a venue twice: {ids}"


__all__ = ["DEMO_PASSPHRASE", "SYM", "toml_text"]
