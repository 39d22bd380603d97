"""How a trading run uses a shared coordinator (:mod:`arb.scale.redis_coord`): the gate's hooks and a monitor.

* :class:`SharedLimits` is what :class:`arb.trade.risk.RiskGate` calls when ``risk.shared`` is set: at the
  end of :meth:`~arb.trade.risk.RiskGate.check` (local limits passed) it claims the opportunity's holds,
  in-flight slot and notional atomically in Redis (refused: the same verdict words as the local limits, or
  ``coordinator``); :meth:`~arb.trade.risk.RiskGate.begin` binds the claim to the opportunity id; each leg's
  final state settles its venue's hold; the end of the opportunity releases the rest.
* :class:`Monitor` runs beside the trader (every ``scale.poll_ms``, and at once on a halt here or a halt or
  kill another worker published): it publishes this worker's halts, kill and
  today's PnL, adopts any other worker's halt or kill (a kill becomes this machine's kill file, so the
  supervisor cancels open orders as for `arb kill`), halts on the **sum** of every worker's daily PnL,
  and publishes quiet balance snapshots and this shard's open exposure.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Callable
from decimal import Decimal
from itertools import count
from pathlib import Path
from typing import Any

from arb.core.kinds import EventKind
from arb.core.ledger import TERMINAL, LegFill
from arb.core.model import ZERO, Opportunity, dec
from arb.scale.coordinator import Coordinator, Request, atoms_up
from arb.trade.accounts import DAY_MS, utc_day

log = logging.getLogger(__name__)
BALANCE_S = 2.0  # balance look-ups per venue for the shared snapshot (a venue rate-limits its account calls)


class SharedLimits:
    """The risk gate's link to the coordinator (sync: the gate's decision is synchronous)."""

    def __init__(self, coordinator: Coordinator, published: Callable[[str], bool] = lambda venue: True) -> None:
        self.c = coordinator
        self.published = published  # venues whose balances the workers publish (not paper venues: their own)
        self.pending: str | None = None  # claimed by check(), not yet bound by begin()
        self.tokens: dict[str, str] = {}  # opportunity id → claim token
        self.kept: dict[str, str] = {}  # claim token → opportunity id, for holds of legs whose outcome is unknown
        self.own: set[str] = set()  # opportunities of an earlier run whose hedge holds a token of its own
        self._n = count(1)

    def claim(self, opp: Opportunity, needs: list[tuple[str, str, dict[str, Decimal]]], gate: Any) -> str | None:
        if self.pending is not None:  # a claim check() made that never became a trade
            self.c.release(self.pending)
            self.pending = None
        book, cfg = gate.balances, gate.cfg
        holds = [
            (venue, asset, amount, book.known and venue in book.free and self.published(venue))
            for venue, _side, need in needs
            for asset, amount in need.items()
        ]
        req = Request(
            holds,
            opp.symbol.split("/")[0],
            (opp.buy_venue, opp.sell_venue),
            opp.notional,
            cfg.max_in_flight,
            cfg.max_exposure_per_asset,
            cfg.max_exposure_per_venue,
        )
        token = f"{self.c.worker}.{next(self._n)}"
        why = self.c.reserve(token, req)
        if why is None:
            self.pending = token
        return why

    def bind(self, opp_id: str) -> None:
        if self.pending is not None:
            self.tokens[opp_id], self.pending = self.pending, None

    def claim_leg(self, opp_id: str, venue: str, need: dict[str, Decimal], gate: Any) -> str | None:
        """A hedge or retry order of ``opp_id`` on ``venue`` claims what it can spend before it is sent, under the
        opportunity's token; one of an earlier run's opportunity (a restart or reconcile hedge) under a token of its
        own, which ends with the order. None when claimed, else why not (the order is not sent)."""
        book = gate.balances
        limited = book.known and venue in book.free and self.published(venue)
        holds = [(venue, asset, amount, limited) for asset, amount in need.items()]
        token = self.tokens.get(opp_id)
        if token is not None:
            return self.c.extend(token, holds)
        token = f"{self.c.worker}.{next(self._n)}"
        why = self.c.extend(token, holds)
        if why is None:
            self.tokens[opp_id] = token
            self.own.add(opp_id)
        return why

    def settle(self, opp_id: str | None, leg: LegFill) -> None:
        token = self.tokens.get(opp_id or "")
        if token is not None:
            self.c.settle(token, leg)
            if opp_id in self.own:  # an earlier run's hedge: its token ends with it (held on while unknown)
                self.own.discard(opp_id)
                self.end(opp_id, [] if leg.state in TERMINAL else [leg.venue])

    def end(self, opp_id: str, unknown_venues: list[str]) -> None:
        token = self.tokens.pop(opp_id, None)
        if token is not None:
            self.c.release(token, unknown_venues)
            if unknown_venues:  # held until reconcile decides those legs (:meth:`sweep`)
                self.kept[token] = opp_id

    def sweep(self, book: Any) -> None:
        """Free the kept holds of opportunities none of whose legs is unknown any more (reconcile decided them;
        the next published snapshot carries their effect)."""
        for token, opp_id in list(self.kept.items()):
            if not any(h.token == opp_id and h.state == "unknown" for h in book.holds):
                self.c.release(token)
                del self.kept[token]


def attach(trader: Any, coordinator: Any, shard: str) -> Monitor:
    """Share ``trader``'s limits, halts, kill and daily loss through ``coordinator``; the monitor starts when the
    trader is ready and stops with it."""
    from arb.trade.paper import PaperVenue

    # a paper venue's balances are each worker's own fiction: not shared, not required (limits, halts still are)
    trader.risk.shared = SharedLimits(coordinator, lambda v: not isinstance(trader.order_clients.get(v), PaperVenue))
    monitor = Monitor(trader, coordinator, shard)

    def on_event(kind: str, _payload: Any) -> None:
        if kind == "ready" and monitor.task is None:
            loop = asyncio.get_running_loop()
            monitor.task = loop.create_task(monitor.run(), name="scale-monitor")
            monitor.listener = loop.create_task(monitor.listen(), name="scale-listen")
        elif kind == "halt":  # share it now, not at the next poll
            monitor.wake.set()

    trader.before_ready.append(monitor.join)
    trader.listeners.append(on_event)
    return monitor


class Monitor:
    """Shared halts, kill, daily loss, balances and exposure for one worker (async client)."""

    def __init__(self, trader: Any, coordinator: Any, shard: str) -> None:
        import redis.asyncio as aredis

        self.t, self.c, self.shard = trader, coordinator, shard
        self.r = aredis.Redis.from_url(coordinator.url, socket_timeout=1, socket_connect_timeout=1)
        self.task: asyncio.Task[None] | None = None
        self.listener: asyncio.Task[None] | None = None
        self.wake = asyncio.Event()  # a halt here or an event another worker published: poll now
        self._next_balance = 0.0
        self._failing = False
        self._halts_seen: set[int] = set()  # halts (ts_ms) published or adopted: each is shared once
        self._assets: set[str] = set()  # assets this shard ever published an exposure for (zeroed when closed)

    def key(self, name: str) -> str:
        return str(self.c.key(name))

    async def join(self) -> None:
        """Before this worker trades (the trader awaits it before ``ready``): adopt any shared halt or kill and
        publish its balances — until a venue's balances are shared every claim on them is refused
        (``min_balance``), so a worker that said "ready" before would refuse the first opportunities it saw."""
        if self.t.executor is not None:  # hedge and retry orders claim what they spend too (whenever Redis answers)
            self.t.executor.claim_flatten = self.t.risk.claim_flatten
        try:
            await self.tick()
            applied = await self.publish_balances()
            self._next_balance = asyncio.get_running_loop().time() + BALANCE_S
            # shared: published now, or already there from another worker
            shared = [v for v in self.t.order_clients if v in applied or await asyncio.to_thread(self.c.any, v)]
        except Exception as e:  # the monitor keeps trying once running; meanwhile the gate refuses (coordinator)
            self._failed(e)
            return
        halt = self.t.risk.halted
        state = f"halted ({halt.reason})" if halt is not None else "no shared halt"
        self.t.out.event(
            EventKind.COORDINATOR,
            None,
            None,
            f"joined as shard {self.shard}: balances of {', '.join(shared) or 'no venue'} shared; {state}",
        )

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while not self.t.stopping:
                try:
                    await self.tick()
                    if loop.time() >= self._next_balance:
                        self._next_balance = loop.time() + BALANCE_S
                        await self.publish_balances()
                    if self._failing:
                        log.warning("scale.monitor_recovered")
                        self._failing = False
                except Exception as e:  # Redis away: the gate refuses (verdict coordinator) until it is back
                    self._failed(e)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), self.t.cfg.scale.poll_ms / 1000)
                self.wake.clear()
        finally:
            with contextlib.suppress(Exception):
                await self.r.aclose()

    async def listen(self) -> None:
        """Wake the monitor as soon as another worker publishes a halt or a kill (pub/sub on ``events``), rather
        than at its next poll; the poll stays the guarantee when this connection is down."""
        import redis.asyncio as aredis

        r = aredis.Redis.from_url(self.c.url, socket_connect_timeout=1)
        try:
            async with r.pubsub() as ps:
                await ps.subscribe(self.key("events"))
                while not self.t.stopping:
                    if await ps.get_message(ignore_subscribe_messages=True, timeout=1.0) is not None:
                        self.wake.set()
        except Exception as e:
            log.info("scale.listen_stopped error=%s (polling goes on)", e)
        finally:
            with contextlib.suppress(Exception):
                await r.aclose()

    def _failed(self, e: Exception) -> None:
        if not self._failing:  # once per outage, not every poll
            log.warning("scale.monitor_failed error=%s", e)
            self.t.out.event(EventKind.ERROR, None, None, f"coordinator unreachable: {type(e).__name__}: {e}")
        self._failing = True

    async def tick(self) -> None:
        t, risk, sup = self.t, self.t.risk, self.t.supervisor
        now = t.clock()
        # a kill anywhere: this machine's kill file (the supervisor cancels open orders, as for `arb kill`)
        kill_file = Path(t.cfg.risk.kill_file)
        shared_kill = await self.r.get(self.key("kill"))
        if kill_file.exists() and shared_kill is None:
            why = kill_file.read_text(encoding="utf-8", errors="replace").strip().splitlines()[:1]
            await self.r.set(self.key("kill"), (why or ["arb kill"])[0], nx=True)
            await self.r.publish(self.key("events"), "kill")
        elif shared_kill is not None and not kill_file.exists():
            tmp = kill_file.with_name(kill_file.name + f".{os.getpid()}.tmp")
            tmp.write_text(f"{_text(shared_kill)} (kill shared by the coordinator)\n", encoding="utf-8")
            os.replace(tmp, kill_file)  # atomically, as `arb kill` writes it; halting at once (not at the
            # supervisor's next poll) then cancels the open orders exactly as for a local `arb kill`
            sup.check_kill()
        # halts: ours published, another worker's adopted
        h = risk.halted
        raw = await self.r.get(self.key("halt"))
        if h is not None and h.reason != "kill" and raw is None and h.ts_ms not in self._halts_seen:
            doc = {"reason": h.reason, "detail": h.detail, "ts_ms": h.ts_ms, "until_ms": h.until_ms}
            doc["shard"] = self.shard
            ttl = max(1, h.until_ms - now) if h.until_ms is not None else None
            await self.r.set(self.key("halt"), json.dumps(doc), px=ttl, nx=True)
            await self.r.publish(self.key("events"), "halt")
            self._halts_seen.add(h.ts_ms)  # published once: after `arb resume` cleared it, never again
        elif raw is not None and h is None:
            doc = json.loads(_text(raw))
            detail = f"{doc['detail']} (worker {doc.get('shard', '?')} halted every worker)"
            adopted = risk.halt(doc["reason"], detail, now)
            if adopted is not None:
                self._halts_seen.add(adopted.ts_ms)
            sup.on_halt(adopted)
        shared = risk.shared
        if shared is not None:  # holds of legs reconcile has decided since: free them
            shared.sweep(risk.balances)
        # the daily loss over every worker
        t.marks()
        realised, unrealised = t.accounts.pnl(now)
        day = self.key(f"pnl:{utc_day(now)}")
        await self.r.hset(day, self.shard, f"{realised} {unrealised}")
        await self.r.pexpire(day, 2 * DAY_MS)
        others = [v for k, v in (await self.r.hgetall(day)).items() if _text(k) != self.shard]
        if others and risk.halted is None:
            o_r = sum((dec(_text(v).split()[0]) for v in others), ZERO)
            o_u = sum((dec(_text(v).split()[1]) for v in others), ZERO)
            sup.on_halt(risk.check_daily_loss(now, realised + o_r, unrealised + o_u))
        # this shard's open exposure, valued at the marks (checked by every worker's reservation)
        marks = t.marks()
        pipe = self.r.pipeline()
        self._assets |= {e.asset for e in risk.exposures.values()}
        for asset in self._assets:
            value = _open(risk, marks, "asset", asset)
            pipe.hset(self.key(f"open:asset:{asset}"), self.shard, atoms_up(value))
        for venue in t.order_clients:
            value = _open(risk, marks, "venue", venue)
            pipe.hset(self.key(f"open:venue:{venue}"), self.shard, atoms_up(value))
        await pipe.execute()

    async def publish_balances(self) -> list[str]:
        """Each venue's free balance, when no claim on it is live and none changed while it was fetched; the venues
        whose snapshot was applied."""
        from arb.trade.paper import PaperVenue

        applied: list[str] = []
        for venue, client in self.t.order_clients.items():
            if isinstance(client, PaperVenue):  # a paper venue's balances are this process's own fiction
                continue
            gen = await asyncio.to_thread(self.c.generation, venue)
            try:
                bal = await client.fetch_balance()
            except Exception as e:
                log.warning("scale.balance_failed venue=%s error=%s", venue, e)
                continue
            free = {a: dec(x) for a, x in (bal.get("free") or {}).items() if x is not None}
            floor = self.t.risk.balances.min.get(venue, {})
            free = {a: max(ZERO, x - floor.get(a, ZERO)) for a, x in free.items()}
            if await asyncio.to_thread(self.c.publish, venue, gen, free):
                applied.append(venue)
        return applied


def _open(risk: Any, marks: Any, kind: str, name: str) -> Decimal:
    """Open exposure in asset (``kind`` "asset") or on venue ``name`` at its prices (the gate's rule,
    :meth:`arb.trade.risk.RiskGate.open_exposure`; in-flight notional is claimed per opportunity). An exposure nothing
    prices yet publishes the whole limit: no worker's trade counts on it being worth 0."""
    value, unpriced = risk.open_exposure(kind, name, marks)
    return max(value, getattr(risk.cfg, f"max_exposure_per_{kind}")) if unpriced else value


def _text(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)
