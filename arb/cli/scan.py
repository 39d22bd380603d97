"""`arb scan`, `arb demo` and `arb opportunities`: the alert-only scanner and its log."""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from arb.api.launch import api_options, resolve
from arb.cli.common import (
    DEMO_SYMBOLS,
    loopback,
    loopback_clients,
    loopback_options,
    make_exchanges,
    profile_option,
    sim_venues,
    stop_on_signals,
)
from arb.config import ScannerConfig
from arb.core.errors import ConfigError
from arb.core.kinds import EventKind
from arb.scale.cli import scale_options


async def run_scanner(
    scanner: Any,
    *,
    ui: str,
    duration_s: float | None,
    title: str,
    db_path: str | None,
    api: Any = None,
    kill_file: str | None = None,
) -> None:
    """Run a Scanner with the chosen display until done, Ctrl-C or SIGTERM (and the control API, ``api``)."""
    from arb.api.launch import serving
    from arb.ui.live import JsonLines, LiveView

    stop_on_signals(scanner.stop)
    display = JsonLines(scanner) if ui == "json" else LiveView(scanner, title=title, db_path=db_path)
    view = asyncio.create_task(display.run(), name="view")
    # a display that dies (its reader went away: `arb demo --no-ui | head`) stops the run, and its error is raised
    view.add_done_callback(lambda t: t.cancelled() or t.exception() is None or scanner.stop())
    try:
        async with serving(api, scanner, journal_path=db_path, kill_file=kill_file):
            await scanner.run(duration_s=duration_s)
    finally:
        view.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await view


def _summary(scanner: Any, db_path: str | None) -> dict[str, Any]:
    from arb.ui.live import status_dict

    doc = status_dict(scanner)
    doc["type"] = "summary"
    doc["journal"] = db_path
    return doc


def _print_summary(doc: dict[str, Any], json_out: bool) -> None:
    if json_out:
        click.echo(json.dumps(doc, separators=(",", ":")))
        return
    click.echo(
        f"\nrun {doc['run_id']}: {doc['updates']} book updates, {doc['evaluations']} evaluations, "
        f"{doc['episodes_started']} episodes"
    )
    if doc.get("journal"):
        click.echo(f"journal: {doc['journal']}")
        from arb.cli import prog

        click.echo(f"list them: {prog()} opportunities --db {doc['journal']}")


def _kill_beside(db_path: str) -> str:
    """The demo's kill file: beside its SQLite journal, or in the temp directory for a Postgres one."""
    if db_path.startswith(("postgresql://", "postgres://")):
        return str(Path(tempfile.gettempdir()) / "arb-demo.kill")
    return str(Path(db_path).with_suffix(".kill"))


def _open_journal(path: str, command: str = "arb scan", owner: str = "") -> Any:
    """Take the journal's single-writer lock (held until the process ends: `arb.store.lock`), then open (or
    create) the journal; a path that cannot be used is a configuration problem (exit 2)."""
    from arb.core.errors import StoreError
    from arb.store import Journal
    from arb.store.lock import JournalLock
    from arb.store.url import display_url, is_url

    lock = JournalLock(path, command, owner=owner).acquire()  # a shared Postgres journal: one process per shard
    try:
        journal = Journal.open(path)
    except StoreError as e:
        lock.release()
        raise ConfigError(f"store.{'url' if is_url(path) else 'path'} = {display_url(path)}: {e}") from e
    _LOCKS[id(journal)] = lock
    return journal


def _close_journal(journal: Any) -> None:
    """Close a journal from :func:`_open_journal` and release its lock."""
    journal.close()
    lock = _LOCKS.pop(id(journal), None)
    if lock is not None:
        lock.release()


_LOCKS: dict[int, Any] = {}  # id(journal) → its lock (the OS releases them anyway if the process dies)


