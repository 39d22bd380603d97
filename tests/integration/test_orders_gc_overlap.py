"""No cyclic garbage collection overlaps a decision's commit and its order frames (issue 16: decision → orders).

From the decision's intents to both WebSocket order frames on the wire, :meth:`Executor.begin` runs synchronously on
the feed's task. Python's cyclic collector runs whenever enough objects have been allocated, and building two signed
orders allocates plenty: on the bench about one decision in twelve waited 0.1-0.5 ms for a young-generation
collection (an older generation's takes a millisecond and more). ``begin`` holds the collector off; whatever it
would have collected is collected right after, once both frames are written.

To make a collection certain in that window, the test sets the collector's first threshold to 1 from the decision
on (every allocation would collect) and puts it back when the second order frame is written. Collections are seen
through ``gc.callbacks``; the window opens when the journal's own ``record_order_intents`` is called (wrapped to note
it, it still runs) and closes when ccxt's ``Client.send`` has written the second order frame (a spy that calls the
real one). The trade itself is unchanged: both intents durable before either order, one placement per client id.
"""

from __future__ import annotations

import gc
from typing import Any

import pytest
from ccxt.async_support.base.ws.client import Client

from arb.trade.wsorders import ORDER_OPS as OPS
from tests.kit.live import Run, Setup, no_duplicate_client_ids

ORDER_OPS = {op for ops in OPS.values() for op in ops}


@pytest.mark.parametrize("venues", [("okx", "binance")])
async def test_no_collection_runs_between_the_intents_and_both_order_frames(
    setup: Setup, venues: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sim, trader = await setup.ws_trader(venues)
    thresholds = gc.get_threshold()
    window = {"open": False, "collections": 0, "frames": 0}

    def noted(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and window["open"]:
            window["collections"] += 1

    def eager_collector() -> None:  # every allocation would collect (young generation only)
        gc.set_threshold(1, 10**6, 10**6)

    def on(kind: str, payload: Any) -> None:
        if kind == "decision" and payload.get("verdict") == "accept" and window["frames"] == 0:
            eager_collector()

    real_record = trader.journal.record_order_intents

    def record(rows: list[dict[str, Any]]) -> Any:
        window["open"] = True
        return real_record(rows)

    monkeypatch.setattr(trader.journal, "record_order_intents", record)
    real_send = Client.send

    async def spy(self: Any, message: Any) -> Any:
        order = isinstance(message, dict) and message.get("op", message.get("method")) in ORDER_OPS
        out = await real_send(self, message)
        if order and window["open"]:
            window["frames"] += 1
            if window["frames"] == 2:
                window["open"] = False
                gc.set_threshold(*thresholds)
        return out

    monkeypatch.setattr(Client, "send", spy)
    gc.callbacks.append(noted)
    try:
        trader.listeners.append(on)
        run = Run(trader)
        await run.next("ready")
        out = await run.cross_once(sim, venues[1])
        await run.stop()
    finally:
        gc.callbacks.remove(noted)
        gc.set_threshold(*thresholds)
    assert out.ok, out.summary()
    assert [trader.send_clients[v].ws_orders for v in venues] == [1, 1]
    assert window["frames"] == 2, window  # both frames written in the window (at the decision)
    assert window["collections"] == 0, window  # no collection between the intents and both frames
    no_duplicate_client_ids(sim)
