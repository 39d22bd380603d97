"""Live orders over the venues' WebSocket trading APIs (``execution.order_transport = "ws"``, the default):
stock ccxt.pro send clients, ``create_order_ws`` on OKX, Binance and Bybit simulators, REST as the fallback.

The rules stay those of REST: journal before send, the venue's client-id parameter, the venue's expiry, and a
WebSocket order whose answer never comes is looked up by client id, never sent again (over either transport).
Every test checks the simulators' order logs: one placement per client id.
"""

from __future__ import annotations

from typing import Any

import pytest

from arb.config import Config
from arb.core.errors import ConfigError
from arb.trade.wsorders import WsOrderClient
from tests.kit.live import Run, Setup, client, no_duplicate_client_ids, plant, sim_order
from tests.kit.poll import eventually

PLACEMENT_PATHS = ("/api/v5/trade/order", "/api/v5/trade/batch-orders", "/api/v3/order", "/v5/order/create")


def rest_placements(sim: Any, venue: str) -> list[str]:
    """REST order placements the venue received (its request log)."""
    return [r["path"] for r in sim.venue(venue).request_log if r["method"] == "POST" and r["path"] in PLACEMENT_PATHS]


@pytest.mark.parametrize("venues", [("okx", "binance"), ("binance", "bybit")], ids="-".join)
async def test_ws_orders_fill_on_every_venue(setup: Setup, venues: tuple[str, str]) -> None:
    sim, trader = await setup.ws_trader(venues)
    run = Run(trader)
    await run.next("ready")
    wrapped = trader.send_clients
    assert all(isinstance(wrapped[v], WsOrderClient) and wrapped[v].ws_ready() for v in venues)  # up before trading
    out = await run.cross_once(sim, venues[1])
    await run.stop()
    assert out.ok, out.summary()
    for leg in out.legs[:2]:
        entry, order = sim_order(sim, leg.client_id)
        assert entry["status"] == "filled" and order.filled == leg.filled
    assert [(wrapped[v].ws_orders, wrapped[v].rest_orders) for v in venues] == [(1, 0), (1, 0)]
    assert not rest_placements(sim, venues[0]) and not rest_placements(sim, venues[1])
    states = {o["client_id"]: o["state"] for o in trader.journal.orders()}
    assert [states[leg.client_id] for leg in out.legs[:2]] == ["closed", "closed"]
    no_duplicate_client_ids(sim)


@pytest.mark.parametrize("venues", [("binance", "okx"), ("okx", "binance"), ("okx", "bybit")], ids="-".join)
async def test_unanswered_ws_order_is_looked_up_never_resent(setup: Setup, venues: tuple[str, str]) -> None:
    sim, trader = await setup.ws_trader(venues)
    run = Run(trader)
    await run.next("ready")
    sim.venue(venues[1]).faults.order_drop_next = 1  # the sell is placed and filled, its answer never comes
    out = await run.cross_once(sim, venues[1])
    await run.stop()
    sell = out.legs[1]
    assert out.ok, out.summary()  # the look-up by client id found the filled order
    entry, order = sim_order(sim, sell.client_id)  # exactly one placement at the venue
    assert entry["status"] == "filled" and order.filled == sell.filled
    assert not rest_placements(sim, venues[1])  # not re-sent over REST either
    assert trader.send_clients[venues[1]].ws_orders == 1
    [row] = [o for o in trader.journal.orders() if o["client_id"] == sell.client_id]
    assert row["state"] == "closed"
    no_duplicate_client_ids(sim)


@pytest.mark.parametrize("venues", [("okx", "binance"), ("binance", "bybit")], ids="-".join)
async def test_connection_lost_with_the_order_in_flight_is_looked_up_never_resent(
    setup: Setup, venues: tuple[str, str]
) -> None:
    """The sell reaches the venue, which closes every socket while the order is on its way to the engine: the
    client sees the connection fail, the order still lands and fills; arb finds it by client id, sends nothing."""
    sim, trader = await setup.ws_trader(venues)
    run = Run(trader)
    await run.next("ready")
    server = sim.venue(venues[1])
    server.faults.order_delay_ms, server.faults.order_delay_next = 300, 1
    plant(sim, venues[1], 60.0)
    sim.step()
    await eventually(lambda: server.placements_in_flight > 0, what="the sell on its way to the engine")
    await server.disconnect_all()
    out = await run.next("outcome")
    await run.stop()
    sell = out.legs[1]
    assert out.ok, out.summary()
    entry, order = sim_order(sim, sell.client_id)
    assert entry["status"] == "filled" and order.filled == sell.filled
    assert not rest_placements(sim, venues[1]) and trader.send_clients[venues[1]].ws_orders == 1
    no_duplicate_client_ids(sim)


