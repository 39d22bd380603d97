"""Two workers on one Redis racing for one venue's quote balance never reserve more than it holds; a
SIGKILLed worker's reservations come back when its lease expires (real redis-server, real processes)."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
from decimal import Decimal
from pathlib import Path

import pytest
import redis

from arb.scale.coordinator import Request, atoms_down
from arb.scale.redis_coord import RedisCoordinator
from tests.scale.redis_server import redis_server

pytestmark = pytest.mark.timeout(90)
BIG = Decimal("1e9")


def claim(amount: Decimal, venue: str = "okx") -> Request:
    return Request(((venue, "USDT", amount, True),), "BTC", (venue, "okx2"), Decimal(1), 10**6, BIG, BIG)


def racer(url: str, name: str, rounds: int, per_round: int, start: mp.Barrier, out: mp.Queue) -> None:  # type: ignore[type-arg]
    c = RedisCoordinator(url, lease_ms=10_000, worker=name)
    c.start()
    won = []
    for r in range(rounds):
        start.wait()  # both processes fire this round's claims at the same moment
        won.append(sum(1 for i in range(per_round) if c.reserve(f"{name}-{r}-{i}", claim(Decimal(37))) is None))
        start.wait()  # the parent checks and resets the balance between rounds
        start.wait()
    out.put((name, won))
    c.close()


def test_two_workers_racing_never_reserve_more_than_the_balance(tmp_path: Path) -> None:
    with redis_server(tmp_path) as url:
        admin = RedisCoordinator(url, worker="admin")
        rounds, per_round = 25, 40
        ctx = mp.get_context("spawn")
        start, out = ctx.Barrier(3), ctx.Queue()
        procs = [ctx.Process(target=racer, args=(url, n, rounds, per_round, start, out)) for n in ("w0", "w1")]
        for p in procs:
            p.start()
        totals = []
        for _r in range(rounds):
            r = redis.Redis.from_url(url)
            for k in r.scan_iter("arb:tok:*"):
                r.delete(k)
            r.delete("arb:tokens", "arb:flight", "arb:fly:asset:BTC", "arb:fly:venue:okx", "arb:fly:venue:okx2")
            assert admin.publish("okx", admin.generation("okx"), {"USDT": Decimal(1000)})
            start.wait()  # go
            start.wait()  # both done
            left = admin.available("okx", "USDT")
            assert left is not None and left >= 0, f"reserved more than the balance: {left} atoms left"
            totals.append(left)
            start.wait()
        won = dict(out.get(timeout=30) for _ in procs)
        for p in procs:
            p.join(30)
        per_round_total = [a + b for a, b in zip(won["w0"], won["w1"], strict=True)]
        # 1000 USDT holds 27 claims of 37: never more, and (both racing until refused) exactly that
        assert per_round_total == [27] * rounds, per_round_total
        assert all(t == atoms_down(Decimal(1000 - 27 * 37)) for t in totals)
        assert any(0 < a < 27 for a in won["w0"]), "the two workers never actually raced"
        admin.close()


def holder(url: str, ready: mp.Event) -> None:  # type: ignore[type-arg]
    c = RedisCoordinator(url, lease_ms=600, worker="doomed")
    c.start()
    assert c.reserve("doomed-1", claim(Decimal(600))) is None
    ready.set()
    time.sleep(60)  # SIGKILLed long before


def test_a_killed_workers_reservations_come_back_after_its_lease(tmp_path: Path) -> None:
    with redis_server(tmp_path) as url:
        other = RedisCoordinator(url, lease_ms=5000, worker="survivor")
        other.start()
        assert other.publish("okx", other.generation("okx"), {"USDT": Decimal(1000)})
        ctx = mp.get_context("spawn")
        ready = ctx.Event()
        p = ctx.Process(target=holder, args=(url, ready))
        p.start()
        assert ready.wait(30)
        assert other.reserve("s-1", claim(Decimal(600))) == "min_balance"  # 600 of 1000 held by the doomed one
        assert p.pid is not None
        os.kill(p.pid, signal.SIGKILL)
        p.join(10)
        deadline = time.monotonic() + 10  # the lease is 600 ms: poll until the claim is given back
        while other.reserve("s-2", claim(Decimal(600))) is not None:
            assert time.monotonic() < deadline, "the dead worker's reservation was never released"
            time.sleep(0.05)
        assert other.available("okx", "USDT") == atoms_down(Decimal(400))
        other.close()
