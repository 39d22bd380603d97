"""Scaling out (issue 19): symbol discovery, partitions, workers and their coordination.

* :mod:`.discovery` — ``scanner.symbols = "auto"``: every active spot symbol listed on two venues.
* :mod:`.partition` — which worker owns which symbol (a stable hash, the same on every machine and restart).
* :mod:`.coordinator` — the :class:`~arb.scale.coordinator.Coordinator` interface and the in-process one;
  :mod:`.redis_coord` the Redis one (reservations by Lua script, leases, shared halts and kill).
* :mod:`.hook` — how a trader uses a coordinator (reserve before a send, settle on the final state).
* :mod:`.workers` — ``--workers N``: N worker processes on this machine, supervised.
"""
