"""`arb run --workers 2` on one Redis: the daily loss and `arb kill` stop every worker within 1 s (measured
through the workers' journal timestamps); a SIGKILLed worker's partition resumes with no order sent twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from arb.scale.partition import owner
from tests.kit.live import key_env, no_duplicate_client_ids, plant, start_sim, write_config
from tests.kit.run import arb, start_arb
from tests.scale.redis_server import redis_server

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]
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


async def eventually(check: Any, what: str, timeout_s: float = 45) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        got = check()
        if got:
            return got
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def halts(tmp: Path, shard: int) -> list[tuple[int, str]]:
    return rows(journal(tmp, shard), "select ts_ms, detail from events where kind = 'halt' order by ts_ms")


@asynccontextmanager
async def workers(tmp: Path, **cfg: Any) -> AsyncIterator[tuple[Any, str, asyncio.subprocess.Process]]:
    with redis_server(tmp) as url:
        sim = await start_sim(VENUES, symbols=SYMS)
        try:
            path = write_config(sim, VENUES, tmp, scanner={"symbols": SYMS}, **cfg)
            proc = await start_arb(
                "run", "--config", path, "--live", "--yes", "--no-ui", "--workers", "2", "--coordinator", url,
                env=key_env(sim, VENUES), stdout=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            try:
                for shard in (0, 1):  # both workers prepared (balances, reconcile) and trading
                    await eventually(
                        lambda s=shard: rows(journal(tmp, s), "select 1 from events where kind = 'trading'"),
                        f"worker {shard}",
                    )
                yield sim, path, proc
            finally:
                if proc.returncode is None:
                    proc.send_signal(signal.SIGTERM)
                    try:
                        await asyncio.wait_for(proc.wait(), 30)
                    except TimeoutError:
                        proc.kill()
        finally:
            await sim.stop()


async def test_arb_kill_stops_every_worker_within_a_second(tmp_path: Path) -> None:
    async with workers(tmp_path) as (_sim, path, _proc):
        code, _out, err = await arb("kill", "--config", path, "--reason", "test: stop everything")
        assert code == 0, err
        stamp = (tmp_path / "arb.kill").read_text().splitlines()[1].split(" by ")[0]  # when `arb kill` wrote it
        written_ms = int(dt.datetime.fromisoformat(stamp).timestamp() * 1000)
        got = [await eventually(lambda s=s: halts(tmp_path, s), f"worker {s}'s kill halt") for s in (0, 1)]
    for shard_halts in got:
        ts, detail = shard_halts[0]
        assert "kill" in detail and "stop everything" in detail
        assert 0 <= ts - written_ms <= 1000, f"halted {ts - written_ms} ms after the kill"


async def test_daily_loss_of_one_worker_halts_every_worker_within_a_second(tmp_path: Path) -> None:
    risk = {"daily_loss_limit": "0.05", "max_consecutive_failures": 10}
    async with workers(tmp_path, risk=risk, execution={"on_partial": "hold"}) as (sim, _path, _proc):
        sim.venue("okx2").faults.reject_rate = 1.0  # the sell leg fails: the bought base is held at a loss
        plant(sim, "okx2", 60.0, symbol="BTC/USDT")  # BTC is worker 1's symbol
        for _ in range(3):
            sim.step()
        first = await eventually(lambda: halts(tmp_path, 1), "worker 1's daily-loss halt")
        other = await eventually(lambda: halts(tmp_path, 0), "worker 0's halt")
    assert "daily_loss" in first[0][1]
    assert "daily_loss" in other[0][1] and "halted every worker" in other[0][1]
    assert 0 <= other[0][0] - first[0][0] <= 1000, f"worker 0 halted {other[0][0] - first[0][0]} ms later"
    no_duplicate_client_ids(sim)
