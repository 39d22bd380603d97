"""One-way latency distributions: market data (venue -> client) and the order path (client -> venue).

A :class:`Dist` is log-normal, given by its median and 99th percentile (how venues and network
measurements are usually quoted), clipped to ``[floor_ms, cap_ms]`` so every draw is bounded and tests
can check a drawn value against the bounds. Draws come from a caller's seeded ``random.Random``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

Z99 = 2.3263478740408408  # standard normal 99th percentile


@dataclass(frozen=True, slots=True)
class Dist:
    """Log-normal latency in ms with ``median_ms`` and ``p99_ms``, every draw clipped to [floor_ms, cap_ms]."""

    median_ms: float
    p99_ms: float
    floor_ms: float = 0.0
    cap_ms: float = math.inf

    def __post_init__(self) -> None:
        if not 0 <= self.floor_ms <= self.median_ms <= self.p99_ms <= self.cap_ms:
            raise ValueError(
                f"latency needs 0 <= floor_ms <= median_ms <= p99_ms <= cap_ms (got {self.floor_ms}, "
                f"{self.median_ms}, {self.p99_ms}, {self.cap_ms})"
            )

    @property
    def sigma(self) -> float:
        if self.median_ms <= 0 or self.p99_ms <= self.median_ms:
            return 0.0
        return math.log(self.p99_ms / self.median_ms) / Z99

    def draw(self, rng: random.Random) -> float:
        """One latency in ms (consumes one gaussian from ``rng`` whatever the parameters)."""
        z = rng.gauss(0.0, 1.0)
        value = self.median_ms * math.exp(self.sigma * z) if self.median_ms > 0 else 0.0
        return min(self.cap_ms, max(self.floor_ms, value))


ZERO = Dist(0.0, 0.0)


@dataclass(frozen=True, slots=True)
class VenueLatency:
    """One venue's one-way latencies: book messages (venue -> client) and order requests/answers."""

    market_data: Dist = field(default=ZERO)  # a book frame leaves the venue this long after its event time
    order: Dist = field(default=ZERO)  # a placement reaches the engine this long after it was received;
    # its answer travels back after another draw of the same distribution


class LatencyDraws:
    """Seeded draws of one venue's latencies (market data and order path use separate streams)."""

    def __init__(self, latency: VenueLatency, seed: int, venue: str) -> None:
        self.latency = latency
        self._md = random.Random(f"{seed}:latency:md:{venue}")
        self._order = random.Random(f"{seed}:latency:order:{venue}")

    def market_data_ms(self) -> float:
        return self.latency.market_data.draw(self._md) if self.latency.market_data != ZERO else 0.0

    def order_ms(self) -> float:
        return self.latency.order.draw(self._order) if self.latency.order != ZERO else 0.0