async def test_dropped_trading_socket_sends_the_next_order_over_rest_then_reconnects(setup: Setup) -> None:
    venues = ("okx", "bybit")
    sim, trader = await setup.ws_trader(venues)
    run = Run(trader)
    await run.next("ready")
    bybit = trader.send_clients["bybit"]
    await sim.venue("bybit").disconnect_all()  # every socket, the trading one included
    await eventually(lambda: not bybit.ws_ready(), what="the trading socket seen closed")
    plant(sim, "bybit", 60.0)
    sim.step()
    first = await run.next("outcome")
    assert first.ok, first.summary()
    assert (bybit.ws_orders, bybit.rest_orders) == (0, 1)  # nothing was handed to the closed socket
    await eventually(bybit.ws_ready, what="the trading socket back, logged in")
    for _ in range(3):  # both books move: the pair may trade again
        sim.step()
    second = await run.next("outcome")
    await run.stop()
    assert second.ok, second.summary()
    assert (bybit.ws_orders, bybit.rest_orders) == (1, 1)
    for leg in (*first.legs[:2], *second.legs[:2]):
        assert sim_order(sim, leg.client_id)[0]["status"] == "filled"
    no_duplicate_client_ids(sim)


async def test_rest_fallback_when_the_trading_socket_is_unreachable(setup: Setup) -> None:
    venues = ("okx", "binance")
    dead = {"binance": {"api.ws.ws-api.spot": "ws://127.0.0.1:9/ws-api/v3"}}  # nothing listens there
    sim, trader = await setup.ws_trader(venues, send_urls=dead)
    run = Run(trader)
    await run.next("ready")
    assert trader.send_clients["okx"].ws_ready() and not trader.send_clients["binance"].ws_ready()
    plant(sim, "binance", 60.0)
    sim.step()
    out = await run.next("outcome")
    await run.stop()
    assert out.ok, out.summary()
    assert (trader.send_clients["binance"].ws_orders, trader.send_clients["binance"].rest_orders) == (0, 1)
    assert rest_placements(sim, "binance") == ["/api/v3/order"] and not rest_placements(sim, "okx")
    for leg in out.legs[:2]:
        assert sim_order(sim, leg.client_id)[0]["status"] == "filled"
    no_duplicate_client_ids(sim)


async def test_rest_transport_sends_every_order_over_rest(setup: Setup) -> None:
    venues = ("okx", "bybit")
    sim, trader = await setup.ws_trader(venues, execution={"order_transport": "rest"})
    assert not any(isinstance(c, WsOrderClient) for c in trader.send_clients.values())
    run = Run(trader)
    await run.next("ready")
    plant(sim, "bybit", 60.0)
    sim.step()
    out = await run.next("outcome")
    await run.stop()
    assert out.ok, out.summary()
    assert len(rest_placements(sim, "okx")) == len(rest_placements(sim, "bybit")) == 1
    no_duplicate_client_ids(sim)


def test_order_transport_config_error_is_one_line() -> None:
    with pytest.raises(ConfigError) as e:
        Config.from_dict({"execution": {"order_transport": "tcp"}})
    text = str(e.value)
    assert "execution.order_transport" in text and '"tcp"' in text and '"ws", "rest"' in text
    assert "\n" not in text


EXPIRED = {"okx": "50102", "binance": "-1021", "bybit": "10002"}


@pytest.mark.parametrize("venue", ["okx", "binance", "bybit"])
async def test_ws_orders_carry_the_venue_expiry(setup: Setup, venue: str) -> None:
    """An order signed inside ``expiring`` with a window that has already passed is refused by the venue with its
    expiry code: OKX ``expTime`` on the op, Binance ``recvWindow`` in the signed params, Bybit's header."""
    import ccxt.pro as ccxtpro

    from exchanges.profiles import profile
    from exchanges.profiles.calls import arm, expiring

    sim = await setup.sim((venue,))
    ws = WsOrderClient(client(sim, venue, enableRateLimit=False))
    setup.closers.append(ws.close)
    arm(ws)
    await ws.load_markets()
    await ws.warm()
    assert ws.ws_ready()
    ask = sim.book(venue, "BTC/USDT").asks[0][0]
    cid = profile(venue).client_order_id("expiry-test", "buy")
    with pytest.raises(ccxtpro.BaseError, match=EXPIRED[venue]), expiring(sim.venue(venue).now_ms() - 3000, 1000):
        await ws.create_order("BTC/USDT", "limit", "buy", 0.001, float(ask), profile(venue).order_params(cid))
    entry, _ = sim_order(sim, cid)
    assert entry["status"] == "rejected" and entry["reject_reason"] == EXPIRED[venue]
    assert (ws.ws_orders, ws.rest_orders) == (1, 0)
