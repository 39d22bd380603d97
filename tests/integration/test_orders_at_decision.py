"""Both WebSocket orders of a decision are written in the decision's own task (issue 16: decision → orders).

A task created at the decision runs only after everything already queued on the event loop (other feeds' updates
and their evaluations); on the bench that was about a millisecond before the first order was even built. When the
intents are durable at once (the journal's lock was free) and the venues' trading sockets are ready, the executor
hands both orders to ccxt right at the decision (:func:`arb.trade.eager.start_now`): ccxt's ``Client.send`` — the
frame written to the socket — is called from the very task in which the trader made the decision. Seen through a
spy on ccxt's ``Client.send`` that calls the real one. The rules hold as before: both intents are in the journal
file when each order reaches its simulator's matching engine, over the WebSocket, one placement per client id.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from ccxt.async_support.base.ws.client import Client

from arb.store import Journal
from tests.kit.live import Run, Setup, no_duplicate_client_ids


@pytest.mark.parametrize("venues", [("okx", "binance"), ("bybit", "okx")])
async def test_both_orders_are_written_in_the_task_that_made_the_decision(
    setup: Setup, venues: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sim, trader = await setup.ws_trader(venues)
    db = Path(str(trader.journal.path))
    decided: dict[str, Any] = {}  # opportunity id -> the task in which the trader accepted it
    frames: list[tuple[str, Any]] = []  # (frame text, the task that handed it to ccxt's Client.send)
    durable: dict[str, set[str]] = {}  # client id -> sides of its decision's intents in the file at the engine

    def on(kind: str, payload: Any) -> None:
        if kind == "decision" and payload.get("verdict") == "accept":
            decided[payload["opportunity_id"]] = asyncio.current_task()

    real_send = Client.send

    async def spy(self: Any, message: Any) -> Any:
        frames.append((json.dumps(message) if isinstance(message, dict) else str(message), asyncio.current_task()))
        return await real_send(self, message)

    monkeypatch.setattr(Client, "send", spy)

    def at_engine(order: Any, fill: Any) -> None:
        cid = order.client_id
        if cid and cid not in durable:
            with Journal.open(db, readonly=True) as other:  # another connection: only what is committed
                mine = other.get_order(cid)
                rows = other.orders(opportunity_id=mine["opportunity_id"]) if mine else []
            durable[cid] = {r["side"] for r in rows}

    for v in venues:
        sim.venue(v).engine.listeners.append(at_engine)
    trader.listeners.append(on)
    run = Run(trader)
    await run.next("ready")
    out = await run.cross_once(sim, venues[1])
    await run.stop()
    assert out.ok, out.summary()
    assert [trader.send_clients[v].ws_orders for v in venues] == [1, 1]  # over the WebSocket trading APIs
    with Journal.open(db, readonly=True) as j:
        opp_id = j.get_order(out.legs[0].client_id)["opportunity_id"]
    for leg in out.legs[:2]:
        writers = [task for text, task in frames if leg.client_id in text]
        assert writers, f"no frame carried {leg.client_id}"
        assert writers[0] is decided[opp_id], (leg.client_id, writers[0], decided[opp_id])  # no hop before the wire
        assert durable[leg.client_id] == {"buy", "sell"}  # journal before send: both intents durable at the engine
    no_duplicate_client_ids(sim)
