"""Show a :class:`~arb.review.report.Report`: rich terminal tables, one self-contained HTML page, CSV/Parquet/JSON."""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from arb.core.model import quantize_bps
from arb.review.report import Report
from arb.ui import display

MAX_ROWS = 30
_BARS = "▁▂▃▄▅▆▇█"


def fmt(v: Any, digits: int = 4) -> str:
    """A cell: Decimals as quote money for reading (:func:`arb.ui.display.money`; exports keep them exact),
    floats to ``digits`` significant."""
    if v is None or (isinstance(v, float) and v != v):
        return "n/a"
    if isinstance(v, Decimal):
        return display.money(v)
    if isinstance(v, float):
        return display.number(v, digits)
    return str(v)


def when(ms: int | None) -> str:
    return "n/a" if ms is None else dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def span(ms: int | float | None) -> str:
    if ms is None:
        return "n/a"
    s = float(ms) / 1000
    if s < 1:
        return f"{float(ms):.0f} ms"
    if s < 120:
        return f"{s:.1f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h" if s < 172_800 else f"{s / 86400:.1f} d"


def pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 100:.1f}%"


def sparkline(values: list[float]) -> str:
    if not values:
        return ""
    lo, hi = min(values), max(values)
    step = (hi - lo) / (len(_BARS) - 1) or 1.0
    return "".join(_BARS[int((v - lo) / step)] for v in values[-80:])


def definitions(r: Report) -> list[str]:
    """How the headline numbers were computed (printed under the summary)."""
    p = r.summary["pnl"]
    if not p["available"]:
        return []
    return [
        f"Sharpe = {p['sharpe_definition']}; n/a with fewer than 2 days",
        f"capital = {p['capital'] or 'n/a'} ({p['capital_source']})",
        "PnL = realised quote per opportunity from fills (dust and open exposure at zero); "
        "drawdown on the cumulative PnL from the span start",
        "net after rebalancing = total PnL − the network fees of the transfers that restore the target inventory "
        f"(Rebalance suggestion); {r.summary['rebalance'].get('simulated', '')}",
    ]


def summary_rows(r: Report) -> list[tuple[str, str]]:
    """The headline numbers as (label, value), shared by the terminal and the HTML page."""
    s, p = r.summary, r.summary["pnl"]
    e, c = s["episodes"], s["capture"]
    rows = [
        ("span (UTC)", f"{when(s['span']['start_ms'])} → {when(s['span']['end_ms'])}"),
        ("runs", ", ".join(f"{x['mode']}:{x['id'][:8]}" for x in s["runs"]) or "none"),
        ("episodes detected", str(e["detected"])),
        ("episodes traded", str(c["traded"])),
        ("trades ok / failed", "{ok} / {failed}".format(**s["execution"])),
        ("halts", str(s["execution"]["halts"])),
        (
            "exposures open / flattened",
            "{open} / {flattened}".format(**s["execution"]["exposures"])
            + "".join(f"; open {x} {a}" for a, x in s["execution"]["exposures"]["open_base"].items()),
        ),
        ("capture rate", pct(c["rate"])),
        ("net bps (peak) mean / median / p90", " / ".join(fmt(e["net_bps"][k]) for k in ("mean", "median", "p90"))),
        ("duration mean / median / p90", " / ".join(span(e["duration_ms"][k]) for k in ("mean", "median", "p90"))),
    ]
    if not p["available"]:
        return [*rows, ("PnL", "not available: no fills in this journal (alert-only or nothing traded)")]
    dd = p["max_drawdown"]
    rows += [
        ("trades", str(p["trades"])),
        ("total PnL", fmt(Decimal(p["total"]))),
        (
            "net after rebalancing",
            fmt(Decimal(p["net_after_rebalancing"]))
            if p.get("net_after_rebalancing") is not None
            else f"n/a ({p.get('net_after_rebalancing_note') or 'no plan'})",
        ),
        ("mean daily PnL", f"{fmt(Decimal(p['mean_daily']))} over {p['days']} UTC day(s)"),
        ("capital", f"{p['capital'] or 'n/a'} ({p['capital_source']})"),
        ("Sharpe ratio", fmt(p["sharpe"])),
        ("max drawdown", f"{fmt(dd['abs_quote'])} quote ({fmt(dd['pct_of_capital'], 3)}% of capital)"),
        (
            "drawdown duration",
            f"{span(dd['duration_ms'])} from {when(dd['peak_ms'])} "
            f"({'recovered' if dd['recovered'] else 'not recovered by the end'})",
        ),
        ("win rate", pct(p["win_rate"])),
        ("fees (quote)", fmt(Decimal(p["fees_quote"]))),
        (
            "mean slippage vs expected (quote)",
            fmt(Decimal(p["slippage_quote_mean"])) if p["slippage_quote_mean"] else "n/a",
        ),
    ]
    return rows


