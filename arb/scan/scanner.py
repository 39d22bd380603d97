"""The scanner: feeds → engine → journal / notifier / consumers, for one run.

Library use (bring your own ccxt.pro instances)::

    import ccxt.pro as ccxtpro
    from arb.scan.scanner import Scanner

    exchanges = {"okx": ccxtpro.okx(), "binance": ccxtpro.binance()}
    async with Scanner(exchanges, ["BTC/USDT", "ETH/USDT"]) as scanner:
        async for opp in scanner:
            print(opp.symbol, opp.buy_venue, opp.sell_venue, opp.net_profit, opp.net_bps)

Everything runs under one ``asyncio.TaskGroup`` owned by :meth:`Scanner.run`: one feed task per
venue, the sweeper (staleness and episode ends), the journal writer and the notifier. The
exchanges belong to the caller unless ``own_exchanges=True`` (then they are closed at the end).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from decimal import Decimal
from typing import Any, cast

from arb.clock import monotonic_ms, wall_ms
from arb.core.model import Balances, Episode, Fee, FeeCurrency, Limits, MarketSpec, Opportunity, dec
from arb.notify import Notifier
from arb.scan.engine import BookSlot, Engine, Sighting
from arb.scan.feeds import Backoff, Feeds
from arb.store import Journal, JournalWriter
from exchanges.profiles import profile

log = logging.getLogger(__name__)

SWEEP_MS = 50
FIRST_NETWORKS_S = 5.0  # the feeds wait at most this long for the first load of the venues' networks
HEALTH_EVENTS = {"venue_down": "down", "venue_up": "up", "stale": "stale"}


def market_fee(exchange: Any, venue: str, symbol: str, override: Fee | None, currency: str | None) -> Fee:
    """Taker fee for alert/paper mode: config override, else ccxt's market default, else the profile's."""
    if override is not None:
        return override
    prof = profile(getattr(exchange, "id", venue))
    cur = cast(FeeCurrency, currency or prof.fee_currency)
    taker = (exchange.markets or {}).get(symbol, {}).get("taker")
    if taker is not None:
        return Fee(dec(taker), cur, "market")
    return Fee(prof.default_taker, cur, "profile")


class ScanSink:
    """Fans engine output out to the journal writer, the notifier, library consumers and the view."""

    def __init__(
        self,
        run_id: str,
        writer: JournalWriter | None,
        notifier: Notifier | None,
        *,
        queue_size: int = 1000,
        notify_episode_end: bool = True,
    ) -> None:
        self.run_id = run_id
        self.writer = writer
        self.notifier = notifier
        self.notify_episode_end = notify_episode_end
        self.queue: asyncio.Queue[Opportunity] = asyncio.Queue(maxsize=queue_size)
        self.dropped_opportunities = 0
        self.recent: deque[Episode] = deque(maxlen=50)  # ended episodes, newest last
        self.events: deque[tuple[int, str | None, str | None, str, str]] = deque(maxlen=200)
        self.listeners: list[Callable[[str, Any], None]] = []  # (kind, payload) for the live view / JSON lines
        self.on_opportunity: Callable[[Sighting], None] | None = None  # the trader's entry
        self.on_book_opened: Callable[[str, str, BookSlot], None] | None = None  # the trader's view of the books
        self.marks: Any = None  # arb.inventory.marks.TransferMarks: transferability of each episode (optional)
        self._held: dict[str, dict[str, Any]] = {}  # episode id → start inputs, held back by require_transferable

    def _snap(self, ep: Episode, kind: str, inputs: dict[str, Any]) -> None:
        if self.writer is None:
            return
        self.writer.submit(
            "snapshot",
            {
                "episode_id": ep.id,
                "kind": kind,
                "ts_ms": wall_ms(),
                "inputs_json": json.dumps(inputs, separators=(",", ":")),
                "net_profit": Decimal(inputs["result"]["net_profit"]),
                "net_bps": Decimal(inputs["result"]["net_bps"]),
            },
        )

    def episode_started(self, ep: Episode, inputs: dict[str, Any]) -> None:
        if self.marks is not None:  # marked before anything sees it; held back while require_transferable says no
            self.marks.apply(ep)
            if not self.marks.allowed(ep):
                self._held[ep.id] = inputs
                return
        if self.writer is not None:
            self.writer.submit("episode", Journal.episode_row(ep, self.run_id))
        self._snap(ep, "start", inputs)
        if self.notifier is not None:
            self.notifier.episode_started(ep)
        for f in self.listeners:
            f("episode_started", ep)

    def episode_ended(self, ep: Episode, peak_inputs: dict[str, Any], end_inputs: dict[str, Any]) -> None:
        if self._held.pop(ep.id, None) is not None:  # never announced (require_transferable): nothing to end
            return
        if self.writer is not None:
            self.writer.submit("episode", Journal.episode_row(ep, self.run_id))
        self._snap(ep, "peak", peak_inputs)
        self._snap(ep, "end", end_inputs)
        if self.notifier is not None and self.notify_episode_end:
            self.notifier.episode_ended(ep)
        self.recent.append(ep)
        for f in self.listeners:
            f("episode_ended", ep)

    def book_opened(self, venue: str, symbol: str, slot: BookSlot) -> None:
        if self.on_book_opened is not None:
            self.on_book_opened(venue, symbol, slot)

    def _transfer_skip(self, ep: Episode, opp: Opportunity) -> bool:
        """Re-mark the episode (journaled again when the mark changed); True = skip it (require_transferable)."""
        changed = self.marks.apply(ep, opp)
        opp.meta["transferable"], opp.meta["transfer_cost"] = ep.transferable, ep.transfer_cost  # for library users
        held = self._held.get(ep.id)
        if not self.marks.allowed(ep):
            self.marks.skipped += 1
            if changed and held is None and self.writer is not None:
                self.writer.submit("episode", Journal.episode_row(ep, self.run_id))
            return True
        if held is not None:  # transferable now: announce it as it starts being acted on
            self.episode_started(ep, self._held.pop(ep.id))
        elif changed and self.writer is not None:
            self.writer.submit("episode", Journal.episode_row(ep, self.run_id))
        return False

    def opportunity(self, sighting: Sighting) -> None:
        opp = sighting.opp
        if self.marks is not None and self._transfer_skip(sighting.episode, opp):
            return
        if self.on_opportunity is not None:
            self.on_opportunity(sighting)  # must not block: it schedules, it does not await
        if self.queue.full():  # consumers get the newest; the oldest unread one is dropped
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
                self.dropped_opportunities += 1
        self.queue.put_nowait(opp)

    def event(self, venue: str | None, symbol: str | None, kind: str, detail: str) -> None:
        now = wall_ms()
        self.events.append((now, venue, symbol, kind, detail))
        level = logging.INFO if kind in ("venue_up", "book_ok", "networks", "network_resumed") else logging.WARNING
        log.log(level, "feed.%s venue=%s symbol=%s detail=%s", kind, venue, symbol, detail)
        if self.writer is not None:
            self.writer.submit(
                "event",
                {"run_id": self.run_id, "ts_ms": now, "venue": venue, "symbol": symbol, "kind": kind, "detail": detail},
            )
        if self.notifier is not None and venue is not None and kind in HEALTH_EVENTS and symbol is None:
            self.notifier.health(venue, HEALTH_EVENTS[kind], detail)
        for f in self.listeners:
            f("event", (venue, symbol, kind, detail))


class Scanner:
    """Alert-only scanning of ``symbols`` across ``exchanges`` (a dict of ccxt.pro instances)."""

    def __init__(
        self,
        exchanges: dict[str, Any],
        symbols: list[str],
        *,
        limits: Limits | None = None,
        fee_overrides: dict[str, Fee] | None = None,
        fee_currency: dict[str, str] | None = None,
        max_book_age_ms: int = 2000,
        episode_gap_ms: int = 500,
        journal: Journal | None = None,
        notifier: Notifier | None = None,
        book_limits: dict[str, int | None] | None = None,
        flush_ms: int = 250,
        queue_size: int = 10000,
        run_id: str | None = None,
        mode: str = "alert",
        run_config: dict[str, Any] | None = None,
        own_exchanges: bool = False,
        notify_episode_end: bool = True,
        health_stale_ms: int = 30_000,
        balances: Callable[[str, str, str], Balances] | None = None,
        on_opportunity: Callable[[Sighting], None] | None = None,
        on_book_opened: Callable[[str, str, BookSlot], None] | None = None,
        fees: Mapping[tuple[str, str], Fee] | None = None,
        transfers: Any = None,
    ) -> None:
        """``transfers``: an :class:`arb.inventory.watch.NetworkWatch` — loads the venues' networks, marks each
        episode transferable yes/no/unknown and, under ``require_transferable``, skips those that are not."""
        self.exchanges = exchanges
        self.symbols = list(symbols)
        self.limits = limits or Limits(max_notional=Decimal("1000"))
        self.fee_overrides = fee_overrides or {}
        # fees resolved before the run (the trader: account fee → config → market default, journaled): the
        # engine starts with them, so no alert or row ever uses a provisional fee
        self.fees: Mapping[tuple[str, str], Fee] = fees if fees is not None else {}
        self.fee_currency = fee_currency or {}
        self.journal = journal
        self.notifier = notifier
        self.mode = mode
        self.run_config = run_config or {}
        self.own_exchanges = own_exchanges
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self.writer = JournalWriter(journal, flush_ms=flush_ms, maxsize=queue_size) if journal is not None else None
        self.sink = ScanSink(self.run_id, self.writer, notifier, notify_episode_end=notify_episode_end)
        self.sink.on_opportunity = on_opportunity
        self.sink.on_book_opened = on_book_opened
        self.transfers = transfers
        if transfers is not None:
            self.sink.marks = transfers.marks
            transfers.bind(self.sink.event, notifier.send if notifier is not None else None)
        self.engine = Engine(
            balances=balances,
            run_id=self.run_id,
            markets={},
            fees={},
            limits=self.limits,
            sink=self.sink,
            max_book_age_ms=max_book_age_ms,
            episode_gap_ms=episode_gap_ms,
        )
        limits_by_venue = {v: profile(getattr(ex, "id", v)).book_limit for v, ex in exchanges.items()}
        limits_by_venue.update(book_limits or {})
        self.feeds = Feeds(
            exchanges,
            self.symbols,
            self.engine.on_book,
            self.engine.on_event,
            book_limits=limits_by_venue,
            backoff=Backoff(),
            liveness=self.engine.liveness,  # the feeds say which books share a stream (liveness.py)
        )
        self.health_stale_ms = health_stale_ms
        self._stale_alerted: set[str] = set()
        self.ready: dict[str, list[str]] = {}
        self.started = asyncio.Event()  # set once every venue has loaded markets (or gave up)
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.status = "starting"

    @staticmethod
    def network_watch(cfg: Any, symbols: list[str] | tuple[str, ...]) -> Any:
        """The ``transfers`` watcher for a config's venues (:func:`arb.inventory.wiring.network_watch`)."""
        from arb.inventory.wiring import network_watch

        return network_watch(cfg, symbols)

    # -- lifecycle ----------------------------------------------------------------------------
    def _on_ready(self, venue: str, symbols: list[str]) -> None:
        ex = self.exchanges[venue]
        mode = getattr(ex, "precisionMode", 4)
        for sym in list(symbols):
            try:
                spec = MarketSpec.from_ccxt(ex.markets[sym], mode)
            except Exception as e:  # missing precision/limits: skip the symbol, say why once
                symbols.remove(sym)
                self.engine.on_event(venue, sym, "symbol_skipped", str(e))
                continue
            fee = self.fees.get((venue, sym)) or market_fee(
                ex, venue, sym, self.fee_overrides.get(venue), self.fee_currency.get(venue)
            )
            self.engine.add_market(venue, sym, spec, fee)
        self.ready[venue] = symbols
        if len(self.ready) == len(self.exchanges):
            self.started.set()
            for sym in self.symbols:
                n = sum(sym in s for s in self.ready.values())
                if n < 2:
                    self.sink.event(None, sym, "symbol_skipped", f"tradable on {n} venue(s); needs 2")

    def _check_health(self, now: int) -> None:
        """A venue silent for longer than ``health_stale_ms`` is reported once (event + health alert),
        and its recovery once."""
        for venue, h in self.feeds.health.items():
            age = h.age_ms(now)
            if age is not None and age > self.health_stale_ms and venue not in self._stale_alerted:
                self._stale_alerted.add(venue)
                self.engine.on_event(venue, None, "venue_stale", f"no book update for {age // 1000} s")
                if self.notifier is not None:
                    self.notifier.health(venue, "stale", f"no book update for {age // 1000} s")
            elif venue in self._stale_alerted and age is not None and age <= self.health_stale_ms:
                self._stale_alerted.discard(venue)
                self.engine.on_event(venue, None, "venue_recovered", "book updates again")
                if self.notifier is not None:
                    self.notifier.health(venue, "recovered", "book updates again")

    async def _sweeper(self) -> None:
        while not self._stop.is_set():
            now = monotonic_ms()
            self.engine.sweep(now)
            self._check_health(now)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), SWEEP_MS / 1000)

    async def run(self, duration_s: float | None = None) -> None:
        """Scan until :meth:`stop` (or ``duration_s``); flushes the journal and notifier on the way out."""
        if self.journal is not None:
            self.journal.start_run(self.mode, self.run_config, now_ms=wall_ms(), run_id=self.run_id)
        status = "error"
        self.status = "running"
        try:
            async with asyncio.TaskGroup() as tg:
                if self.transfers is not None:  # networks first (bounded): no venue call of theirs races the run's
                    tg.create_task(self.transfers.run(self._stop), name="networks")
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.transfers.loaded.wait(), FIRST_NETWORKS_S)
                feeds = tg.create_task(self.feeds.run(self._on_ready), name="feeds")
                tg.create_task(self._sweeper(), name="sweeper")
                if self.writer is not None:
                    tg.create_task(self.writer.run(), name="journal-writer")
                if self.notifier is not None:
                    tg.create_task(self.notifier.run(), name="notifier")
                if duration_s is not None:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), duration_s)
                else:
                    await self._stop.wait()
                feeds.cancel()
                self._stop.set()
                self.engine.close()  # end open episodes ("shutdown") so they reach the journal
                if self.writer is not None:
                    await self.writer.close()
                if self.notifier is not None:
                    await self.notifier.close()
            status = "ok"
        finally:
            self.status = "stopped"
            if self.journal is not None:
                with contextlib.suppress(Exception):
                    self.journal.end_run(self.run_id, now_ms=wall_ms(), status=status)
            if self.own_exchanges:
                for ex in self.exchanges.values():
                    with contextlib.suppress(Exception):
                        await ex.close()

    def stop(self) -> None:
        self._stop.set()

    async def __aenter__(self) -> Scanner:
        self._task = asyncio.create_task(self.run(), name="scanner")
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop()
        if self._task is not None:
            await self._task

    def __aiter__(self) -> AsyncIterator[Opportunity]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[Opportunity]:
        while True:
            getter = asyncio.ensure_future(self.sink.queue.get())
            stopper = asyncio.ensure_future(self._stop.wait())
            done, _ = await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                stopper.cancel()
                yield getter.result()
            else:
                getter.cancel()
                return
