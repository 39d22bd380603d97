"""What a person sees while the scanner runs: a rich live view, or JSON lines with ``--no-ui``.

The view answers "is it working, and if nothing fires, why?": per symbol the best pair and its
net edge, open episodes, venue health (status, updates/s, last update age, reconnects, errors),
counts of near misses by reason, and the last episodes that ended. Trading runs (`arb run`,
`arb demo --paper`) pass ``trading=trader.status`` and get a "Trading" panel right under the header:
a halt with its reason, trades ok/failed, realised PnL today, in flight, open exposures, disabled
directions and paused venues. Numbers are rounded for reading by :mod:`arb.ui.display`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from arb.clock import monotonic_ms
from arb.core.model import Episode
from arb.scan.engine import REASONS
from arb.scan.scanner import Scanner
from arb.ui.display import Col, amount, bps, fit_table, money, price

_Q = Decimal("0.01")


def _ep_json(kind: str, ep: Episode) -> dict[str, Any]:
    opp = ep.peak
    out: dict[str, Any] = {
        "type": kind,
        "id": ep.id,
        "symbol": ep.symbol,
        "buy_venue": ep.buy_venue,
        "sell_venue": ep.sell_venue,
        "start_ms": ep.start_ms,
        "evaluations": ep.evaluations,
    }
    if opp is not None:
        out.update(
            buy_price=str(opp.buy.limit_price),
            sell_price=str(opp.sell.limit_price),
            amount=str(opp.buy.amount),
            net_profit=str(opp.net_profit),
            net_bps=str(opp.net_bps.quantize(_Q)),
        )
    if ep.transferable is not None:  # can its inventory be restored by transfers (arb.inventory.marks)
        cost = None if ep.transfer_cost is None else str(ep.transfer_cost)
        out.update(transferable=ep.transferable, transfer_cost=cost, transfer_detail=ep.transfer_detail)
    if ep.end_ms is not None:
        out.update(end_ms=ep.end_ms, duration_ms=ep.duration_ms, end_reason=ep.end_reason)
    return out


def status_dict(scanner: Scanner) -> dict[str, Any]:
    """One JSON-able status document (the --no-ui heartbeat and `--json` summaries)."""
    now = monotonic_ms()
    st = scanner.engine.stats
    return {
        "type": "status",
        "run_id": scanner.run_id,
        "status": scanner.status,
        "updates": st.updates,
        "evaluations": st.evaluations,
        "opportunities": st.opportunities,
        "episodes_started": st.episodes_started,
        "episodes_ended": st.episodes_ended,
        "open_episodes": len(scanner.engine.tracker.open),
        "near_miss": dict(st.near_miss),
        "venues": {
            v: {
                "status": h.status,
                "reason": h.reason,
                "updates_per_s": round(h.rate, 1),
                "age_ms": h.age_ms(now),
                "reconnects": h.reconnects,
                "errors": h.errors,
                "skipped": h.skipped,
            }
            for v, h in scanner.feeds.health.items()
        },
        "journal_dropped": scanner.writer.dropped if scanner.writer else 0,
    }


class JsonLines:
    """``--no-ui``: one JSON object per line for episode starts/ends and a status line every period."""

    def __init__(self, scanner: Scanner, out: TextIO = sys.stdout, period_s: float = 5.0) -> None:
        self.scanner, self.out, self.period_s = scanner, out, period_s
        scanner.sink.listeners.append(self._on)

    def _emit(self, doc: dict[str, Any]) -> None:
        self.out.write(json.dumps(doc, separators=(",", ":")) + "\n")
        self.out.flush()

    def _on(self, kind: str, payload: Any) -> None:
        if kind in ("episode_started", "episode_ended"):
            self._emit(_ep_json(kind.replace("episode_", "episode."), payload))
        elif kind == "event":
            venue, symbol, ev, detail = payload
            self._emit({"type": "event", "venue": venue, "symbol": symbol, "kind": ev, "detail": detail})

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.period_s)
            self._emit(status_dict(self.scanner))


def trading_table(st: dict[str, Any]) -> Table:
    """The "Trading" panel from a :meth:`arb.trade.trader.Trader.status` document."""
    t = Table(title="Trading", show_header=False, expand=True)
    t.add_column("what", style="bold", no_wrap=True)
    t.add_column("value", overflow="fold")
    halt = st.get("halt")
    if halt:
        t.add_row(
            "[red]halted[/]",
            f"[bold red]HALTED {escape(halt['reason'])}: {escape(halt['detail'])}[/] (alert-only until restart)",
        )
    elif st.get("halted"):
        t.add_row("[red]halted[/]", f"[bold red]{escape(st['halted'])}[/]")
    else:
        t.add_row("state", f"[green]trading[/] ({st.get('mode', '?')})" if st.get("ready") else "starting")
    stats = st.get("stats", {})
    t.add_row(
        "trades",
        f"ok {stats.get('trades_ok', 0)}  failed {stats.get('trades_failed', 0)}  "
        f"(accepted {stats.get('accepted', 0)})",
    )
    pnl = st.get("pnl_today", {})
    line = money(pnl.get("realised"))
    if Decimal(pnl.get("open_exposure_at_mid") or 0):
        line += f"  (open exposure at mid {money(pnl['open_exposure_at_mid'])})"
    t.add_row("realised PnL today", line)
    t.add_row("in flight", str(st.get("in_flight", 0)))
    exps = st.get("open_exposures", [])
    t.add_row(
        "open exposures",
        "\n".join(f"#{e['id']} {amount(e['base_delta'])} {escape(e['symbol'])} on {escape(e['venue'])}" for e in exps)
        or "none",
    )
    dirs = []
    for key, why in st.get("disabled_directions", {}).items():
        symbol, buy, sell = key.rsplit("/", 2)
        dirs.append(f"{escape(symbol)} {escape(buy)} → {escape(sell)}: {escape(why)}")
    t.add_row("disabled directions", "\n".join(dirs) or "none")
    if st.get("paused_venues"):
        t.add_row("paused venues", ", ".join(st["paused_venues"]))
    return t


class LiveView:
    """Rich live view refreshed a few times a second; ``trading`` (a trader's ``status``) adds the Trading panel."""

    def __init__(
        self,
        scanner: Scanner,
        *,
        title: str = "arb scan",
        db_path: str | None = None,
        console: Console | None = None,
        trading: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.scanner = scanner
        self.trading = trading
        self.title = title
        self.db_path = db_path
        self.console = console or Console(stderr=False)
        self.t0 = time.monotonic()

    def render(self) -> Group:
        s = self.scanner
        eng = s.engine
        now = monotonic_ms()
        st = eng.stats
        up = int(time.monotonic() - self.t0)
        head = (
            f"[bold]{self.title}[/] run {s.run_id}  mode [cyan]{s.mode}[/]  up {up // 60}m{up % 60:02d}s  "
            f"updates {st.updates}  evaluations {st.evaluations}  episodes {st.episodes_started} "
            f"(open {len(eng.tracker.open)})"
        )
        if self.db_path:
            head += f"\njournal {self.db_path}"

        sym = Table(title="Symbols", expand=True)
        for c in ("symbol", "last pair evaluated", "net bps", "open"):
            sym.add_column(c)
        for symbol in s.symbols:
            v = eng.views.get(symbol)
            open_n = sum(1 for k in eng.tracker.open if k[0] == symbol)
            pair = f"{v.pair[0]} → {v.pair[1]}" if v and v.pair else "-"
            sym.add_row(symbol, pair, (v.net_bps or "below threshold") if v and v.pair else "-", str(open_n))

        width = self.console.width  # symbol, venues and net stay whole; other columns go when narrow
        cols = [
            Col("symbol", key=True),
            Col("buy → sell", key=True),
            Col("amount", justify="right", drop=2),
            Col("buy @", justify="right", drop=4),
            Col("sell @", justify="right", drop=5),
            Col("net", key=True, justify="right"),
            Col("bps", justify="right", drop=1),
            Col("evals", justify="right", drop=6),
            Col("age", justify="right", drop=3),
            Col("transfer", drop=7),  # inventory restorable by transfers: yes / no / unknown (arb.inventory)
        ]
        rows = [
            [
                ep.symbol,
                f"{ep.buy_venue} → {ep.sell_venue}",
                amount(o.buy.amount),
                price(o.buy.limit_price),
                price(o.sell.limit_price),
                money(o.net_profit),
                bps(o.net_bps),
                str(ep.evaluations),
                f"{(eng.wall() - ep.start_ms) / 1000:.1f}s",
                ep.transferable or "-",
            ]
            for ep in (t.ep for t in list(eng.tracker.open.values())[:10])
            if (o := ep.peak) is not None
        ]
        eps = fit_table(cols, rows, width, title="Open episodes")

        health = Table(title="Venues", expand=True)
        for c in ("venue", "status", "upd/s", "last update", "reconnects", "errors", "skipped symbols"):
            health.add_column(c)
        for venue, h in s.feeds.health.items():
            age = h.age_ms(now)
            color = {"up": "green", "down": "red"}.get(h.status, "yellow")
            health.add_row(
                venue,
                f"[{color}]{h.status}[/]",
                f"{h.rate:.0f}",
                "-" if age is None else f"{age} ms ago",
                str(h.reconnects),
                str(h.errors),
                ", ".join(h.skipped) or "-",
            )
        down = [f"{venue} {h.status}: {h.reason}" for venue, h in s.feeds.health.items() if h.reason]
        if down:  # why a venue is not streaming, full width under the table
            health.caption = "\n".join(down)
            health.caption_justify = "left"

        why = Table(title="Why nothing fired (near misses)", expand=True)
        why.add_column("reason")
        why.add_column("count", justify="right")
        for reason, n in st.near_miss.most_common():
            why.add_row(REASONS.get(reason, reason), str(n))
        if not st.near_miss:
            why.add_row("(no crossing evaluated yet)", "0")

        cols = [
            Col("symbol", key=True),
            Col("buy → sell", key=True),
            Col("peak net", key=True, justify="right"),
            Col("peak bps", justify="right", drop=1),
            Col("duration", justify="right", drop=2),
            Col("ended", drop=3),
        ]
        rows = [
            [
                ep.symbol,
                f"{ep.buy_venue} → {ep.sell_venue}",
                money(ep.peak.net_profit) if ep.peak else "-",
                bps(ep.peak.net_bps) if ep.peak else "-",
                f"{ep.duration_ms} ms",
                ep.end_reason or "",
            ]
            for ep in list(s.sink.recent)[-5:][::-1]
        ]
        recent = fit_table(cols, rows, width, title="Recent episodes")
        parts: list[Any] = [Panel(head)]
        if self.trading is not None:
            parts.append(trading_table(self.trading()))
        return Group(*parts, sym, eps, health, why, recent)

    async def run(self) -> None:
        with Live(self.render(), console=self.console, refresh_per_second=4, transient=False) as live:
            with contextlib.suppress(asyncio.CancelledError):
                while True:
                    await asyncio.sleep(0.25)
                    live.update(self.render())
            live.update(self.render())