SECTIONS: list[tuple[str, str, list[str]]] = [
    ("Episodes per symbol and venue pair", "episodes_by_pair", []),
    ("Episodes per hour (UTC)", "episodes_by_hour", []),
    ("Why episodes were not traded", "capture_reasons", []),
    (
        "Realised vs expected edge per trade (slippage)",
        "trades",
        [
            "symbol",
            "buy_venue",
            "sell_venue",
            "ts_ms",
            "buy_amount",
            "expected_net",
            "pnl",
            "slippage_quote",
            "buy_slippage_bps",
            "sell_slippage_bps",
        ],
    ),
    ("Failed trades (and why)", "failed_trades", []),
    ("Halts", "halts", []),
    (
        "Exposures (open and flattened)",
        "exposures",
        ["id", "symbol", "venue", "base_delta", "state", "updated_ms", "opportunity_id"],
    ),  # detail: in exports
    ("Fees by venue", "fees_by_venue", []),
    ("Inventory (latest per venue and asset)", "inventory_latest", ["venue", "asset", "total", "ts_ms", "source"]),
    ("Rebalance suggestion", "rebalance", []),
    ("Daily PnL (UTC)", "daily_pnl", []),
]


def _view(r: Report, name: str, cols: list[str]) -> pd.DataFrame:
    t = r.tables[name]
    return t[cols] if cols and not t.empty else t


TIME_COLUMNS = frozenset({"ts_ms", "start_ms", "end_ms", "created_ms", "updated_ms"})


def _cell(col: str, v: Any) -> str:
    """A table cell rounded for reading by what the column holds (:mod:`arb.ui.display`)."""
    if v is None or (isinstance(v, float) and v != v):
        return "n/a"
    if col in TIME_COLUMNS:
        return when(int(v))
    if col.endswith("_bps"):
        return display.bps(v)
    if isinstance(v, Decimal):
        if "amount" in col or col.endswith(("_base", "base_delta", "total", "free", "used")):
            return display.amount(v)
        return display.price(v) if "vwap" in col or "price" in col else display.money(v)
    return fmt(v)


# Short headers, and the columns kept whole at any width (time, symbol, venues, net); others go as needed.
HEADERS = {
    "ts_ms": "time (UTC)",
    "buy_venue": "buy",
    "sell_venue": "sell",
    "buy_amount": "amount",
    "expected_net": "expected",
    "slippage_quote": "slippage",
    "buy_slippage_bps": "buy slip bps",
    "sell_slippage_bps": "sell slip bps",
    "median_duration_ms": "median ms",
    "mean_peak_bps": "mean bps",
    "max_peak_bps": "max bps",
    "sum_peak_net_profit": "sum peak net",
    "fees_quote": "fees",
    "fee_currencies": "fee ccy",
    "hour_utc": "hour (UTC)",
    "from_venue": "from",
    "to_venue": "to",
    "start_ms": "start (UTC)",
    "end_ms": "end (UTC)",
    "created_ms": "created (UTC)",
    "updated_ms": "updated (UTC)",
    "base_delta": "base",
}
WRAP_COLUMNS = frozenset({"why", "detail", "notes"})  # free text: always shown, wrapped to the width left
KEY_COLUMNS = frozenset(
    {
        *TIME_COLUMNS,
        "day",
        "hour_utc",
        "symbol",
        "buy_venue",
        "sell_venue",
        "venue",
        "from_venue",
        "to_venue",
        "asset",
        "pnl",
        "net",
        "reason",
        "episodes",
        "amount",
        "state",
    }
)


def fitted(title: str, t: pd.DataFrame, width: int) -> Table:
    """``t`` as a rich table no wider than ``width`` (:func:`arb.ui.display.fit_table`): key columns whole."""
    cols = [
        display.Col(
            HEADERS.get(str(c), str(c).replace("_", " ")),
            key=str(c) in KEY_COLUMNS,
            wrap=str(c) in WRAP_COLUMNS,
            justify="right" if _numeric(t[c]) and c not in TIME_COLUMNS else "left",
        )
        for c in t.columns
    ]
    rows = [[_cell(str(c), v) for c, v in zip(t.columns, row, strict=True)] for row in t.itertuples(index=False)]
    return display.fit_table(cols, rows, width, title=title, hint="widen the terminal or export with --csv")


def _numeric(col: pd.Series) -> bool:
    return any(isinstance(v, Decimal | int | float) and not isinstance(v, bool) for v in col)


