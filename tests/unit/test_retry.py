"""The one retry policy: capped jittered back-off, idempotent calls retried only on network errors."""

from __future__ import annotations

import asyncio
import random

import ccxt.pro as ccxtpro
import pytest
from hypothesis import given
from hypothesis import strategies as st

from arb.retry import Backoff
from arb.trade.orders import idempotent


@given(st.floats(0.001, 5), st.floats(0.001, 60), st.integers(0, 200), st.integers(0, 2**32))
def test_backoff_delay_is_within_half_and_all_of_the_capped_step(base: float, cap: float, n: int, seed: int) -> None:
    step = min(cap, base * 2 ** min(n, 30))
    d = Backoff(base, cap).delay(n, random.Random(seed))
    assert step / 2 <= d <= step


def test_idempotent_retries_network_errors_then_gives_the_last_one() -> None:
    calls: list[int] = []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ccxtpro.NetworkError("down")
        return "ok"

    assert asyncio.run(idempotent(flaky, timeout_s=1, attempts=3, base_s=0.001)) == "ok" and len(calls) == 3

    async def down() -> str:
        calls.append(1)
        raise ccxtpro.RequestTimeout("still down")

    calls.clear()
    with pytest.raises(ccxtpro.RequestTimeout):
        asyncio.run(idempotent(down, timeout_s=1, attempts=2, base_s=0.001))
    assert len(calls) == 2


def test_idempotent_never_retries_a_refusal() -> None:
    calls: list[int] = []

    async def refused() -> str:
        calls.append(1)
        raise ccxtpro.InsufficientFunds("no")

    with pytest.raises(ccxtpro.InsufficientFunds):
        asyncio.run(idempotent(refused, timeout_s=1, attempts=5, base_s=0.001))
    assert calls == [1]
