"""Market profiles: named, documented bundles of every friction the loopback market applies.

``demo`` is today's market, made for showing the product: frequent, long dislocations, no latency, no
competitors, taken liquidity refilled per level. ``realistic`` is what numbers are reported on: 1-tick
spreads with dense levels, each venue's real push cadence, one-way latencies, competing takers that
close a dislocation after a reaction time, and liquidity that stays taken until makers replenish it.

Every field is a documented dataclass field; the reason for each ``realistic`` value is in
:func:`realistic` and in README ("The loopback exchanges"). Select with ``LoopbackExchanges(profile=...)``
or ``arb sim --profile``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from exchanges.sim.latency import Dist, VenueLatency
from exchanges.sim.market_params import MarketParams, VenueProfile


@dataclass(frozen=True, slots=True)
class Takers:
    """Competing arbitrageurs: after ``reaction`` from a dislocation's start they take every level on the
    dislocated venue priced better than the fair (latent) mid, through the venue's matching engine (their
    fills are public trades), and the dislocation ends there."""

    reaction: Dist = field(default_factory=lambda: Dist(60.0, 300.0, 5.0, 500.0))
    account: str = "competitors"  # their account on every venue (funded without limit)


@dataclass(frozen=True, slots=True)
class MarketProfile:
    """Everything that makes one market profile."""

    name: str
    params: MarketParams  # mid volatility, dislocation schedule, per-symbol depth scale
    venues: dict[str, VenueProfile]  # per venue dialect (aliases use their dialect's); others: VenueProfile()
    step_ms: int = 100  # market step (the driver's tick); each venue pushes at its own publish_ms on top
    latency: dict[str, VenueLatency] = field(default_factory=dict)  # per venue dialect; absent: none
    takers: Takers | None = None  # None: nobody else trades

    def venue(self, dialect: str) -> VenueProfile:
        return self.venues.get(dialect, VenueProfile())


def demo() -> MarketProfile:
    """Today's market: a 15-40 bps dislocation about once a minute per symbol lasting 2-8 s, books rebuilt
    every 100 ms on every venue, per-level refill, no latency and nobody else trading."""
    return MarketProfile("demo", MarketParams(), {}, step_ms=100)


# Shape of a liquid book on the realistic profile: 1-tick spread, 50 dense levels 1 tick apart.
_BOOK = VenueProfile(
    noise_bps=0.5,  # venues' mids differ by well under a bp on liquid pairs: basis arbitrage is competed away
    noise_halflife_ms=2000.0,  # a venue's own drift is corrected within seconds
    spread_bps=0.0,  # the spread is the minimum, one tick, as on every liquid major pair
    levels=50,  # Bybit's orderbook.50 / a 50-level REST snapshot: enough to walk the book
    level_gap_bps=0.0,  # dense: a level at every tick
    level_notional=8_000.0,  # quote per level at the best (times the symbol's depth_scale), see depth_slope
    size_dispersion=0.0,  # sizes follow the depth profile exactly, so liquidity changes only by trades/makers
    churn_levels=0,  # no redraws: a redraw would add liquidity nobody posted
    # makers re-post 200k quote per second per side (times depth_scale): a fully swept side (890k x depth_scale)
    # is back in about 4.5 s, while a dislocation's cheap levels stay taken for the trade that matters
    replenish_quote_per_s=200_000.0,
    depth_slope=0.05,  # each level 5% larger than the previous: thin at the touch, thicker further out
)


def realistic() -> MarketProfile:
    """Profitable-after-fees crossings are rare and brief: with 0.1% taker fees a round trip needs a gap
    of more than 20 bps plus a tick; dislocations come 0.1 per minute per symbol, 5-30 bps, so about 40%
    of them (about 2.4 per symbol per hour) clear the fees, and a competitor closes each after a reaction
    of 5-500 ms (median 60 ms): about 0.15 s of profitable book per symbol per hour."""
    params = MarketParams(
        volatility_bps_per_sqrt_s=1.0,  # ~56% annualised: a liquid crypto major's typical volatility
        dislocation_rate_per_min=0.1,  # one venue jumps away from the others about 6 times an hour per symbol
        dislocation_bps=(5.0, 30.0),  # mostly below the 20 bps two taker fees cost: few are worth trading
        dislocation_ms=(500, 3000),  # how long the venue would stay off without takers (they end it sooner)
        depth_scale={  # the depth profile per symbol: BTC and ETH books are the deepest
            "BTC/USDT": 3.0,
            "ETH/USDT": 2.0,
            "SOL/USDT": 1.0,
            "XRP/USDT": 1.0,
            "DOGE/USDT": 0.5,
            "ADA/USDT": 0.5,
            "LTC/USDT": 0.3,
            "TRX/USDT": 0.3,
            "LINK/USDT": 0.3,
            "AVAX/USDT": 0.3,
        },
    )
    venues = {
        "bybit": _replace_publish(_BOOK, 20),  # Bybit spot orderbook.50 pushes every 20 ms
        "okx": _replace_publish(_BOOK, 100),  # OKX books / books5 push every 100 ms
        "binance": _replace_publish(_BOOK, 100),  # Binance <symbol>@depth@100ms
    }
    # One-way latencies from a cloud VM in the venue's region (assumed, not measured): market data a little
    # slower than the order path (the venue batches pushes), tails ~5x the median.
    latency = {
        "okx": VenueLatency(market_data=Dist(15.0, 80.0, 2.0, 250.0), order=Dist(10.0, 60.0, 2.0, 200.0)),
        "binance": VenueLatency(market_data=Dist(10.0, 60.0, 2.0, 200.0), order=Dist(8.0, 50.0, 2.0, 200.0)),
        "bybit": VenueLatency(market_data=Dist(12.0, 70.0, 2.0, 250.0), order=Dist(10.0, 60.0, 2.0, 200.0)),
    }
    # Competing takers react in 5-500 ms (median 60, p99 300): faster than a retail bot on a slow link,
    # slower than a colocated one, so capture depends on arb's own latency.
    return MarketProfile("realistic", params, venues, step_ms=10, latency=latency, takers=Takers())


def _replace_publish(prof: VenueProfile, publish_ms: int) -> VenueProfile:
    return replace(prof, publish_ms=publish_ms)


PROFILES = {"demo": demo, "realistic": realistic}


def get_profile(profile: str | MarketProfile) -> MarketProfile:
    """The named profile (a fresh copy), or ``profile`` itself; unknown names get one clear error."""
    if isinstance(profile, MarketProfile):
        return profile
    try:
        return PROFILES[profile]()
    except KeyError:
        raise ValueError(f"profile={profile!r}: use one of {', '.join(PROFILES)}") from None