@click.command("scan")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="TOML config (default: built-in defaults + ARB__* environment overrides).",
)
@click.option(
    "--db", "db_path", default=None, help="Journal path or postgresql:// URL (default: store.url or store.path)."
)
@click.option(
    "--no-ui", is_flag=True, help="Print JSON lines (episodes, events, status every 5 s) instead of the live view."
)
@click.option("--duration", type=float, default=0, show_default=True, help="Seconds to run; 0 = until Ctrl-C.")
@api_options
@scale_options(trading=False)
def scan_command(
    config_path: str | None,
    db_path: str | None,
    no_ui: bool,
    duration: float,
    api_addr: str | None,
    api_token_file: str | None,
    api_allow_remote: bool,
    workers: int = 1,
    shard: str | None = None,
) -> None:
    """Alert-only scan of real venues: public order books, no keys, no orders.

    Opportunities after fees are shown live, journaled as episodes and sent to the notify URLs.
    """
    from arb.config import load_config, redact
    from arb.inventory.wiring import network_watch
    from arb.notify import Notifier
    from arb.scale.cli import setup_worker, spawn_workers
    from arb.scale.plan import announce
    from arb.scan.scanner import Scanner

    if workers > 1:  # README "Scaling out": N scanners, one shard of the symbols each
        argv = ["scan", *(["--config", config_path] if config_path else []), "--duration", str(duration)]
        argv += ["--db", db_path] if db_path else []
        code = spawn_workers(load_config(config_path), argv, workers, coordinator=None, trading=False)
        raise click.exceptions.Exit(code)
    scale = setup_worker(load_config(config_path), shard, None, trading=False)  # "auto" resolved, this shard's
    plan, cfg = scale.plan, scale.cfg
    api = resolve(cfg.api, api_addr, api_token_file, api_allow_remote)
    db = scale.journal_path(db_path or cfg.store.journal())
    journal = _open_journal(db, owner=str(scale.shard or ""))
    db = str(journal.path)  # from here on only shown: a Postgres URL without its password
    s = cfg.scanner
    scanner = Scanner(
        make_exchanges(cfg),
        list(s.symbols),
        limits=cfg.limits(),
        fee_overrides={v.name: f for v in cfg.active_venues() if (f := v.fee_override()) is not None},
        fee_currency={v.name: v.fee_currency for v in cfg.active_venues()},
        max_book_age_ms=s.max_book_age_ms,
        episode_gap_ms=s.episode_gap_ms,
        journal=journal,
        notifier=Notifier(list(cfg.notify.urls), min_interval_s=float(cfg.notify.min_interval_s)),
        book_limits={v.name: v.book_depth for v in cfg.active_venues() if v.book_depth},
        flush_ms=cfg.store.flush_ms,
        queue_size=cfg.store.queue_size,
        mode="alert",
        run_config=redact(cfg),
        own_exchanges=True,
        notify_episode_end=cfg.notify.on_episode_end,
        health_stale_ms=cfg.notify.health_stale_s * 1000,
        transfers=network_watch(cfg, s.symbols),  # networks with read keys; unknown without (arb.inventory)
    )
    for note in scale.notes:  # the parent's discovery line
        scanner.sink.event(None, None, EventKind.SYMBOLS, note)
    announce(plan, scanner.sink.event)
    try:
        asyncio.run(
            run_scanner(
                scanner,
                ui="json" if no_ui else "rich",
                duration_s=duration or None,
                title="arb scan (alert-only)",
                db_path=db,
                api=api,
                kill_file=cfg.risk.kill_file,
            )
        )
    finally:
        _close_journal(journal)
    _print_summary(_summary(scanner, db), no_ui)


@click.command("demo")
@click.option("--duration", type=float, default=60, show_default=True, help="Seconds to run; 0 = until Ctrl-C.")
@click.option("--no-ui", is_flag=True, help="Print JSON lines instead of the live view.")
@click.option("--seed", type=int, default=7, show_default=True, help="Market seed (same seed, same market).")
@click.option("--symbols", default=",".join(DEMO_SYMBOLS), show_default=True, help="Comma-separated symbols.")
@click.option("--db", "db_path", default=None, help="Journal path (default: a new temporary directory).")
@click.option("--venues", default=None, help="Comma-separated simulated venues (default: all bundled).")
@click.option(
    "--paper",
    is_flag=True,
    help="Paper-trade the opportunities too (risk gate, executor, simulated fills), not just alert.",
)
@profile_option
@api_options
def demo_command(
    duration: float,
    no_ui: bool,
    seed: int,
    symbols: str,
    db_path: str | None,
    venues: str | None,
    paper: bool,
    profile: str,
    api_addr: str | None,
    api_token_file: str | None,
    api_allow_remote: bool,
) -> None:
    """Scanner against the bundled loopback exchanges (no keys, no network).

    Starts simulated OKX/Binance/Bybit on 127.0.0.1 with dislocations, a fresh journal, and the
    alert-only scanner (or, with --paper, the paper trader); prints where the journal is when it ends.
    """
    syms = [x.strip() for x in symbols.split(",") if x.strip()]
    if not syms:
        raise click.BadParameter("give at least one symbol", param_hint="--symbols")
    if db_path is None:
        db_path = str(Path(tempfile.mkdtemp(prefix="arb-demo-")) / "arb-demo.db")
    vlist = sim_venues(venues)
    from arb.cli import prog

    api = resolve(None, api_addr, api_token_file, api_allow_remote)
    run = DemoRun(syms, seed, db_path, duration or None, "json" if no_ui else "rich", vlist, profile, api)
    if paper:
        trader = asyncio.run(_paper_demo(run))
        st = trader.status()
        run_pnl = sum((o.position.pnl_quote for o in trader.outcomes), Decimal(0))  # this run's (ledger Position)
        click.echo(
            f"run {trader.run_id} (paper): trades ok {trader.stats['trades_ok']}, failed "
            f"{trader.stats['trades_failed']}; PnL this run {run_pnl}; "
            f"realised PnL today {st['pnl_today']['realised']}; "
            f"journal {db_path}\nreview it: {prog()} report --db {db_path}",
            err=True,
        )
        if st["halted"]:  # the halt and its reason, last (as `arb run` ends)
            click.echo(st["halted"], err=True)
        return
    scanner = asyncio.run(_demo(run))
    _print_summary(_summary(scanner, db_path), no_ui)


