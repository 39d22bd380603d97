"""`arb record`: record order books (real venues or the loopback ones) to a file for replay."""

import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from arb.cli.common import InputError, profile_option, stop_on_signals
from arb.core.errors import ArbError


@click.command("record")
@click.option(
    "--out",
    "-o",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Recording to write (gzip'd JSON lines, e.g. books.arbrec.gz).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Venues, symbols and fees from this config (public data only, no keys).",
)
@click.option("--loopback", is_flag=True, help="Record the bundled loopback exchanges instead of real venues.")
@click.option("--symbols", default=None, help="Comma-separated symbols (default: scanner.symbols / demo symbols).")
@click.option("--venues", default=None, help="With --loopback: comma-separated simulated venues (default: all).")
@click.option("--seed", type=int, default=7, show_default=True, help="With --loopback: market seed.")
@click.option("--depth", type=int, default=20, show_default=True, help="Levels per side kept per update.")
@click.option("--duration", type=float, default=0, show_default=True, help="Seconds to record; 0 = until Ctrl-C.")
@click.option("--no-ui", is_flag=True, help="No progress display (for pipes and servers).")
@click.option("--json", "json_out", is_flag=True, help="Print the final summary as one JSON document.")
@profile_option
def record_command(
    out_path: str,
    config_path: str | None,
    loopback: bool,
    symbols: str | None,
    venues: str | None,
    seed: int,
    depth: int,
    duration: float,
    no_ui: bool,
    json_out: bool,
    profile: str,
) -> None:
    """Record the order-book stream of the configured venues (or the loopback ones) to a file.

    Each delivered book keeps its top --depth levels as exact strings with receive timestamps;
    the header holds venues, symbols, markets (precision/limits) and fees, so `arb backtest`
    needs nothing else.
    """
    if depth < 1:
        raise InputError(f"--depth {depth}: must be at least 1")
    if Path(out_path).exists():
        raise InputError(f"--out {out_path} already exists; choose a new file")
    syms = [s.strip() for s in symbols.split(",") if s.strip()] if symbols else None
    ui = not no_ui and not json_out and sys.stderr.isatty()
    summary = asyncio.run(
        _record(out_path, config_path, loopback, syms, venues, seed, depth, duration or None, ui, profile)
    )
    if not summary["books"]:  # an empty file would only invite a backtest of nothing
        Path(out_path).unlink(missing_ok=True)
        why = "; ".join(f"{v}: {d}" for v, d in summary["problems"].items()) or "no book arrived before the stop"
        raise ArbError(
            f"nothing recorded from {', '.join(summary['venues'])} ({why}); {out_path} was not kept. "
            "Check the venues' urls and the network (`arb doctor --config ...`), or try --loopback"
        )
    if json_out:
        click.echo(json.dumps(summary, separators=(",", ":")))
    else:
        click.echo(
            f"recorded {summary['books']} books and {summary['events']} events from "
            f"{', '.join(summary['venues'])} to {out_path} ({summary['bytes']} bytes)"
        )
        from arb.cli import prog

        click.echo(f"replay it: {prog()} backtest {out_path}")


async def _record(
    out: str,
    config_path: str | None,
    loopback: bool,
    symbols: list[str] | None,
    venues: str | None,
    seed: int,
    depth: int,
    duration_s: float | None,
    ui: bool,
    profile: str = "demo",
) -> dict[str, Any]:

    from arb.review.record import Recorder, RecordingError, record

    stop = asyncio.Event()
    stop_on_signals(stop.set)
    async with contextlib.AsyncExitStack() as stack:
        kw: dict[str, Any] = {}
        if loopback:
            from arb.cli.common import DEMO_SYMBOLS, loopback_clients, sim_venues
            from arb.cli.common import loopback as loopback_market

            syms = symbols or DEMO_SYMBOLS
            sim = await stack.enter_async_context(
                loopback_market(sim_venues(venues), syms, seed, rate_per_min=3.0, bps=30.0, profile=profile)
            )
            exchanges = loopback_clients(sim)
            source, config = "loopback", {"seed": seed, "profile": profile}
        else:
            from arb.cli.common import make_exchanges
            from arb.config import load_config, redact

            cfg = load_config(config_path)
            syms = symbols or list(cfg.scanner.symbols)
            exchanges = make_exchanges(cfg)
            source, config = "venues", redact(cfg)["scanner"]
            kw = {
                "fee_overrides": {v.name: f for v in cfg.active_venues() if (f := v.fee_override()) is not None},
                "fee_currency": {v.name: v.fee_currency for v in cfg.active_venues()},
                "book_limits": {v.name: v.book_depth for v in cfg.active_venues() if v.book_depth},
            }
        for ex in exchanges.values():
            stack.push_async_callback(ex.close)
        try:
            recorder = Recorder(out, venues=list(exchanges), symbols=syms, depth=depth, source=source, config=config)
        except RecordingError as e:
            raise InputError(str(e)) from None
        view = asyncio.create_task(_record_view(recorder, stop, out)) if ui else None
        try:
            await record(
                exchanges,
                syms,
                recorder,
                duration_s=duration_s,
                stop=stop,
                notice=lambda line: click.echo(f"arb record: {line}", err=True),
                **kw,
            )
        finally:
            if view is not None:
                view.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await view
    return {
        "type": "summary",
        "file": out,
        "books": recorder.books,
        "events": recorder.events,
        "venues": list(exchanges),
        "symbols": syms,
        "books_by_venue": recorder.books_by_venue,
        "problems": dict(recorder.problems),
        "bytes": Path(out).stat().st_size if Path(out).exists() else 0,
    }


async def _record_view(recorder: Any, stop: asyncio.Event, out: str) -> None:
    from rich.console import Console
    from rich.live import Live
    from rich.table import Table

    t0 = time.monotonic()

    def table() -> Table:
        t = Table(title=f"arb record: {time.monotonic() - t0:.0f} s (Ctrl-C stops)")
        for c in ("venue", "books", "books/s", "status"):
            t.add_column(c)
        el = max(1e-9, time.monotonic() - t0)
        for v, n in recorder.books_by_venue.items():
            problem = recorder.problems.get(v)
            t.add_row(v, str(n), f"{n / el:.1f}", f"[red]down[/]: {problem}" if problem else "ok" if n else "waiting")
        size = Path(out).stat().st_size if Path(out).exists() else 0
        t.caption = f"{out}: {size / 1024:.0f} KiB, {recorder.events} events"
        return t

    with Live(table(), console=Console(stderr=True), refresh_per_second=4, transient=True) as live:
        while not stop.is_set():
            await asyncio.sleep(0.25)
            live.update(table())


# ----------------------------------------------------------------------------------------- backtest
