"""Two workers' risk gates on one Redis (real redis-server): what one claims the other cannot; settling a leg
applies its fills; the end frees the rest; limits hold across the workers; CLI refusals are one line."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest

from arb.config import RiskConfig
from arb.core.ledger import LegFill
from arb.core.model import Leg, Opportunity
from arb.scale.coordinator import atoms_down
from arb.scale.hook import SharedLimits
from arb.scale.redis_coord import RedisCoordinator
from arb.trade.risk import BalanceBook, RiskGate
from tests.kit.run import run_arb
from tests.scale.redis_server import redis_server

D = Decimal
T0 = 1_800_000_000_000
pytestmark = pytest.mark.timeout(60)


def opp(cost: str) -> Opportunity:
    qty = D(cost) / D(50000)
    b = Leg("okx", "buy", qty, D(50000), D(50000), D(50000), D(0), 1)
    s = Leg("bybit", "sell", qty, D(50100), D(50100), D(50100), D(0), 1)
    return Opportunity("BTC/USDT", b, s, D(cost), D(cost) + 1, D(2), D(1), D(1), D(20))


def worker(url: str, name: str, **risk: object) -> tuple[RiskGate, RedisCoordinator]:
    c = RedisCoordinator(url, lease_ms=10_000, worker=name)
    c.start()
    book = BalanceBook()
    for v in ("okx", "bybit"):  # this worker tracks both venues' balances (as a live run does)
        book.set_fetched(v, {"USDT": D(10**6), "BTC": D(10)}, {"USDT": D(10**6), "BTC": D(10)})
    g = RiskGate(RiskConfig(max_in_flight=5, **risk), book)  # type: ignore[arg-type]
    g.shared = SharedLimits(c)
    return g, c


def publish(c: RedisCoordinator) -> None:
    """The shared balances every test starts from: 1000 USDT on okx, 1 BTC on bybit."""
    c.publish("okx", c.generation("okx"), {"USDT": D(1000)})
    c.publish("bybit", c.generation("bybit"), {"BTC": D(1)})


def test_what_one_worker_claims_the_other_cannot_spend(tmp_path: Path) -> None:
    with redis_server(tmp_path) as url:
        a, ca = worker(url, "a")
        b, cb = worker(url, "b")
        assert b.check(opp("400"), T0) == "min_balance"  # nothing published yet: no shared claim
        publish(ca)
        assert a.check(opp("600"), T0) is None  # locally 10^6 USDT: the shared 1000 decides
        a.begin("opp-a", opp("600"))
        assert b.check(opp("600"), T0) == "min_balance"  # 1000 − 606 (a buy hold: 1% fee headroom) < 606
        assert b.check(opp("300"), T0) is None
        b.begin("opp-b", opp("300"))
        # worker a's buy fills 0.012 BTC at 50,000 (fee 0.6 USDT): its hold gives way to its flows
        buy = LegFill("okx", "BTC/USDT", "buy", "cid-a", D("0.012"), D(50000), state="closed", filled=D("0.012"),
                      cost=D(600), fees=(("USDT", D("0.6")),))  # fmt: skip
        a.leg_sent("opp-a", buy)
        a.leg_final(buy)
        assert ca.available("okx", "USDT") == atoms_down(D(1000) - D("600.6") - D(300) * D("1.01"))
        a.end("opp-a", ok=True, now_ms=T0)  # the sell leg never went: its hold comes back
        assert ca.available("bybit", "BTC") == atoms_down(D(1) - D("0.006"))  # b's sell still held
        b.end("opp-b", ok=True, now_ms=T0)
        assert cb.available("okx", "USDT") == atoms_down(D(1000) - D("600.6"))
        assert cb.available("bybit", "BTC") == atoms_down(D(1))
        ca.close()
        cb.close()


def test_in_flight_and_exposure_limits_count_every_worker(tmp_path: Path) -> None:
    with redis_server(tmp_path) as url:
        a, ca = worker(url, "a", max_exposure_per_asset=D(1000))
        b, cb = worker(url, "b", max_exposure_per_asset=D(1000))
        for g in (a, b):  # a limit of 1 in flight, shared
            g.cfg = RiskConfig(max_in_flight=1, max_exposure_per_asset=D(1000))
        for c in (ca, cb):
            c.publish("okx", c.generation("okx"), {"USDT": D(10**6)})
            c.publish("bybit", c.generation("bybit"), {"BTC": D(100)})
        assert a.check(opp("300"), T0) is None
        a.begin("x", opp("300"))
        assert b.check(opp("300"), T0) == "in_flight"
        a.end("x", ok=True, now_ms=T0)
        for g in (a, b):
            g.cfg = RiskConfig(max_in_flight=5, max_exposure_per_asset=D(1000))
        assert a.check(opp("700"), T0) is None
        a.begin("y", opp("700"))
        assert b.check(opp("400"), T0) == "exposure_asset"  # 700 in flight on worker a + 400 > 1000
        assert b.check(opp("300"), T0) is None
        ca.close()
        cb.close()


def test_shard_without_a_coordinator_and_a_bad_shard_are_one_line_errors(tmp_path: Path) -> None:
    cfg = tmp_path / "arb.toml"
    cfg.write_text('[execution]\nmode = "paper"\n[scanner]\nsymbols = ["BTC/USDT", "DOGE/USDT"]\n')
    r = run_arb("run", "--config", str(cfg), "--shard", "0/2")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("arb: config: --shard 0/2: workers trading beside others")
    r = run_arb("run", "--config", str(cfg), "--shard", "2/2")
    assert r.returncode == 2 and r.stderr.strip().splitlines()[-1].startswith("arb: config: --shard = '2/2': must be")
    bad = tmp_path / "bad.toml"
    bad.write_text('[scanner]\nsymbols = "all"\nmax_symbols = 0\n[scale]\ncoordinator = "http://x"\n')
    r = run_arb("config", "check", str(bad))
    assert r.returncode == 2
    assert 'scanner.symbols = "all": must be "auto"' in r.stderr
    assert "scanner.max_symbols = 0: must be an integer >= 1" in r.stderr
    assert 'scale.coordinator = "http://x": must be "" (coordinate inside this process) or a Redis URL' in r.stderr


def test_paper_workers_share_limits_but_not_their_own_balances(tmp_path: Path) -> None:
    with redis_server(tmp_path) as url:
        a, ca = worker(url, "a")
        assert a.shared is not None
        a.shared.published = lambda venue: False  # paper venues: nothing is published, nothing is required
        assert a.check(opp("600"), T0) is None
        a.begin("p", opp("600"))
        a.end("p", ok=True, now_ms=T0)
        ca.close()


def test_a_leg_of_unknown_outcome_stays_held_until_reconcile_decides_it(tmp_path: Path) -> None:
    with redis_server(tmp_path) as url:
        a, ca = worker(url, "a")
        publish(ca)
        a.check(opp("600"), T0)
        a.begin("u", opp("600"))
        buy = LegFill("okx", "BTC/USDT", "buy", "cid-u", D("0.012"), D(50000), state="unknown")
        a.leg_sent("u", buy)
        a.leg_final(buy)  # no answer: the order may still execute
        a.end("u", ok=False, now_ms=T0)
        assert ca.available("okx", "USDT") == atoms_down(D(1000) - D(606))  # still held for every worker
        assert ca.available("bybit", "BTC") == atoms_down(D(1))  # the sell never went: freed
        assert a.shared is not None
        a.shared.sweep(a.balances)  # reconcile has not decided yet: kept
        assert ca.available("okx", "USDT") == atoms_down(D(1000) - D(606))
        a.balances.resolve("cid-u")  # reconcile decided it (what the supervisor does)
        a.shared.sweep(a.balances)
        assert ca.available("okx", "USDT") == atoms_down(D(1000))  # the next quiet snapshot brings its effect
        ca.close()


def test_no_claim_is_granted_once_a_halt_or_a_kill_is_shared(tmp_path: Path) -> None:
    """A halt another worker shared, or `arb kill --coordinator`, refuses every claim in the same atomic step as
    the balance check: no worker trades in the gap before its own poll adopts the halt."""
    import json

    import redis

    from arb.core.kinds import Verdict
    from arb.scale.redis_coord import share_kill

    with redis_server(tmp_path) as url:
        a, ca = worker(url, "a")
        publish(ca)
        r = redis.Redis.from_url(url)
        doc = {"reason": "daily_loss", "detail": "day at -1 USDT", "ts_ms": T0, "shard": "1/2"}
        r.set(ca.key("halt"), json.dumps(doc))
        assert a.halted is None  # this worker has not adopted it yet (its monitor polls every 100 ms)
        assert a.check(opp("300"), T0) == Verdict.HALTED_DAILY_LOSS
        r.set(ca.key("halt"), json.dumps({"reason": "no such reason"}))
        assert a.check(opp("300"), T0) == Verdict.COORDINATOR  # a halt arb cannot name still refuses
        r.delete(ca.key("halt"))
        assert a.check(opp("300"), T0) is None
        a.begin("h", opp("300"))
        a.end("h", ok=True, now_ms=T0)
        share_kill(url, "stop everything")
        assert a.check(opp("300"), T0) == Verdict.HALTED_KILL
        assert ca.available("okx", "USDT") == atoms_down(D(1000))  # the refusals held nothing
        assert int(r.get(ca.key("flight")) or 0) == 0
        ca.close()


def test_hedge_and_retry_orders_claim_what_they_can_spend_like_any_other_order(tmp_path: Path) -> None:
    """A hedge or retry order spends a venue's balance as any order does: it claims it in Redis first, and what
    another worker holds it cannot take (refused: the order is not sent). A restart hedge (no live opportunity)
    claims under a token of its own, gone once the order is final."""
    with redis_server(tmp_path) as url:
        a, ca = worker(url, "a")
        b, cb = worker(url, "b")
        publish(ca)
        assert a.check(opp("300"), T0) is None
        a.begin("opp-a", opp("300"))  # holds 303 USDT on okx, 0.006 BTC on bybit
        assert b.check(opp("600"), T0) is None
        b.begin("opp-b", opp("600"))  # holds 606 USDT on okx: 91 left
        # opp-a's buy leg failed; a retry of it would need 303 USDT again: the others' holds leave 91 + its own 0
        fail = LegFill("okx", "BTC/USDT", "buy", "cid-a1", D("0.006"), D(50000), state="rejected")
        a.leg_sent("opp-a", fail)
        a.leg_final(fail)  # its 303 come back: 394 free
        assert a.claim_flatten("opp-a", "okx", "BTC/USDT", "buy", D("0.006"), D(50000)) is None  # 303 of 394
        assert ca.available("okx", "USDT") == atoms_down(D(1000) - D(606) - D(303))
        assert a.claim_flatten("opp-a", "okx", "BTC/USDT", "buy", D("0.006"), D(50000)) == "min_balance"  # 91 left
        retry = LegFill("okx", "BTC/USDT", "buy", "cid-a2", D("0.006"), D(50000), state="closed", filled=D("0.006"),
                        cost=D(300), fees=(("USDT", D("0.3")),))  # fmt: skip
        a.leg_sent("opp-a", retry)
        a.leg_final(retry)  # its claim gives way to its flows
        assert ca.available("okx", "USDT") == atoms_down(D(1000) - D(606) - D("300.3"))
        a.end("opp-a", ok=True, now_ms=T0)
        # a restart hedge: no opportunity of this run; its claim lives only until its order is final
        assert a.claim_flatten("old-opp", "bybit", "BTC/USDT", "sell", D("0.5"), D(50000)) is None
        assert ca.available("bybit", "BTC") == atoms_down(D(1) - D("0.012") - D("0.5"))  # b's sell hold too
        hedge = LegFill("bybit", "BTC/USDT", "sell", "cid-h", D("0.5"), D(50000), state="closed", filled=D("0.5"),
                        cost=D(25000), fees=(("USDT", D(25)),))  # fmt: skip
        a.leg_sent("old-opp", hedge, fresh=True)
        a.leg_final(hedge)
        assert ca.available("bybit", "BTC") == atoms_down(D(1) - D("0.012") - D("0.5"))  # sold: the flow stays
        left = [t for t in ca.r.smembers("arb:tokens") if ca.r.hget(b"arb:tok:" + t, "_worker") == b"a"]
        assert left == []  # every claim of worker a is gone
        b.end("opp-b", ok=False, now_ms=T0)
        ca.close()
        cb.close()


async def test_a_hedge_waits_out_other_workers_holds_and_is_not_held_back_by_an_unreachable_coordinator(
    tmp_path: Path,
) -> None:
    """What other workers hold is an opportunity in flight: a hedge asks again until it is freed (within its
    wait), gives up the venue after it; a coordinator that cannot be reached does not stop a risk-reducing order."""
    import asyncio

    from arb.trade.settle import patient_claim

    with redis_server(tmp_path) as url:
        a, ca = worker(url, "a")
        b, cb = worker(url, "b")
        publish(ca)
        assert b.check(opp("900"), T0) is None
        b.begin("opp-b", opp("900"))  # b holds 909 of okx's 1000 USDT
        hedge = partial(a.claim_flatten, "old-opp", "okx", "BTC/USDT", "buy", D("0.006"), D(50000))  # 303 USDT
        assert await patient_claim(hedge, wait_s=0.2) == "min_balance"  # b's trade is still in flight
        freed = asyncio.get_running_loop().call_later(0.1, lambda: b.end("opp-b", ok=True, now_ms=T0))
        assert await patient_claim(hedge, wait_s=5) is None  # claimed once b's trade ended
        freed.cancel()
        assert ca.available("okx", "USDT") == atoms_down(D(1000) - D(303))
        ca.close()
        cb.close()
    # Redis gone: the claim cannot be made, and the hedge goes out anyway (the venue decides)
    assert await patient_claim(hedge, wait_s=5) is None
