"""The journal: every run, episode, snapshot, event, order, fill, balance and exposure, in SQLite.

:class:`Journal` is assembled from its parts, one module each: :mod:`.core` (opening, transactions,
encoding), :mod:`.observations` (runs, batched observations, reads), :mod:`.durable` (halts, orders,
legs, exposures: synchronous and fsynced), :mod:`.controls` (an operator's pause and directions, fsynced).
See :mod:`arb.store` for durability and the schema.
"""

from __future__ import annotations

from arb.store.controls import OperatorControls
from arb.store.durable import DurableRecords
from arb.store.observations import Observations

__all__ = ["Journal"]


class Journal(DurableRecords, Observations, OperatorControls):
    """One journal file, one connection; thread-safe (every use holds ``_lock``)."""
