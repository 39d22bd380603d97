"""WebSocket upkeep as each venue does it: idle disconnects, server pings, connection rotation.

Per venue (class attributes of the server, overridable per instance, e.g. shorter in tests):

- OKX closes a connection that sent nothing for 30 s (``ws_idle_timeout_ms``); clients send the text
  ``ping`` (ccxt every 18 s) and get ``pong``.
- Binance sends a WS ping frame every 20 s (``ws_ping_interval_ms``, aiohttp's heartbeat: a connection
  that does not answer with a pong within half the interval is closed; Binance allows a minute) and
  closes every connection after 24 h (``ws_max_lifetime_ms``); clients reconnect and resubscribe.
- Bybit expects a client ``{"op": "ping"}`` every 20 s (ccxt: 18 s); the simulator closes a connection
  silent for 10 minutes (Bybit's default ``max_active_time`` of private streams, used for all paths).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from exchanges.sim.base import VenueServer


def tick(server: VenueServer, now: float) -> int:
    """Close the sessions that are idle too long or too old at monotonic time ``now``; returns how many."""
    idle, lifetime = server.ws_idle_timeout_ms, server.ws_max_lifetime_ms
    if not idle and not lifetime:
        return 0
    closing = [
        s
        for s in list(server.sessions)
        if (idle and (now - s.last_recv) * 1000 > idle) or (lifetime and (now - s.opened) * 1000 > lifetime)
    ]
    for s in closing:
        server.sessions.discard(s)  # stop pushing to it now; its handler cleans up when the close lands
        server.spawn(s.close(1000))
    return len(closing)
