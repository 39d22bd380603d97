"""`arb run --workers 2` on one Redis: the daily loss and `arb kill` stop every worker within 1 s (measured
through the workers' journal timestamps); a SIGKILLed worker's claims are released after its lease and its
partition resumes (the parent starts it again) with no order sent twice (the simulators' order logs)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from arb.scale.partition import owner
from tests.kit.live import client, key_env, no_duplicate_client_ids, plant, start_sim, write_config
from tests.kit.run import arb, start_arb
from tests.scale.redis_server import REDIS_BIN, redis_server

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]
VENUES = ("okx", "okx2")
SYMS = ["BTC/USDT", "DOGE/USDT"]  # crc32 mod 2: BTC → shard 1, DOGE → shard 0
assert [owner(s, 2) for s in SYMS] == [1, 0]


def journal(tmp: Path, shard: int) -> Path:
    return tmp / f"arb.shard{shard}of2.db"


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    if not db.exists():
        return []
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
            return con.execute(sql).fetchall()
    except sqlite3.OperationalError:  # the schema is being created
        return []


async def eventually(check: Any, what: str, timeout_s: float = 60, tmp: Path | None = None) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        got = check()
        if got:
            return got
        assert time.monotonic() < deadline, f"timed out waiting for {what}" + (evidence(tmp) if tmp else "")
        await asyncio.sleep(0.05)


def evidence(tmp: Path) -> str:
    """What the workers said and journaled: the failure message carries it (pytest's temp dirs are pruned)."""
    err = tmp / "workers.err"
    said = err.read_text(errors="replace").splitlines()[-40:] if err.exists() else []
    out = ["", "--- workers.err (tail) ---", *said]
    for shard in (0, 1):
        out.append(f"--- shard {shard} events ---")
        sql = "select ts_ms, kind, substr(detail, 1, 160) from events order by id desc limit 25"
        out += [repr(r) for r in reversed(rows(journal(tmp, shard), sql))]
        out.append(f"--- shard {shard} orders ---")
        out += [repr(r) for r in rows(journal(tmp, shard), "select client_id, venue, side, state from orders")]
    return "\n".join(out)


def halts(tmp: Path, shard: int) -> list[tuple[int, str]]:
    return rows(journal(tmp, shard), "select ts_ms, detail from events where kind = 'halt' order by ts_ms")


@asynccontextmanager
async def workers(tmp: Path, poll_ms: int = 100, **cfg: Any) -> AsyncIterator[tuple[Any, str, str]]:
    with redis_server(tmp) as url:
        sim = await start_sim(VENUES, symbols=SYMS)
        try:
            path = write_config(sim, VENUES, tmp, scanner={"symbols": SYMS}, **cfg)
            Path(path).write_text(Path(path).read_text() + f"\n[scale]\npoll_ms = {poll_ms}\n")
            proc = await start_arb(
                "run", "--config", path, "--live", "--yes", "--no-ui", "--workers", "2", "--coordinator", url,
                env=key_env(sim, VENUES), stdout=asyncio.subprocess.DEVNULL, stderr=(tmp / "workers.err").open("wb"),
            )  # fmt: skip
            try:
                for shard in (0, 1):  # both workers prepared (balances, reconcile) and trading
                    await eventually(
                        lambda s=shard: rows(journal(tmp, s), "select 1 from events where kind = 'trading'"),
                        f"worker {shard}",
                    )
                    # ... and only after joining the shared state: balances shared (claims on a venue whose balances
                    # are not shared yet are refused) and any shared halt adopted
                    kinds = [k for (k,) in rows(journal(tmp, shard), "select kind from events order by id")]
                    assert "coordinator" in kinds and kinds.index("coordinator") < kinds.index("trading"), kinds
                    (joined,) = rows(journal(tmp, shard), "select detail from events where kind = 'coordinator'")[0]
                    assert "balances of okx, okx2 shared" in joined, joined
                yield sim, path, url
            finally:
                if proc.returncode is None:
                    proc.send_signal(signal.SIGTERM)
                    try:
                        await asyncio.wait_for(proc.wait(), 30)
                    except TimeoutError:
                        proc.kill()
        finally:
            await sim.stop()


async def test_daily_loss_of_one_worker_and_arb_kill_halt_every_worker_within_a_second(tmp_path: Path) -> None:
    risk = {"daily_loss_limit": "0.05", "max_consecutive_failures": 10}
    # polls 10 s apart: within the second a halt and a kill reach the other worker only because publishing one
    # wakes every worker (Redis pub/sub) and a halt here is shared at once
    async with workers(tmp_path, 10_000, risk=risk, execution={"on_partial": "hold"}) as (sim, path, url):
        sim.venue("okx2").faults.reject_rate = 1.0  # the sell leg fails: the bought base is held at a loss
        plant(sim, "okx2", 60.0, symbol="BTC/USDT")  # BTC is worker 1's symbol
        for _ in range(3):
            sim.step()
        first = await eventually(lambda: halts(tmp_path, 1), "worker 1's daily-loss halt", tmp=tmp_path)
        other = await eventually(lambda: halts(tmp_path, 0), "worker 0's halt")
        # an order of ours resting on worker 0's symbol (as a leg would if a venue ignored IOC), far below
        trader = client(sim, "okx")
        low = round(float(sim.book("okx", "DOGE/USDT").bids[0][0]) * 0.9, 5)
        resting = await trader.create_order("DOGE/USDT", "limit", "buy", 100, low, {"clOrdId": "arbrestingscale1"})
        await trader.close()
        # then `arb kill` on "another machine" (its own kill file) through the coordinator: it overrides any
        # halt, every worker halts again for the kill and cancels its open orders
        remote = tmp_path / "remote.toml"
        remote.write_text(Path(path).read_text().replace(str(tmp_path / "arb.kill"), str(tmp_path / "remote.kill")))
        code, _out, err = await arb(
            "kill", "--config", str(remote), "--coordinator", url, "--reason", "stop everything"
        )
        assert code == 0, err
        stamp = (tmp_path / "remote.kill").read_text().splitlines()[1].split(" by ")[0]  # when `arb kill` wrote it
        written_ms = int(dt.datetime.fromisoformat(stamp).timestamp() * 1000)
        killed = [await eventually(lambda s=s: halts(tmp_path, s)[1:], f"worker {s}'s kill halt") for s in (0, 1)]
        order = sim.venue("okx").engine.orders[resting["id"]]
        await eventually(lambda: order.status == "canceled", "the resting order cancelled by the kill")
    assert "daily_loss" in first[0][1]
    assert "daily_loss" in other[0][1] and "halted every worker" in other[0][1]
    assert 0 <= other[0][0] - first[0][0] <= 1000, f"worker 0 halted {other[0][0] - first[0][0]} ms later"
    for shard_halts in killed:
        ts, detail = shard_halts[0]
        assert "kill" in detail and "stop everything" in detail
        assert 0 <= ts - written_ms <= 1000, f"halted {ts - written_ms} ms after the kill"
    no_duplicate_client_ids(sim)


async def test_a_sigkilled_worker_is_replaced_after_its_lease_and_nothing_is_sent_twice(tmp_path: Path) -> None:
    import redis

    from arb.store import Journal

    venues = ("okx", "binance")
    with redis_server(tmp_path) as url:
        sim = await start_sim(venues, symbols=SYMS)
        try:
            path = write_config(sim, venues, tmp_path, scanner={"symbols": SYMS}, execution={"on_partial": "hold"})
            Path(path).write_text(Path(path).read_text() + "\n[scale]\nlease_ms = 1000\n")
            binance, log = sim.venue("binance"), tmp_path / "workers.err"
            # from worker 1's sell placement on, Binance REST hangs: the worker dies with that order unfinished
            binance.engine.listeners.append(lambda o, f: setattr(binance.faults, "rest_timeout_next", 10_000))
            proc = await start_arb(
                "run", "--config", path, "--live", "--yes", "--no-ui", "--workers", "2", "--coordinator", url,
                env=key_env(sim, venues), stdout=asyncio.subprocess.DEVNULL, stderr=log.open("wb"),
            )  # fmt: skip
            r = redis.Redis.from_url(url, decode_responses=True)
            db = journal(tmp_path, 1)
            ready = "select 1 from events where kind = 'trading'"
            for shard in (0, 1):
                await eventually(lambda s=shard: rows(journal(tmp_path, s), ready), f"worker {shard}")
            # the workers published both venues' balances (until then the shared claim refuses: min_balance)
            await eventually(lambda: r.exists("arb:avail:binance:BTC", "arb:avail:okx:USDT") == 2, "balances")
            plant(sim, "binance", 60.0, symbol="BTC/USDT")  # worker 1's symbol
            sim.step()
            sell = "select client_id from orders where venue = 'binance' and venue_order_id is not null"
            (cid,) = (await eventually(lambda: rows(db, sell), "worker 1's sell on binance"))[0]
            dead = r.get("arb:owner:shard1of2")
            assert dead and r.smembers("arb:tokens"), "worker 1 holds its claim while the sell is out"
            os.kill(int(dead.rsplit(".", 1)[1]), signal.SIGKILL)
            binance.engine.listeners.clear()
            binance.faults.rest_timeout_next = 0
            sim.market.schedule.clear()
            # after its lease the claims are gone and another worker owns shard 1
            await eventually(lambda: (o := r.get("arb:owner:shard1of2")) and o != dead, "a new owner of shard 1")
            await eventually(
                lambda: not any(r.hget(f"arb:tok:{t}", "_worker") == dead for t in r.smembers("arb:tokens")),
                "the dead worker's claims released",
            )
            # the new owner reconciled the unfinished sell from the shard's journal: looked up, not sent again
            final = "select state from orders where client_id = ?"
            await eventually(
                lambda: rows(db, final.replace("?", f"'{cid}'")) in ([("closed",)], [("canceled",)]), "reconciled"
            )
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 30)
        finally:
            await sim.stop()
    assert "worker 1/2 died (SIGKILL); starting it again" in log.read_text()
    no_duplicate_client_ids(sim)
    with Journal.open(db, readonly=True) as j:
        assert [o["client_id"] for o in j.orders() if o["client_id"] == cid] == [cid]


