"""Property tests of the shared claims (money code): atoms never overstate a hold nor a balance, and any
sequence of claims, settlements and releases by two workers keeps ``avail`` = published free − live holds,
never below zero (a real redis-server, one for the whole test)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arb.core.ledger import LegFill
from arb.scale.coordinator import ATOM, Request, atoms_down, atoms_up, from_atoms
from arb.scale.redis_coord import RedisCoordinator
from tests.scale.redis_server import redis_server

pytestmark = pytest.mark.timeout(120)
amounts = st.decimals(min_value=Decimal(0), max_value=Decimal(10**9), places=12, allow_nan=False)


@given(amounts)
def test_atoms_round_holds_up_and_balances_down(x: Decimal) -> None:
    up, down = from_atoms(atoms_up(x)), from_atoms(atoms_down(x))
    assert down <= x <= up
    assert up - x < ATOM and x - down < ATOM


def claim(venue: str, amount: Decimal) -> Request:
    big = Decimal(10**9)
    return Request(((venue, "USDT", amount, True),), "BTC", (venue, "other"), Decimal(1), 10**6, big, big)


step = st.tuples(
    st.sampled_from(["a", "b"]),
    st.sampled_from(["claim", "fill", "release"]),
    st.decimals(min_value=Decimal(1), max_value=Decimal(700), places=2),
)


def test_any_sequence_keeps_avail_equal_to_free_minus_live_holds(tmp_path: Path) -> None:
    with redis_server(tmp_path) as url:
        workers = {n: RedisCoordinator(url, lease_ms=60_000, worker=n) for n in ("a", "b")}
        for c in workers.values():
            c.start()
        r = redis.Redis.from_url(url)

        @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(st.lists(step, min_size=1, max_size=25))
        def run(steps: list[tuple[str, str, Decimal]]) -> None:
            for k in r.scan_iter("arb:*"):
                if not k.startswith(b"arb:lease:"):
                    r.delete(k)
            free = Decimal(1000)
            assert workers["a"].publish("okx", workers["a"].generation("okx"), {"USDT": free})
            live: dict[str, tuple[str, Decimal]] = {}  # token → (worker, hold)
            n = 0
            for who, op, amount in steps:
                c = workers[who]
                mine = [t for t, (w, _) in live.items() if w == who]
                if op == "claim":
                    n += 1
                    token = f"{who}{n}"
                    held = sum((h for _, h in live.values()), Decimal(0))
                    got = c.reserve(token, claim("okx", amount))
                    assert (got is None) == (held + amount <= free), (got, held, amount, free)
                    if got is None:
                        live[token] = (who, amount)
                elif op == "fill" and mine:  # the leg spent part of its hold: flows replace the hold
                    token = mine[0]
                    spent = min(amount, live[token][1])
                    leg = LegFill("okx", "BTC/USDT", "buy", token, spent, Decimal(1), state="closed",
                                  filled=spent, cost=spent)  # fmt: skip
                    c.settle(token, leg)
                    c.release(token)
                    free -= spent
                    del live[token]
                elif op == "release" and mine:
                    c.release(mine[0])
                    del live[mine[0]]
                avail = workers["a"].available("okx", "USDT")
                assert avail is not None and avail >= 0
                assert avail == atoms_down(free) - sum(atoms_up(h) for _, h in live.values())

        run()
        for c in workers.values():
            c.close()
