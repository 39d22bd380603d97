"""`arb rebalance`: the transfers that restore the target inventory, from a journal. arb never withdraws.

Exit codes: 0 the plan is complete (every needed move has a feasible network, or nothing needs moving);
1 some move is impossible (no common network open, below a minimum) or unknown (no networks journaled);
2 usage, configuration or journal error.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from arb.core.errors import ConfigError

NEVER_WITHDRAWS = "arb never withdraws: this plan is for you to carry out on the venues"


def _arrival(s: int | None, source: str) -> str:
    if s is None:
        return "?"
    text = f"{s // 60} min" if s >= 60 else f"{s} s"
    return f"~{text}" + (" (est.)" if source == "confirmations" else "")


def _journal_path(db_path: str | None, cfg: Any) -> str:
    if db_path is not None:
        return db_path
    if cfg is None:
        return "arb.db"
    return cfg.store.journal(paper=cfg.execution.mode == "paper")


@click.command("rebalance")
@click.option(
    "--db",
    "db_path",
    default=None,
    help="Journal, a path or postgresql:// URL (default: the config's journal for its mode, or arb.db).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Config with [rebalance] targets and max_fee_share (default: the run's starting inventory, 0.5).",
)
@click.option(
    "--networks",
    "networks_path",
    default=None,
    help="Take the networks from this journal instead (e.g. a backtest's journal has none: use a paper run's).",
)
@click.option("--json", "json_out", is_flag=True, help="One JSON document on stdout.")
def rebalance_command(db_path: str | None, config_path: str | None, networks_path: str | None, json_out: bool) -> None:
    """Plan the transfers that restore the target inventory (cheapest open network per move).

    Balances are the journal's latest; networks are those the run journaled (read-only API keys needed);
    the target is [rebalance] targets, else the run's starting inventory. Transfers whose fee exceeds
    max_fee_share of the PnL they enable are flagged. Exit 1 when a needed move is impossible or unknown.
    """
    from arb.inventory import journaled
    from arb.review.report import data, open_journal
    from arb.review.report import trades as trade_tables
    from arb.review.report.inventory import configured_target

    cfg = None
    if config_path is not None:
        from arb.config import load_config

        cfg = load_config(config_path)
    db = _journal_path(db_path, cfg)
    if not db.startswith(("postgresql://", "postgres://")) and not Path(db).exists():
        raise ConfigError(f"--db {db}: no journal there; run `arb run`, `arb scan` or `arb demo` first, or pass --db")
    journal = open_journal(db)
    try:
        ld = data.load(journal, data.Filters())
        tt = trade_tables.trades(ld, data.Filters())
    finally:
        journal.close()
    trades = tt.trades.to_dict("records") if not tt.trades.empty else []
    events = ld.events
    if networks_path is not None:
        if not networks_path.startswith(("postgresql://", "postgres://")) and not Path(networks_path).exists():
            raise ConfigError(f"--networks {networks_path}: no journal there")
        other = open_journal(networks_path)
        try:
            events = [e for e in ld.events if e.get("kind") != "networks"] + other.events(kind="networks")
        finally:
            other.close()
    i = journaled.inputs(
        ld.runs,
        ld.balances,
        events,
        trades,
        ld.episodes,
        targets=cfg.rebalance.targets if cfg is not None else None,
        configured=configured_target(ld.runs),
    )
    share = cfg.rebalance.max_fee_share if cfg is not None else Decimal("0.5")
    plan = journaled.plan_from(i, share)
    gross = sum((Decimal(str(t["pnl"])) for t in trades if t.get("pnl") is not None), Decimal(0)) if trades else None
    net, note = journaled.net_after(gross, plan)
    doc = {
        "journal": db,
        "target": i.target_source,
        "networks": i.networks_source,
        **plan.as_json(),
        "max_fee_share": str(share),
        "gross_pnl": None if gross is None else str(gross),
        "net_after_rebalancing": None if net is None else str(net),
        "net_note": note,
        "note": NEVER_WITHDRAWS,
    }
    if json_out:
        click.echo(json.dumps(doc, separators=(",", ":")))
    else:
        _print(doc, plan)
    if not plan.complete:
        bad = [t for t in plan.transfers if t.status != "ok"]
        click.echo(
            f"arb: {len(bad)} needed move(s) cannot be planned: "
            + "; ".join(f"{t.asset} {t.source}→{t.dest} {t.status}: {t.reason}" for t in bad),
            err=True,
        )
        raise click.exceptions.Exit(1)


def _print(doc: dict[str, Any], plan: Any) -> None:
    from rich.console import Console

    from arb.ui.display import Col, fit_table

    console = Console()
    console.print(f"journal {doc['journal']}; target: {doc['target']}; networks: {doc['networks']}")
    if not plan.shares:
        console.print("no balances in this journal (an alert-only run journals none): nothing to plan")
    elif not plan.transfers:
        console.print("nothing to move: every venue holds its share of the target")
    else:
        cols = [
            Col("from", key=True),
            Col("to", key=True),
            Col("asset", key=True),
            Col("network", key=True),
            Col("send", key=True, justify="right"),
            Col("fee", justify="right", drop=1),
            Col("receives", justify="right", drop=4),
            Col("min", justify="right", drop=5),
            Col("arrival", drop=3),
            Col("fee (quote)", justify="right", drop=2),
            Col("note", wrap=True),
        ]
        rows = []
        for m in plan.transfers:
            if m.status != "ok":
                rows.append(
                    [m.source, m.dest, m.asset, "—", str(m.needed), "", "", "", "", "", f"{m.status}: {m.reason}"]
                )
                continue
            flag = "FLAGGED: fee > max_fee_share of the PnL it enables" if m.flagged else m.note
            rows.append(
                [
                    m.source,
                    m.dest,
                    m.asset,
                    m.network or "?",
                    str(m.amount),
                    str(m.fee),
                    str(m.received),
                    "" if m.minimum is None else str(m.minimum),
                    _arrival(m.arrival_s, m.arrival_source),
                    "?" if m.fee_quote is None else str(m.fee_quote),
                    flag,
                ]
            )
        console.print(fit_table(cols, rows, console.width, title="transfers that restore the target inventory"))
    if doc["gross_pnl"] is not None:
        net = doc["net_after_rebalancing"] or f"n/a ({doc['net_note']})"
        console.print(f"PnL gross {doc['gross_pnl']}, net after rebalancing {net}")
    console.print(NEVER_WITHDRAWS)
