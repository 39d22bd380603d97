"""The Redis coordinator: balance reservations, limits, daily loss, halts, kill and leases shared by every worker.

* **Reservations** (:meth:`RedisCoordinator.reserve`): one Lua script (:mod:`arb.scale.lua`) checks, for
  every leg's hold, ``free − reserved ≥ amount`` on that venue and asset, the in-flight count and the
  in-flight plus open exposure per asset and venue, and takes all of it or nothing — atomically, so two
  workers can never spend the same USDT. It is one blocking round trip at the moment the gate accepts
  (the decision is synchronous; on loopback about 0.1 ms). A coordinator that cannot be reached refuses
  (verdict ``coordinator``): no trade without its shared reservation.
* **Settle / release**: a leg's final state gives its venue's hold back and applies its actual flows;
  the end of the opportunity frees the rest (holds of legs whose outcome is unknown stay).
* **Leases**: ``lease:WORKER`` expires ``scale.lease_ms`` after the last heartbeat (a thread refreshes it
  every quarter lease). Every script first drops the claims of workers whose lease expired, so a
  SIGKILLed worker's reservations come back within one lease. ``owner:SHARD`` (same lease) makes the next
  owner of a partition wait for the previous one's lease to end before it reconciles its journal.
* **Balances**: the free balance each worker fetches is published only when no claim on that venue is
  live and none changed while the fetch ran (the shared form of :mod:`arb.trade.balances`' quiet rule).
* **Halts, kill, daily loss** live in :mod:`arb.scale.hook` (``halt``, ``kill``, ``pnl:DAY`` keys); a shared
  ``halt`` or ``kill`` also refuses every reservation in the same atomic step (verdict ``halted_<reason>``), so
  no worker trades between the moment it is shared and the moment its own poll adopts it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import redis

from arb.core.errors import ArbError
from arb.core.kinds import Verdict
from arb.core.ledger import TERMINAL, LegFill, flows
from arb.scale import lua
from arb.scale.coordinator import Request, atoms_down, atoms_up

log = logging.getLogger(__name__)
PREFIX = "arb:"
HALT_VERDICTS = frozenset(v.value for v in Verdict if v.is_halt)


class RedisCoordinator:
    """One worker's handle on the shared state (sync client: the gate's decision is synchronous)."""

    shared = True

    def __init__(self, url: str, *, lease_ms: int = 3000, worker: str | None = None, prefix: str = PREFIX) -> None:
        self.url, self.lease_ms, self.prefix = url, lease_ms, prefix
        self.worker = worker or uuid.uuid4().hex[:12]
        timeout = max(0.2, lease_ms / 4000)
        self.r = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self._reserve = self.r.register_script(lua.RESERVE)
        self._extend = self.r.register_script(lua.EXTEND)
        self._settle = self.r.register_script(lua.SETTLE)
        self._release = self.r.register_script(lua.RELEASE)
        self._publish = self.r.register_script(lua.PUBLISH)
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None
        self.owned: list[str] = []  # owner:SHARD keys held under our lease
        self.lost_lease = False

    def key(self, name: str) -> str:
        return self.prefix + name

    # -- leases -------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Take the lease (or raise a one-line ArbError when Redis cannot be reached) and keep it alive."""
        try:
            self.r.set(self.key(f"lease:{self.worker}"), "1", px=self.lease_ms)
        except redis.RedisError as e:
            raise ArbError(f"coordinator {redact_url(self.url)} unreachable: {e}") from None
        self._beat = threading.Thread(target=self._heartbeat, name=f"lease-{self.worker}", daemon=True)
        self._beat.start()

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.lease_ms / 4000):
            try:
                pipe = self.r.pipeline()
                pipe.set(self.key(f"lease:{self.worker}"), "1", px=self.lease_ms)
                for k in self.owned:
                    pipe.set(k, self.worker, px=self.lease_ms, xx=True)
                pipe.execute()
                self.lost_lease = False
            except redis.RedisError as e:  # the reserve script refuses while our lease is gone
                self.lost_lease = True
                log.warning("coordinator.heartbeat_failed worker=%s error=%s", self.worker, e)

    def try_own(self, name: str) -> bool:
        """Own ``name`` (a partition) under our lease; False while another live worker holds it."""
        k = self.key(f"owner:{name}")
        if self.r.set(k, self.worker, px=self.lease_ms, nx=True):
            self.owned.append(k)
            return True
        return False

    def holder(self, name: str) -> str | None:
        v = self.r.get(self.key(f"owner:{name}"))
        return v.decode() if isinstance(v, bytes) else v

    def close(self) -> None:
        """A clean stop: give up the lease and the partitions; our claims are freed by the next script."""
        self._stop.set()
        if self._beat is not None:
            self._beat.join(timeout=2)
        with contextlib.suppress(redis.RedisError):
            self.r.delete(self.key(f"lease:{self.worker}"), *self.owned)
        self.r.close()

    # -- reservations ---------------------------------------------------------------------------------------
    def reserve(self, token: str, req: Request) -> str | None:
        args = self._holds([self.prefix, token, self.worker, req.max_in_flight], req.holds)
        n = atoms_up(req.notional)
        checks = [("fly:asset:" + req.asset, "open:asset:" + req.asset, req.max_exposure_per_asset, "exposure_asset")]
        limit_v = req.max_exposure_per_venue
        checks += [("fly:venue:" + v, "open:venue:" + v, limit_v, "exposure_venue") for v in req.venues]
        args.append(len(checks))
        for k, open_key, limit, why in checks:
            args += [k, n, atoms_down(limit), open_key, why]
        return self._claim(self._reserve, "reserve", token, args)

    def extend(self, token: str, holds: Sequence[tuple[str, str, Decimal, bool]]) -> str | None:
        return self._claim(self._extend, "extend", token, self._holds([self.prefix, token, self.worker], holds))

    @staticmethod
    def _holds(args: list[Any], holds: Sequence[tuple[str, str, Decimal, bool]]) -> list[Any]:
        args.append(len(holds))
        for venue, asset, amount, limited in holds:
            args += [venue, asset, atoms_up(amount), "1" if limited else "0"]
        return args

    def _claim(self, script: Any, name: str, token: str, args: list[Any]) -> str | None:
        """Run a claim script: None when claimed, else the verdict word (``coordinator`` when Redis fails)."""
        try:
            why, _detail = script(args=args)
        except redis.RedisError as e:
            log.warning("coordinator.%s_failed token=%s error=%s", name, token, e)
            return "coordinator"
        word = why.decode() if isinstance(why, bytes) else str(why)
        if word.startswith("halted_") and word not in HALT_VERDICTS:
            return "coordinator"  # a shared halt arb cannot name (another version's) still refuses
        return None if word == "ok" else word

    def settle(self, token: str, leg: LegFill) -> None:
        if leg.state not in TERMINAL:
            return
        base, quote = leg.symbol.split("/")[0], leg.symbol.split("/")[1].split(":")[0]
        db, dq, other = flows(leg, base, quote)
        deltas: dict[str, Decimal] = {base: db, quote: dq}
        for c, f in other.items():
            deltas[c] = deltas.get(c, Decimal(0)) - f
        args: list[Any] = [self.prefix, token, leg.venue, len(deltas)]
        for asset, d in deltas.items():
            args += [asset, atoms_down(d)]
        try:
            self._settle(args=args)
        except redis.RedisError as e:  # the hold stays until our lease ends: conservative
            log.warning("coordinator.settle_failed token=%s error=%s", token, e)

    def release(self, token: str, keep: Sequence[str] = ()) -> None:
        try:
            self._release(args=[self.prefix, token, " ".join(keep)])
        except redis.RedisError as e:
            log.warning("coordinator.release_failed token=%s error=%s", token, e)

    # -- balances -----------------------------------------------------------------------------------------
    def generation(self, venue: str) -> str:
        g = self.r.get(self.key(f"gen:{venue}"))
        return g.decode() if isinstance(g, bytes) else "0"

    def publish(self, venue: str, gen: str, free: Mapping[str, Decimal]) -> bool:
        """Set the venue's shared free balances if nothing moved since ``gen``; returns whether applied."""
        args: list[Any] = [self.prefix, venue, gen, len(free)]
        for asset, amount in free.items():
            args += [asset, atoms_down(amount)]
        return bool(self._publish(args=args))

    def any(self, venue: str) -> bool:
        """Whether some balance of ``venue`` is shared (published by any worker)."""
        return next(iter(self.r.scan_iter(match=self.key(f"avail:{venue}:*"), count=1000)), None) is not None

    def available(self, venue: str, asset: str) -> int | None:
        """Atoms free minus live holds (tests, status); None when never published."""
        v = self.r.get(self.key(f"avail:{venue}:{asset}"))
        return None if v is None else int(v)


def redact_url(url: str) -> str:
    """A Redis URL without its password (``redis://:secret@host`` → ``redis://REDACTED@host``)."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "REDACTED@" + rest.split("@", 1)[1]
    return scheme + sep + rest


def share_kill(url: str, reason: str, prefix: str = PREFIX) -> None:
    """`arb kill` with a coordinator: every worker on every machine writes its kill file within a poll."""
    r = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        r.set(prefix + "kill", reason.strip() or "arb kill")
        r.publish(prefix + "events", "kill")
    except redis.RedisError as e:
        raise ArbError(f"coordinator {redact_url(url)} unreachable: {e} (the local kill file was written)") from None
    finally:
        r.close()


def clear_shared(url: str, prefix: str = PREFIX) -> list[str]:
    """`arb resume` with a coordinator: the shared halt and kill end (each machine's kill file is removed by hand)."""
    r = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        gone = [k for k in ("halt", "kill") if r.delete(prefix + k)]
    except redis.RedisError as e:
        raise ArbError(f"coordinator {redact_url(url)} unreachable: {e}") from None
    finally:
        r.close()
    return gone
