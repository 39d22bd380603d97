"""``LoopbackExchanges``: run simulated venues on 127.0.0.1 for tests, the demo and ``arb sim``.

    async with LoopbackExchanges(venues=["okx"], symbols=["BTC/USDT"], seed=1) as sim:
        ex = ccxt.pro.okx(sim.ccxt_config("okx", key="trader"))
        ...
        sim.schedule, sim.order_log, sim.book("okx", "BTC/USDT"), sim.venue("okx").faults

``profile="demo"`` (default) or ``"realistic"`` (or a :class:`~exchanges.sim.profiles.MarketProfile`) picks
the market's frictions: book shape and cadence, latencies, competitors, replenishment; ``params`` and
``profiles`` override its parts. ``update_interval_ms`` defaults to the profile's step;
``update_interval_ms=None`` runs no market driver: the test advances the market with ``sim.step()``.
``aliases={"okx2": "okx"}`` adds a second server of a dialect under a new venue name, on the same
market (its own book noise, keys ``okx2-trader-key``..., engine and order log entries with
``venue="okx2"``); ``sim.ccxt_config("okx2")`` is an okx config pointing at it, ``sim.dialect_of``
names the ccxt class to use.
``unlisted={"bybit": ["TRX/USDT"]}`` keeps symbols off a venue's instruments and tickers (venues list different
sets); ``volumes={"BTC/USDT": 5e6}`` starts every venue's 24 h ticker quote volume there (one seed trade at the mid).
``log_rate_limited_orders`` (default True) puts order placements refused by a ``rate_limit_burst`` 429
into ``order_log`` (status ``rejected``, the venue's code as ``reject_reason``; per venue at run time:
``sim.venue(v).log_rate_limited_orders``). On by default (as rejected, never matched); pass False to omit them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from aiohttp import web

from exchanges.sim.base import ApiKey, VenueServer
from exchanges.sim.faults import FaultConfig, parse_fault_spec
from exchanges.sim.instruments import venue_specs
from exchanges.sim.latency import LatencyDraws, VenueLatency
from exchanges.sim.market import DEFAULT_SYMBOLS, Dislocation, MarketParams, MarketProcess, VenueProfile
from exchanges.sim.matching import MatchingEngine
from exchanges.sim.profiles import MarketProfile, get_profile
from exchanges.sim.registry import available_venues, get_dialect
from exchanges.sim.tape import PublicTrade
from exchanges.sim.traders import Competitors

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
PROFILE_STEP = -1  # update_interval_ms default: the market profile's step
DEMO_PASSPHRASE = "Loopback-Demo-1"


def demo_keys(venue: str) -> dict[str, ApiKey]:
    """The preconfigured keys of every simulated venue: trader (read+trade), readonly, withdraw."""
    perms = {"trader": {"read", "trade"}, "readonly": {"read"}, "withdraw": {"read", "trade", "withdraw"}}
    return {
        name: ApiKey(
            key=f"{venue}-{name}-key",
            secret=f"{venue}-{name}-demo-secret",
            passphrase=DEMO_PASSPHRASE,
            permissions=frozenset(p),
            account="main",
            label=name,
        )
        for name, p in perms.items()
    }


def default_balances(market: MarketProcess, quote_notional: float = 100_000.0) -> dict[str, Decimal]:
    """USDT plus ``quote_notional`` worth of every base, rounded to the lot."""
    out = {"USDT": Decimal(str(quote_notional))}
    for symbol in market.symbols:
        spec = market.spec(market.venues[0], symbol)
        out[spec.base] = (Decimal(str(quote_notional / spec.mid)) // spec.lot) * spec.lot
    return out


def seed_volumes(engine: MatchingEngine, market: MarketProcess, venue: str, volumes: dict[str, float]) -> None:
    """One synthetic trade per symbol at its mid worth ``volumes[symbol]`` quote: the venue's 24 h ticker volume."""
    for i, (symbol, quote) in enumerate(volumes.items()):
        if symbol in market.symbols and quote > 0:
            mid = Decimal(str(market.spec(venue, symbol).mid))
            amount = Decimal(str(quote)) / mid
            trade_id = str(10**15 + i)  # numeric like the venues' own; far above the engine's counter
            engine.tape.record(PublicTrade(trade_id, symbol, int(time.time() * 1000), mid, amount, "buy"))


@dataclass(frozen=True, slots=True)
class BookView:
    """A venue's published book: levels best first as Decimal (price, size), plus seq and timestamp."""

    venue: str
    symbol: str
    bids: list[tuple[Decimal, Decimal]]
    asks: list[tuple[Decimal, Decimal]]
    seq: int
    ts_ms: int


