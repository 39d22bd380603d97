"""The review's plots as PNG bytes (matplotlib's object API on the Agg canvas; no pyplot, no display).

Each plot is drawn only when its table has data, so an alert-only journal gets the episode plots
and no PnL plots, and an empty journal gets none.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from arb.review.report import Report

DPI = 100


def _times(ms: Any) -> list[dt.datetime]:
    return [dt.datetime.fromtimestamp(int(t) / 1000, dt.UTC) for t in ms]


def _png(draw: Callable[[Figure], None], size: tuple[float, float] = (8.0, 3.6)) -> bytes:
    fig = Figure(figsize=size, dpi=DPI)
    FigureCanvasAgg(fig)
    draw(fig)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _axes(fig: Figure, title: str, xlabel: str, ylabel: str) -> Axes:
    ax = fig.add_subplot(1, 1, 1)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    return ax


def episodes_by_hour(t: pd.DataFrame) -> bytes:
    def draw(fig: Figure) -> None:
        ax = _axes(fig, "Episodes per hour (UTC)", "hour", "episodes")
        ax.bar(range(len(t)), [int(x) for x in t["episodes"]], color="tab:blue")
        step = max(1, len(t) // 12)
        ax.set_xticks(range(0, len(t), step), [h[5:] for h in t["hour_utc"][::step]], rotation=30, fontsize=8)

    return _png(draw)


def episodes_by_pair(t: pd.DataFrame) -> bytes:
    labels = [f"{r.symbol} {r.buy_venue}→{r.sell_venue}" for r in t.itertuples()]

    def draw(fig: Figure) -> None:
        ax = _axes(fig, "Episodes per symbol and venue pair", "episodes", "")
        ax.barh(labels, [int(x) for x in t["episodes"]], color="tab:cyan")
        ax.invert_yaxis()

    return _png(draw, (8.0, max(2.5, 0.35 * len(labels) + 1.2)))


def histogram(values: list[float], title: str, xlabel: str, color: str) -> bytes:
    def draw(fig: Figure) -> None:
        ax = _axes(fig, title, xlabel, "episodes")
        ax.hist(values, bins=min(40, max(5, len(values) // 2)), color=color, edgecolor="white")

    return _png(draw)


def pnl_curve(curve: pd.DataFrame, dd: dict[str, Any] | None, quote: str, start_ms: int | None = None) -> bytes:
    first = [] if start_ms is None else [start_ms]
    times = _times([*first, *curve["ts_ms"]])
    cum = [0.0] * len(first) + [float(x) for x in curve["cum_pnl"]]

    def draw(fig: Figure) -> None:
        ax = _axes(fig, "Cumulative realised PnL", "time (UTC)", f"PnL ({quote})")
        ax.step(times, cum, where="post", color="tab:green")  # type: ignore[arg-type]  # matplotlib converts dates
        ax.axhline(0, color="grey", lw=0.8)
        if dd and dd.get("peak_ms") is not None and dd["abs_quote"] > 0:
            t0, t1 = _times([dd["peak_ms"], dd["end_ms"]])
            ax.axvspan(t0, t1, color="tab:red", alpha=0.15, label=f"max drawdown {dd['abs_quote']:.4g}")  # type: ignore[arg-type]
            ax.legend(loc="best", fontsize=8)
        fig.autofmt_xdate()

    return _png(draw)


def daily_pnl(t: pd.DataFrame, quote: str) -> bytes:
    vals = [float(x) for x in t["pnl"]]

    def draw(fig: Figure) -> None:
        ax = _axes(fig, "Daily PnL (UTC days)", "day", f"PnL ({quote})")
        ax.bar(list(t["day"]), vals, color=["tab:green" if v >= 0 else "tab:red" for v in vals])
        ax.tick_params(axis="x", rotation=30, labelsize=8)

    return _png(draw)


def slippage(trades: pd.DataFrame, quote: str) -> bytes:
    t = trades[trades["expected_net"].notna()]

    def draw(fig: Figure) -> None:
        ax = _axes(fig, "Realised vs expected net per trade", f"expected ({quote})", f"realised ({quote})")
        x, y = [float(v) for v in t["expected_net"]], [float(v) for v in t["pnl"]]
        ax.scatter(x, y, s=14, color="tab:purple")
        lo, hi = min([*x, *y, 0.0]), max([*x, *y, 0.0])
        ax.plot([lo, hi], [lo, hi], color="grey", lw=0.8, ls="--")

    return _png(draw)


def fees_by_venue(t: pd.DataFrame, quote: str) -> bytes:
    def draw(fig: Figure) -> None:
        ax = _axes(fig, "Fees by venue", "venue", f"fees ({quote})")
        ax.bar(list(t["venue"]), [float(x) for x in t["fees_quote"]], color="tab:orange")

    return _png(draw)


def inventory_segments(t: pd.DataFrame) -> dict[tuple[str, str], list[tuple[Any, list[int], list[Any]]]]:
    """(asset, venue) → one (run id, times, totals) line per run, oldest first: a run's line never joins
    the next run's (a paper run restarts from its configured balances)."""
    out: dict[tuple[str, str], list[tuple[Any, list[int], list[Any]]]] = {}
    for r in t.sort_values("ts_ms", kind="stable").itertuples() if not t.empty else []:
        lines = out.setdefault((r.asset, r.venue), [])
        run = getattr(r, "run_id", None)
        if not lines or lines[-1][0] != run:
            lines.append((run, [], []))
        lines[-1][1].append(int(r.ts_ms))
        lines[-1][2].append(r.total)
    return out


