"""`arb run`, `arb kill` and `arb doctor`: auto-execution (paper or live), its kill switch, its checks."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

import click

from arb.api.launch import api_options
from arb.core.errors import ConfigError
from arb.scale.cli import scale_options, setup_worker, spawn_workers

STATUS_PERIOD_S = 5.0


def write_kill_file(path: Path, reason: str) -> str:
    """Write the kill file (atomically); a running `arb run` polls for it. Returns the text written."""
    when = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
    text = f"{reason.strip() or 'arb kill'}\n{when} by pid {os.getpid()} on {socket.gethostname()}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return text


def _summary(trader: Any, db: str) -> str:
    cfg = trader.cfg
    r = cfg.risk
    lines = [f"arb {trader.mode} run: {'REAL ORDERS' if trader.mode == 'live' else 'simulated fills'}"]
    for v in cfg.active_venues():
        fees = {f"{f.taker * 10000:.4g} bps ({f.source})" for (n, _s), f in trader.fees.items() if n == v.name}
        lines.append(f"  venue {v.name} (ccxt {v.ccxt_id}) fees {', '.join(sorted(fees)) or '?'}")
        free = trader.risk.balances.free.get(v.name)
        assets = sorted({a for s in cfg.scanner.symbols for a in s.split("/")})
        if free is not None:
            lines.append("    balances " + ", ".join(f"{a} {free.get(a, 0)}" for a in assets))
    lines += [
        f"  symbols {', '.join(cfg.scanner.symbols)}; at least {cfg.scanner.min_net_bps} bps and "
        f"{cfg.scanner.min_net_profit} quote net",
        f"  limits: notional/trade {r.max_notional_per_trade}, exposure/asset {r.max_exposure_per_asset}, "
        f"exposure/venue {r.max_exposure_per_venue}, in flight {r.max_in_flight}, daily loss {r.daily_loss_limit}, "
        f"failures in a row {r.max_consecutive_failures}",
        f"  partial fills: {cfg.execution.on_partial}; journal {db}; kill: `arb kill` (writes {r.kill_file})",
    ]
    return "\n".join(lines)


async def _run(trader: Any, *, duration_s: float | None, ui: str, confirm: bool, db: str, api: Any = None) -> None:
    from arb.api.launch import serving
    from arb.cli.common import stop_on_signals
    from arb.ui.live import LiveView, status_dict

    stop_on_signals(trader.stop)
    try:
        await trader.prepare()
        click.echo(_summary(trader, db), err=True)
        if confirm and not await asyncio.to_thread(click.confirm, "Start live trading?", default=False, err=True):
            raise click.Abort()
        reader_gone: list[BrokenPipeError] = []  # stdout's reader went away (`| head`): stop, then exit quietly

        def write(line: str) -> None:
            if reader_gone:
                return
            try:
                click.echo(line)
            except BrokenPipeError as e:
                reader_gone.append(e)
                trader.stop()

        if ui == "json":

            def emit(kind: str, payload: Any) -> None:
                doc: dict[str, Any] = {"type": kind}
                if kind in ("outcome", "restart_hedge"):
                    doc |= payload.summary()
                elif kind in ("halt", "resume"):
                    doc |= {"reason": payload.reason, "detail": payload.detail}
                elif kind == "decision":
                    doc |= payload
                elif kind == "direction":
                    doc |= {"direction": "/".join(payload[0]), "change": payload[1]}
                write(json.dumps(doc, separators=(",", ":"), default=str))

            trader.listeners.append(emit)

            async def status() -> None:
                while True:
                    await asyncio.sleep(STATUS_PERIOD_S)
                    write(
                        json.dumps(
                            status_dict(trader.scanner) | {"trader": trader.status()},
                            separators=(",", ":"),
                            default=str,
                        )
                    )

            view = asyncio.create_task(status())
        else:
            view = asyncio.create_task(
                LiveView(trader.scanner, title=f"arb run ({trader.mode})", db_path=db, trading=trader.status).run()
            )
        try:
            cfg = trader.cfg
            kill = cfg.risk.kill_file
            async with serving(api, trader.scanner, trader=trader, journal_path=db, kill_file=kill, risk=cfg.risk):
                await trader.run(duration_s)
        finally:
            view.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await view
        if reader_gone:
            raise reader_gone[0]
    finally:
        for c in (*trader.market_clients.values(), *trader.send_clients.values()):
            with contextlib.suppress(Exception):
                await c.close()


@click.command("run")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False), help="TOML config.")
@click.option("--live", is_flag=True, help='Send real orders (also needs execution.mode = "live" in the config).')
@click.option("--yes", is_flag=True, help="Skip the start-up confirmation of a live run.")
@click.option("--no-ui", is_flag=True, help="JSON lines (outcomes, halts, status every 5 s) instead of the live view.")
@click.option("--duration", type=float, default=0, show_default=True, help="Seconds to run; 0 = until Ctrl-C.")
@api_options
@scale_options(trading=True)
def run_command(
    config_path: str,
    live: bool,
    yes: bool,
    no_ui: bool,
    duration: float,
    api_addr: str | None,
    api_token_file: str | None,
    api_allow_remote: bool,
    workers: int = 1,
    shard: str | None = None,
    coordinator: str | None = None,
) -> None:
    """Trade opportunities automatically: paper (simulated fills) or live (real orders).

    The mode comes from execution.mode; live needs both mode = "live" and --live, API keys with
    trade permission in the environment, and a confirmation of the start-up summary (or --yes).
    """
    from arb.cli.common import make_exchanges
    from arb.config import load_config
    from arb.notify import Notifier
    from arb.store import Journal
    from arb.store.lock import JournalLock
    from arb.trade.collector import settle_heap
    from arb.trade.trader import Trader

    cfg = load_config(config_path)
    mode = cfg.execution.mode
    if mode == "alert":
        raise ConfigError(
            f'{config_path}: execution.mode = "alert" does not trade; use `arb scan --config '
            f'{config_path}` for alerts, or set mode = "paper" (simulated) or "live"'
        )
    if mode == "live" and not live:
        raise ConfigError(
            f'{config_path}: execution.mode = "live" sends real orders: add --live to confirm (nothing was sent)'
        )
    if live and mode != "live":
        raise ConfigError(f'--live needs execution.mode = "live" in {config_path} (it is "{mode}")')
    if workers > 1:  # README "Scaling out": N workers, one shard each, on a shared coordinator
        argv = ["run", "--config", config_path, *(["--live", "--yes"] if live else []), "--duration", str(duration)]
        raise click.exceptions.Exit(spawn_workers(cfg, argv, workers, coordinator=coordinator, trading=True))
    scale = setup_worker(cfg, shard, coordinator, trading=True)  # this shard's symbols, coordinator, partition
    cfg = scale.cfg
    from arb.api.launch import resolve

    api = resolve(cfg.api, api_addr, api_token_file, api_allow_remote)
    db = scale.journal_path(cfg.store.journal(paper=mode == "paper"))
    # one process per journal (per shard on a shared Postgres journal); the OS/server frees it on any exit
    lock = JournalLock(db, "arb run", owner=str(scale.shard or "")).acquire()
    journal = Journal.open(db)
    db = str(journal.path)  # from here on only shown: a Postgres URL without its password
    try:
        notifier = Notifier(list(cfg.notify.urls), min_interval_s=float(cfg.notify.min_interval_s))
        clients = make_exchanges(cfg, credentials=mode == "live")
        from arb.trade.executor import SEND_CLIENT_OPTIONS

        # orders only: they never queue behind look-ups in ccxt's limiter, and may burst a little
        send = make_exchanges(cfg, credentials=True, extra=SEND_CLIENT_OPTIONS) if mode == "live" else None
        trader = Trader(cfg, market_clients=clients, send_clients=send, journal=journal, notifier=notifier)
        scale.attach(trader)
        trader.before_ready.append(settle_heap)  # last: the heap start-up leaves is frozen once (collector.py)
        asyncio.run(
            _run(
                trader,
                duration_s=duration or None,
                ui="json" if no_ui else "rich",
                confirm=mode == "live" and not yes,
                db=db,
                api=api,
            )
        )
    except ExceptionGroup as group:  # TaskGroup errors: show the first arb error as one line
        raise _first(group) from None
    finally:
        journal.close()
        lock.release()
        scale.close()
    st = trader.status()
    ok, failed = trader.stats["trades_ok"], trader.stats["trades_failed"]
    pnl = st["pnl_today"]["realised"]
    from arb.core.model import ZERO

    run_pnl = sum((o.position.pnl_quote for o in trader.outcomes), ZERO)  # this run's outcomes (ledger Position)
    click.echo(
        f"run {trader.run_id} ({mode}): trades ok {ok}, failed {failed}; PnL this run {run_pnl}; "
        f"PnL today {pnl}; journal {db}",
        err=True,
    )
    for note in trader.shutdown_notes:
        click.echo(f"WARNING: {note}", err=True)
    if st["halted"]:
        click.echo(st["halted"], err=True)


def _first(group: BaseExceptionGroup) -> BaseException:
    from arb.core.errors import ArbError

    leaves: list[BaseException] = []

    def walk(e: BaseException) -> None:
        if isinstance(e, BaseExceptionGroup):
            for x in e.exceptions:
                walk(x)
        else:
            leaves.append(e)

    walk(group)
    return next((e for e in leaves if isinstance(e, ArbError | click.ClickException | click.Abort)), leaves[0])


@click.command("kill")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Config to take risk.kill_file from (default: built-in defaults + ARB__* overrides).",
)
@click.option("--reason", default="arb kill", show_default=True, help="Why; shown in the halt event and alert.")
@click.option(
    "--coordinator", default=None, help="redis://… of the workers (default: scale.coordinator): kill them all."
)
def kill_command(config_path: str | None, reason: str, coordinator: str | None = None) -> None:
    """Stop a running `arb run` from another terminal: it cancels its open orders and keeps alerting only.

    Writes risk.kill_file; the engine polls it every 0.1 s. Delete the file before the next start.
    """
    from arb.config import load_config

    # only risk.kill_file matters here: never require the live keys to stop a live run
    cfg = load_config(config_path, env={**os.environ, "ARB__EXECUTION__MODE": '"alert"'})
    path = Path(cfg.risk.kill_file)
    write_kill_file(path, reason)
    if url := coordinator or cfg.scale.coordinator:  # workers on other machines too (README "Scaling out")
        from arb.scale.redis_coord import redact_url, share_kill

        share_kill(url, reason)
        click.echo(f"kill shared with every worker through {redact_url(url)}")
    click.echo(
        f"kill file written: {path.resolve()}; a running arb stops trading within a second, cancels its "
        "open orders and continues in alert-only mode. Remove the file before the next start."
    )


@click.command("resume")
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Config whose journal holds the halt (store.paper_path in paper mode, else store.path).",
)
@click.option("--reason", default="operator resume", show_default=True, help="Why; journaled with who and when.")
def resume_command(config_path: str, reason: str) -> None:
    """End the halts in force (daily loss, failures in a row, balance drift) after checking what tripped them.

    Halts are kept in the journal, so a restart stays halted; this clears them (with who, when and why). A
    running `arb run` resumes within a second; the next start trades. An operator's pause and disabled
    directions (control API), kept in the journal too, are lifted for the next start. After a daily-loss halt the day's
    loss counts from the resume. The kill switch is separate: remove its file (risk.kill_file).
    """
    import getpass
    import tomllib

    from arb.config import load_config
    from arb.store import Journal
    from arb.store.url import is_url

    # only the journal paths matter here: never require the live keys to resume
    cfg = load_config(config_path, env={**os.environ, "ARB__EXECUTION__MODE": '"alert"'})
    raw = tomllib.loads(Path(config_path).read_text(encoding="utf-8")).get("execution", {}).get("mode", "alert")
    mode = str(os.environ.get("ARB__EXECUTION__MODE", raw)).strip('"')
    from arb.scale.partition import shard_journals

    main = cfg.store.journal(paper=mode == "paper")
    dbs = [main] if is_url(main) else [p for p in (main, *shard_journals(main)) if Path(p).exists()]
    if not dbs:
        raise ConfigError(f"{config_path}: journal {main} does not exist; nothing to resume")
    who = f"{getpass.getuser()}@{socket.gethostname()} pid {os.getpid()}: {reason.strip() or 'operator resume'}"
    from arb.clock import wall_ms

    if cfg.scale.coordinator:  # first the halt and kill every worker shares, then each journal's halts
        from arb.scale.redis_coord import clear_shared

        for key in clear_shared(cfg.scale.coordinator):
            click.echo(f"cleared the shared {key} on the coordinator: every worker resumes within a second")
    for db in dbs:  # the journal, and each worker's (--workers / --shard: README "Scaling out")
        with Journal.open(db, create=False) as journal:
            cleared = journal.clear_halts(wall_ms(), who)
            lifted = journal.lift_controls()  # an operator's pause and disabled directions (control API)
            db = str(journal.path)  # shown: a Postgres URL without its password
        if not cleared:
            click.echo(f"no halt in force in {db}")
        for c in lifted:
            what = "the pause" if c["name"] == "pause" else c["name"].replace("direction:", "disabled direction ")
            click.echo(f"lifted {what} set by {c['who']} in {db}; a running arb lifts it within a second")
        for h in cleared:
            click.echo(
                f"cleared halt #{h['id']} ({h['reason']}: {h['detail']}) in {db}; a running arb resumes within a second"
            )
    kill = Path(cfg.risk.kill_file)
    if kill.exists():
        click.echo(f"the kill file {kill} is still there: remove it to trade again")


@click.command("doctor")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False), help="TOML config.")
@click.option("--json", "json_out", is_flag=True, help="Print one JSON document instead of lines.")
def doctor_command(config_path: str, json_out: bool) -> None:
    """Check every configured venue: connectivity, clock, keys (trade, withdraw, IP whitelist), fees, balances.

    One line per check; exits 1 if any check fails.
    """
    from arb.config import load_config
    from arb.trade.doctor import as_json, run_doctor

    cfg = load_config(config_path)
    if cfg.scanner.symbols == ("auto",):  # the symbols a run would watch (a venue that cannot answer: its check says)
        from arb.cli.common import make_exchanges
        from arb.core.errors import ArbError
        from arb.scale.plan import plan_symbols

        with contextlib.suppress(ArbError):
            cfg = plan_symbols(cfg, None, make_exchanges).cfg
    checks = asyncio.run(run_doctor(cfg))
    doc = as_json(checks)
    if json_out:
        click.echo(json.dumps(doc, separators=(",", ":")))
    else:
        for c in checks:
            click.echo(c.line())
    if not doc["ok"]:
        sys.stdout.flush()
        raise click.exceptions.Exit(1)
