"""Property: the exposure limits never count an open exposure below a price it could be worth. Whatever books have
arrived (any subset of venues and symbols, none at all) and whatever its legs traded at (or nothing journaled),
each open exposure counts at least |base| × the lowest of its candidate prices (its venue's mid, the symbol's mids
elsewhere, the price its legs traded it at) whenever one exists, and at most the highest; one with no candidate
makes every trade counting toward its asset's or venue's limit refused. So an accepted trade keeps every limit it
touches even at the lowest valuation, and a trade within the limits at the highest one is accepted."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from arb.config import RiskConfig
from arb.core.ledger import LegFill
from arb.core.model import Leg, Opportunity
from arb.trade.accounts import Marks, traded_price
from arb.trade.risk import ExposureEntry, RiskGate, mark_of

D = Decimal
T0 = 1_800_000_000_000
VENUES = ("okx", "bybit", "binance")
SYMBOLS = ("BTC/USDT", "ETH/USDT", "SOL/USDT")

prices = st.decimals(min_value=D("0.01"), max_value=D("100000"), places=2)
bases = st.decimals(min_value=D("-5"), max_value=D("5"), places=6).filter(lambda b: b != 0)
fills = st.lists(st.tuples(st.sampled_from(("buy", "sell")), prices, st.decimals(D("0.001"), D("3"), places=3)))
entries = st.lists(st.tuples(st.sampled_from(VENUES), st.sampled_from(SYMBOLS), bases, fills), max_size=6)
books = st.dictionaries(st.tuples(st.sampled_from(VENUES), st.sampled_from(SYMBOLS)), prices, max_size=9)
limits = st.decimals(min_value=D("1"), max_value=D("10000000"), places=0)


def candidates(e: ExposureEntry, mids: dict[tuple[str, str], Decimal]) -> list[Decimal]:
    got = [m for (_v, s), m in mids.items() if s == e.symbol]  # its venue's mid is one of them
    return got + ([e.traded_price] if e.traded_price is not None and e.traded_price > 0 else [])


def opportunity(symbol: str, buy: str, sell: str, notional: Decimal) -> Opportunity:
    qty = notional / D(1000)
    b = Leg(buy, "buy", qty, D(1000), D(1000), D(1000), D(0), 1)
    s = Leg(sell, "sell", qty, D(1001), D(1001), D(1001), D(0), 1)
    return Opportunity(symbol, b, s, notional, notional, D(1), D(0), D(1), D(10))


@settings(max_examples=300, deadline=None)
@given(
    entries,
    books,
    st.sampled_from(SYMBOLS),
    st.permutations(VENUES),
    st.decimals(D("1"), D("5000"), places=2),
    limits,
    limits,
)
def test_an_open_exposure_counts_at_least_at_its_lowest_candidate_price(
    rows: list[tuple[str, str, Decimal, list[tuple[str, Decimal, Decimal]]]],
    mids: dict[tuple[str, str], Decimal],
    symbol: str,
    venues: list[str],
    notional: Decimal,
    per_asset: Decimal,
    per_venue: Decimal,
) -> None:
    g = RiskGate(RiskConfig(max_notional_per_trade=D(10**9), max_exposure_per_asset=per_asset,
                            max_exposure_per_venue=per_venue))  # fmt: skip
    for i, (venue, sym, base, legs) in enumerate(rows):
        fl = [LegFill(venue, sym, side, f"c{i}.{k}", a, p, filled=a, cost=a * p) for k, (side, p, a) in enumerate(legs)]
        px = traded_price(fl, base > 0)
        side_prices = [p for side, p, _ in legs if side == ("buy" if base > 0 else "sell")]
        assert px is None if not side_prices else min(side_prices) <= px <= max(side_prices)
        g.set_exposure(ExposureEntry(i + 1, f"o{i}", venue, sym, base, T0, px))
    marks = Marks()
    marks.update(mids)

    lo: dict[tuple[str, str], Decimal] = {}  # (kind, name) → Σ |base| × lowest candidate
    hi: dict[tuple[str, str], Decimal] = {}
    unpriced: set[tuple[str, str]] = set()
    for e in g.exposures.values():
        cands, counted = candidates(e, mids), mark_of(e, marks)
        for scope in (("asset", e.asset), ("venue", e.venue)):
            if not cands:
                unpriced.add(scope)
                continue
            lo[scope] = lo.get(scope, D(0)) + abs(e.base_delta) * min(cands)
            hi[scope] = hi.get(scope, D(0)) + abs(e.base_delta) * max(cands)
        if not cands:
            assert counted is None
        else:  # one of its candidates (a mean of mids lies between them)
            assert counted is not None and min(cands) <= counted <= max(cands)
    for kind, name in {*lo, *unpriced}:
        value, left = g.open_exposure(kind, name, marks)
        assert value >= lo.get((kind, name), D(0)) and value <= hi.get((kind, name), D(0))
        assert bool(left) == ((kind, name) in unpriced)

    opp = opportunity(symbol, venues[0], venues[1], notional)
    scopes = [
        ("asset", symbol.split("/")[0], per_asset),
        ("venue", venues[0], per_venue),
        ("venue", venues[1], per_venue),
    ]
    verdict = g.check(opp, T0, marks)
    if verdict is None:  # accepted: every limit it touches holds at the lowest valuation, nothing unknown in them
        for kind, name, limit in scopes:
            assert (kind, name) not in unpriced and lo.get((kind, name), D(0)) + notional <= limit
    else:
        assert verdict in ("exposure_asset", "exposure_venue", "exposure_unpriced") and g.refusal
        fits = all(
            (kind, name) not in unpriced and hi.get((kind, name), D(0)) + notional <= limit
            for kind, name, limit in scopes
        )
        assert not fits  # refused only when some limit is breached at the highest valuation or unknown
