"""The market process's knobs: :class:`VenueProfile` (one venue's book around the latent mid) and
:class:`MarketParams` (the mid's volatility, the dislocation schedule, the per-symbol depth profile).
Named bundles of them are the market profiles in :mod:`exchanges.sim.profiles`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class VenueProfile:
    """How one venue's book sits around the latent mid."""

    noise_bps: float = 1.0  # stationary std-dev of the venue's own mid offset
    noise_halflife_ms: float = 3000.0  # mean reversion of that offset
    spread_bps: float = 1.0  # best ask - best bid (at least one tick)
    levels: int = 25  # levels per side
    level_gap_bps: float = 0.5  # grid step between levels below the best (at least one tick)
    level_notional: float = 20_000.0  # mean quote notional per level
    size_dispersion: float = 0.5  # log-normal sigma of level sizes
    churn_levels: int = 2  # levels per side whose size is redrawn each step
    refill_per_s: float = 0.5  # fraction of consumed liquidity restored per second (per-level refill)
    # publication cadence: the venue flushes its book at most every publish_ms of market time (0: every step)
    publish_ms: int = 0
    # Persistent takes (see exchanges/sim/depth.py): None keeps the per-level refill above (the demo rule:
    # a level re-laid at a new tick comes back full). A number switches to one liquidity deficit per side:
    # what anyone takes stays missing from the best levels outward until makers replenish it at this
    # quote notional per second per side (scaled by the symbol's depth_scale); level sizes then follow
    # the depth profile exactly (level i: level_notional x (1 + depth_slope x i)), without redraws.
    replenish_quote_per_s: float | None = None
    depth_slope: float = 0.0  # persistent mode: how much larger each level away from the best is


@dataclass(frozen=True, slots=True)
class MarketParams:
    """Knobs of the process; defaults give a calm market with a dislocation every ~minute per symbol."""

    volatility_bps_per_sqrt_s: float = 2.0
    dislocation_rate_per_min: float = 1.0  # per symbol, Poisson
    dislocation_bps: tuple[float, float] = (15.0, 40.0)  # absolute size range, sign random
    dislocation_ms: tuple[int, int] = (2000, 8000)
    schedule_horizon_ms: int = 60_000  # how far ahead the schedule is generated
    # per-symbol multiplier of level_notional and replenishment (the depth profile); 1.0 when absent
    depth_scale: dict[str, float] = field(default_factory=dict)
