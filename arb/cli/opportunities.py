"""`arb opportunities`: list the journal's opportunity episodes as a table, CSV or JSON."""

from __future__ import annotations

import csv
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from arb.cli.common import (
    decimal_option,
    match_symbol,
    parse_since,
)
from arb.core.errors import ConfigError

EPISODE_COLUMNS = [
    "id",
    "symbol",
    "buy_venue",
    "sell_venue",
    "start_ms",
    "duration_ms",
    "evaluations",
    "peak_net_profit",
    "peak_net_bps",
    "peak_buy_amount",
    "peak_buy_vwap",
    "peak_sell_vwap",
    "end_reason",
    "transferable",
    "transfer_cost",
]


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, Decimal):
        return str(v)
    return str(v)


@click.command("opportunities")
@click.option(
    "--db",
    "db_path",
    default=None,
    help="Journal path or postgresql:// URL (default: store.url or store.path from --config, or arb.db).",
)
@click.option(
    "--config", "config_path", type=click.Path(dir_okay=False), default=None, help="Config to take store.path from."
)
@click.option("--symbol", default=None, help="Only this symbol, e.g. BTC/USDT.")
@click.option("--venue", default=None, help="Only episodes where this venue is the buy or sell venue.")
@click.option("--since", default=None, help="Only episodes that started after this: 15m, 2h, 1d or an ISO time.")
@click.option("--min-bps", default=None, help="Only episodes whose peak net bps is at least this (exact decimal).")
@click.option(
    "--transferable",
    type=click.Choice(["yes", "no", "unknown"]),
    default=None,
    help="Only episodes whose inventory can (yes) / cannot (no) be restored by transfers, or unknown (no keys).",
)
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True, help="Newest N episodes (0 = all).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
def opportunities_command(
    db_path: str | None,
    config_path: str | None,
    symbol: str | None,
    venue: str | None,
    since: str | None,
    min_bps: str | None,
    transferable: str | None,
    limit: int,
    fmt: str,
) -> None:
    """List logged opportunity episodes (newest first) as a table, CSV or JSON."""
    from arb.store import Journal
    from arb.store.url import is_url

    if db_path is None:
        if config_path is not None:
            from arb.config import load_config

            db_path = load_config(config_path).store.journal()
        else:
            db_path = "arb.db"
    if not is_url(db_path) and not Path(db_path).exists():
        raise ConfigError(f"--db {db_path}: no journal there; run `arb scan` or `arb demo` first, or pass --db")
    journal = Journal.open(db_path, create=False, readonly=True)
    try:
        symbol = match_symbol(journal, symbol)
        rows = journal.episodes(
            symbol=symbol,
            venue=venue,
            since_ms=parse_since(since) if since else None,
            min_bps=decimal_option(min_bps, "--min-bps"),
        )
    finally:
        journal.close()
    if transferable is not None:  # a journal from before transfer marks has none: "unknown"
        rows = [r for r in rows if (r.get("transferable") or "unknown") == transferable]
    rows = sorted(rows, key=lambda r: r["start_ms"], reverse=True)
    if limit:
        rows = rows[:limit]
    from arb.ui.display import export

    if fmt == "json":  # money exact as strings, bps to 0.0001 (arb.ui.display.export)
        click.echo(json.dumps([{k: export(k, v) for k, v in r.items()} for r in rows], separators=(",", ":")))
        return
    if fmt == "csv":
        w = csv.writer(sys.stdout)
        w.writerow(EPISODE_COLUMNS)
        for r in rows:
            w.writerow([_cell(export(c, r.get(c))) for c in EPISODE_COLUMNS])
        return
    _print_episodes(rows, db_path)


def _print_episodes(rows: list[dict[str, Any]], db_path: str) -> None:
    """The table: time, symbol, venues and peak net always whole; the rest as the terminal's width allows."""
    from rich.console import Console

    from arb.ui.display import Col, amount, bps, fit_table, money, when

    cols = [
        Col("started (UTC)", key=True),
        Col("symbol", key=True),
        Col("buy → sell", key=True),
        Col("peak net", key=True, justify="right"),
        Col("peak bps", justify="right", drop=1),
        Col("amount", justify="right", drop=3),
        Col("duration", justify="right", drop=4),
        Col("evals", justify="right", drop=5),
        Col("end", drop=2),
        Col("transfer", drop=6),  # hidden first when narrow (--transferable filters on it)
    ]
    cells = [
        [
            when(r["start_ms"]),
            r["symbol"],
            f"{r['buy_venue']} → {r['sell_venue']}",
            money(r.get("peak_net_profit")),
            bps(r.get("peak_net_bps")),
            amount(r.get("peak_buy_amount"), na=""),
            f"{r.get('duration_ms') or 0} ms",
            _cell(r.get("evaluations")),
            _cell(r.get("end_reason")),
            _cell(r.get("transferable")),
        ]
        for r in rows
    ]
    console = Console()
    console.print(
        fit_table(
            cols,
            cells,
            console.width,
            title=f"{len(rows)} episode(s) in {db_path}",
            hint="widen the terminal or use --format csv",
        )
    )