class LoopbackExchanges:
    """Start venues + market driver; hand out ccxt configs; expose state for assertions."""

    def __init__(
        self,
        venues: list[str] | None = None,
        symbols: list[str] | None = None,
        seed: int = 1,
        faults: dict[str, FaultConfig] | str | None = None,
        update_interval_ms: int | None = PROFILE_STEP,
        params: MarketParams | None = None,
        profiles: dict[str, VenueProfile] | None = None,
        balances: dict[str, Decimal] | None = None,
        extra_keys: dict[str, list[ApiKey]] | None = None,
        ports: dict[str, int] | None = None,
        aliases: dict[str, str] | None = None,
        log_rate_limited_orders: bool = True,
        profile: str | MarketProfile = "demo",
        unlisted: dict[str, list[str]] | None = None,
        volumes: dict[str, float] | None = None,
        **param_overrides: Any,
    ) -> None:
        self.profile = get_profile(profile)
        self.aliases = dict(aliases or {})
        for name, dialect in self.aliases.items():
            if dialect not in available_venues() or name in available_venues():
                known = ", ".join(available_venues())
                raise ValueError(f"alias {name}={dialect}: use a new venue name for one of the dialects {known}")
        self.venues = list(venues or available_venues())
        self.venues += [name for name in self.aliases if name not in self.venues]
        self.symbols = list(symbols or DEFAULT_SYMBOLS)
        self.seed = seed
        parsed = parse_fault_spec(faults) if isinstance(faults, str) else dict(faults or {})
        self.faults = {v: parsed.get(v, FaultConfig()).with_seed(seed, v) for v in self.venues}
        self.update_interval_ms = self.profile.step_ms if update_interval_ms == PROFILE_STEP else update_interval_ms
        base = params or self.profile.params
        self.params = replace(base, **param_overrides)
        self.profiles = {v: self.profile.venue(self.dialect_of(v)) for v in self.venues} | dict(profiles or {})
        self.competitors: Competitors | None = None  # the profile's competing takers, once started
        self.balances = balances
        self.extra_keys = extra_keys or {}
        self.ports = ports or {}
        self.log_rate_limited_orders = log_rate_limited_orders
        self.unlisted = {v: set(s) for v, s in (unlisted or {}).items()}  # venue → symbols it does not list
        self.volumes = dict(volumes or {})  # symbol → 24 h quote volume each venue's ticker starts with
        self.servers: dict[str, VenueServer] = {}
        self.keys: dict[str, dict[str, ApiKey]] = {}
        self.base_urls: dict[str, str] = {}
        self.order_log: list[dict[str, Any]] = []
        self.initial_balances: dict[str, dict[str, Decimal]] = {}  # per venue, account "main", at start
        self._runners: list[web.AppRunner] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.market: MarketProcess

    # ------------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> LoopbackExchanges:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        specs = venue_specs({v: self.dialect_of(v) for v in self.venues}, self.symbols)  # each venue's real specs
        self.market = MarketProcess(
            self.symbols, self.venues, self.seed, self.params, self.profiles, specs, start_ms=int(time.time() * 1000)
        )
        for venue in self.venues:
            dialect = get_dialect(self.dialect_of(venue))
            engine = MatchingEngine(venue, self.market, order_log=self.order_log, **dialect.engine_options)
            engine.fund("main", self.balances or default_balances(self.market))
            self.initial_balances[venue] = dict(engine.account("main").balances)
            keys = demo_keys(venue)
            self.keys[venue] = {**keys, **{k.label or k.key: k for k in self.extra_keys.get(venue, [])}}
            named = {"venue": venue} if venue in self.aliases else {}
            server = dialect.factory(self.market, engine, self.keys[venue].values(), self.faults[venue], **named)
            server.log_rate_limited_orders = self.log_rate_limited_orders
            server.unlisted = set(self.unlisted.get(venue, ()))
            seed_volumes(engine, self.market, venue, self.volumes)
            latency = self.profile.latency.get(self.dialect_of(venue), VenueLatency())
            server.latency = LatencyDraws(latency, self.seed, venue)
            runner = web.AppRunner(server.make_app(), handle_signals=False, shutdown_timeout=1.0)
            await runner.setup()
            self._runners.append(runner)
            site = web.TCPSite(runner, HOST, self.ports.get(venue, 0))
            await site.start()
            port = runner.addresses[0][1]
            self.base_urls[venue] = f"http://{HOST}:{port}"
            self.servers[venue] = server
            self._tasks.append(asyncio.create_task(server.run_faults(), name=f"sim-faults-{venue}"))
        if self.profile.takers is not None:
            engines = {v: s.engine for v, s in self.servers.items()}
            self.competitors = Competitors(self.market, engines, self.profile.takers, self.seed)
        if self.update_interval_ms:
            self._tasks.append(asyncio.create_task(self._drive(self.update_interval_ms), name="sim-market"))

    def write_stamps(self, path: str) -> int:
        """Benchmarks: write every published book's (venue, symbol, seq, wall ns) as TSV; returns rows."""
        n = 0
        with open(path, "w") as f:
            for venue, server in self.servers.items():
                for symbol, seq, ns in server.send_stamps or ():
                    f.write(f"{venue}\t{symbol}\t{seq}\t{ns}\n")
                    n += 1
        return n

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        for server in self.servers.values():
            with contextlib.suppress(Exception):
                await server.aclose()
        for runner in self._runners:
            with contextlib.suppress(Exception):
                await runner.cleanup()
        self._runners.clear()

    async def _drive(self, interval_ms: int) -> None:
        loop = asyncio.get_running_loop()
        t0, k = loop.time(), 0
        # Market time tracks the wall clock from here on (the market was created earlier, while the
        # servers started), so a dislocation planted at wall time T is live from the first step >= T.
        base_ms = max(self.market.now_ms, int(time.time() * 1000))
        while True:
            k += 1
            delay = t0 + k * interval_ms / 1000 - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                if delay < -1.0:  # more than a second behind: stop catching up
                    t0 -= delay
                await asyncio.sleep(0)
            try:
                self.step(base_ms + k * interval_ms)
            except Exception:
                log.exception("sim.market.step_failed")

    # ------------------------------------------------------------------ control
    def step(self, now_ms: int | None = None) -> int:
        """Advance the market one step (default: one interval, or the profile's step) and publish; returns #updates."""
        if now_ms is None:
            now_ms = self.market.now_ms + (self.update_interval_ms or self.profile.step_ms)
        updates = self.market.step(now_ms)
        if self.competitors is not None:  # they trade after the step's books are laid out
            self.competitors.on_step(now_ms)
        by_venue: dict[str, list[Any]] = {v: [] for v in self.venues}
        for upd in updates:
            by_venue[upd.venue].append(upd)
        for venue, ups in by_venue.items():
            self.servers[venue].after_step(ups)
        return len(updates)

    # ------------------------------------------------------------------ queries
    def venue(self, venue: str) -> VenueServer:
        try:
            return self.servers[venue]
        except KeyError:
            raise KeyError(f"venue {venue!r} is not running; running: {', '.join(self.servers)}") from None

    def dialect_of(self, venue: str) -> str:
        """The dialect (and ccxt id) a venue speaks: itself, or what ``aliases`` maps it to."""
        return self.aliases.get(venue, venue)

    def ccxt_config(self, venue: str, key: str | None = "trader") -> dict[str, Any]:
        """Complete config for ``ccxt.pro.<dialect_of(venue)>(config)``; ``key=None`` for a public-only client."""
        api_key = None if key is None else self.keys[venue][key]
        return self.venue(venue).ccxt_config(self.base_urls[venue], api_key)

    @property
    def schedule(self) -> list[Dislocation]:
        return self.market.schedule

    def book(self, venue: str, symbol: str, depth: int | None = None) -> BookView:
        b = self.market.book(venue, symbol)
        g = b.grid
        return BookView(
            venue,
            symbol,
            [(g.price(t), g.size(n)) for t, n in b.sorted_levels("bid")[:depth]],
            [(g.price(t), g.size(n)) for t, n in b.sorted_levels("ask")[:depth]],
            b.seq,
            b.ts_ms,
        )

    # ------------------------------------------------------------------ venue truth (audits)
    def attempts(self, venue: str | None = None) -> list[dict[str, Any]]:
        """Every placement attempt (copies of order-log entries): client id, ``arrival_ms``, ``landed_ms``,
        ``status`` (``rejected`` + ``reject_reason``, or the accepted order's state), ``order_id``, ``filled``."""
        return [dict(e) for e in self.order_log if venue is None or e["venue"] == venue]

    def fills(self, venue: str, account: str = "main") -> list[dict[str, Any]]:
        """Every fill on ``venue``: trade id, order and client id, symbol, side, amount, price, fee, fee currency."""
        engine = self.venue(venue).engine
        return [
            {
                "venue": venue,
                "trade_id": f.trade_id,
                "order_id": o.order_id,
                "client_id": o.client_id,
                "symbol": o.symbol,
                "side": o.side,
                "amount": f.amount,
                "price": f.price,
                "fee": f.fee,
                "fee_currency": f.fee_currency,
                "ts_ms": f.ts_ms,
                "maker": f.maker,
            }
            for o in engine.account_orders(account)
            for f in o.fills
        ]

    def set_transfers(
        self,
        venue: str,
        currency: str,
        network: str | None = None,
        *,
        deposit: bool | None = None,
        withdraw: bool | None = None,
    ) -> None:
        """Suspend (False) / resume (True) deposits or withdrawals of ``currency`` on ``network`` (every network
        when None) on ``venue``: its currencies endpoint shows the flags at once (see exchanges/sim/wallets.py)."""
        self.venue(venue).wallets.set_enabled(currency, network, deposit=deposit, withdraw=withdraw)

    def account_balances(self, venue: str, account: str = "main") -> dict[str, Decimal]:
        """Total balance per currency (free + frozen) of ``account`` on ``venue`` now."""
        return dict(self.venue(venue).engine.account(account).balances)
