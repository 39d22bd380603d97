"""Auth failures, rate limits and injected faults map to the exceptions ccxt raises for OKX's real codes.

What every venue does alike (wrong secret, stale timestamp, 429 bursts, 5xx and hangs, order faults,
crossed books, keepalive) is tested once per venue in ``test_sim_venues.py``.
"""

from __future__ import annotations

from typing import Any

import ccxt.pro as ccxtpro
import pytest

from exchanges.sim.harness import LoopbackExchanges
from tests.integration.sim_common import SYM, assert_same_book, ip_only_key, sim_fixture, synced_book, watch_fails

V = "okx"
sim = sim_fixture(V, symbols=[SYM], seed=3, update_interval_ms=None, extra_keys={V: [ip_only_key(V)]})


async def test_wrong_passphrase_and_unknown_key(sim: LoopbackExchanges, client_factory: Any) -> None:
    with pytest.raises(ccxtpro.AuthenticationError, match="50105"):
        await client_factory(sim, V, password="wrong").fetch_balance()
    with pytest.raises(ccxtpro.AuthenticationError, match="50111"):
        await client_factory(sim, V, apiKey="nobody").fetch_balance()


async def test_read_only_key_cannot_trade(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V, key="readonly")
    assert (await ex.fetch_balance())["USDT"]["total"] > 0
    with pytest.raises(ccxtpro.ExchangeError, match="50120") as info:
        await ex.create_order(SYM, "limit", "buy", 0.001, 1000.0, {"clientOrderId": "ro1"})
    assert type(info.value) is ccxtpro.ExchangeError  # ccxt 4.5 has no mapping for OKX's 50120
    entry = sim.order_log[-1]
    assert (entry["client_id"], entry["status"], entry["reject_reason"]) == ("ro1", "rejected", "50120")
    config = await ex.private_get_account_config()
    assert config["data"][0]["perm"] == "read_only"


async def test_ip_whitelist_is_permission_denied(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V, key="iponly")
    with pytest.raises(ccxtpro.PermissionDenied, match="50110"):
        await ex.fetch_balance()


async def test_real_rate_limit(sim: LoopbackExchanges, client_factory: Any) -> None:
    """OKX's per-key limits (the rate_limit_burst fault: test_sim_venues.py)."""
    fast = client_factory(sim, V, enableRateLimit=False)
    await fast.load_markets()
    with pytest.raises(ccxtpro.RateLimitExceeded):
        for _ in range(6):  # OKX: account/config 5 requests per 2 s per key
            await fast.private_get_account_config()


async def test_sequence_gap_then_resync(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V, key=None)
    await ex.watch_order_book(SYM)
    faults = sim.venue(V).faults
    faults.gap_rate = 1.0
    sim.step()  # this update is dropped on the way to the client ...
    faults.gap_rate = 0.0
    sim.step()  # ... so this one arrives with a prevSeqId the client has not seen
    await watch_fails(ex, ccxtpro.InvalidNonce)
    ob = await ex.watch_order_book(SYM)  # unsubscribes, resubscribes, gets a fresh snapshot
    assert ob["nonce"] == sim.book(V, SYM).seq
    for _ in range(20):
        sim.step()
    assert_same_book(await synced_book(ex, sim, V), sim, V)


async def test_wait_for_seq_hook(sim_factory: Any) -> None:
    sim = await sim_factory(venues=[V], symbols=[SYM], seed=5, update_interval_ms=20)
    start = sim.book(V, SYM).seq
    seq = await sim.venue(V).wait_for_seq(SYM, start + 10)
    assert seq >= start + 10
