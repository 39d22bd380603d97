"""The road of one order placement from the HTTP handler to the matching engine, with placement faults.

Every dialect's placement route calls :func:`submit` with two callables of the landing time:
``expired(now_ms)`` (the venue's own request expiry: the dialect's error, or None) and
``place(now_ms)`` (the engine call, raising the dialect's error on a reject). :func:`submit`

1. draws the placement's faults (:meth:`~exchanges.sim.faults.FaultConfig.placement_plan`);
2. runs the landing as its own task (a delayed order lands even when the client gave up or the
   connection is gone): wait ``order_delay_ms`` plus the venue's order-path latency (the market
   profile's one-way draw; the answer travels back after another draw), then check the expiry AT
   LANDING (an expired order is logged as rejected with the venue's code and never reaches the
   engine), then place;
3. answers: normally the landing's result; with ``order_drop`` no answer at all (the request hangs
   ``rest_timeout_ms``, past a client's timeout); with ``order_error_after_accept`` the venue's 5xx /
   system-busy error although the order was processed.

Every attempt is in the engine's order log with ``arrival_ms`` (request received) and ``landed_ms``
(reached the engine, or was refused there).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from exchanges.sim.base import VenueServer

T = TypeVar("T")


class Unanswered(Exception):
    """A WebSocket placement processed under ``order_drop``: the venue never answers it (``hang=False``)."""


async def submit(
    server: VenueServer,
    *,
    expired: Callable[[int], Exception | None],
    place: Callable[[int, int], T],
    reject_log: Callable[[int, int, str], None],
    error_after_accept: Callable[[], Exception],
    accepted: Callable[[T], bool] = lambda _: True,
    hang: bool = True,
) -> T:
    """Land one placement (see the module doc). ``place(now_ms, arrival_ms)`` and ``reject_log(now_ms,
    arrival_ms, code)`` do the dialect's work; ``accepted(result)`` tells whether an answer means the venue
    took the order (only then does ``order_error_after_accept`` replace the answer). ``hang=False`` (WebSocket
    requests): a dropped answer raises :class:`Unanswered` instead of hanging ``rest_timeout_ms``."""
    arrival = server.now_ms()
    delay_ms, drop, error = server.faults.placement_plan()
    delay_ms = int(delay_ms + server.latency.order_ms())  # the order path's one-way latency (profile), on top
    answer_ms = server.latency.order_ms()  # and the answer's way back

    def arrive() -> T:
        now = server.now_ms()
        too_late = expired(now)
        if too_late is not None:
            reject_log(now, arrival, str(getattr(too_late, "code", "expired")))
            raise too_late
        return place(now, arrival)

    async def land() -> T:
        server.placements_in_flight += 1
        try:
            await asyncio.sleep(delay_ms / 1000)
        finally:
            server.placements_in_flight -= 1
        return arrive()

    if delay_ms:
        task: asyncio.Task[T] = asyncio.ensure_future(land())
        server.track(task)
        result = await asyncio.shield(task)
    else:  # no delay: the order reaches the engine now, in the request's own task (nothing to outlive)
        result = arrive()
    if answer_ms:
        await asyncio.sleep(answer_ms / 1000)
    if drop and not hang:
        raise Unanswered
    if drop:  # answer only after the client's timeout: nobody is listening any more
        await asyncio.sleep(server.faults.rest_timeout_ms / 1000)
    if error and accepted(result):
        raise error_after_accept()
    return result
