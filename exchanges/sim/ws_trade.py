"""What the venues' WebSocket trading APIs share: one task per request, so a socket keeps reading while a
placement is on its way to the matching engine (placement delays, :mod:`exchanges.sim.placement`), and the
answer, when the venue gives one, queued on the socket it came from.

Every dialect's WS order request goes through the same road as its REST placement (``placement.submit``
with ``hang=False``: a dropped answer is simply never sent), the same matching engine, client-id rules,
filters, per-key rate limits and order log; only the envelopes differ (``okx/ws_trade.py``,
``binance/ws_trade.py``, ``bybit/ws_trade.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from exchanges.sim.placement import Unanswered

if TYPE_CHECKING:
    from exchanges.sim.base import VenueServer, WsSession

log = logging.getLogger(__name__)


def run_request(server: VenueServer, session: WsSession, work: Callable[[], Awaitable[str | None]]) -> None:
    """Run ``work`` (one trading request) as its own task; queue the text it returns on ``session``."""

    async def run() -> None:
        try:
            text = await work()
        except Unanswered:  # order_drop: processed, never answered
            return
        except Exception:
            log.exception("sim.ws_trade.handler_error venue=%s", server.venue)
            return
        if text is not None and not session.ws.closed:
            session.send(text)

    server.spawn(run())


def take_rate_limit_burst(server: VenueServer) -> bool:
    """``rate_limit_burst`` counts WS order requests too (the venue's 429 answer, before processing)."""
    return server.faults.take_rate_limit_burst()
