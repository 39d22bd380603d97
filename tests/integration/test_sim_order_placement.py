"""Placement faults on every venue: dropped responses, errors after acceptance, delays by rate.

A placement is processed (accepted and matched) whatever its response: a dropped response leaves a
filled order the client finds by its client id; an error after acceptance (the venue's own 5xx /
system-busy error) does too. The simulator's audit accessors show every attempt with its arrival and
landing time, every fill, and the balances that moved.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ccxt.pro as ccxtpro
import pytest

from exchanges.sim.faults import known_faults, parse_fault_spec
from exchanges.sim.harness import LoopbackExchanges
from tests.integration.sim_common import SYM
from tests.kit.orders import client, find_by_client_id, marketable_buy

VENUES = ["okx", "binance", "bybit"]
# what ccxt raises for the venue's error-after-accept answer, and the venue code in it
AFTER_ACCEPT = {
    "okx": (ccxtpro.ExchangeNotAvailable, "50013"),
    "binance": (ccxtpro.RequestTimeout, "-1007"),
    "bybit": (ccxtpro.ExchangeError, "10016"),
}


@pytest.fixture
async def sim(sim_factory: Any, venue: str) -> LoopbackExchanges:
    return await sim_factory(venues=[venue], symbols=[SYM], seed=9)  # type: ignore[no-any-return]


def test_placement_faults_parse_from_the_spec() -> None:
    cfg = parse_fault_spec("okx:order_delay=2s,order_delay_rate=0.5,order_drop_next=1,order_error_next=2")["okx"]
    assert (cfg.order_delay_ms, cfg.order_delay_rate, cfg.order_drop_next, cfg.order_error_next) == (2000, 0.5, 1, 2)
    cfg = parse_fault_spec("bybit:order_drop_rate=0.1,order_error_after_accept_rate=0.2,order_delay_next=3")["bybit"]
    assert (cfg.order_drop_rate, cfg.order_error_after_accept_rate, cfg.order_delay_next) == (0.1, 0.2, 3)
    assert {"order_delay_ms", "order_delay_rate", "order_drop_rate", "order_error_after_accept_rate"} <= set(
        known_faults()
    )
    plan = parse_fault_spec("okx:order_delay=300ms,order_drop_next=1")["okx"]
    assert [plan.placement_plan() for _ in range(2)] == [(0, True, False), (0, False, False)]


@pytest.mark.parametrize("venue", VENUES)
async def test_dropped_response_leaves_a_filled_order_found_by_client_id(sim: LoopbackExchanges, venue: str) -> None:
    ex = client(sim, venue, timeout_ms=500)
    try:
        await ex.load_markets()
        faults = sim.venue(venue).faults
        faults.order_drop_next, faults.rest_timeout_ms = 1, 1500
        with pytest.raises(ccxtpro.RequestTimeout):
            await marketable_buy(ex, sim, venue, SYM, "drop1")
        order = await find_by_client_id(ex, venue, SYM, "drop1")
        assert order["clientOrderId"] == "drop1" and order["filled"] > 0
        [entry] = [e for e in sim.attempts(venue) if e["client_id"] == "drop1"]
        assert entry["status"] == "filled" and entry["order_id"] == order["id"]
    finally:
        await ex.close()


@pytest.mark.parametrize("venue", VENUES)
async def test_error_after_acceptance_still_fills(sim: LoopbackExchanges, venue: str) -> None:
    ex = client(sim, venue)
    try:
        await ex.load_markets()
        sim.venue(venue).faults.order_error_next = 1
        error, code = AFTER_ACCEPT[venue]
        with pytest.raises(error, match=code):
            await marketable_buy(ex, sim, venue, SYM, "busy1")
        order = await find_by_client_id(ex, venue, SYM, "busy1")
        assert order["filled"] > 0
        assert sim.venue(venue).faults.order_error_next == 0
        await marketable_buy(ex, sim, venue, SYM, "busy2")  # the burst is over: answered normally
    finally:
        await ex.close()


@pytest.mark.parametrize("venue", VENUES)
async def test_delay_rate_holds_every_placement_and_the_audit_sees_it(sim: LoopbackExchanges, venue: str) -> None:
    ex = client(sim, venue)
    try:
        await ex.load_markets()
        faults = sim.venue(venue).faults
        faults.order_delay_ms, faults.order_delay_rate = 300, 1.0
        for cid in ("rate1", "rate2"):
            await marketable_buy(ex, sim, venue, SYM, cid)
        entries = [e for e in sim.attempts(venue) if e["client_id"] in ("rate1", "rate2")]
        assert [e["status"] for e in entries] == ["filled", "filled"]
        assert all(e["landed_ms"] - e["arrival_ms"] >= 300 for e in entries)
        fills = sim.fills(venue)
        assert {f["client_id"] for f in fills} == {"rate1", "rate2"}
        assert all(f["fee_currency"] == "BTC" and f["trade_id"] for f in fills)
        moved = {c: sim.account_balances(venue)[c] - sim.initial_balances[venue][c] for c in ("BTC", "USDT")}
        assert moved["BTC"] == sum((f["amount"] - f["fee"] for f in fills), Decimal(0))
        assert moved["USDT"] == -sum((f["amount"] * f["price"] for f in fills), Decimal(0))
    finally:
        await ex.close()
