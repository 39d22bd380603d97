"""Shared venue-server machinery: keys, rate limits, WS sessions with faults, publishing, test hooks.

A dialect subclasses :class:`VenueServer` and implements ``make_app`` (REST routes + WS endpoints),
``publish_book`` (format one :class:`~exchanges.sim.market.BookUpdate` for its channels) and
``on_ws_text`` (one client frame). Everything venue-independent lives here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiohttp import WSMsgType, web

from exchanges.sim import keepalive
from exchanges.sim.faults import FaultConfig
from exchanges.sim.latency import LatencyDraws, VenueLatency
from exchanges.sim.market import BookUpdate, MarketProcess
from exchanges.sim.matching import Fill, MatchingEngine, Order
from exchanges.sim.md_delay import MarketDataDelay
from exchanges.sim.tape import PublicTrade
from exchanges.sim.venue_market import MarketViews
from exchanges.sim.wallets import Wallets

log = logging.getLogger(__name__)

PERMISSIONS = frozenset({"read", "trade", "withdraw"})


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A key configured on a simulated venue. ``account`` groups keys that share balances and orders."""

    key: str
    secret: str
    passphrase: str = ""
    permissions: frozenset[str] = frozenset({"read", "trade"})
    ip_whitelist: tuple[str, ...] = ()
    account: str = "main"
    label: str = ""

    def __post_init__(self) -> None:
        unknown = set(self.permissions) - PERMISSIONS
        if unknown:
            raise ValueError(f"ApiKey {self.key}: unknown permissions {sorted(unknown)} (use {sorted(PERMISSIONS)})")

    def allows_ip(self, ip: str | None) -> bool:
        return not self.ip_whitelist or ip in self.ip_whitelist


class RateLimiter:
    """Sliding-window request counter per (identity, endpoint): ``limits[endpoint] = (count, window_ms)``."""

    def __init__(self, limits: dict[str, tuple[int, int]], default: tuple[int, int] = (20, 2000)) -> None:
        self.limits, self.default = dict(limits), default
        self._hits: dict[tuple[str, str], deque[int]] = defaultdict(deque)

    def allow(self, identity: str, endpoint: str, now_ms: int, weight: int = 1) -> bool:
        count, window = self.limits.get(endpoint, self.default)
        hits = self._hits[(identity, endpoint)]
        while hits and hits[0] <= now_ms - window:
            hits.popleft()
        if len(hits) + weight > count:
            return False
        hits.extend([now_ms] * weight)
        return True


class WsSession:
    """One client WebSocket: subscriptions, login state and an outgoing queue that applies faults."""

    QUEUE_MAX = 20_000

    def __init__(self, server: VenueServer, ws: web.WebSocketResponse, path: str, remote: str | None) -> None:
        self.server, self.ws, self.path, self.remote = server, ws, path, remote
        self.conn_id = f"{id(self) & 0xFFFFFFFF:08x}"
        self.subscriptions: set[Any] = set()
        self.key: ApiKey | None = None
        self._queue: asyncio.Queue[tuple[float, str] | None] = asyncio.Queue(self.QUEUE_MAX)
        self._held: str | None = None
        self.sent = 0
        self.dropped = 0
        self.pings = 0
        self.opened = self.last_recv = time.monotonic()  # connection age and idleness (keepalive.py)

    def send(self, text: str, *, book_update: bool = False) -> None:
        """Queue a frame. Book updates are subject to market-data latency and gap/duplicate/reorder faults."""
        faults = self.server.faults
        if book_update:
            if faults.chance(faults.gap_rate):
                self.dropped += 1
                return
            if self._held is not None:
                held, self._held = self._held, None
                self._put(text)
                self._put(held)
                return
            if faults.chance(faults.reorder_rate):
                self._held = text
                return
            if faults.chance(faults.duplicate_rate):
                self._put(text)
        self._put(text)

    def _put(self, text: str) -> None:
        hold = self.server.md_delay.hold
        if hold is not None:  # a book frame held for the venue's market-data latency (md_delay.py)
            hold.append((self, text))
            return
        faults = self.server.faults
        due = 0.0
        if faults.delay_ms or faults.delay_jitter_ms:
            jitter = faults.rng.uniform(0, faults.delay_jitter_ms) if faults.delay_jitter_ms else 0.0
            due = time.monotonic() + (faults.delay_ms + jitter) / 1000.0
        try:
            self._queue.put_nowait((due, text))
        except asyncio.QueueFull:  # a client that does not read is cut off, as venues do
            log.warning("sim.ws.slow_consumer venue=%s conn=%s", self.server.venue, self.conn_id)
            self.server.spawn(self.close())

    async def sender(self) -> None:
        while True:
            item = await self._queue.get()
            if item is None:
                return
            due, text = item
            if due:
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            if self.server.stalled():
                self.dropped += 1
                continue
            if self.ws.closed:
                return
            try:
                await self.ws.send_str(text)
                self.sent += 1
            except (ConnectionError, RuntimeError):
                return

    async def close(self, code: int = 1000) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close(code=code)