def terminal(r: Report, console: Console | None = None) -> None:
    console = console or Console()
    head = Table(title=f"arb report — {r.summary['journal']}", show_header=False)
    head.add_column("metric", style="bold")
    head.add_column("value")
    for k, v in summary_rows(r):
        head.add_row(k, v)
    console.print(head)
    for line in definitions(r):
        console.print(line, soft_wrap=True, highlight=False)
    dist = Table(title="Distributions")
    for c in ("metric", "count", "mean", "p10", "median", "p90", "max"):
        dist.add_column(c)
    e = r.summary["episodes"]
    dist.add_row("peak net bps", *(fmt(e["net_bps"][k]) for k in ("count", "mean", "p10", "median", "p90", "max")))
    dist.add_row(
        "duration",
        str(e["duration_ms"]["count"]),
        *(span(e["duration_ms"][k]) for k in ("mean", "p10", "median", "p90", "max")),
    )
    console.print(dist)
    for title, name, cols in SECTIONS:
        t = _view(r, name, cols)
        if t.empty:
            console.print(f"[dim]{title}: none[/dim]")
            continue
        shown = t.tail(MAX_ROWS) if name in ("trades", "episodes_by_hour", "daily_pnl") else t.head(MAX_ROWS)
        why = list(shown["why"]) if name == "failed_trades" else []  # long text: one line per trade below
        console.print(
            fitted(
                title + (f" (last {MAX_ROWS} of {len(t)})" if len(t) > MAX_ROWS else ""),
                shown.drop(columns=["why"]) if why else shown,
                console.width,
            )
        )
        for opp_id, text in zip(shown["opportunity_id"] if why else [], why, strict=True):
            console.print(f"  {opp_id}: {text}", soft_wrap=True, highlight=False, markup=False)
    if r.has_pnl:
        curve = [float(x) for x in r.tables["pnl_curve"]["cum_pnl"]]
        console.print(f"PnL curve (cumulative, {len(curve)} trades): {sparkline(curve)}  last {fmt(curve[-1])}")
    for n in r.notes:
        console.print(f"[yellow]{n}[/yellow]")


_CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;
margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}
th{background:#f3f3f3}img{display:block;margin:1em 0;max-width:100%}.note{color:#a60}"""


def _html_table(t: pd.DataFrame) -> str:
    if t.empty:
        return "<p>none</p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in t.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(c, v))}</td>" for c, v in zip(t.columns, row, strict=True)) + "</tr>"
        for row in t.itertuples(index=False)
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def html_page(r: Report, images: dict[str, bytes]) -> str:
    """One self-contained page: summary, tables and every plot as a base64 PNG ``<img>``."""
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>arb report</title><style>{_CSS}</style>",
        f"</head><body><h1>arb report</h1><p>{html.escape(r.summary['journal'])}</p>",
    ]
    parts.append(
        "<table>"
        + "".join(
            f"<tr><th>{html.escape(k)}</th><td style='text-align:left'>{html.escape(v)}</td></tr>"
            for k, v in summary_rows(r)
        )
        + "</table>"
    )
    parts += [f"<p>{html.escape(line)}</p>" for line in definitions(r)]
    parts += [f"<p class='note'>{html.escape(n)}</p>" for n in r.notes]
    for name, png in images.items():
        b64 = base64.b64encode(png).decode("ascii")
        parts.append(f"<img alt='{name}' id='plot-{name}' src='data:image/png;base64,{b64}'>")
    for title, name, cols in SECTIONS:
        parts.append(f"<h2>{html.escape(title)}</h2>{_html_table(_view(r, name, cols))}")
    parts.append("</body></html>")
    return "\n".join(parts)


def _exportable(t: pd.DataFrame) -> pd.DataFrame:
    """Money stays exact; bps columns go to 0.0001 (journals written before bps were stored so hold 60 digits)."""
    bps_cols = [c for c in t.columns if str(c).endswith("_bps")]
    if not bps_cols or t.empty:
        return t
    t = t.copy()
    for c in bps_cols:
        t[c] = [quantize_bps(v) if isinstance(v, Decimal) else v for v in t[c]]
    return t


def _jsonable(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, float) and v != v:
        return None
    return v


def export(r: Report, directory: Path, fmt_name: str) -> list[Path]:
    """Write every table as ``DIR/<name>.csv`` or ``.parquet`` (money exact) plus ``summary.json``."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, t in r.tables.items():
        path = directory / f"{name}.{fmt_name}"
        t = _exportable(t)
        if fmt_name == "csv":
            t.to_csv(path, index=False)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.Table.from_pandas(t, preserve_index=False), path)
        written.append(path)
    (directory / "summary.json").write_text(json.dumps(r.summary, indent=2, default=_jsonable))
    return [*written, directory / "summary.json"]


def as_json(r: Report) -> dict[str, Any]:
    """The ``--json`` document: the summary plus every table as records (money as exact strings)."""
    tables = {
        name: [{k: _jsonable(v) for k, v in row.items()} for row in _exportable(t).to_dict("records")]
        for name, t in r.tables.items()
    }
    return {"summary": r.summary, "notes": r.notes, "tables": tables}
