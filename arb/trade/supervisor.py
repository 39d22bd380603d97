"""The supervisor of a trading run: kill switch, halts, housekeeping and reconcile sweeps.

* Kill switch: the kill file (``risk.kill_file``, written by ``arb kill``) is polled every
  ``KILL_POLL_S``; when it appears trading halts (reason ``kill``, sticky), our open orders are
  cancelled (journal view and the venue's open orders with arb's client-id prefix) and the run
  continues in alert-only mode. Between polls the executor asks :meth:`Supervisor.may_send` right before
  each order leaves (a stat of the kill file), so nothing reaches a venue after the file was written.
* Halts: journaled as they trip and restored on start (:class:`arb.trade.halts.DurableHalts`); each is
  journaled as an event, alerted and told to the listeners.
* Housekeeping (every 0.25 s, or at once when an unknown order of ours shows up): lift a daily-loss
  halt at UTC midnight, check the daily loss (:mod:`arb.trade.accounts`), refresh balances every
  ``balance_refresh_s`` (drift beyond ``risk.balance_drift_tolerance`` halts; directions a venue
  can no longer trade are disabled, and enabled again when balances return), reconcile unconfirmed
  orders and recover incomplete fills every ``sweep_s`` (exposures found get the configured policy,
  ``retry`` holding), heartbeat (``notify.heartbeat_s``) and the daily PnL summary alert.
* Restart policy: every exposure open at start gets ``hedge`` once books are there, when that is the policy.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from arb.config import Config
from arb.core.kinds import EventKind
from arb.core.model import ZERO, MarketSpec, dec
from arb.inventory.hint import rebalance_hint
from arb.store import Journal
from arb.trade.accounts import Accounts, Marks, traded_price, utc_day
from arb.trade.doctor import startup_call
from arb.trade.executor import Executor
from arb.trade.halts import DurableHalts
from arb.trade.orders import brief, client_id_of, idempotent
from arb.trade.outlet import Outlet
from arb.trade.paper import PaperVenue
from arb.trade.reconcile import Finding, opportunity_legs, reconcile_orders, reconcile_policy
from arb.trade.risk import ExposureEntry, Halt, RiskGate, direction_blocker

log = logging.getLogger(__name__)
KILL_POLL_S = 0.1


class Supervisor:
    """Background work of one trading run, wired by the trader (no state of its own beyond its timers)."""

    def __init__(
        self,
        cfg: Config,
        *,
        journal: Journal,
        risk: RiskGate,
        accounts: Accounts,
        out: Outlet,
        order_clients: dict[str, Any],
        markets: dict[tuple[str, str], MarketSpec],
        marks: Callable[[], Marks],
        book: Callable[[str, str], Any],
        status_line: Callable[[], str],
        clock: Callable[[], int],
        throttle: Any | None,
        balance_refresh_s: float = 30.0,
        sweep_s: float = 2.0,
    ) -> None:
        self.cfg, self.journal, self.risk, self.accounts, self.out = cfg, journal, risk, accounts, out
        self.order_clients, self.markets, self.marks, self.book = order_clients, markets, marks, book
        self._status_line, self.clock, self.throttle = status_line, clock, throttle
        self.balance_refresh_s, self.sweep_s = balance_refresh_s, sweep_s
        self.halts = DurableHalts(journal, risk, accounts, out, clock)
        self.executor: Executor | None = None  # set once the trader prepared it
        self.restart_exposures: list[int] = []
        self.shutdown_notes: list[str] = []
        self.tg: asyncio.TaskGroup | None = None
        self._sweep_now = asyncio.Event()

    async def watch_kill(self) -> None:
        while True:
            self.check_kill()
            await asyncio.sleep(KILL_POLL_S)

    def check_kill(self) -> None:
        """The kill file there: halt and cancel our open orders (polled; a kill shared by a coordinator at once)."""
        if self.poll_kill() and self.tg is not None:
            self.tg.create_task(self.cancel_open_orders(), name="kill-cancel")

    def poll_kill(self) -> bool:
        path = Path(self.cfg.risk.kill_file)
        if not path.exists() or (self.risk.halted is not None and self.risk.halted.reason == "kill"):
            return False
        try:
            why = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[0][:200]
        except (OSError, IndexError):
            why = ""
        self.risk.halted = None  # kill overrides any other halt
        self.on_halt(self.risk.halt("kill", f"{why or 'kill file present'} ({path})", self.clock()))
        return True

    def may_send(self) -> str | None:
        """Asked by the executor right before each order leaves: why not (the kill state), or None.

        A stat of the kill file, so an opportunity accepted inside the polling gap never reaches a venue
        after `arb kill` wrote the file.
        """
        h = self.risk.halted
        if h is not None and h.reason == "kill":
            return f"trading halted by kill ({h.detail})"
        if os.path.exists(self.cfg.risk.kill_file):
            return f"kill file {self.cfg.risk.kill_file} present"
        return None

    async def cancel_open_orders(self) -> int:
        """Cancel every open order of ours (journal and venue view); returns how many were cancelled."""
        n = 0
        for venue, client in self.order_clients.items():
            ids = {
                r["venue_order_id"]: r["symbol"]
                for r in self.journal.open_intents()
                if r["venue"] == venue and r.get("venue_order_id")
            }
            if client.has.get("fetchOpenOrders"):
                for sym in self.cfg.scanner.symbols:
                    with contextlib.suppress(Exception):
                        for o in await idempotent(partial(client.fetch_open_orders, sym), timeout_s=5):
                            if (client_id_of(o) or "").startswith("arb"):
                                ids[o["id"]] = sym
            for oid, sym in ids.items():
                try:
                    async with asyncio.timeout(10):
                        await client.cancel_order(oid, sym)
                    n += 1
                    self.out.event(EventKind.CANCEL, venue, sym, f"order {oid} cancelled (kill)")
                except Exception as e:
                    log.warning("kill.cancel_failed venue=%s order=%s error=%s", venue, oid, brief(e))
        return n

    async def housekeeping(self) -> None:
        loop = asyncio.get_running_loop()
        next_bal, next_sweep, next_hb = (
            loop.time() + x for x in (self.balance_refresh_s, self.sweep_s, self.cfg.notify.heartbeat_s or 1e18)
        )
        day = utc_day(self.clock())
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.25):
                    await self._sweep_now.wait()
            now, t = self.clock(), loop.time()
            lifted = self.risk.lift_expired(now)
            if lifted is not None:
                self.out.event(EventKind.RESUME, None, None, f"halt lifted: {lifted.reason}")
            self.halts.poll_resume()  # `arb resume` cleared the halt in the journal (arb.trade.halts)
            self.check_daily_loss(now)
            self.directions()
            if t >= next_bal:
                next_bal = t + self.balance_refresh_s
                await self.refresh_balances("refresh", check_drift=True)
            elif retry := {v for v in self.risk.balances.pending if not self.risk.balances.fetch_started(v).busy}:
                # the last answer was ambiguous (orders were in flight): ask again once the venue is quiet
                await self.refresh_balances("refresh", check_drift=True, venues=retry)
            self.resolve_holds()
            if t >= next_sweep or self._sweep_now.is_set():
                self._sweep_now.clear()
                next_sweep = t + self.sweep_s
                await self.sweep()
            if t >= next_hb:
                next_hb = t + self.cfg.notify.heartbeat_s
                self.out.alert("arb heartbeat", self._status_line(), "info")
            if utc_day(now) != day:
                date = dt.datetime.fromtimestamp(day * 86_400, dt.UTC).date().isoformat()
                realised = self.accounts.day.realised_on(day)
                self.out.alert(f"arb daily summary {date}", f"realised PnL {realised} (UTC day); {self._status_line()}")
                self.out.event(EventKind.DAILY_SUMMARY, None, None, f"{date}: realised {realised}")
                day = utc_day(now)
                self.accounts.day.prune(now)

    async def refresh_balances(self, source: str, *, check_drift: bool, venues: set[str] | None = None) -> None:
        """Fetch balances; each venue's answer is applied only if no order there could have moved it while
        the request ran (:mod:`arb.trade.balances`), else that venue is fetched again at the next tick."""
        book = self.risk.balances
        for venue, client in self.order_clients.items():
            if (isinstance(client, PaperVenue) and not client.limited) or (venues is not None and venue not in venues):
                continue
            ticket = book.fetch_started(venue)
            try:
                bal = await (
                    startup_call(venue, "fetch_balance", client.fetch_balance, throttle=self.throttle)
                    if source == "start"  # start-up: retried with back-off, each retry logged
                    else idempotent(client.fetch_balance, timeout_s=10, throttle=self.throttle)
                )
            except Exception as e:
                log.warning("balance.fetch_failed venue=%s error=%s", venue, brief(e))
                continue
            totals = {a: dec(x) for a, x in (bal.get("total") or {}).items() if x is not None}
            free = {a: dec(x) for a, x in (bal.get("free") or {}).items() if x is not None}
            if check_drift and book.quiet(ticket) and book.exact(venue):
                drift = book.drift(venue, totals, self.cfg.risk.balance_drift_tolerance)
                if drift:
                    text = ", ".join(f"{a} journal {e} venue {x}" for a, e, x in drift)
                    self.on_halt(self.risk.halt("balance_drift", f"{venue}: {text}", self.clock()))
            book.set_fetched(venue, totals, free, ticket)
            assets = {a for s in self.cfg.scanner.symbols for a in s.split("/")}
            for a in sorted(assets & set(totals)):
                self.out.submit(
                    "balance",
                    {
                        "ts_ms": self.clock(),
                        "venue": venue,
                        "asset": a,
                        "free": free.get(a),
                        "total": totals[a],
                        "source": source,
                    },
                )
        self.directions()

    def directions(self) -> None:
        marks = self.marks()
        for (venue, symbol), m in self.markets.items():
            for other in {v for (v, s) in self.markets if s == symbol and v != venue}:
                min_amount = m.min_amount or m.amount_step
                min_quote = max(m.min_cost or ZERO, min_amount * (marks.symbol(symbol) or ZERO))
                why = direction_blocker(symbol, venue, other, self.risk.balances.spendable, min_amount, min_quote)
                change = self.risk.update_direction((symbol, venue, other), why)
                if change is not None:
                    text = f"buy {venue} → sell {other}: {change}" + (f" ({why})" if why else "")
                    if why:  # the transfers that would give it its balance back (arb.inventory.hint)
                        text += rebalance_hint(self.cfg, self.journal, self.risk.balances, symbol, venue, other)
                    kind = EventKind.DIRECTION_DISABLED if change == "disabled" else EventKind.DIRECTION_ENABLED
                    self.out.event(kind, None, symbol, text)
                    self.out.emit("direction", ((symbol, venue, other), change))
                    self.out.alert(f"arb {symbol} direction {change}", text, "warning" if why else "info")

    async def sweep(self) -> None:
        if self.executor is None:
            return
        skip = set(self.executor.active) | {
            r["client_id"] for r in self.journal.open_intents() if r.get("opportunity_id") in self.risk.in_flight
        }
        timeout = self.cfg.execution.order_timeout_ms
        findings = await reconcile_orders(
            self.journal,
            self.executor,
            now_ms=self.clock(),
            skip=skip,
            min_age_ms=2 * timeout,
            source="sweep",
            policy=reconcile_policy(self.cfg.execution.on_partial),
        )
        if findings:
            self.report(findings)
            self.load_exposures()

    async def hedge_restart_exposures(self) -> None:
        """``hedge`` for every exposure open at start (earlier runs may have held it under another policy)."""
        assert self.executor is not None
        for row in [e for e in self.journal.exposures("open") if e["id"] in self.restart_exposures]:
            legs, venues = opportunity_legs(self.journal, row["opportunity_id"] or "")
            if venues is None or any((v, row["symbol"]) not in self.markets for v in venues):
                continue
            for _ in range(200):  # wait (≤ 2 s) for both books; hedging needs a price
                if all(self.book(v, row["symbol"]) is not None for v in venues):
                    break
                await asyncio.sleep(0.01)
            out = await self.executor.settle(
                row["opportunity_id"], row["symbol"], venues, legs, policy="hedge", exposure_id=row["id"]
            )
            self.out.event(
                EventKind.RECONCILE, None, row["symbol"], f"restart hedge of exposure #{row['id']}: {out.notes}"
            )
            self.out.emit("restart_hedge", out)
        self.load_exposures()

    def journal_balances(self, source: str, venues: set[str]) -> None:
        """The gate's balances (last quiet snapshot + settled flows) of ``venues``, one row per traded asset."""
        book = self.risk.balances
        assets = {a for s in self.cfg.scanner.symbols for a in s.split("/")}
        now = self.clock()
        for venue in sorted(venues & set(book.expected)):
            totals, free = book.expected[venue], book.free.get(venue, {})
            for a in sorted(assets & set(totals)):
                self.out.submit(
                    "balance",
                    {
                        "ts_ms": now,
                        "venue": venue,
                        "asset": a,
                        "free": free.get(a),
                        "total": totals[a],
                        "source": source,
                    },
                )

    def resolve_holds(self) -> None:
        """Holds of legs whose state was unknown: once reconcile journaled a final state, the next balance
        snapshot (not our flows) brings their effect in."""
        for cid in self.risk.balances.unknown_ids():
            row = self.journal.get_order(cid)
            if row is None or row["state"] in ("closed", "canceled", "rejected"):
                self.risk.balances.resolve(cid)

    def load_exposures(self) -> None:
        """The gate's open exposures from the journal, each with the price its legs traded it at (what the limits
        count it at while no book of its symbol has arrived, e.g. after a restart)."""
        self.risk.exposures.clear()
        for e in self.journal.exposures("open"):
            legs = opportunity_legs(self.journal, e["opportunity_id"])[0] if e.get("opportunity_id") else []
            self.risk.set_exposure(
                ExposureEntry(
                    e["id"],
                    e.get("opportunity_id") or "",
                    e["venue"],
                    e["symbol"],
                    e["base_delta"],
                    e.get("created_ms"),
                    traded_price([x for x in legs if x.symbol == e["symbol"]], e["base_delta"] > 0),
                )
            )

    def report(self, findings: list[Finding]) -> None:
        for f in findings:
            self.out.event(EventKind.RECONCILE, f.venue, f.symbol, f.line())
            if f.kind != "order_found":
                self.out.alert(f"arb reconcile: {f.kind}", f.detail, "warning")

    def on_halt(self, halt: Halt | None) -> None:
        if halt is None:
            return
        self.halts.record(halt)
        log.error("risk.halt reason=%s detail=%s", halt.reason, halt.detail)
        self.out.event(EventKind.HALT, None, None, halt.line())
        self.out.emit("halt", halt)
        self.out.alert(f"arb HALT: {halt.reason}", halt.line() + "; continuing in alert-only mode", "failure")

    def order_result(self, venue: str, ok: bool) -> None:
        why = self.risk.order_outcome(venue, ok, self.clock())
        if why is not None:
            self.out.event(EventKind.VENUE_PAUSED, venue, None, why)
            self.out.alert(f"arb {venue} paused", why, "warning")

    def on_unknown_order(self, venue: str, order: Any) -> None:
        if (client_id_of(order) or "").startswith("arb"):
            self._sweep_now.set()  # one of ours we are not waiting for: reconcile it now

    def shutdown_report(self) -> None:
        rows = self.journal.exposures("open")
        if not rows:
            return
        text = "; ".join(f"#{r['id']} {r['base_delta']} {r['symbol']} on {r['venue']}" for r in rows)
        line = f"stopping with {len(rows)} open exposure(s): {text}"
        self.shutdown_notes.append(line)
        log.warning("%s", line)
        self.out.event(EventKind.SHUTDOWN_EXPOSURE, None, None, line)
        self.out.alert("arb stopped with open exposure", line, "failure")

    def check_daily_loss(self, now: int) -> None:
        self.marks()
        self.on_halt(self.risk.check_daily_loss(now, *self.accounts.pnl(now)))
