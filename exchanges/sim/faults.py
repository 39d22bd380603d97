"""Fault injection configuration per venue, parseable from a short CLI spec.

Spec grammar: ``venue:key=value,key=value[;venue:key=value...]``, durations take ``ms``/``s``/``m``
suffixes (bare numbers are milliseconds), rates are probabilities per message/request, e.g.
``okx:disconnect_every=5s,gap_rate=0.01,rate_limit_burst=3,rest_timeout_next=2``. Bursts
(``rate_limit_burst``, ``rest_timeout_next``) count down: each hits the next N REST requests once.

Order-placement faults (REST placements; a ``*_next`` burst hits the next N placements, a ``*_rate`` is a
probability per placement):
``order_delay_ms`` (with ``order_delay_rate`` / ``order_delay_next``) holds a placement that long before
it reaches the matching engine; it lands later even when the client gave up or disconnected, and the
venue's own expiry (Binance ``recvWindow``, OKX ``expTime``, Bybit ``X-BAPI-RECV-WINDOW``) is checked at
landing. ``order_drop_rate`` / ``order_drop_next``: the placement is processed but never answered (the
request hangs ``rest_timeout_ms``). ``order_error_after_accept_rate`` / ``order_error_next``: processed,
then answered with the venue's 5xx / system-busy error.
Every random decision comes from :meth:`FaultConfig.rng`, seeded from the simulator seed and the venue.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, fields, replace
from typing import Any


@dataclass(slots=True)
class FaultConfig:
    """What goes wrong on one venue. All off by default; mutable so tests can flip faults at run time."""

    # websocket
    disconnect_every_ms: int = 0  # close every WS connection this often
    stall_every_ms: int = 0  # every so often go silent (connected, no data, no pong) ...
    stall_ms: int = 0  # ... for this long
    delay_ms: int = 0  # hold every outgoing WS message this long
    delay_jitter_ms: int = 0
    duplicate_rate: float = 0.0  # send a book message twice
    reorder_rate: float = 0.0  # swap a book message with the next one
    gap_rate: float = 0.0  # drop a book update (sequence gap)
    crossed_every_ms: int = 0  # publish a crossed book (bid >= ask) this often ...
    crossed_ms: int = 500  # ... for this long
    # rest
    rest_5xx_rate: float = 0.0
    rest_timeout_rate: float = 0.0
    rest_timeout_ms: int = 30_000  # how long a "timed out" request hangs
    rest_timeout_next: int = 0  # the next N REST requests hang for rest_timeout_ms (past a client's timeout)
    rate_limit_burst: int = 0  # the next N REST requests get the venue's 429
    # orders
    reject_rate: float = 0.0  # venue-side order rejects
    partial_fill_ratio: float = 0.0  # when > 0, every taker fill stops at this share of the order
    order_delay_ms: int = 0  # a delayed placement reaches the matching engine this much later ...
    order_delay_rate: float = 0.0  # ... with this probability per placement (1.0 = every one) ...
    order_delay_next: int = 0  # ... or for the next N placements
    order_drop_rate: float = 0.0  # placement processed, response never sent (hangs rest_timeout_ms)
    order_drop_next: int = 0
    order_error_after_accept_rate: float = 0.0  # placement processed, answered with the venue's 5xx error
    order_error_next: int = 0
    seed: int = 0
    _rng: random.Random | None = field(default=None, repr=False)

    @property
    def rng(self) -> random.Random:
        if self._rng is None:
            self._rng = random.Random(f"{self.seed}:faults")
        return self._rng

    def chance(self, rate: float) -> bool:
        """True with probability ``rate`` (no RNG draw when the rate is 0, keeping streams stable)."""
        return rate > 0 and self.rng.random() < rate

    def take_rate_limit_burst(self) -> bool:
        return self._take("rate_limit_burst")

    def take_rest_timeout_next(self) -> bool:
        return self._take("rest_timeout_next")

    def placement_plan(self) -> tuple[int, bool, bool]:
        """Draw one placement's faults: (delay in ms, drop the response, error after accept)."""
        delayed = self._take("order_delay_next") or self.chance(self.order_delay_rate)
        drop = self._take("order_drop_next") or self.chance(self.order_drop_rate)
        error = not drop and (self._take("order_error_next") or self.chance(self.order_error_after_accept_rate))
        return (self.order_delay_ms if delayed else 0), drop, error

    def _take(self, burst: str) -> bool:
        """Count one request off the burst counter ``burst``; True while it was still positive."""
        left = getattr(self, burst)
        if left > 0:
            setattr(self, burst, left - 1)
            return True
        return False

    def with_seed(self, seed: int, venue: str) -> FaultConfig:
        return replace(self, seed=hash_seed(seed, venue), _rng=None)


def hash_seed(seed: int, venue: str) -> int:
    return random.Random(f"{seed}:{venue}").randrange(2**31)


_DURATION_FIELDS = {f.name for f in fields(FaultConfig) if f.name.endswith("_ms")}
_ALIASES = {
    "disconnect_every": "disconnect_every_ms",
    "stall_every": "stall_every_ms",
    "stall": "stall_ms",
    "delay": "delay_ms",
    "delay_jitter": "delay_jitter_ms",
    "crossed_every": "crossed_every_ms",
    "crossed": "crossed_ms",
    "rest_timeout": "rest_timeout_ms",
    "order_delay": "order_delay_ms",
}


def parse_duration_ms(text: str) -> int:
    t = text.strip().lower()
    for suffix, mult in (("ms", 1), ("s", 1000), ("m", 60_000)):
        if t.endswith(suffix):
            return int(float(t[: -len(suffix)]) * mult)
    return int(float(t))


def parse_fault_spec(spec: str) -> dict[str, FaultConfig]:
    """``okx:gap_rate=0.01,delay=20ms;bybit:rest_5xx_rate=0.1`` -> {venue: FaultConfig}. ValueError on typos."""
    out: dict[str, FaultConfig] = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        venue, sep, body = part.partition(":")
        if not sep or not venue.strip():
            raise ValueError(f"fault spec {part!r} must look like venue:key=value,...")
        cfg = out.setdefault(venue.strip(), FaultConfig())
        for item in filter(None, (i.strip() for i in body.split(","))):
            name, eq, value = item.partition("=")
            name = _ALIASES.get(name.strip(), name.strip())
            if not eq or name.startswith("_") or name == "seed" or not hasattr(cfg, name):
                raise ValueError(f"unknown fault {item!r} for {venue}; known: {', '.join(known_faults())}")
            current: Any = getattr(cfg, name)
            try:
                if name in _DURATION_FIELDS:
                    setattr(cfg, name, parse_duration_ms(value))
                elif isinstance(current, float):
                    setattr(cfg, name, float(value))
                else:
                    setattr(cfg, name, int(value))
            except ValueError:
                raise ValueError(f"fault {name} for {venue} needs a number, got {value!r}") from None
    return out


def known_faults() -> list[str]:
    return [f.name for f in fields(FaultConfig) if not f.name.startswith("_") and f.name != "seed"]