@dataclass(frozen=True, slots=True)
class DemoRun:
    """What `arb demo` runs, alert-only or paper: the loopback market and where the run goes."""

    symbols: list[str]
    seed: int
    db_path: str
    duration_s: float | None
    ui: str  # "rich" | "json"
    venues: list[str] | None
    profile: str = "demo"
    api: Any = None  # arb.api.launch.Launch: serve the control API during the run


async def _demo(run: DemoRun) -> Any:
    from arb.inventory.wiring import loopback_watch
    from arb.scan.scanner import Scanner

    symbols, seed, db_path, profile = run.symbols, run.seed, run.db_path, run.profile

    journal = _open_journal(db_path, "arb demo")
    try:
        async with loopback(run.venues, symbols, seed, profile=profile) as sim:
            exchanges = loopback_clients(sim)
            scanner = Scanner(
                exchanges,
                symbols,
                limits=ScannerConfig().limits(),  # the documented defaults: 5 bps, 0.5 net, 1000 cap, 2 bps
                journal=journal,
                mode="alert",
                own_exchanges=True,
                run_config={"demo": True, "seed": seed, "profile": profile, "symbols": symbols, "venues": sim.venues},
                transfers=loopback_watch(sim, symbols),  # networks read with the venues' read-only demo keys
            )
            await run_scanner(
                scanner,
                ui=run.ui,
                duration_s=run.duration_s,
                title=f"arb demo (loopback exchanges, {profile} profile)",
                db_path=db_path,
                api=run.api,
                kill_file=_kill_beside(db_path),
            )
            return scanner
    finally:
        _close_journal(journal)


async def _paper_demo(run: DemoRun) -> Any:
    """The paper trader (same code as `arb run` in paper mode) on the loopback exchanges."""
    import ccxt.pro as ccxtpro

    from arb.cli.trade import _run
    from arb.config import Config
    from arb.trade.collector import settle_heap
    from arb.trade.trader import Trader

    symbols, db_path = run.symbols, run.db_path
    journal = _open_journal(db_path, "arb demo --paper")
    try:
        async with loopback(run.venues, symbols, run.seed, profile=run.profile) as sim:
            options = loopback_options(sim, keys=False)
            balances: dict[str, dict[str, str]] = {}
            for v in sim.venues:
                bal = {"USDT": "20000"}
                for sym in symbols:
                    spec = sim.market.spec(v, sym)
                    bal[spec.base] = str((Decimal("20000") / Decimal(str(spec.mid))).quantize(spec.lot))
                balances[v] = bal
            cfg = Config.from_dict(
                {
                    "scanner": {
                        "symbols": symbols,
                        "venues": list(sim.venues),
                        "min_net_bps": "5",
                        "min_net_profit": "0.5",
                        "max_notional": "1000",
                        "slippage_bps": "2",
                    },
                    "venues": {v: {"options": options[v]} for v in sim.venues},
                    "execution": {"mode": "paper", "paper_balances": balances, "confirm_updates": 2},
                    "risk": {
                        "max_notional_per_trade": "1000",
                        "daily_loss_limit": "100",
                        "kill_file": _kill_beside(db_path),
                    },
                    "store": {"path": db_path + ".live-unused", "paper_path": db_path},
                },
                env={  # the venues' read-only demo keys: the paper run loads and journals their networks
                    f"ARB_{v.upper()}_{name}": getattr(sim.keys[v]["readonly"], attr)
                    for v in sim.venues
                    for name, attr in (("API_KEY", "key"), ("SECRET", "secret"), ("PASSWORD", "passphrase"))
                },
                source="<demo --paper>",
            )
            clients = {v: getattr(ccxtpro, v)(options[v]) for v in sim.venues}
            trader = Trader(cfg, market_clients=clients, journal=journal)
            trader.before_ready.append(settle_heap)  # the heap start-up leaves is frozen once (trade/collector.py)
            await _run(trader, duration_s=run.duration_s, ui=run.ui, confirm=False, db=db_path, api=run.api)
            return trader
    finally:
        _close_journal(journal)
