"""The trader wires a paper or live run: scanner → gate → executor → accounts, supervisor, journal, alerts.

``Trader(cfg, market_clients=..., journal=...)`` then ``await trader.run(duration_s)``:

1. :meth:`prepare` — live: every key must be able to trade (one-line error otherwise, before
   anything is sent); markets; fees per symbol resolved once, before the scanner starts (config
   override, else the account's rate from ``fetch_trading_fee`` with keys, else ccxt's market default;
   the source is journaled); balances from ``fetch_balance``; the durable risk state and today's legs
   (:mod:`arb.trade.halts`, :mod:`arb.trade.accounts`); reconcile of every unfinished order intent
   (:mod:`arb.trade.reconcile`); open exposures; a kill file present at start halts trading at once.
2. The scanner runs with the trader as its consumer: the engine reads spendable balances
   (``Accounts.balances_for``: free − ``risk.min_balances`` − in-flight reservations) and hands on each
   :class:`~arb.scan.engine.Sighting` (the opportunity, its streak and the books it was evaluated on) to
   :meth:`on_opportunity` (sync), where the pure gate (:mod:`arb.trade.gate`) gives its verdict.
   Decisions are journaled (events of kind ``decision``; refusals once per reason change) and accepted
   ones run as tasks on the executor.
3. Beside it: the order router (``watch_orders`` per venue) and the supervisor
   (:mod:`arb.trade.supervisor`: kill switch, halts, housekeeping, reconcile sweeps, restart hedges).
4. Stop: no new trades, in-flight ones finish, open exposures are reported, the journal is flushed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any

from asyncio_throttle import Throttler

from arb.clock import wall_ms
from arb.config import Config, redact
from arb.core.errors import ArbError
from arb.core.kinds import EventKind, Verdict
from arb.core.ledger import LegFill
from arb.core.model import Fee, MarketSpec, Opportunity, dec
from arb.notify import Notifier
from arb.scan.engine import BookSlot, Sighting
from arb.scan.scanner import Scanner
from arb.store import Journal
from arb.trade.accounts import Accounts, Marks
from arb.trade.doctor import ensure_can_trade
from arb.trade.executor import Executor, Outcome
from arb.trade.gate import Gate, GateRules, Pair, pair_of, versions
from arb.trade.orders import OrderRouter, brief
from arb.trade.outlet import Outlet
from arb.trade.reconcile import reconcile_orders
from arb.trade.risk import BalanceBook, ExposureEntry, RiskGate
from arb.trade.status import run_status, status_line
from arb.trade.supervisor import Supervisor
from arb.trade.venues import PaperBooks, paper_venues, resolve_markets
from arb.trade.wsorders import prepare_send_clients, send_clients_for

log = logging.getLogger(__name__)


class Trader:
    def __init__(
        self,
        cfg: Config,
        *,
        market_clients: dict[str, Any],
        journal: Journal,
        order_clients: dict[str, Any] | None = None,
        send_clients: dict[str, Any] | None = None,
        notifier: Notifier | None = None,
        run_id: str | None = None,
        balance_refresh_s: float = 30.0,
        sweep_s: float = 2.0,
        clock: Callable[[], int] = wall_ms,
        scan: bool = True,
        markets: Mapping[tuple[str, str], MarketSpec] | None = None,
        fees: Mapping[tuple[str, str], Fee] | None = None,
    ) -> None:
        """``scan`` False (a backtest): no scanner of its own — the caller's engine feeds :meth:`on_opportunity`
        and :meth:`book_opened` and reads ``accounts.balances_for``; rows go straight to the journal and arb's own
        real-time pacing is off. ``markets``/``fees``: known ones (a recording's), used instead of looking up."""
        if cfg.execution.mode not in ("paper", "live"):
            raise ArbError(f'execution.mode = "{cfg.execution.mode}" does not trade; use `arb scan` for alerts')
        self.cfg, self.mode, self.journal, self.notifier, self.clock = cfg, cfg.execution.mode, journal, notifier, clock
        self.market_clients = market_clients
        # the dict is filled in place (paper venues in prepare): the supervisor holds the same one
        self.order_clients: dict[str, Any] = dict(order_clients or (market_clients if self.mode == "live" else {}))
        # Live: one more client per venue that only sends and cancels orders. ccxt's rate limiter is a
        # queue per client, so on a shared client an order waits behind look-ups, trade fetches and
        # balance refreshes (measured: 227 ms p50 decision -> orders instead of 10 ms).
        self.send_clients: dict[str, Any] = send_clients_for(cfg, send_clients) if self.mode == "live" else {}
        s, r, ex = cfg.scanner, cfg.risk, cfg.execution
        self.limits = s.limits(r)
        self.known_markets, self.known_fees = dict(markets or {}), dict(fees or {})
        self.markets: dict[tuple[str, str], MarketSpec] = {}
        self.fees: dict[tuple[str, str], Fee] = {}  # resolved once in prepare(), before the scanner starts
        self.lots: dict[tuple[str, str], Decimal] = {}  # (venue, symbol) → amount step
        self.books: dict[tuple[str, str], BookSlot] = {}  # the engine's book handles, published to us (read-only)
        self.risk = RiskGate(r, BalanceBook(r.min_balances), fees=self.fees)  # holds reserve the fee where charged
        self.accounts = Accounts(self.risk.balances, self.markets)
        self.scanner = self._scanner(run_id) if scan else None
        self.run_id = self.scanner.run_id if self.scanner is not None else run_id or uuid.uuid4().hex[:12]
        writer = self.scanner.writer if self.scanner is not None else None
        self.out = Outlet(journal, self.run_id, clock, writer=writer, notifier=notifier)
        rules = GateRules(ex.confirm_updates, ex.depth_multiple, ex.cooldown_until_both_books_update)
        self.gate = Gate(rules, self.risk, self.markets, self.fees, self.limits)
        # arb's own bursts; order sends never wait on it (a replay runs faster than real time: none)
        self.throttle = Throttler(rate_limit=10, period=1.0) if scan else None
        self.supervisor = Supervisor(
            cfg,
            journal=journal,
            risk=self.risk,
            accounts=self.accounts,
            out=self.out,
            order_clients=self.order_clients,
            markets=self.markets,
            marks=self.marks,
            book=self.book,
            status_line=self._status_line,
            clock=clock,
            throttle=self.throttle,
            balance_refresh_s=balance_refresh_s,
            sweep_s=sweep_s,
        )
        self.router = OrderRouter(on_unknown=self.supervisor.on_unknown_order)
        self.executor: Executor | None = None
        self.ready = self.stopping = False
        self.before_ready: list[Callable[[], Awaitable[None]]] = []  # awaited before trading (a worker's shared state)
        self.stats: Counter[str] = Counter()
        self.outcomes: list[Outcome] = []
        self._stop, self._trades_done = asyncio.Event(), 0
        self._tg: asyncio.TaskGroup | None = None
        self._tasks: list[asyncio.Task[Any]] = []

    def _scanner(self, run_id: str | None) -> Scanner:
        cfg, s = self.cfg, self.cfg.scanner
        return Scanner(
            self.market_clients,
            list(s.symbols),
            limits=self.limits,
            fee_currency={v.name: v.fee_currency for v in cfg.active_venues()},
            max_book_age_ms=s.max_book_age_ms,
            episode_gap_ms=s.episode_gap_ms,
            journal=self.journal,
            notifier=self.notifier,
            book_limits={v.name: v.book_depth for v in cfg.active_venues() if v.book_depth},
            flush_ms=cfg.store.flush_ms,
            queue_size=cfg.store.queue_size,
            run_id=run_id,
            mode=cfg.execution.mode,
            run_config=redact(cfg),
            own_exchanges=False,
            notify_episode_end=cfg.notify.on_episode_end,
            balances=self.accounts.balances_for,
            on_opportunity=self.on_opportunity,
            on_book_opened=self.book_opened,
            fees=self.fees,
            transfers=Scanner.network_watch(cfg, s.symbols),  # transferable marks, network alerts (arb.inventory)
        )

    @property
    def listeners(self) -> list[Callable[[str, Any], None]]:
        """(kind, payload) callbacks: ready, decision, outcome, halt, resume, direction, restart_hedge."""
        return self.out.listeners

    @property
    def shutdown_notes(self) -> list[str]:
        return self.supervisor.shutdown_notes

    @property
    def trades_done(self) -> int:
        return int(self._trades_done)

    # -- start-up ------------------------------------------------------------------------------------------
    async def prepare(self) -> None:
        venues = [v.name for v in self.cfg.active_venues()]
        if self.mode == "live":
            await asyncio.gather(*(ensure_can_trade(v, self.order_clients[v]) for v in venues))
        await resolve_markets(
            self.cfg,
            self.market_clients,
            self.order_clients,
            markets=self.markets,
            fees=self.fees,
            lots=self.lots,
            known_markets=self.known_markets,
            known_fees=self.known_fees,
            out=self.out,
            throttle=self.throttle,
        )
        await prepare_send_clients(self.send_clients, self.market_clients)  # same markets; order sockets up
        if self.mode == "paper":
            self.order_clients.clear()
            self.order_clients.update(paper_venues(self.cfg, self.market_clients, self.fees, self.clock, self.run_id))
            self.gate.paper = PaperBooks(self.order_clients)  # decide on the books minus paper's own takes
        sup = self.supervisor
        self.executor = sup.executor = Executor(
            self.order_clients,
            self.journal,
            run_id=self.run_id,
            markets=self.markets,
            fees=self.fees,
            send_venues=self.send_clients or None,
            on_partial=self.cfg.execution.on_partial,
            order_timeout_ms=self.cfg.execution.order_timeout_ms,
            order_expiry_ms=self.cfg.execution.order_expiry_ms,
            may_send=sup.may_send,
            router=self.router,
            submit=self.out.submit,
            alert=self.out.alert,
            books=self.book,
            on_order_result=sup.order_result,
            throttle=self.throttle,
            clock=self.clock,
            on_leg=self._on_leg,
            on_journal=self._leg_journaled,
        )
        await sup.refresh_balances("start", check_drift=False)
        sup.load_exposures()
        sup.halts.restore(self.gate.controls)  # durable risk state, operator's controls, today's legs (+ reconcile's)
        findings = await reconcile_orders(self.journal, self.executor, now_ms=self.clock(), source="start")
        sup.report(findings)
        sup.load_exposures()  # reconcile may have found exposures: the limits must see them at once
        # every open exposure gets the configured policy once books are there (also after a policy change)
        sup.restart_exposures = [e["id"] for e in self.journal.exposures("open")]
        sup.poll_kill()

    # -- running -------------------------------------------------------------------------------------------
    async def run(self, duration_s: float | None = None) -> None:
        assert self.scanner is not None, "a trader without a scanner is fed by its caller: start() / finish()"
        if self.executor is None:  # `arb run` prepares first (to print the summary): never twice
            await self.prepare()
        sup = self.supervisor
        async with asyncio.TaskGroup() as tg:
            self._tg = sup.tg = tg
            scan = tg.create_task(self.scanner.run(), name="scanner")
            side = [
                tg.create_task(self._go(), name="go"),
                tg.create_task(sup.watch_kill(), name="kill"),
                tg.create_task(sup.housekeeping(), name="housekeeping"),
            ]
            side += [
                tg.create_task(self.router.watch(v, c, self._stop), name=f"orders-{v}")
                for v, c in self.order_clients.items()
            ]
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(duration_s):
                    await self._stop.wait()
            self.stopping = True
            await self._drain()
            await sup.refresh_balances("stop", check_drift=False)  # the venues' balances at stop, journaled
            sup.shutdown_report()
            self._stop.set()
            for t in side:
                t.cancel()
            self.scanner.stop()
            await scan

    def stop(self) -> None:
        self._stop.set()

    # -- fed by the caller's engine (backtests) ------------------------------------------------------------
    async def start(self, tg: asyncio.TaskGroup) -> None:
        """Prepare and trade on what the caller's engine hands :meth:`on_opportunity` (``scan`` False);
        background tasks run in ``tg``."""
        await self.prepare()
        self.ready, self._tg = True, tg
        self.supervisor.tg = tg
        self._tasks = [tg.create_task(self.supervisor.housekeeping(), name="housekeeping")]
        self._tasks += [
            tg.create_task(self.router.watch(v, c, self._stop), name=f"orders-{v}")
            for v, c in self.order_clients.items()
        ]

    async def finish(self) -> None:
        """Finish what is in flight, report open exposure, and stop the tasks :meth:`start` started."""
        self.stopping = True
        await self._drain()
        self.supervisor.shutdown_report()
        self._stop.set()
        for task in self._tasks:
            task.cancel()

    async def _go(self) -> None:
        if self.scanner is not None:
            await self.scanner.started.wait()  # markets and fees were resolved before the scanner started
        for step in self.before_ready:
            await step()
        self.ready = True
        ready = f"ready: mode={self.mode} on_partial={self.cfg.execution.on_partial}"
        self.out.event(EventKind.TRADING, None, None, ready)
        self.out.emit("ready", None)
        if self.supervisor.restart_exposures and self.cfg.execution.on_partial == "hedge":
            await self.supervisor.hedge_restart_exposures()

    async def _drain(self) -> None:
        while self.risk.in_flight:
            await asyncio.sleep(0.01)

    # -- the decision (sync, on the feed's task) --------------------------------------------------------------
    def book_opened(self, venue: str, symbol: str, slot: BookSlot) -> None:
        self.books[(venue, symbol)] = slot

    def on_opportunity(self, s: Sighting) -> None:
        if not self.ready or self.stopping or self._tg is None or self.executor is None:
            return
        opp, ep = s.opp, s.episode
        d = self.gate.decide(s, balances=self.accounts.balances_for(*opp.key), marks=self.marks(), now_ms=self.clock())
        trade = d.trade
        if trade is None:
            self.out.decision(opp, d.verdict, d.info, self.stats)
            return
        opp_id = f"{ep.id}.{ep.evaluations}"
        info = d.info | {
            "opportunity_id": opp_id,
            "planned_net": str(trade.net_profit),
            "amount": str(trade.buy.amount),
            "evaluated_amount": str(opp.buy.amount),
        }
        self.out.decision(trade, Verdict.ACCEPT, info, self.stats)
        self.risk.begin(opp_id, trade)
        self.gate.begin(pair := pair_of(opp))
        run = self._tg.create_task(self._execute(opp_id, trade, pair), name=f"execute-{opp_id}")
        self.executor.begin(opp_id, trade, run)  # both intents committed now; the second leg's task beside `run`

    async def _execute(self, opp_id: str, opp: Opportunity, pair: Pair) -> None:
        assert self.executor is not None
        sup = self.supervisor
        out: Outcome | None = None
        try:
            out = await self.executor.execute(opp_id, opp)
        except asyncio.CancelledError:  # the run is being torn down: journaled intents are reconciled later
            self.risk.end(opp_id, ok=False, now_ms=self.clock())
            raise
        except Exception as e:  # a bug must not take the engine down: count it as a failed arbitrage
            log.exception("execute.failed opportunity=%s", opp_id)
            self.out.event(EventKind.ERROR, None, opp.symbol, f"{opp_id}: executor error {brief(e)}")
        finally:
            self.gate.end(pair, versions(self.books, pair))
        now = self.clock()
        self._trades_done += 1
        if out is not None:
            self.outcomes.append(out)
            self.out.emit("outcome", out)
            self.stats["trades_ok" if out.ok else "trades_failed"] += 1
            sup.journal_balances("trade", {leg.venue for leg in out.legs})
            if out.exposure_id is not None:  # priced by its legs too until a mark values it (arb.trade.risk)
                self.risk.set_exposure(ExposureEntry.left_by(out.exposure_id, opp_id, opp, out.legs, out.exposure, now))
        sup.on_halt(self.risk.end(opp_id, ok=out is not None and out.ok, now_ms=now))
        sup.check_daily_loss(now)

    # -- executor hooks -------------------------------------------------------------------------------------------
    def _on_leg(self, event: str, leg: LegFill) -> None:
        """Around every order (:mod:`arb.trade.balances`): hold on send, settle on the final state."""
        if event == "send":
            row = self.executor.intent_row(leg.client_id) if self.executor else {}  # as committed: no read back
            opp_id = row.get("opportunity_id") or leg.client_id
            self.risk.leg_sent(opp_id, leg, fresh=leg.state != "unknown")
            self._track(opp_id, leg, row)
        else:
            self.risk.leg_final(leg)

    def _leg_journaled(self, leg: LegFill) -> None:
        """A leg's state and fills were journaled (trade, hedge, retry, reconcile): the day's PnL counts exactly
        what the journal holds (:mod:`arb.trade.accounts`)."""
        opp_id = self.accounts.opportunity_of(leg.client_id)
        row = None if opp_id is not None else self.journal.get_order(leg.client_id) or {}
        self._track(opp_id or (row or {}).get("opportunity_id") or leg.client_id, leg, row)

    def _track(self, opp_id: str, leg: LegFill, row: dict[str, Any] | None) -> None:
        """Into the day book; an opportunity new to it counts from its first order (an earlier run's, for a hedge)."""
        first_ms = self.clock()
        if opp_id not in self.accounts.day.opportunities:
            if opp_id in self.risk.in_flight:  # accepted by this run: its intents were just journaled
                first_ms = (row or {}).get("created_ms") or first_ms
            else:
                rows = self.journal.orders(opportunity_id=opp_id) or [row or {}]
                first_ms = min((r["created_ms"] for r in rows if r.get("created_ms") is not None), default=first_ms)
        self.accounts.leg_journaled(opp_id, leg, first_ms)

    # -- views ---------------------------------------------------------------------------------------------------
    def book(self, venue: str, symbol: str) -> Any:
        slot = self.books.get((venue, symbol))
        return None if slot is None else slot.usable()

    def marks(self) -> Marks:
        """Mids by (venue, symbol) from the books; the last known one stays when a book is stale."""
        mids = {}
        for key, slot in self.books.items():
            if slot.valid and slot.book.get("bids") and slot.book.get("asks"):
                mids[key] = (dec(slot.book["bids"][0][0]) + dec(slot.book["asks"][0][0])) / 2
        self.accounts.marks.update(mids)
        return self.accounts.marks

    def status(self) -> dict[str, Any]:
        self.marks()
        return run_status(self.mode, self.ready, self.risk, self.accounts, self.stats, self.router, self.clock())

    def _status_line(self) -> str:
        return status_line(self.status())