async def test_paper_workers_without_a_coordinator_share_a_private_redis(tmp_path: Path) -> None:
    sim = await start_sim(VENUES, symbols=SYMS)
    try:
        bal = {v: {"USDT": "10000", "BTC": "1", "DOGE": "10000"} for v in VENUES}
        path = write_config(
            sim, VENUES, tmp_path, mode="paper", scanner={"symbols": "auto"}, execution={"paper_balances": bal}
        )
        code, _out, err = await arb("run", "--config", path, "--no-ui", "--workers", "2", "--duration", "2")
    finally:
        await sim.stop()
    if REDIS_BIN is None:  # no redis-server here: the one line saying what to pass or install
        assert code == 2 and err.strip().splitlines()[-1].startswith("arb: config: --workers N > 1 trades from")
        return
    assert code == 0, err
    assert "workers coordinate on a private redis-server at redis://127.0.0.1:" in err
    found = "symbols auto: 2 of 2 listed on two venues or more (listed: okx 2, okx2 2): BTC/USDT, DOGE/USDT"
    assert found in err  # discovered once, by the parent
    for i, sym in ((0, "DOGE/USDT"), (1, "BTC/USDT")):
        notes = rows(tmp_path / f"arb-paper.shard{i}of2.db", "select detail from events where kind = 'symbols'")
        assert notes == [(found,), (f"shard {i}/2: 1 of 2 symbols: {sym}",)]
