"""The control API on a paper trader against the loopback venues (real ccxt.pro clients, real sockets, a real
journal): pause stops new orders while episodes keep being journaled, kill turns the run alert-only, the
stream delivers every episode start and end of the run in order, and /metrics matches the journal."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from arb.api.context import ApiContext
from arb.api.reader import Reader
from arb.api.server import ApiServer
from arb.api.tokens import Tokens
from exchanges.sim.harness import default_balances
from tests.kit.live import SYM, Run, Setup, make_config, plant, unplant, write_config
from tests.kit.poll import eventually
from tests.kit.run import arb

VENUES = ("okx", "okx2")
TOKEN = "trading-test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Harness:
    def __init__(self, setup: Setup, tmp: Path) -> None:
        self.setup, self.tmp = setup, tmp
        self.decisions: list[dict[str, Any]] = []

    async def start(self) -> None:
        self.sim = sim = await self.setup.sim(VENUES, update_interval_ms=25)
        balances = {v: {k: str(x) for k, x in default_balances(sim.market).items()} for v in VENUES}
        self.cfg = cfg = make_config(
            sim, VENUES, self.tmp, mode="paper", fee_bps=5, execution={"paper_balances": balances}
        )
        self.trader = trader = self.setup.trader(cfg, self.setup.clients(sim, VENUES, key=None))
        trader.listeners.append(lambda k, p: self.decisions.append(p) if k == "decision" else None)
        ctx = ApiContext(
            trader.scanner,
            trader,
            kill_file=Path(cfg.risk.kill_file),
            risk=cfg.risk,
            reader=Reader(cfg.store.paper_path),
        )
        self.srv = ApiServer(ctx, Tokens({"ops": TOKEN}, "test"), status_s=0.2)
        await self.srv.start()
        self.http = aiohttp.ClientSession(base_url=self.srv.url, headers=AUTH)
        self.run = Run(trader)
        await self.run.next("ready")

    async def post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        async with self.http.post(path, json=body or {}) as r:
            assert r.status == 200, (path, r.status, await r.text())
            return dict(await r.json())

    async def get(self, path: str) -> Any:
        async with self.http.get(path) as r:
            assert r.status == 200, (path, r.status)
            return await r.json() if r.content_type == "application/json" else await r.text()

    def verdicts(self) -> list[str]:
        return [d["verdict"] for d in self.decisions]

    async def close(self) -> None:
        await self.http.close()
        await self.srv.stop()


@pytest.fixture
async def h(setup: Setup, tmp_path: Path) -> AsyncIterator[Harness]:
    harness = Harness(setup, tmp_path)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.close()


async def test_pause_stops_new_orders_while_episodes_keep_being_journaled(h: Harness) -> None:
    reply = await h.post("/api/pause", {"reason": "maintenance"})
    assert reply["who"] == "ops" and reply["action"] == "pause"
    assert (await h.get("/api/status"))["paused"] is True
    plant(h.sim, "okx2", 40.0)  # okx2 rich: buy okx, sell okx2
    await eventually(lambda: "paused" in h.verdicts(), what="a paused verdict")
    journal = h.trader.journal
    since = reply["ts_ms"]
    await eventually(lambda: [e for e in journal.episodes() if e["start_ms"] >= since], what="an episode journaled")
    await eventually(lambda: h.trader.scanner.engine.stats.evaluations > 20)
    assert journal.orders() == [] and h.trader.stats["accepted"] == 0
    assert set(h.verdicts()) == {"paused"}
    controls = [e["detail"] for e in journal.events(kind="control")]
    assert controls and controls[0].startswith("pause by ops: no new orders")
    # the pause was what held the orders: resume and the same dislocation trades
    await h.post("/api/resume")
    out = await h.run.next("outcome")
    assert out.legs and journal.orders()
    await h.run.stop()


async def test_kill_halts_and_the_run_stays_alert_only(h: Harness) -> None:
    reply = await h.post("/api/kill", {"reason": "test kill"})
    assert "kill file" in reply["detail"] and Path(h.cfg.risk.kill_file).exists()
    halt = await h.run.next("halt")
    assert halt.reason == "kill" and "test kill" in halt.detail
    st = await h.get("/api/status")
    assert st["halt"]["reason"] == "kill"
    plant(h.sim, "okx2", 40.0)
    await eventually(lambda: "halted_kill" in h.verdicts(), what="a halted_kill verdict")
    await eventually(lambda: h.trader.scanner.engine.stats.episodes_started >= 1)
    assert h.trader.journal.orders() == [] and h.trader.stats["accepted"] == 0
    assert (await h.post("/api/resume"))["changed"] is False  # a pause's resume does not end a kill
    assert (await h.get("/api/halts"))["current"]["reason"] == "kill"
    await h.run.stop()


async def read_stream(url: str, out: list[tuple[str, dict[str, Any]]], connected: asyncio.Event) -> None:
    """Collect ``(event, data)`` from ``/api/stream`` until the server closes it."""
    async with aiohttp.ClientSession(headers=AUTH) as http, http.get(url + "/api/stream") as r:
        assert r.status == 200 and r.content_type == "text/event-stream"
        name, data = "", ""
        async for raw in r.content:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
            elif line == "" and name:
                out.append((name, json.loads(data)))
                if name == "hello":
                    connected.set()
                name, data = "", ""


async def episodes_run(h: Harness) -> tuple[list[tuple[str, dict[str, Any]]], asyncio.Task[None]]:
    """A run with several dislocations (both directions), a stream reader connected from the start."""
    msgs: list[tuple[str, dict[str, Any]]] = []
    connected = asyncio.Event()
    reader = asyncio.create_task(read_stream(h.srv.url, msgs, connected))
    await asyncio.wait_for(connected.wait(), 10)
    ended = h.trader.scanner.engine.stats
    for k, bps in enumerate((40.0, -40.0, 45.0)):
        plant(h.sim, "okx2", bps)
        await eventually(lambda n=k: ended.episodes_started > n, what=f"episode {k} started")
        await eventually(lambda: any(m[0] == "trade" for m in msgs) or h.trader.stats["accepted"] > 0)
        unplant(h.sim)
        await eventually(
            lambda n=k: ended.episodes_ended > n and not h.trader.risk.in_flight, what=f"episode {k} ended"
        )
    plant(h.sim, "okx2", 40.0)  # one left open: ended by the shutdown
    await eventually(lambda: len(h.trader.scanner.engine.tracker.open) > 0)
    await h.run.stop()
    return msgs, reader


async def test_stream_delivers_every_episode_start_and_end_in_order(h: Harness) -> None:
    msgs, reader = await episodes_run(h)
    await h.srv.stop()  # closes the stream after what was published
    await asyncio.wait_for(reader, 10)
    rows = [e for e in h.trader.journal.episodes() if e["run_id"] == h.trader.run_id]
    assert len(rows) >= 4 and all(r["end_ms"] is not None for r in rows)
    streamed = [(n, d) for n, d in msgs if n in ("episode_started", "episode_ended")]
    starts = [d["id"] for n, d in streamed if n == "episode_started"]
    ends = [d["id"] for n, d in streamed if n == "episode_ended"]
    assert sorted(starts) == sorted(ends) == sorted(r["id"] for r in rows)  # every one, exactly once each
    by_id = {r["id"]: r for r in rows}
    # in order: each start before its end, and the sequence follows the journal's times
    times = [by_id[d["id"]]["start_ms" if n == "episode_started" else "end_ms"] for n, d in streamed]
    assert times == sorted(times)
    position = {(n, d["id"]): i for i, (n, d) in enumerate(streamed)}
    assert all(position[("episode_started", eid)] < position[("episode_ended", eid)] for eid in starts)
    assert [d["end_reason"] for n, d in streamed if n == "episode_ended"][-1] == "shutdown"
    kinds = {n for n, _d in msgs}
    assert {"hello", "status", "trade", "decision"} <= kinds
    hello = msgs[0]
    assert hello == ("hello", {"run_id": h.trader.run_id, "mode": "paper"})


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def test_metrics_parse_and_match_the_journal_after_a_run(h: Harness) -> None:
    await episodes_run(h)
    text = await h.get("/metrics")
    m = samples(text)
    j, run_id = h.trader.journal, h.trader.run_id
    episodes = [e for e in j.episodes() if e["run_id"] == run_id]
    orders = [o for o in j.orders() if o["run_id"] == run_id]
    fills = [f for o in orders for f in j.fills(o["client_id"])]
    trades = [json.loads(e["detail"]) for e in j.events(kind="trade", run_id=run_id)]
    assert m[("arb_journal_queue_depth", ())] == 0
    assert m[("arb_episodes_started_total", ())] == len(episodes) == m[("arb_episodes_journaled_total", ())]
    assert m[("arb_episodes_ended_total", ())] == len(episodes)
    assert trades and orders and fills
    assert m[("arb_trades_total", (("result", "ok"),))] == sum(1 for t in trades if t["ok"])
    assert m[("arb_trades_total", (("result", "failed"),))] == sum(1 for t in trades if not t["ok"])
    for v in VENUES:
        mine = [o for o in orders if o["venue"] == v]
        assert m[("arb_orders_placed_total", (("venue", v),))] == len(mine)
        for state in {o["state"] for o in mine}:
            assert m[("arb_orders", (("state", state), ("venue", v)))] == sum(o["state"] == state for o in mine)
        assert m[("arb_fills_total", (("venue", v),))] == sum(f["venue"] == v for f in fills)
        final = [o for o in mine if o["state"] in ("closed", "canceled", "rejected")]
        assert m[("arb_order_latency_seconds_count", (("venue", v),))] == len(final)
        assert m[("arb_book_updates_total", (("venue", v),))] > 0
    assert sum(v for (n, _l), v in m.items() if n == "arb_near_misses_total") >= 0
    assert ("arb_halted", ()) not in m and m[("arb_paused", ())] == 0
    with contextlib.suppress(KeyError):
        assert m[("arb_journal_dropped_total", ())] == 0
    assert SYM in {dict(lab).get("symbol", SYM) for (_n, lab) in m}


async def test_exposures_are_acknowledged_and_flattened_by_policy(h: Harness) -> None:
    plant(h.sim, "okx2", 40.0)
    out = await h.run.next("outcome")
    assert out.ok
    j = h.trader.journal
    # two exposures recorded against the traded opportunity (its legs are balanced: nothing is really open)
    rows = [{"opportunity_id": out.opportunity_id, "venue": "okx", "symbol": SYM, "base_delta": "0.001"}] * 2
    ids = [j.record_exposure(r | {"state": "open", "created_ms": 1}) for r in rows]
    ack = await h.post(f"/api/exposures/{ids[0]}/ack", {"note": "known, checking"})
    assert ack["action"] == "ack_exposure" and f"#{ids[0]}" in ack["detail"]
    await eventually(lambda: j.events(kind="control"), what="the ack journaled")
    listed = {e["id"]: e for e in (await h.get("/api/exposures"))["exposures"]}
    assert listed[ids[0]]["acknowledged_by"] == "ops" and listed[ids[1]]["acknowledged_by"] is None
    flat = await h.post(f"/api/exposures/{ids[1]}/flatten", {"policy": "hedge"})
    assert flat["action"] == "flatten_exposure" and flat["exposure_left"] == "0"
    assert next(e for e in j.exposures() if e["id"] == ids[1])["state"] == "flattened"
    assert ids[1] not in {e["id"] for e in (await h.get("/api/exposures"))["exposures"]}
    async with h.http.post(f"/api/exposures/{ids[1]}/flatten", json={}) as r:
        assert r.status == 409  # not open any more
    async with h.http.post(f"/api/exposures/{ids[0]}/flatten", json={"policy": "yolo"}) as r:
        assert r.status == 400
    async with h.http.post("/api/exposures/424242/ack", json={}) as r:
        assert r.status == 404
    await h.run.stop()


async def test_a_pause_and_a_disabled_direction_outlive_a_restart_until_arb_resume_lifts_them(
    h: Harness, setup: Setup
) -> None:
    """An operator's controls are kept in the journal: a restart (a crash, a deploy) keeps the run paused and the
    direction disabled; `arb resume` from another process lifts them, and the running trader follows."""
    direction = f"{SYM}/okx/okx2"
    await h.post("/api/pause", {"reason": "maintenance"})
    await h.post("/api/directions/disable", {"direction": direction})
    await h.run.stop()
    # the next run on the same journal
    trader = setup.trader(h.cfg, setup.clients(h.sim, VENUES, key=None))
    decisions: list[dict[str, Any]] = []
    trader.listeners.append(lambda k, p: decisions.append(p) if k == "decision" else None)
    run = Run(trader)
    await run.next("ready")
    c = trader.gate.controls
    assert c.paused is not None and (c.paused.who, c.paused.reason) == ("ops", "maintenance")
    assert (SYM, "okx", "okx2") in c.disabled

    def controls(text: str) -> list[str]:
        return [e["detail"] for e in trader.journal.events(kind="control") if text in e["detail"]]

    restored = await eventually(lambda: controls("from the journal"), what="the restored controls journaled")
    assert len(restored) == 2 and restored[0].startswith("paused by ops since"), restored
    plant(h.sim, "okx2", 40.0)  # okx2 rich: buy okx, sell okx2 — the disabled direction
    await eventually(lambda: any(d["verdict"] == "paused" for d in decisions), what="a paused verdict")
    assert trader.journal.orders() == []
    # `arb resume` lifts both in the journal; the running trader lifts them within a second and trades
    path = write_config(h.sim, VENUES, h.tmp, name="resume.toml", mode="paper")
    code, out, err = await arb("resume", "--config", path, "--reason", "maintenance over")
    assert code == 0, err
    assert "lifted the pause set by ops" in out and f"lifted disabled direction {direction} set by ops" in out, out
    outcome = await run.next("outcome", timeout_s=20)
    assert outcome.legs and trader.journal.orders()
    lifted = await eventually(lambda: len(controls("lifted in the journal")) == 2 and controls("lifted in the journal"))
    assert sorted(lifted) == sorted([f"direction {direction} lifted in the journal (`arb resume`)",
                                     "the pause lifted in the journal (`arb resume`)"])  # fmt: skip
    assert trader.journal.controls() == []
    await run.stop()


async def test_a_pause_the_journal_could_not_keep_still_holds_in_this_run(h: Harness) -> None:
    """A pause whose journal row could not be written (another process held the journal's lock) is not mistaken
    for one `arb resume` lifted there: it holds for the run, and the reply says a restart would not know it."""
    import sqlite3

    from arb.clock import wall_ms

    other = sqlite3.connect(h.cfg.store.paper_path, timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock past the journal's busy timeout
    try:
        reply = await h.post("/api/pause", {"reason": "maintenance"})
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert "not kept in the journal" in reply["detail"], reply
    plant(h.sim, "okx2", 40.0)
    # the trader looks for lifted controls every 0.5 s: past three looks, every verdict is still "paused"
    await eventually(lambda: wall_ms() > reply["ts_ms"] + 1_500 and "paused" in h.verdicts(), what="3 looks")
    assert set(h.verdicts()) == {"paused"} and h.trader.gate.controls.paused is not None
    assert h.trader.journal.orders() == [] and h.trader.journal.controls() == []
    await h.run.stop()
