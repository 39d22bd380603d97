"""Record what a live paper run watched, replay it with `arb backtest`, get the same episodes.

The module fixture runs the real paper trader (:class:`arb.trade.trader.Trader`, real ccxt.pro clients,
two loopback OKX venues on one market) with planted dislocations, and tees the books and feed
events its engine receives into an :class:`arb.review.record.Recorder`. The recording is then replayed.

Timing: no wall-clock tolerance. The replay runs on the recording's clock while the live engine read its
own (the recorder stamps a book when the tee hands it over, a moment after the live receive time; on a loaded
machine that moment can be long), so the episodes' start and end times are compared by order, not by a
number of ms: every start and end falls in the same sequence in both journals.
Everything else compared is exact: keys and order, evaluations, peak net profit and size, end
reason, the inputs of every start/peak/end snapshot (levels read, book ages, fees, limits, result)
and the first trade decision. Later trades may differ: the replay's latency model is
``execution.paper_latency_ms`` per order, while the live run also spends real time on the journal's
fsynced order intents and on scheduling, so it fits fewer trades into a burst.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from arb.cli import main
from arb.config import Config
from arb.review.backtest import Settings, backtest
from arb.review.record import Recorder, Recording
from arb.scan.engine import wall_ms
from arb.scan.feeds import monotonic_ms
from arb.store import Journal
from exchanges.sim.market import Dislocation
from tests.kit.live import Setup, make_config

SYMBOLS = ["BTC/USDT", "ETH/USDT"]
VENUES = ("okx", "okx2")
BALANCES = "{okx = {USDT = 20000, BTC = 0.3, ETH = 6}, okx2 = {USDT = 20000, BTC = 0.3, ETH = 6}}"


@dataclass
class Live:
    journal: Path
    recording: Path
    cfg: Config
    tmp: Path


async def _live_run(tmp: Path) -> Live:
    setup = Setup(tmp)
    try:
        sim = await setup.sim(VENUES, symbols=SYMBOLS, seed=23, update_interval_ms=50)
        cfg = make_config(
            sim,
            VENUES,
            tmp,
            mode="paper",
            scanner={
                "symbols": SYMBOLS,
                "episode_gap_ms": 300,
                "max_notional": 1000,
                "min_net_profit": "0.5",
                "max_book_age_ms": 2000,
            },
            execution={"paper_latency_ms": 50},
            risk={"max_notional_per_trade": 2000},
        )
        trader = setup.trader(cfg, setup.clients(sim, VENUES, key=None))
        recorder = Recorder(
            tmp / "live.arbrec.gz",
            venues=list(VENUES),
            symbols=SYMBOLS,
            depth=50,
            source="loopback",
            ccxt_ids={v: "okx" for v in VENUES},
        )
        feeds, engine = trader.scanner.feeds, trader.scanner.engine
        on_book, on_event = feeds.on_book, feeds.on_event

        def tee_book(venue: str, symbol: str, book: Any, recv_ms: int) -> None:
            recorder.on_book(venue, symbol, book, recv_ms)
            on_book(venue, symbol, book, recv_ms)

        def tee_event(venue: str, symbol: str | None, kind: str, detail: str) -> None:
            recorder.on_event(venue, symbol, kind, detail, monotonic_ms())
            on_event(venue, symbol, kind, detail)

        feeds.on_book, feeds.on_event = tee_book, tee_event
        task = asyncio.create_task(trader.run())
        async with asyncio.timeout(20):
            while not trader.ready:
                await asyncio.sleep(0.02)
        recorder.start(dict(engine.markets), dict(engine.fees))
        t0 = wall_ms() + 300
        plan = [
            Dislocation("BTC/USDT", "okx2", t0, t0 + 900, 70.0),
            Dislocation("ETH/USDT", "okx", t0 + 400, t0 + 1300, 90.0),
            Dislocation("BTC/USDT", "okx", t0 + 2000, t0 + 2800, 60.0),
        ]
        sim.market.schedule.extend(plan)
        end = plan[-1].end_ms + 700
        async with asyncio.timeout(30):
            while wall_ms() < end or engine.tracker.open or trader.risk.in_flight:
                await asyncio.sleep(0.02)
        trader.stop()
        await asyncio.wait_for(task, 20)
        recorder.close()
        return Live(Path(cfg.store.paper_path), recorder.path, cfg, tmp)
    finally:
        await setup.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("live")
    yield asyncio.run(_live_run(tmp))


def rows(path: Path, table: str, order: str) -> list[dict[str, Any]]:
    with sqlite3.connect(path) as c:
        c.row_factory = sqlite3.Row
        return [dict(r) for r in c.execute(f"SELECT * FROM {table} ORDER BY {order}")]


def decisions(path: Path) -> list[dict[str, Any]]:
    j = Journal.open(path, readonly=True)
    try:
        return [json.loads(e["detail"]) for e in j.events(kind="decision")]
    finally:
        j.close()


def boundaries(episodes: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Every episode's start and end as (episode index, "start"/"end"), in time order."""
    marks = [(e[f"{k}_ms"], i, k) for i, e in enumerate(episodes) for k in ("start", "end")]
    return [(i, k) for _, i, k in sorted(marks)]


