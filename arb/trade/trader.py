"""The trader: the scanner plus the risk gate and the executor, for paper and live runs.

``Trader(cfg, market_clients=..., journal=...)`` then ``await trader.run(duration_s)``:

1. :meth:`prepare` — live: every key must be able to trade (one-line error otherwise, before
   anything is sent); markets; fees per symbol (config override, else the account's rate from
   ``fetch_trading_fee`` with keys, else ccxt's market default; the source is journaled); balances
   from ``fetch_balance``; open exposures of earlier runs; reconcile of every unfinished order
   intent (:mod:`arb.trade.reconcile`); a kill file present at start halts trading at once.
2. The scanner runs with two hooks: ``balances`` (spendable = free − ``risk.min_balances`` −
   in-flight reservations) and ``on_opportunity`` (sync): confirmation (the edge held for
   ``execution.confirm_updates`` consecutive updates), cool-down (a pair that just traded waits
   until both books updated), depth (re-evaluated with book amounts divided by
   ``execution.depth_multiple``), then the risk gate. Decisions are journaled (events of kind
   ``decision``; refusals once per reason change) and accepted ones run as tasks.
3. Beside it: the order router (``watch_orders`` per venue), a kill-file watcher (every
   ``KILL_POLL_S``; kill → halt, cancel our open orders, alert-only from then on), and
   housekeeping: daily-loss check, balance refresh with drift detection, direction
   enable/disable, periodic reconcile of unconfirmed orders, heartbeat and daily PnL alerts.
4. Stop: no new trades, in-flight ones finish, open exposures are reported (journal event
   ``shutdown_exposure`` and alert), then the scanner flushes the journal and the notifier.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from asyncio_throttle import Throttler

from arb.config import Config, redact
from arb.core.errors import ArbError
from arb.core.kinds import Verdict
from arb.core.ledger import LegFill
from arb.core.model import Balances, Fee, Limits, MarketSpec, Opportunity, dec
from arb.notify import Notifier
from arb.scan.engine import BookSlot, Sighting, wall_ms
from arb.scan.scanner import Scanner, market_fee
from arb.store import Journal
from arb.trade.accounts import Accounts, Marks
from arb.trade.doctor import ensure_can_trade, startup_call
from arb.trade.executor import Executor, Outcome
from arb.trade.gate import Gate, GateRules, pair_of, versions
from arb.trade.halts import DurableHalts
from arb.trade.orders import OrderRouter, brief, client_id_of
from arb.trade.paper import PaperVenue
from arb.trade.reconcile import Finding, reconcile_orders
from arb.trade.risk import BalanceBook, ExposureEntry, Halt, RiskGate
from arb.trade.upkeep import Upkeep

log = logging.getLogger(__name__)
Pair = tuple[str, str, str]  # (symbol, venue a, venue b), venues sorted


class Trader(Upkeep, DurableHalts):
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
        and :meth:`book_opened` and reads :meth:`balances_for`; rows go straight to the journal and arb's own
        real-time pacing is off. ``markets``/``fees``: known ones (a recording's), used instead of looking up."""
        if cfg.execution.mode not in ("paper", "live"):
            raise ArbError(f'execution.mode = "{cfg.execution.mode}" does not trade; use `arb scan` for alerts')
        self.cfg, self.mode, self.journal, self.notifier, self.clock = cfg, cfg.execution.mode, journal, notifier, clock
        self.market_clients = market_clients
        self.order_clients: dict[str, Any] = dict(order_clients or (market_clients if self.mode == "live" else {}))
        # Live: one more client per venue that only sends and cancels orders. ccxt's rate limiter is a
        # queue per client, so on a shared client an order waits behind look-ups, trade fetches and
        # balance refreshes (measured: 227 ms p50 decision -> orders instead of 10 ms).
        self.send_clients: dict[str, Any] = dict(send_clients or {}) if self.mode == "live" else {}
        self.balance_refresh_s, self.sweep_s = balance_refresh_s, sweep_s
        s, r = cfg.scanner, cfg.risk
        self.limits = limits = Limits(
            s.min_net_bps, s.min_net_profit, min(s.max_notional, r.max_notional_per_trade), s.slippage_bps
        )
        self.known_markets, self.known_fees = dict(markets or {}), dict(fees or {})
        self.markets: dict[tuple[str, str], MarketSpec] = {}
        self.fees: dict[tuple[str, str], Fee] = {}  # resolved once in prepare(), before the scanner starts
        self.books: dict[tuple[str, str], BookSlot] = {}  # the engine's book handles, published to us (read-only)
        self.scanner: Scanner | None = None
        if scan:
            self.scanner = self._scanner(market_clients, journal, notifier, run_id)
        self.run_id = self.scanner.run_id if self.scanner is not None else run_id or uuid.uuid4().hex[:12]
        self.risk = RiskGate(r, BalanceBook(r.min_balances))
        self.lots: dict[tuple[str, str], Decimal] = {}  # (venue, symbol) → amount step, filled by prepare
        self.accounts = Accounts(self.risk.balances, self.lots)
        self.router = OrderRouter(on_unknown=self._on_unknown_order)
        # arb's own bursts; order sends never wait on it (a replay runs faster than real time: none)
        self.throttle = Throttler(rate_limit=10, period=1.0) if scan else None
        self.risk.fees = self.fees  # holds reserve the fee where it is charged (arb.trade.balances.leg_need)
        self.executor: Executor | None = None
        self.ready = self.stopping = False
        self.stats: Counter[str] = Counter()
        self.outcomes: list[Outcome] = []
        self.shutdown_notes: list[str] = []
        self.restart_exposures: list[int] = []
        self._stop = asyncio.Event()
        self._sweep_now = asyncio.Event()
        self._tg: asyncio.TaskGroup | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        ex = cfg.execution
        rules = GateRules(ex.confirm_updates, ex.depth_multiple, ex.cooldown_until_both_books_update)
        self.gate = Gate(rules, self.risk, self.markets, self.fees, limits)
        self._last_reason: dict[tuple[str, str, str], str] = {}
        self._trades_done = 0
        # ("ready", None), ("decision", dict), ("outcome", Outcome), ("halt", Halt),
        # ("direction", ((symbol, buy venue, sell venue), "disabled" | "enabled")), ("restart_hedge", Outcome)
        self.listeners: list[Callable[[str, Any], None]] = []

    def _scanner(
        self, market_clients: dict[str, Any], journal: Journal, notifier: Notifier | None, run_id: str | None
    ) -> Scanner:
        cfg, s = self.cfg, self.cfg.scanner
        return Scanner(
            market_clients,
            list(s.symbols),
            limits=self.limits,
            fee_currency={v.name: v.fee_currency for v in cfg.active_venues()},
            max_book_age_ms=s.max_book_age_ms,
            episode_gap_ms=s.episode_gap_ms,
            journal=journal,
            notifier=notifier,
            book_limits={v.name: v.book_depth for v in cfg.active_venues() if v.book_depth},
            flush_ms=cfg.store.flush_ms,
            queue_size=cfg.store.queue_size,
            run_id=run_id,
            mode=cfg.execution.mode,
            run_config=redact(cfg),
            own_exchanges=False,
            notify_episode_end=cfg.notify.on_episode_end,
            balances=self.balances_for,
            on_opportunity=self.on_opportunity,
            on_book_opened=self.book_opened,
            fees=self.fees,
        )

    # -- start-up ------------------------------------------------------------------------------------------
    async def prepare(self) -> None:
        venues = [v.name for v in self.cfg.active_venues()]
        if self.mode == "live":
            await asyncio.gather(*(ensure_can_trade(v, self.order_clients[v]) for v in venues))
        for v in venues:
            try:
                await startup_call(v, "load_markets", self.market_clients[v].load_markets, timeout_s=30)
            except Exception as e:
                raise ArbError(f"{v}: cannot load markets ({brief(e)}); run `arb doctor`") from e
            for sym in self.cfg.scanner.symbols:
                m = (self.market_clients[v].markets or {}).get(sym)
                if m is not None:
                    mode = getattr(self.market_clients[v], "precisionMode", 4)
                    self.markets[(v, sym)] = self.known_markets.get((v, sym)) or MarketSpec.from_ccxt(m, mode)
                    self.lots[(v, sym)] = self.markets[(v, sym)].amount_step
                    self.fees[(v, sym)] = await self._fee(v, sym)
        for v, c in self.send_clients.items():  # same markets, no extra REST call
            c.set_markets(self.market_clients[v].markets, getattr(self.market_clients[v], "currencies", None))
        if self.mode == "paper":
            pb, ex = self.cfg.execution.paper_balances, self.cfg.execution
            self.order_clients = {
                v: PaperVenue(
                    v,
                    self.market_clients[v],
                    fees=self.fees,
                    balances=pb.get(v),
                    latency_ms=ex.paper_latency_ms,
                    clock=self.clock,
                    run_id=self.run_id,
                )
                for v in venues
            }
        self.executor = Executor(
            self.order_clients,
            self.journal,
            run_id=self.run_id,
            markets=self.markets,
            fees=self.fees,
            send_venues=self.send_clients or None,
            on_partial=self.cfg.execution.on_partial,
            order_timeout_ms=self.cfg.execution.order_timeout_ms,
            order_expiry_ms=self.cfg.execution.order_expiry_ms,
            may_send=self.may_send,
            router=self.router,
            submit=self._submit,
            alert=self._alert,
            books=self.book,
            on_order_result=self._order_result,
            throttle=self.throttle,
            clock=self.clock,
            on_leg=self._on_leg,
            on_journal=self._leg_journaled,
        )
        await self.refresh_balances("start", check_drift=False)
        self._load_exposures()
        self._restore_risk()  # today's legs first: what reconcile journals below joins them
        findings = await reconcile_orders(self.journal, self.executor, now_ms=self.clock(), source="start")
        self._report(findings)
        self._load_exposures()  # reconcile may have found exposures: the limits must see them at once
        # every open exposure gets the configured policy once books are there (also after a policy change)
        self.restart_exposures = [e["id"] for e in self.journal.exposures("open")]
        self._poll_kill()

    async def _fee(self, venue: str, symbol: str) -> Fee:
        vc = self.cfg.venue(venue)
        fee = self.known_fees.get((venue, symbol)) or vc.fee_override()
        client = self.order_clients.get(venue)
        if fee is None and client is not None and getattr(client, "apiKey", None):
            try:
                got = await startup_call(
                    venue,
                    "fetch_trading_fee",
                    lambda: client.fetch_trading_fee(symbol),
                    timeout_s=10,
                    throttle=self.throttle,
                )
                fee = Fee(dec(got["taker"]), vc.fee_currency, "account")
            except Exception as e:
                log.warning("fee.account_failed venue=%s symbol=%s error=%s", venue, symbol, brief(e))
        fee = fee or market_fee(self.market_clients[venue], venue, symbol, None, vc.fee_currency)
        self._event("fee", venue, symbol, f"taker={fee.taker} currency={fee.currency} source={fee.source}")
        return fee

    # -- running -------------------------------------------------------------------------------------------
    async def run(self, duration_s: float | None = None) -> None:
        assert self.scanner is not None, "a trader without a scanner is fed by its caller: start() / finish()"
        if self.executor is None:  # `arb run` prepares first (to print the summary): never twice
            await self.prepare()
        async with asyncio.TaskGroup() as tg:
            self._tg = tg
            scan = tg.create_task(self.scanner.run(), name="scanner")
            side = [
                tg.create_task(self._go(), name="go"),
                tg.create_task(self._watch_kill(), name="kill"),
                tg.create_task(self._housekeeping(), name="housekeeping"),
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
            await self.refresh_balances("stop", check_drift=False)  # the venues' balances at stop, journaled
            self._shutdown_report()
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
        self._tasks = [tg.create_task(self._housekeeping(), name="housekeeping")]
        self._tasks += [
            tg.create_task(self.router.watch(v, c, self._stop), name=f"orders-{v}")
            for v, c in self.order_clients.items()
        ]

    async def finish(self) -> None:
        """Finish what is in flight, report open exposure, and stop the tasks :meth:`start` started."""
        self.stopping = True
        await self._drain()
        self._shutdown_report()
        self._stop.set()
        for task in self._tasks:
            task.cancel()

    @property
    def trades_done(self) -> int:
        return int(self._trades_done)

    async def _go(self) -> None:
        await self.scanner.started.wait()  # markets and fees were resolved before the scanner started
        self.ready = True
        self._event("trading", None, None, f"ready: mode={self.mode} on_partial={self.cfg.execution.on_partial}")
        self._emit("ready", None)
        if self.restart_exposures and self.cfg.execution.on_partial == "hedge":
            await self._hedge_restart_exposures()

    async def _drain(self) -> None:
        while self.risk.in_flight:
            await asyncio.sleep(0.01)

    # -- the decision (sync, on the feed's task) --------------------------------------------------------------
    def book_opened(self, venue: str, symbol: str, slot: BookSlot) -> None:
        self.books[(venue, symbol)] = slot

    def on_opportunity(self, s: Sighting) -> None:
        if not self.ready or self.stopping or self._tg is None:
            return
        opp, ep = s.opp, s.episode
        d = self.gate.decide(s, balances=self.balances_for(*opp.key), marks=self.marks(), now_ms=self.clock())
        trade = d.trade
        if trade is None:
            self._decision(opp, d.verdict, d.info)
            return
        opp_id = f"{ep.id}.{ep.evaluations}"
        info = d.info | {
            "opportunity_id": opp_id,
            "planned_net": str(trade.net_profit),
            "amount": str(trade.buy.amount),
            "evaluated_amount": str(opp.buy.amount),
        }
        self._decision(trade, Verdict.ACCEPT, info)
        self.risk.begin(opp_id, trade)
        pair = pair_of(opp)
        self.gate.begin(pair)
        self._tg.create_task(self._execute(opp_id, trade, pair), name=f"execute-{opp_id}")

    def _decision(self, opp: Opportunity, verdict: Verdict, info: dict[str, Any]) -> None:
        if verdict != Verdict.ACCEPT:
            if self._last_reason.get(opp.key) == verdict:
                return  # refusals are journaled once per change of reason
            self._last_reason[opp.key] = verdict
            self.stats[f"refused_{verdict}"] += 1
        else:
            self._last_reason.pop(opp.key, None)
            self.stats["accepted"] += 1
        doc = {
            "verdict": str(verdict),
            "buy": opp.buy_venue,
            "sell": opp.sell_venue,
            "net_profit": str(opp.net_profit),
            "net_bps": str(round(opp.net_bps, 4)),
            **info,
        }
        self._event("decision", None, opp.symbol, json.dumps(doc, separators=(",", ":")))
        self._emit("decision", doc)

    async def _execute(self, opp_id: str, opp: Opportunity, pair: Pair) -> None:
        assert self.executor is not None
        out: Outcome | None = None
        try:
            out = await self.executor.execute(opp_id, opp)
        except asyncio.CancelledError:  # the run is being torn down: journaled intents are reconciled later
            self.risk.end(opp_id, ok=False, now_ms=self.clock())
            raise
        except Exception as e:  # a bug must not take the engine down: count it as a failed arbitrage
            log.exception("execute.failed opportunity=%s", opp_id)
            self._event("error", None, opp.symbol, f"{opp_id}: executor error {brief(e)}")
        finally:
            self.gate.end(pair, versions(self.books, pair))
        now = self.clock()
        self._trades_done += 1
        if out is not None:
            self.outcomes.append(out)
            self._emit("outcome", out)
            self.stats["trades_ok" if out.ok else "trades_failed"] += 1
            self._journal_balances("trade", {leg.venue for leg in out.legs})
            if out.exposure_id is not None:
                v = opp.buy_venue if out.exposure > 0 else opp.sell_venue
                self.risk.set_exposure(ExposureEntry(out.exposure_id, opp_id, v, opp.symbol, out.exposure, now))
        self._on_halt(self.risk.end(opp_id, ok=out is not None and out.ok, now_ms=now))
        self._check_daily_loss(now)

    def _journal_balances(self, source: str, venues: set[str]) -> None:
        """The gate's balances (last quiet snapshot + settled flows) of ``venues``, one row per traded asset."""
        book = self.risk.balances
        assets = {a for s in self.cfg.scanner.symbols for a in s.split("/")}
        now = self.clock()
        for venue in sorted(venues & set(book.expected)):
            totals, free = book.expected[venue], book.free.get(venue, {})
            for a in sorted(assets & set(totals)):
                self._submit(
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

    def _on_leg(self, event: str, leg: LegFill) -> None:
        """Executor hook around every order (:mod:`arb.trade.balances`): hold on send, settle on the final state."""
        if event == "send":
            row = self.journal.get_order(leg.client_id) or {}
            opp_id = row.get("opportunity_id") or leg.client_id
            self.risk.leg_sent(opp_id, leg, fresh=leg.state != "unknown")
            self.accounts.leg_sent(opp_id, leg, row.get("created_ms") or self.clock())
        else:
            self.risk.leg_final(leg)

    def _leg_journaled(self, leg: LegFill) -> None:
        """Executor hook: a leg's state and fills were journaled (trade, hedge, retry, reconcile): the day's PnL
        counts exactly what the journal holds (:mod:`arb.trade.accounts`)."""
        opp_id = self.accounts.opportunity_of(leg.client_id)
        first_ms = self.clock()
        if opp_id is None:
            row = self.journal.get_order(leg.client_id) or {}
            opp_id = row.get("opportunity_id") or leg.client_id
            rows = self.journal.orders(opportunity_id=opp_id) if row.get("opportunity_id") else [row]
            first_ms = min((r["created_ms"] for r in rows if r.get("created_ms") is not None), default=first_ms)
        self.accounts.leg_journaled(opp_id, leg, first_ms)

    def _check_daily_loss(self, now: int) -> None:
        self.marks()
        self._on_halt(self.risk.check_daily_loss(now, *self.accounts.pnl(now)))

    def _resolve_holds(self) -> None:
        """Holds of legs whose state was unknown: once reconcile journaled a final state, the next balance
        snapshot (not our flows) brings their effect in."""
        for cid in self.risk.balances.unknown_ids():
            row = self.journal.get_order(cid)
            if row is None or row["state"] in ("closed", "canceled", "rejected"):
                self.risk.balances.resolve(cid)

    # -- hooks and views ---------------------------------------------------------------------------------------
    def balances_for(self, symbol: str, buy_venue: str, sell_venue: str) -> Balances:
        base, quote = symbol.split("/")
        b = self.risk.balances
        return Balances(quote_on_buy=b.spendable(buy_venue, quote), base_on_sell=b.spendable(sell_venue, base))

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
        now = self.clock()
        self.marks()
        realised, unrealised = self.accounts.pnl(now)
        h = self.risk.halted
        return {
            "mode": self.mode,
            "ready": self.ready,
            "halted": None if h is None else h.line(),
            "halt": None if h is None else {"reason": h.reason, "detail": h.detail, "ts_ms": h.ts_ms},
            "in_flight": len(self.risk.in_flight),
            "stats": dict(self.stats),
            "pnl_today": {"realised": str(realised), "open_exposure_at_mid": str(unrealised)},
            "open_exposures": [
                {
                    "id": e.id,
                    "opportunity_id": e.opportunity_id,
                    "venue": e.venue,
                    "symbol": e.symbol,
                    "base_delta": str(e.base_delta),
                }
                for e in self.risk.exposures.values()
            ],
            "paused_venues": sorted(v for v in self.risk.errors.paused_until if self.risk.errors.paused(v, now)),
            "disabled_directions": {"/".join(k): why for k, why in self.risk.disabled.items()},
            "orders_unknown_ids": self.router.unknown,
            "orders_malformed": self.router.malformed,
        }

    # -- journal, alerts, halts --------------------------------------------------------------------------------
    def _load_exposures(self) -> None:
        self.risk.exposures.clear()
        for e in self.journal.exposures("open"):
            self.risk.set_exposure(
                ExposureEntry(
                    e["id"],
                    e.get("opportunity_id") or "",
                    e["venue"],
                    e["symbol"],
                    e["base_delta"],
                    e.get("created_ms"),
                )
            )

    def _report(self, findings: list[Finding]) -> None:
        for f in findings:
            self._event("reconcile", f.venue, f.symbol, f.line())
            if f.kind != "order_found":
                self._alert(f"arb reconcile: {f.kind}", f.detail, "warning")

    def _on_halt(self, halt: Halt | None) -> None:
        if halt is None:
            return
        self._journal_halt(halt)
        log.error("risk.halt reason=%s detail=%s", halt.reason, halt.detail)
        self._event("halt", None, None, halt.line())
        self._emit("halt", halt)
        self._alert(f"arb HALT: {halt.reason}", halt.line() + "; continuing in alert-only mode", "failure")

    def _order_result(self, venue: str, ok: bool) -> None:
        why = self.risk.order_outcome(venue, ok, self.clock())
        if why is not None:
            self._event("venue_paused", venue, None, why)
            self._alert(f"arb {venue} paused", why, "warning")

    def _on_unknown_order(self, venue: str, order: Any) -> None:
        if (client_id_of(order) or "").startswith("arb"):
            self._sweep_now.set()  # one of ours we are not waiting for: reconcile it now

    def _shutdown_report(self) -> None:
        rows = self.journal.exposures("open")
        if not rows:
            return
        text = "; ".join(f"#{r['id']} {r['base_delta']} {r['symbol']} on {r['venue']}" for r in rows)
        line = f"stopping with {len(rows)} open exposure(s): {text}"
        self.shutdown_notes.append(line)
        log.warning("%s", line)
        self._event("shutdown_exposure", None, None, line)
        self._alert("arb stopped with open exposure", line, "failure")

    def _submit(self, kind: str, row: dict[str, Any]) -> None:
        writer = self.scanner.writer if self.scanner is not None else None
        if writer is not None:
            writer.submit(kind, row)
        else:  # no batching writer (arb backtest): straight to the journal
            self.journal.write_batch([(kind, row)])

    def _event(self, kind: str, venue: str | None, symbol: str | None, detail: str) -> None:
        self._submit(
            "event",
            {
                "run_id": self.run_id,
                "ts_ms": self.clock(),
                "venue": venue,
                "symbol": symbol,
                "kind": kind,
                "detail": detail,
            },
        )

    def _emit(self, kind: str, payload: Any) -> None:
        for f in self.listeners:
            try:
                f(kind, payload)
            except Exception:  # a listener must not break trading
                log.exception("trader.listener_failed kind=%s", kind)

    def _alert(self, title: str, body: str, kind: str = "info") -> None:
        if self.notifier is not None:
            self.notifier.send(title, body, kind=kind)