class VenueServer(MarketViews):
    """Base of a simulated venue: state shared by REST and WS handlers of one dialect."""

    venue: str = ""
    rate_limits: dict[str, tuple[int, int]] = {}  # noqa: RUF012 - overridden per dialect
    # connection upkeep as the venue does it (see keepalive.py); per instance too, e.g. shorter in tests
    ws_idle_timeout_ms: int | None = None  # close a connection that sent nothing for this long
    ws_ping_interval_ms: int | None = None  # server pings (WS ping frames); no pong in half of it: closed
    ws_max_lifetime_ms: int | None = None  # close (rotate) every connection this old

    def __init__(
        self,
        market: MarketProcess,
        engine: MatchingEngine,
        keys: Iterable[ApiKey] = (),
        faults: FaultConfig | None = None,
        *,
        venue: str | None = None,
    ) -> None:
        self.venue = venue or self.venue
        self.market, self.engine = market, engine
        self.keys: dict[str, ApiKey] = {k.key: k for k in keys}
        self.faults = faults or FaultConfig()
        self.clock_offset_ms = 0
        self.limiter = RateLimiter(self.rate_limits)
        self.request_log: deque[dict[str, Any]] = deque(maxlen=5000)
        self.sessions: set[WsSession] = set()
        self.stalled_until = 0.0  # time.monotonic()
        self._seq_waiters: list[tuple[str, int, asyncio.Future[None]]] = []
        self._sub_changed = asyncio.Event()
        self._tasks: set[asyncio.Future[Any]] = set()
        self.books_published = 0
        self.send_stamps: list[tuple[str, int, int]] | None = None  # set by the harness for benchmarks
        # rate_limit_burst 429s on order placements also go to the order log (reason: the venue's code)
        self.log_rate_limited_orders = True  # 429-refused placements appear in the order log as rejected
        self._fill_ratio_seen = 0.0
        self.placements_in_flight = 0  # placements received but not yet at the matching engine (delayed)
        engine.listeners.append(self._on_order)
        engine.tape.listeners.append(self._on_trade)
        self.latency = LatencyDraws(VenueLatency(), 0, self.venue)  # one-way latencies (the harness sets them)
        self.md_delay = MarketDataDelay(self)
        self.wallets = Wallets([c for s in market.symbols for c in s.split("/")])  # currencies and networks
        self.unlisted: set[str] = set()  # market symbols this venue does not list (MarketViews.listed)

    # ------------------------------------------------------------------ dialect hooks
    def make_app(self) -> web.Application:
        raise NotImplementedError

    def publish_book(self, update: BookUpdate) -> None:
        raise NotImplementedError

    async def on_ws_text(self, session: WsSession, text: str) -> None:
        raise NotImplementedError

    def on_order_event(self, order: Order, fill: Fill | None) -> None:
        """Push order/fill events to private sessions (dialect)."""

    def ccxt_config(self, base_url: str, key: ApiKey | None) -> dict[str, Any]:
        raise NotImplementedError

    def on_session_closed(self, session: WsSession) -> None:
        """Drop the session from any dialect-side subscription index."""

    def publish_trade(self, trade: PublicTrade) -> None:
        """Push one public trade to the dialect's trade channel subscribers."""

    # ------------------------------------------------------------------ clock & keys
    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.clock_offset_ms

    def add_key(self, key: ApiKey) -> None:
        self.keys[key.key] = key

    def stalled(self) -> bool:
        return time.monotonic() < self.stalled_until

    def stall(self, duration_ms: int) -> None:
        """Go silent on every WS connection (no data, no pong) for ``duration_ms``."""
        self.stalled_until = time.monotonic() + duration_ms / 1000.0

    async def disconnect_all(self, code: int = 1000) -> int:
        sessions = list(self.sessions)
        for s in sessions:
            await s.close(code)
        return len(sessions)

    def inject_crossed(self, symbol: str, duration_ms: int, ticks: int = 1) -> None:
        """Publish bid >= ask for ``symbol`` on this venue for ``duration_ms`` of market time."""
        self.market.inject_crossed(self.venue, symbol, self.market.now_ms + duration_ms, ticks)

    def place_order(self, key: Any, now_ms: int, arrival_ms: int | None = None, **kw: Any) -> Order:
        """A client's parsed order into the matching engine under ``key``'s account, after this venue's order faults
        (forced partial fills synced, a forced reject); a refusal raises the engine's ``Reject``."""
        ratio = self.faults.partial_fill_ratio
        if ratio != self._fill_ratio_seen:
            self._fill_ratio_seen, self.engine.forced_fill_ratio = ratio, Decimal(str(ratio)) if ratio > 0 else None
        reject = self.faults.chance(self.faults.reject_rate)
        return self.engine.place(
            account=key.account, key=key.key, now_ms=now_ms, fault_reject=reject, arrival_ms=arrival_ms, **kw
        )

    def log_request(self, **entry: Any) -> None:
        self.request_log.append(entry)

    # ------------------------------------------------------------------ publishing
    def after_step(self, updates: list[BookUpdate]) -> None:
        """Called by the market driver with this venue's updates of one step."""
        stamps = self.send_stamps
        for upd in updates:
            self.md_delay.publish(upd)
            self.books_published += 1
            if stamps is not None:  # benchmarks: (symbol, seq, wall ns) right after the frames are queued
                stamps.append((upd.symbol, upd.seq, time.time_ns()))
        for symbol in {o.symbol for o in self.engine.resting.values()}:
            self.engine.match_resting(symbol, self.market.now_ms)
        tape, now = self.engine.tape, self.market.now_ms
        self.md_delay.release(now)
        for upd in updates:
            if tape.mid_due(upd.symbol, now):  # once a second per symbol: the 24 h open/high/low
                tape.note_mid(upd.symbol, now, self.mid(upd.symbol))
        if self._seq_waiters:
            self._wake_seq_waiters()

    def subscribers(self, predicate: Callable[[WsSession], bool]) -> list[WsSession]:
        return [s for s in self.sessions if predicate(s)]

    def _wake_seq_waiters(self) -> None:
        keep = []
        for symbol, seq, fut in self._seq_waiters:
            if fut.done():
                continue
            if self.market.book(self.venue, symbol).seq >= seq:
                fut.set_result(None)
            else:
                keep.append((symbol, seq, fut))
        self._seq_waiters = keep

    async def wait_for_seq(self, symbol: str, seq: int | None = None, timeout_s: float = 10.0) -> int:
        """Wait until ``symbol``'s published seq reaches ``seq`` (default: the next publication)."""
        book = self.market.book(self.venue, symbol)
        target = book.seq + 1 if seq is None else seq
        if book.seq < target:
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._seq_waiters.append((symbol, target, fut))
            async with asyncio.timeout(timeout_s):
                await fut
        return book.seq

    async def wait_for_subscription(self, predicate: Callable[[Any], bool], timeout_s: float = 10.0) -> None:
        """Wait until some session holds a subscription matching ``predicate`` (dialect's channel keys)."""
        async with asyncio.timeout(timeout_s):
            while not any(predicate(sub) for s in self.sessions for sub in s.subscriptions):
                self._sub_changed.clear()
                await self._sub_changed.wait()

    def subscriptions_changed(self) -> None:
        self._sub_changed.set()

    def _on_trade(self, trade: PublicTrade) -> None:
        try:
            self.publish_trade(trade)
        except Exception:  # a push failure must never break matching
            log.exception("sim.trade_push_failed venue=%s", self.venue)

    def _on_order(self, order: Order, fill: Fill | None) -> None:
        try:
            self.on_order_event(order, fill)
        except Exception:  # a push failure must never break matching
            log.exception("sim.order_push_failed venue=%s", self.venue)

    # ------------------------------------------------------------------ websocket plumbing
    async def ws_endpoint(self, request: web.Request) -> web.WebSocketResponse:
        heartbeat = self.ws_ping_interval_ms / 1000 if self.ws_ping_interval_ms else None
        ws = web.WebSocketResponse(autoping=True, heartbeat=heartbeat, max_msg_size=1 << 20)
        await ws.prepare(request)
        session = WsSession(self, ws, request.path, request.remote)
        self.sessions.add(session)
        sender = asyncio.create_task(session.sender())
        try:
            async for msg in ws:
                session.last_recv = time.monotonic()
                if msg.type == WSMsgType.TEXT:
                    if self.stalled():
                        continue
                    try:
                        await self.on_ws_text(session, msg.data)
                    except Exception:
                        log.exception("sim.ws.handler_error venue=%s", self.venue)
                elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
        finally:
            self.sessions.discard(session)
            self.on_session_closed(session)
            session.subscriptions.clear()
            self.subscriptions_changed()
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender
        return ws

    # ------------------------------------------------------------------ background faults
    def spawn(self, coro: Any) -> None:
        self.track(asyncio.ensure_future(coro))

    def track(self, task: asyncio.Future[Any]) -> None:  # a Task or a future from ensure_future
        """Keep a background task alive until done (cancelled by ``aclose``); its exception is consumed."""
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled():
            task.exception()

    async def run_faults(self) -> None:
        """Periodic faults (disconnects, stalls, crossed books); runs until cancelled."""
        f = self.faults
        clocks = {"disconnect": 0.0, "stall": 0.0, "crossed": 0.0}
        start = time.monotonic()
        while True:
            await asyncio.sleep(0.05)
            keepalive.tick(self, time.monotonic())
            elapsed_ms = (time.monotonic() - start) * 1000
            if f.disconnect_every_ms and elapsed_ms - clocks["disconnect"] >= f.disconnect_every_ms:
                clocks["disconnect"] = elapsed_ms
                await self.disconnect_all()
            if f.stall_every_ms and f.stall_ms and elapsed_ms - clocks["stall"] >= f.stall_every_ms:
                clocks["stall"] = elapsed_ms
                self.stall(f.stall_ms)
            if f.crossed_every_ms and elapsed_ms - clocks["crossed"] >= f.crossed_every_ms:
                clocks["crossed"] = elapsed_ms
                symbols = self.market.symbols
                self.inject_crossed(symbols[f.rng.randrange(len(symbols))], f.crossed_ms)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self.disconnect_all(code=1001)


@dataclass(slots=True)
class DialectSpec:
    """Registry entry: how to build a venue's server. ``factory(market, engine, keys, faults)``."""

    venue: str
    factory: Callable[..., VenueServer]
    engine_options: dict[str, Any] = field(default_factory=dict)