def test_replay_yields_the_episodes_the_live_paper_run_saw(live: Live) -> None:
    settings = Settings.from_config(live.cfg, "paper")
    out = live.tmp / "replay.db"
    res = backtest(Recording.open(live.recording), settings, out)
    got, want = rows(out, "episodes", "start_ms, id"), rows(live.journal, "episodes", "start_ms, id")
    assert len(want) >= 3, "the planted dislocations gave episodes"
    assert res.episodes == len(want)
    assert [(e["symbol"], e["buy_venue"], e["sell_venue"]) for e in got] == [
        (e["symbol"], e["buy_venue"], e["sell_venue"]) for e in want
    ]
    for g, w in zip(got, want, strict=True):
        assert (
            g["evaluations"],
            g["peak_net_profit"],
            g["peak_buy_amount"],
            g["peak_sell_amount"],
            g["end_reason"],
        ) == (w["evaluations"], w["peak_net_profit"], w["peak_buy_amount"], w["peak_sell_amount"], w["end_reason"]), (
            g,
            w,
        )
        # start, peak and end evaluations read the same levels, ages, fees and limits, with the same result
        snaps = [
            [(x["kind"], x["inputs_json"]) for x in rows(db, "snapshots", "id") if x["episode_id"] == e["id"]]
            for db, e in ((out, g), (live.journal, w))
        ]
        assert snaps[0] == snaps[1]
    # the episodes start and end in the same order (times on each run's own clock: compared by order only)
    assert boundaries(got) == boundaries(want)
    # the same risk gate and executor decided on the same first opportunity
    first = next(d for d in decisions(live.journal) if d["verdict"] == "accept")
    again = next(d for d in decisions(out) if d["verdict"] == "accept")
    assert (again["buy"], again["sell"], again["planned_net"], again["amount"]) == (
        first["buy"],
        first["sell"],
        first["planned_net"],
        first["amount"],
    )
    assert rows(out, "fills", "id"), "the replay traded"


def test_same_file_and_settings_give_the_same_journal(live: Live) -> None:
    settings = Settings.from_config(live.cfg, "paper")
    a, b = live.tmp / "a.db", live.tmp / "b.db"
    backtest(Recording.open(live.recording), settings, a)
    backtest(Recording.open(live.recording), settings, b)
    for table, order in (
        ("runs", "id"),
        ("episodes", "id"),
        ("snapshots", "id"),
        ("events", "id"),
        ("orders", "client_id"),
        ("fills", "id"),
        ("balances", "id"),
        ("exposures", "id"),
    ):
        assert rows(a, table, order) == rows(b, table, order), table


def test_report_on_a_backtest_journal_prints_every_metric(live: Live, capsys: pytest.CaptureFixture[str]) -> None:
    db = live.tmp / "demo.db"
    code = main(
        [
            "backtest",
            str(live.recording),
            "--db",
            str(db),
            "--no-ui",
            "--set",
            f"execution.paper_balances={BALANCES}",
            "--set",
            "risk.max_notional_per_trade=2000",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "trades" in out and f"arb report --db {db}" in out
    code = main(["report", "--db", str(db), "--html", str(live.tmp / "demo.html")])
    out, err = capsys.readouterr()
    assert code == 0, err
    for metric in (
        "episodes detected",
        "capture rate",
        "Realised vs expected edge per trade",
        "Fees by venue",
        "Inventory",
        "Rebalance suggestion",
        "total PnL",
        "Daily PnL",
        "Sharpe ratio",
        "max drawdown",
        "drawdown duration",
        "win rate",
        "PnL curve",
    ):
        assert metric in out, metric
    assert "n/a with fewer than 2 days" in out  # a few seconds of market: Sharpe is n/a, and says why
    page = (live.tmp / "demo.html").read_text()
    assert page.count("data:image/png;base64,") >= 8


def test_sweep_prints_a_table_and_each_row_is_one_run(live: Live, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["backtest", str(live.recording), "--no-ui", "--set", "risk.max_notional_per_trade=2000"]
    sweep = ["--sweep", "scanner.min_net_bps=5,40", "--sweep", "scanner.max_notional=300,1000"]
    code = main([*base, *sweep, "--out", str(live.tmp / "sweep")])
    out, err = capsys.readouterr()
    assert code == 0, err
    for col in ("PnL", "Sharpe", "max DD", "trades", "scanner.min_net_bps", "scanner.max_notional"):
        assert col in out
    code = main([*base, *sweep, "--out", str(live.tmp / "sweep2"), "--json"])
    table = json.loads(capsys.readouterr().out)["runs"]
    assert len(table) == 4
    pnls = [Decimal(r["pnl"]) for r in table]
    assert pnls == sorted(pnls, reverse=True), "best first"
    assert len(set(pnls)) > 1, "the parameters matter"
    for row in (table[0], table[-1]):
        sets = [a for k, v in row["params"].items() for a in ("--set", f"{k}={v}")]
        code = main([*base, *sets, "--db", str(live.tmp / f"single-{len(sets)}-{row['run_id']}.db"), "--json"])
        single = json.loads(capsys.readouterr().out)
        assert code == 0
        assert single["run_id"] == row["run_id"]
        for k in ("pnl", "sharpe", "max_drawdown", "trades", "episodes", "win_rate"):
            assert single[k] == row[k], k
        assert row["command"].startswith(f"arb backtest {live.recording}") and "--set" in row["command"]