def inventory(t: pd.DataFrame) -> bytes:
    assets = sorted(set(t["asset"]))
    segments = inventory_segments(t)
    venues = sorted(set(t["venue"]))

    def draw(fig: Figure) -> None:
        for i, asset in enumerate(assets, 1):
            ax = fig.add_subplot(len(assets), 1, i)
            ax.set_title(f"Inventory: {asset} per venue", fontsize=9)
            ax.grid(True, alpha=0.3)
            for venue in venues:
                color = f"C{venues.index(venue) % 10}"
                for n, (_, ts, totals) in enumerate(segments.get((asset, venue), [])):
                    ax.step(
                        _times(ts),  # type: ignore[arg-type]  # matplotlib converts dates
                        [float(x) for x in totals],
                        where="post",
                        color=color,
                        label=venue if n == 0 else None,
                        marker="." if len(ts) < 50 else None,
                    )
            ax.legend(loc="best", fontsize=7)
        fig.autofmt_xdate()

    return _png(draw, (8.0, 2.2 * len(assets) + 0.8))


def render_all(report: Report) -> dict[str, bytes]:
    """Every plot that has data, by name, in page order."""
    t, s = report.tables, report.summary
    quote = "quote"
    if not t["trades"].empty:
        quote = str(t["trades"]["symbol"].iloc[0]).split("/")[-1]
    out: dict[str, bytes] = {}
    eps = t["episodes"]
    if not eps.empty:
        out["episodes_by_hour"] = episodes_by_hour(t["episodes_by_hour"])
        out["episodes_by_pair"] = episodes_by_pair(t["episodes_by_pair"])
        bps = [float(x) for x in eps["peak_net_bps"] if x is not None]
        if bps:
            out["net_bps"] = histogram(bps, "Peak net edge per episode", "net bps", "tab:blue")
        out["duration"] = histogram(
            [float(x or 0) / 1000 for x in eps["duration_ms"]], "Episode duration", "seconds", "tab:gray"
        )
    if report.has_pnl:
        out["pnl_curve"] = pnl_curve(t["pnl_curve"], s["pnl"]["max_drawdown"], quote, s["span"]["start_ms"])
        out["daily_pnl"] = daily_pnl(t["daily_pnl"], quote)
        if t["trades"]["expected_net"].notna().any():
            out["slippage"] = slippage(t["trades"], quote)
        out["fees_by_venue"] = fees_by_venue(t["fees_by_venue"], quote)
    if not t["inventory"].empty:
        out["inventory"] = inventory(t["inventory"])
    return out
