"""The trader's background work (a mixin of :class:`arb.trade.trader.Trader`): kill switch, housekeeping.

* Kill switch: the kill file (``risk.kill_file``, written by ``arb kill``) is polled every
  ``KILL_POLL_S``; when it appears trading halts (reason ``kill``, sticky), our open orders are
  cancelled (journal view and the venue's open orders with arb's client-id prefix) and the run
  continues in alert-only mode. Between polls the executor asks :meth:`Upkeep.may_send` right before
  each order leaves (a stat of the kill file), so nothing reaches a venue after the file was written.
* Housekeeping (every 0.25 s, or at once when an unknown order of ours shows up): lift a daily-loss
  halt at UTC midnight, check the daily loss with current marks, refresh balances every
  ``balance_refresh_s`` (drift beyond ``risk.balance_drift_tolerance`` halts; directions a venue
  can no longer trade are disabled, and enabled again when balances return), reconcile unconfirmed
  orders and recover incomplete fills every ``sweep_s`` (exposures found get the configured policy,
  ``retry`` holding), heartbeat (``notify.heartbeat_s``) and the daily PnL summary alert.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from arb.core.model import ZERO, dec
from arb.trade.doctor import startup_call
from arb.trade.orders import brief, client_id_of, idempotent
from arb.trade.paper import PaperVenue
from arb.trade.reconcile import opportunity_legs, reconcile_orders, reconcile_policy
from arb.trade.risk import direction_blocker, utc_day

if TYPE_CHECKING:
    from arb.trade.trader import Trader

    _Base = Trader
else:
    _Base = object

log = logging.getLogger(__name__)
KILL_POLL_S = 0.1


class Upkeep(_Base):
    """Background tasks of a trader run; state lives on the Trader."""

    async def _watch_kill(self) -> None:
        while True:
            if self._poll_kill() and self._tg is not None:
                self._tg.create_task(self.cancel_open_orders(), name="kill-cancel")
            await asyncio.sleep(KILL_POLL_S)

    def _poll_kill(self) -> bool:
        path = Path(self.cfg.risk.kill_file)
        if not path.exists() or (self.risk.halted is not None and self.risk.halted.reason == "kill"):
            return False
        try:
            why = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[0][:200]
        except (OSError, IndexError):
            why = ""
        self.risk.halted = None  # kill overrides any other halt
        self._on_halt(self.risk.halt("kill", f"{why or 'kill file present'} ({path})", self.clock()))
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
                    self._event("cancel", venue, sym, f"order {oid} cancelled (kill)")
                except Exception as e:
                    log.warning("kill.cancel_failed venue=%s order=%s error=%s", venue, oid, brief(e))
        return n

    async def _housekeeping(self) -> None:
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
                self._event("resume", None, None, f"halt lifted: {lifted.reason}")
            self._poll_resume()  # `arb resume` cleared the halt in the journal (arb.trade.halts)
            self._check_daily_loss(now)
            self._directions()
            if t >= next_bal:
                next_bal = t + self.balance_refresh_s
                await self.refresh_balances("refresh", check_drift=True)
            elif retry := {v for v in self.risk.balances.pending if not self.risk.balances.fetch_started(v).busy}:
                # the last answer was ambiguous (orders were in flight): ask again once the venue is quiet
                await self.refresh_balances("refresh", check_drift=True, venues=retry)
            self._resolve_holds()
            if t >= next_sweep or self._sweep_now.is_set():
                self._sweep_now.clear()
                next_sweep = t + self.sweep_s
                await self._sweep()
            if t >= next_hb:
                next_hb = t + self.cfg.notify.heartbeat_s
                self._alert("arb heartbeat", self._status_line(), "info")
            if utc_day(now) != day:
                date = dt.datetime.fromtimestamp(day * 86_400, dt.UTC).date().isoformat()
                realised = self.accounts.day.realised_on(day)
                self._alert(f"arb daily summary {date}", f"realised PnL {realised} (UTC day); {self._status_line()}")
                self._event("daily_summary", None, None, f"{date}: realised {realised}")
                day = utc_day(now)
                self.accounts.day.prune(now)

    def _status_line(self) -> str:
        st = self.status()
        pnl = st["pnl_today"]
        return (
            f"mode {self.mode}; trades ok {self.stats['trades_ok']} failed {self.stats['trades_failed']}; "
            f"PnL today {pnl['realised']} (+ exposure at mid {pnl['open_exposure_at_mid']}); "
            f"open exposures {len(st['open_exposures'])}; halted: {st['halted'] or 'no'}"
        )

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
                    self._on_halt(self.risk.halt("balance_drift", f"{venue}: {text}", self.clock()))
            book.set_fetched(venue, totals, free, ticket)
            assets = {a for s in self.cfg.scanner.symbols for a in s.split("/")}
            for a in sorted(assets & set(totals)):
                self._submit(
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
        self._directions()

    def _directions(self) -> None:
        marks = self.marks()
        for (venue, symbol), m in self.markets.items():
            for other in {v for (v, s) in self.markets if s == symbol and v != venue}:
                min_amount = m.min_amount or m.amount_step
                min_quote = max(m.min_cost or ZERO, min_amount * (marks.symbol(symbol) or ZERO))
                why = direction_blocker(symbol, venue, other, self.risk.balances.spendable, min_amount, min_quote)
                change = self.risk.update_direction((symbol, venue, other), why)
                if change is not None:
                    text = f"buy {venue} → sell {other}: {change}" + (f" ({why})" if why else "")
                    self._event(f"direction_{change}", None, symbol, text)
                    self._emit("direction", ((symbol, venue, other), change))
                    self._alert(f"arb {symbol} direction {change}", text, "warning" if why else "info")

    async def _sweep(self) -> None:
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
            self._report(findings)
            self._load_exposures()

    async def _hedge_restart_exposures(self) -> None:
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
            self._event("reconcile", None, row["symbol"], f"restart hedge of exposure #{row['id']}: {out.notes}")
            self._emit("restart_hedge", out)
        self._load_exposures()
