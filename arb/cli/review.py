"""`arb report` (review a journal) and what the review commands share (`arb record`: :mod:`arb.cli.record`,
`arb backtest`: :mod:`arb.cli.backtest`).

Bad input (a missing, corrupt or newer-schema journal or recording, an unknown sweep key) is one
line on stderr and exit 2; an empty journal is an empty report (exit 0).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from arb.cli.common import InputError, decimal_option
from arb.core.errors import StoreError


def _journal_path(db_path: str | None, config_path: str | None, paper: bool = False) -> str:
    """--db, else store.path (store.paper_path with --paper) from --config, else from the default config."""
    if db_path is not None:
        if paper:
            raise InputError(
                f"--paper reviews store.paper_path; it cannot be combined with --db {db_path} "
                "(give the journal with --db alone)"
            )
        return db_path
    if config_path is not None:
        from arb.config import load_config

        store = load_config(config_path).store
    else:
        from arb.config.sections import StoreConfig

        store = StoreConfig()
    return store.journal(paper=paper)  # a SQLite path, or store.url / store.paper_url when set


@click.command("report")
@click.option(
    "--db",
    "db_path",
    default=None,
    help="Journal to review, a path or postgresql:// URL (default: store.url or store.path from --config, or arb.db; "
    "see --paper).",
)
@click.option(
    "--config", "config_path", type=click.Path(dir_okay=False), default=None, help="Config to take store.path from."
)
@click.option(
    "--paper", is_flag=True, help="Review store.paper_path (from --config, or arb-paper.db) instead of store.path."
)
@click.option("--since", default=None, help="Only what happened after this: 15m, 2h, 1d or an ISO time (UTC).")
@click.option("--symbol", default=None, help="Only this symbol, e.g. BTC/USDT.")
@click.option("--venue", default=None, help="Only episodes and trades with this venue on either leg.")
@click.option("--capital", default=None, help="Capital for Sharpe and drawdown % (default: starting quote balances).")
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write one self-contained HTML page with the plots embedded.",
)
@click.option("--csv", "csv_dir", type=click.Path(file_okay=False), default=None, help="Export every table as CSV.")
@click.option(
    "--parquet", "parquet_dir", type=click.Path(file_okay=False), default=None, help="Export every table as Parquet."
)
@click.option("--json", "json_out", is_flag=True, help="Print one JSON document (summary and tables) on stdout.")
def report_command(
    db_path: str | None,
    config_path: str | None,
    paper: bool,
    since: str | None,
    symbol: str | None,
    venue: str | None,
    capital: str | None,
    html_path: str | None,
    csv_dir: str | None,
    parquet_dir: str | None,
    json_out: bool,
) -> None:
    """Review a journal: episodes, capture rate, slippage, fees, inventory, PnL, Sharpe, drawdown.

    Prints rich tables; --html writes a page with plots; --csv/--parquet export the tables.
    """
    from arb.cli.common import match_symbol, parse_since
    from arb.review.report import Filters, build, open_journal, render

    path = _journal_path(db_path, config_path, paper)
    cap = decimal_option(capital, "--capital")
    try:
        journal = open_journal(path)
    except StoreError as e:
        raise InputError(str(e)) from None
    try:
        symbol = match_symbol(journal, symbol)  # btc/usdt finds BTC/USDT; an unknown symbol gets a hint
        rep = build(journal, Filters(parse_since(since) if since else None, symbol, venue), capital=cap)
    except StoreError as e:
        raise InputError(str(e)) from None
    finally:
        journal.close()
    if html_path:
        from arb.review.report import plots

        Path(html_path).write_text(render.html_page(rep, plots.render_all(rep)), encoding="utf-8")
    for directory, kind in ((csv_dir, "csv"), (parquet_dir, "parquet")):
        if directory:
            render.export(rep, Path(directory), kind)
    if json_out:
        click.echo(json.dumps(render.as_json(rep), default=str, separators=(",", ":")))
        return
    from rich.console import Console

    console = Console()
    render.terminal(rep, console)
    for what, where in (("HTML report", html_path), ("CSV tables", csv_dir), ("Parquet tables", parquet_dir)):
        if where:
            console.print(f"{what}: {where}")


# ------------------------------------------------------------------------------------------- record
