"""From a config to the networks watcher a run hands its scanner (``Scanner(..., transfers=...)``).

Each venue with API keys (read permission is enough: the currencies endpoints are private) gets its own ccxt
client for the currencies calls, so they never queue behind book or order calls in ccxt's limiter; a venue
without keys gets None: its transfer data is unknown, and the run says so once (``transfers_unknown``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from arb.inventory.marks import TransferMarks
from arb.inventory.watch import NetworkWatch


def network_watch(cfg: Any, symbols: Iterable[str], clients: dict[str, Any | None] | None = None) -> NetworkWatch:
    """The watcher for ``cfg``'s venues and ``symbols``; ``clients`` (venue → ccxt client or None) overrides the
    ones built from the config's credentials (they are closed by the watcher either way)."""
    if clients is None:
        import ccxt.pro as ccxtpro

        clients = {
            v.name: getattr(ccxtpro, v.ccxt_id)(v.ccxt_config(credentials=True)) if v.credentials.as_ccxt() else None
            for v in cfg.active_venues()
        }
    marks = TransferMarks(require=cfg.scanner.require_transferable)
    return NetworkWatch(clients, list(symbols), marks, refresh_s=float(cfg.rebalance.networks_refresh_s))


def loopback_watch(sim: Any, symbols: Iterable[str], *, require: bool = False, refresh_s: float = 5.0) -> NetworkWatch:
    """The watcher for the bundled loopback venues (``arb demo``), reading networks with each venue's read-only
    demo key; ``sim.set_transfers(...)`` suspends and resumes them."""
    import ccxt.pro as ccxtpro

    clients = {v: getattr(ccxtpro, sim.dialect_of(v))(sim.ccxt_config(v, key="readonly")) for v in sim.venues}
    return NetworkWatch(clients, list(symbols), TransferMarks(require=require), refresh_s=refresh_s)
