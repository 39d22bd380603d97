"""The live stream: one :class:`Hub` per server fans messages out to every ``/api/stream`` connection as
Server-Sent Events, in the order they were published.

Sources: the scanner's listeners (episode starts and ends, the moment the engine makes them), the trader's
(decisions, trades, halts, resumes), operator actions, the journal's events table (tailed by id, so
everything the run journals reaches the stream), and a status document every ``api.stream_status_s``.
Each connection has its own bounded queue; a client too slow to keep up is disconnected (it reconnects and
reads history from the endpoints) rather than silently missing messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

QUEUE_SIZE = 10_000
KEEPALIVE_S = 15.0
_CLOSED = ("closed", None)


def _json(payload: Any) -> str:
    return json.dumps(payload, separators=(",", ":"), default=str)


class Hub:
    def __init__(self) -> None:
        self.subscribers: set[asyncio.Queue[tuple[str, Any]]] = set()
        self.published = 0
        self.disconnected_slow = 0

    def subscribe(self) -> asyncio.Queue[tuple[str, Any]]:
        q: asyncio.Queue[tuple[str, Any]] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self.subscribers.add(q)
        return q

    def unsubscribe(self, q: asyncio.Queue[tuple[str, Any]]) -> None:
        self.subscribers.discard(q)

    def publish(self, name: str, payload: Any) -> None:
        """Never blocks: a subscriber whose queue is full gets a close marker instead of a gap."""
        self.published += 1
        for q in list(self.subscribers):
            if q.qsize() >= QUEUE_SIZE - 1:
                self.subscribers.discard(q)
                self.disconnected_slow += 1
                with contextlib.suppress(asyncio.QueueFull):
                    q.put_nowait(_CLOSED)
                continue
            q.put_nowait((name, payload))

    def close(self) -> None:
        for q in list(self.subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                q.put_nowait(_CLOSED)
        self.subscribers.clear()


def sse(seq: int, name: str, payload: Any) -> bytes:
    return f"id: {seq}\nevent: {name}\ndata: {_json(payload)}\n\n".encode()


async def stream_handler(
    request: web.Request, hub: Hub, hello: dict[str, Any], status: Callable[[], Any], period_s: float
) -> web.StreamResponse:
    """``GET /api/stream``: ``hello``, then every published message and a ``status`` every ``period_s``."""
    resp = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
    q = hub.subscribe()  # before the first write: nothing published after this point is missed
    try:
        await resp.prepare(request)
        seq = 1
        await resp.write(sse(seq, "hello", hello))
        loop = asyncio.get_running_loop()
        next_status = loop.time()
        last_write = loop.time()
        while True:
            now = loop.time()
            if now >= next_status:
                seq += 1
                await resp.write(sse(seq, "status", await status()))
                next_status, last_write = now + period_s, now
            if now - last_write >= KEEPALIVE_S:
                await resp.write(b": keep-alive\n\n")
                last_write = now
            try:
                async with asyncio.timeout(max(0.0, min(next_status, last_write + KEEPALIVE_S) - loop.time())):
                    name, payload = await q.get()
            except TimeoutError:
                continue
            if (name, payload) == _CLOSED:
                break
            seq += 1
            await resp.write(sse(seq, name, payload))
            last_write = loop.time()
    except ConnectionResetError:  # the client went away
        pass
    finally:
        hub.unsubscribe(q)
    return resp


async def tail_events(hub: Hub, reader: Any, start_id: int, poll_s: float = 0.2) -> None:
    """Publish every journal event row after ``start_id`` as ``event`` (decisions come from the trader)."""
    last = start_id
    while True:
        try:
            rows = await reader.run(lambda r, after=last: r.events_after(after))
        except Exception as e:  # the journal is busy or gone for a moment: try again
            log.debug("api.tail_failed error=%s", e)
            rows = []
        for row in rows:
            last = row["id"]
            if row["kind"] != "decision":
                hub.publish("event", {k: row[k] for k in ("ts_ms", "venue", "symbol", "kind", "detail")})
        if len(rows) < 500:
            await asyncio.sleep(poll_s)
