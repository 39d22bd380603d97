"""Python's cyclic garbage collector held off for a short synchronous section: a decision's commit and orders.

The collector runs whenever enough container objects have been allocated, in whatever code allocates next. From a
decision to both order frames on the wire (:meth:`arb.trade.executor.Executor.begin`, synchronous, about 2 ms) arb
encodes the intents and ccxt builds and signs two orders: enough allocation that on the bench 5 decisions of 151
(three runs) waited 0.1-0.5 ms for a young-generation collection there, and an older generation's takes a
millisecond and more. :func:`collector_held` disables automatic collection for the section only; the allocations
it made are still counted, so the collection it held off runs at the first allocation after it — once the orders
are out.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Iterator

log = logging.getLogger(__name__)


@contextlib.contextmanager
def collector_held() -> Iterator[None]:
    """No automatic cyclic collection inside the ``with`` block (process-wide, as ``gc.disable`` is); left as found
    if it was already disabled (by the application, or an outer block). Keep the block short and synchronous."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def settle_heap() -> None:
    """Once, just before trading starts (``arb run`` and ``arb demo --paper`` put it in ``Trader.before_ready``):
    collect what start-up left, then move every object still alive — markets, clients, config, caches — to the
    permanent generation (:func:`gc.freeze`), so the full collections of a long run never walk them again. On the
    order-latency bench such a full collection took 74-102 ms, stalling feeds and decisions alike; objects made
    later are collected as before."""
    gc.collect()
    gc.freeze()
    log.info("start-up heap frozen: %d objects left out of the collector's walks", gc.get_freeze_count())
