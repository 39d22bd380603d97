"""The evaluator against hand-worked numbers and a brute-force oracle over every lot."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import arb
from arb.core.errors import BookError, MarketError
from arb.core.evaluator import evaluate
from arb.core.model import Balances, Fee, Limits, MarketSpec
from tests.kit.builders import ccxt_market, fee, make_book, market

D = Decimal


# --------------------------------------------------------------------------- hand-worked
def test_single_level_fee_in_base_hand_computed() -> None:
    # Buy 0.01 BTC on Binance at 64000.00, sell on OKX at 64200.0; 0.1% taker, charged in base on
    # the buy, so the sellable amount is 0.01 * 0.999 = 0.00999 (OKX lot 1e-8 keeps it exact).
    buy = make_book(bids=[(63999.99, 1)], asks=[(64000.00, 0.01)])
    sell = make_book(bids=[(64200.0, 0.02)], asks=[(64200.1, 1)])
    o = evaluate(
        buy,
        sell,
        buy_market=market(lot="0.00001", tick="0.01", min_cost="5"),
        sell_market=market(lot="0.00000001", tick="0.1", min_amount="0.00001"),
        buy_fee=fee("0.001"),
        sell_fee=fee("0.001"),
        limits=Limits(max_notional=D("10000")),
        buy_venue="binance",
        sell_venue="okx",
    )
    assert o is not None
    assert (o.buy.amount, o.sell.amount) == (D("0.01"), D("0.00999"))
    assert o.cost == D("640.00")
    assert o.proceeds == D("640.716642")  # 0.00999 * 64200 * 0.999
    assert o.net_profit == D("0.716642")
    assert o.fees_quote == D("0.64") + D("0.641358")
    assert o.gross_profit == o.net_profit + o.fees_quote
    assert o.net_bps.quantize(D("0.0001")) == D("11.1975")
    assert o.buy.limit_price == D("64000.00") and o.sell.limit_price == D("64200.0")
    assert o.dust == 0
    assert o.key == ("BTC/USDT", "binance", "okx")


def test_fee_in_quote_sells_everything_bought() -> None:
    buy = make_book(bids=[(63999.99, 1)], asks=[(64000.00, 0.01)])
    sell = make_book(bids=[(64200.0, 0.02)], asks=[(64200.1, 1)])
    o = evaluate(
        buy,
        sell,
        buy_market=market(),
        sell_market=market(),
        buy_fee=fee("0.001", "quote"),
        sell_fee=fee("0.001"),
    )
    assert o is not None
    assert o.buy.amount == o.sell.amount == D("0.01")
    assert o.cost == D("640.64")  # 640 * 1.001
    assert o.net_profit == D("0.718")  # 642 * 0.999 - 640.64


def test_slippage_buffer_worsens_vwaps_and_widens_limits() -> None:
    buy = make_book(bids=[(63999.99, 1)], asks=[(64000.00, 0.01)])
    sell = make_book(bids=[(64200.0, 0.02)], asks=[(64200.1, 1)])
    o = evaluate(
        buy,
        sell,
        buy_market=market(lot="0.00001", tick="0.01"),
        sell_market=market(lot="0.00000001", tick="0.1"),
        buy_fee=fee(),
        sell_fee=fee(),
        limits=Limits(slippage_bps=D("2")),
    )
    assert o is not None
    assert o.buy.limit_price == D("64012.80")  # 64000 * 1.0002, up to the 0.01 tick
    assert o.sell.limit_price == D("64187.1")  # 64200 * 0.9998 = 64187.16, down to the 0.1 tick
    assert o.cost == D("640.128")
    assert o.net_profit == D("0.4604986716")


def test_thresholds_and_fees_suppress() -> None:
    buy = make_book(bids=[(63999.99, 1)], asks=[(64000.00, 0.01)])
    sell = make_book(bids=[(64200.0, 0.02)], asks=[(64200.1, 1)])
    kw = dict(buy_market=market(), sell_market=market(lot="0.00000001", tick="0.1"))
    assert evaluate(buy, sell, buy_fee=fee(), sell_fee=fee(), limits=Limits(min_net_bps=D("12")), **kw) is None
    assert evaluate(buy, sell, buy_fee=fee(), sell_fee=fee(), limits=Limits(min_net_profit=D("0.8")), **kw) is None
    # 0.2% fees on each side exceed the 0.31% spread
    assert evaluate(buy, sell, buy_fee=fee("0.002"), sell_fee=fee("0.002"), **kw) is None


def test_depth_walk_picks_profit_maximising_size_not_best_bps() -> None:
    # First ask level is very profitable but tiny; the second is less profitable per unit but adds
    # profit, the third loses money. The chosen size stops exactly at the end of level two.
    buy = make_book(bids=[(99, 1)], asks=[(100, "0.1"), (100.5, "1"), (102, "5")])
    sell = make_book(bids=[(101.5, "10")], asks=[(102.5, 1)])
    o = evaluate(
        buy,
        sell,
        buy_market=market("X/USDT", lot="0.1", tick="0.1"),
        sell_market=market("X/USDT", lot="0.1", tick="0.1"),
        buy_fee=fee("0", "quote"),
        sell_fee=fee("0"),
    )
    assert o is not None
    assert o.buy.amount == D("1.1")
    assert o.net_profit == D("1.5") * D("0.1") + D("1.0")  # 0.15 + 1.0
    assert o.buy.levels == 2 and o.buy.worst_price == D("100.5")


def test_balances_cap_size_and_none_means_unknown() -> None:
    buy = make_book(bids=[(99, 1)], asks=[(100, "10")])
    sell = make_book(bids=[(101, "10")], asks=[(102, 1)])
    kw = dict(
        buy_market=market("X/USDT", lot="0.1", tick="0.1"),
        sell_market=market("X/USDT", lot="0.1", tick="0.1"),
        buy_fee=fee("0", "quote"),
        sell_fee=fee("0"),
    )
    assert evaluate(buy, sell, **kw).buy.amount == D("10")
    o = evaluate(buy, sell, balances=Balances(quote_on_buy=D("250"), base_on_sell=D("5")), **kw)
    assert o.buy.amount == D("2.5")
    o = evaluate(buy, sell, balances=Balances(quote_on_buy=D("10000"), base_on_sell=D("0.7")), **kw)
    assert o.sell.amount == D("0.7")
    assert evaluate(buy, sell, balances=Balances(base_on_sell=D("0")), **kw) is None


def test_min_notional_on_either_leg_blocks_dust_trades() -> None:
    buy = make_book(bids=[(99, 1)], asks=[(100, "0.04")])
    sell = make_book(bids=[(101, "10")], asks=[(102, 1)])
    kw = dict(buy_fee=fee("0", "quote"), sell_fee=fee("0"))
    ok = evaluate(
        buy,
        sell,
        buy_market=market("X/USDT", lot="0.01", tick="0.1", min_cost="1"),
        sell_market=market("X/USDT", lot="0.01", tick="0.1", min_cost="1"),
        **kw,
    )
    assert ok is not None and ok.buy.amount == D("0.04")
    assert (
        evaluate(
            buy,
            sell,
            buy_market=market("X/USDT", lot="0.01", tick="0.1", min_cost="5"),
            sell_market=market("X/USDT", lot="0.01", tick="0.1"),
            **kw,
        )
        is None
    )
    assert (
        evaluate(
            buy,
            sell,
            buy_market=market("X/USDT", lot="0.01", tick="0.1"),
            sell_market=market("X/USDT", lot="0.01", tick="0.1", min_amount="0.05"),
            **kw,
        )
        is None
    )


def test_rejections_say_why() -> None:
    buy = make_book(bids=[(99, 1)], asks=[(100, "0.04")])
    sell = make_book(bids=[(101, "10")], asks=[(102, 1)])
    m = market("X/USDT", lot="0.01", tick="0.1")
    cases = [
        (dict(buy_market=m, sell_market=m, buy_fee=fee("0.01"), sell_fee=fee("0.01")), "no_cross_after_fees"),
        (
            dict(
                buy_market=market("X/USDT", lot="0.01", tick="0.1", min_cost="5"),
                sell_market=m,
                buy_fee=fee("0"),
                sell_fee=fee("0"),
            ),
            "too_thin",
        ),
        (
            dict(
                buy_market=m,
                sell_market=m,
                buy_fee=fee("0"),
                sell_fee=fee("0"),
                balances=Balances(quote_on_buy=D("0.5")),
            ),
            "capped",
        ),
        (
            dict(
                buy_market=m, sell_market=m, buy_fee=fee("0"), sell_fee=fee("0"), limits=Limits(min_net_profit=D("1"))
            ),
            "below_threshold",
        ),
    ]
    for kw, reason in cases:
        why: list[str] = []
        assert evaluate(buy, sell, why=why, **kw) is None
        assert why == [reason]


def test_public_entry_point_takes_ccxt_dicts() -> None:
    buy = {"bids": [[63999.9, 1.0]], "asks": [[64000.0, 0.5], [64000.5, 1.0]]}
    sell = {"bids": [[64150.0, 0.3], [64100.0, 2.0]], "asks": [[64150.1, 1.0]]}
    o = arb.evaluate(
        buy,
        sell,
        buy_market=ccxt_market(),
        sell_market=ccxt_market(),
        buy_fee=Fee(D("0.0008")),
        sell_fee=Fee(D("0.001")),
        limits=Limits(max_notional=D("5000"), min_net_bps=D("5")),
    )
    assert o is not None and o.cost <= D("5000") * (1 + D("0.0008"))
    assert o.buy.amount * o.buy.vwap <= D("5000")


@pytest.mark.parametrize(
    ("book", "match"),
    [
        ({"bids": [["x", 1]], "asks": [[100, 1]]}, "not a \\[price, amount\\]"),
        ({"bids": [[99, -1]], "asks": [[100, 1]]}, "amount must be a positive"),
        ({"bids": [[99, 1]], "asks": [[-100, 1]]}, "price must be a positive"),
        ({"bids": [[99, 1]], "asks": [[100, 1], [99.5, 1]]}, "ascending"),
        ({"bids": [[101, 1]], "asks": [[100, 1]]}, "crossed book"),
        ({"bids": [[99, 1]], "asks": [[float("nan"), 1]]}, "price must be a positive"),
        ("not a book", "expected a ccxt order book"),
    ],
)
def test_malformed_books_are_rejected(book: object, match: str) -> None:
    good = make_book(bids=[(98, 1)], asks=[(98.5, 1)])
    with pytest.raises(BookError, match=match):
        evaluate(
            book,
            make_book(bids=[(200, 1)], asks=[(201, 1)]),
            buy_market=market(),
            sell_market=market(),
            buy_fee=fee(),
            sell_fee=fee(),
        )
    del good


def test_unsorted_bids_deep_in_the_walk_are_rejected() -> None:
    buy = make_book(bids=[(99, 1)], asks=[(100, "1")])
    sell = {"bids": [[105.0, 0.1], [106.0, 5.0]], "asks": [[107.0, 1.0]]}
    with pytest.raises(BookError, match="descending"):
        evaluate(
            buy,
            sell,
            buy_market=market("X/USDT", lot="0.1", tick="0.1"),
            sell_market=market("X/USDT", lot="0.1", tick="0.1"),
            buy_fee=fee(),
            sell_fee=fee(),
        )


def test_market_without_precision_is_an_error() -> None:
    bad = ccxt_market()
    bad["precision"] = {"amount": None, "price": 0.01}
    with pytest.raises(MarketError, match=r"precision\.amount"):
        MarketSpec.from_ccxt(bad)
    with pytest.raises(MarketError, match="no limits"):
        MarketSpec.from_ccxt({k: v for k, v in ccxt_market().items() if k != "limits"})


def test_empty_side_means_nothing() -> None:
    assert (
        evaluate(
            make_book(bids=[(1, 1)]),
            make_book(bids=[(2, 1)], asks=[(3, 1)]),
            buy_market=market(),
            sell_market=market(),
            buy_fee=fee(),
            sell_fee=fee(),
        )
        is None
    )


# --------------------------------------------------------------------------- oracle
def _walk(levels: list[tuple[Decimal, Decimal]], amount: Decimal) -> tuple[Decimal, Decimal]:
    cost, left = D(0), amount
    for price, size in levels:
        take = min(size, left)
        cost += take * price
        left -= take
        if left == 0:
            return cost, price
    raise AssertionError("walk beyond depth")


def oracle(asks, bids, bm: MarketSpec, sm: MarketSpec, bf: Fee, sf: Fee, lim: Limits, bal: Balances):
    """Every B on the buy lot grid, the pinned formulas, the best net (ties: smaller B)."""
    phi = bf.taker if bf.currency == "received" else D(0)
    psi = bf.taker if bf.currency == "quote" else D(0)
    s = lim.slippage_bps / 10000
    depth_a, depth_b = sum(a for _, a in asks), sum(a for _, a in bids)
    best = None
    n = 1
    while n * bm.amount_step <= depth_a:
        B = n * bm.amount_step
        n += 1
        S = (B * (1 - phi) / sm.amount_step).to_integral_value(ROUND_FLOOR) * sm.amount_step
        if S <= 0 or depth_b < S:
            continue
        cost_raw, worst_ask = _walk(asks, B)
        proc_raw, worst_bid = _walk(bids, S)
        buy_limit = (worst_ask * (1 + s) / bm.price_step).to_integral_value(ROUND_CEILING) * bm.price_step
        sell_limit = (worst_bid * (1 - s) / sm.price_step).to_integral_value(ROUND_FLOOR) * sm.price_step
        if sell_limit <= buy_limit:
            continue
        if lim.max_notional is not None and cost_raw > lim.max_notional:
            continue
        if bal.quote_on_buy is not None and B * buy_limit * (1 + psi) > bal.quote_on_buy:
            continue
        if bal.base_on_sell is not None and bal.base_on_sell < S:
            continue
        if (bm.min_amount is not None and bm.min_amount > B) or (sm.min_amount is not None and sm.min_amount > S):
            continue
        if (bm.max_amount is not None and bm.max_amount < B) or (sm.max_amount is not None and sm.max_amount < S):
            continue
        if (bm.min_cost is not None and B * buy_limit < bm.min_cost) or (
            sm.min_cost is not None and S * sell_limit < sm.min_cost
        ):
            continue
        if (bm.max_cost is not None and B * buy_limit > bm.max_cost) or (
            sm.max_cost is not None and S * sell_limit > sm.max_cost
        ):
            continue
        cost = cost_raw * (1 + s) * (1 + psi)
        net = proc_raw * (1 - s) * (1 - sf.taker) - cost
        if net <= 0 or net < lim.min_net_profit or net * 10000 < lim.min_net_bps * cost:
            continue
        if best is None or net > best[0]:
            best = (net, B, S)
    return best


LOTS = ["0.001", "0.002", "0.005", "0.01", "0.03", "0.1", "0.25", "1"]
TICKS = ["0.01", "0.05", "0.1", "0.5", "1"]


@st.composite
def scenarios(draw):
    lb, ls = D(draw(st.sampled_from(LOTS))), D(draw(st.sampled_from(LOTS)))
    tb, ts = D(draw(st.sampled_from(TICKS))), D(draw(st.sampled_from(TICKS)))
    max_lots = 1500

    def side(lot: Decimal, tick: Decimal, start: Decimal, up: bool):
        n = draw(st.integers(1, 5))
        levels, price = [], (start / tick).to_integral_value() * tick
        total = D(0)
        for _ in range(n):
            amt = lot * draw(st.integers(1, max(1, max_lots // (5 * 2))))
            if total + amt > lot * max_lots:
                break
            levels.append((price, amt))
            total += amt
            price += tick * draw(st.integers(1, 40)) * (1 if up else -1)
            if price <= 0:
                break
        return levels

    base = D(draw(st.integers(50, 150)))
    edge_bps = draw(st.one_of(st.integers(-50, 60), st.integers(60, 600)))
    asks = side(lb, tb, base, True)
    bids = side(ls, ts, base * (1 + D(edge_bps) / 10000), False)
    opt = lambda s: draw(st.one_of(st.none(), s))  # noqa: E731
    bm = MarketSpec(
        "X/USDT",
        "X",
        "USDT",
        lb,
        tb,
        min_amount=opt(st.sampled_from([lb, lb * 3, lb * 20])),
        min_cost=opt(st.sampled_from([D("1"), D("5"), D("20")])),
        max_amount=opt(st.sampled_from([lb * 50, lb * 400])),
        max_cost=opt(st.sampled_from([D("500"), D("5000")])),
    )
    sm = MarketSpec(
        "X/USDT",
        "X",
        "USDT",
        ls,
        ts,
        min_amount=opt(st.sampled_from([ls, ls * 3, ls * 20])),
        min_cost=opt(st.sampled_from([D("1"), D("5"), D("20")])),
        max_amount=opt(st.sampled_from([ls * 50, ls * 400])),
        max_cost=opt(st.sampled_from([D("500"), D("5000")])),
    )
    rates = st.sampled_from(["0", "0.0002", "0.0008", "0.001", "0.002", "0.005"])
    bf = Fee(D(draw(rates)), draw(st.sampled_from(["received", "quote"])))
    sf = Fee(D(draw(rates)), draw(st.sampled_from(["received", "quote"])))
    lim = Limits(
        min_net_bps=D(draw(st.sampled_from(["0", "1", "5", "20"]))),
        min_net_profit=D(draw(st.sampled_from(["0", "0.01", "0.5", "3"]))),
        max_notional=opt(st.sampled_from([D("50"), D("300"), D("2000")])),
        slippage_bps=D(draw(st.sampled_from(["0", "1", "5"]))),
    )
    bal = Balances(
        quote_on_buy=opt(st.sampled_from([D("0"), D("40"), D("700"), D("100000")])),
        base_on_sell=opt(st.sampled_from([D("0"), D("0.5"), D("3"), D("1000")])),
    )
    floats = draw(st.booleans())
    return asks, bids, bm, sm, bf, sf, lim, bal, floats


def scenario_books(sc):
    """A :func:`scenarios` draw as evaluate()'s arguments: the buy book (its bid a tick under its asks, when
    there is room), the sell book (its ask a tick over its bids) and the keyword arguments."""
    asks, bids, bm, sm, bf, sf, lim, bal, floats = sc
    buy_book = make_book(
        bids=[(asks[0][0] - bm.price_step, 1)] if asks[0][0] > bm.price_step else [], asks=asks, floats=floats
    )
    sell_book = make_book(bids=bids, asks=[(bids[0][0] + sm.price_step, 1)], floats=floats)
    kw = {"buy_market": bm, "sell_market": sm, "buy_fee": bf, "sell_fee": sf, "limits": lim, "balances": bal}
    return buy_book, sell_book, kw


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_evaluator_equals_brute_force_oracle(sc) -> None:
    asks, bids, bm, sm, bf, sf, lim, bal, _ = sc
    buy_book, sell_book, kw = scenario_books(sc)
    with localcontext() as ctx:
        ctx.prec = 60
        want = oracle(asks, bids, bm, sm, bf, sf, lim, bal)
    got = evaluate(buy_book, sell_book, **kw)
    fast = evaluate(buy_book, sell_book, **kw)  # the default, budgeted scan
    if want is None:
        assert fast is None
        assert got is None, f"evaluator found {got} where every size is infeasible or unprofitable"
        return
    assert got is not None, f"oracle found net {want[0]} at B={want[1]}"
    assert not got.meta["approx"]
    assert got.net_profit == want[0]
    # The budgeted scan is exact unless it says otherwise, and then short by at most its bound,
    # which never exceeds one lot's value on either side.
    assert fast is not None
    shortfall = D(fast.meta["shortfall"])
    if not fast.meta["approx"]:
        assert (fast.net_profit, fast.buy.amount) == (want[0], want[1])
    assert want[0] - shortfall <= fast.net_profit <= want[0]
    lot_value = max(asks[-1][0] * bm.amount_step, bids[0][0] * sm.amount_step) * 2
    assert shortfall <= lot_value
    assert got.buy.amount == want[1], "ties must go to the smaller size"
    # Invariants of the pinned money semantics.
    phi = bf.taker if bf.currency == "received" else D(0)
    assert got.buy.amount % bm.amount_step == 0 and got.sell.amount % sm.amount_step == 0
    assert (
        got.sell.amount == (got.buy.amount * (1 - phi) / sm.amount_step).to_integral_value(ROUND_FLOOR) * sm.amount_step
    )
    assert 0 <= got.dust < sm.amount_step
    assert got.net_profit == got.proceeds - got.cost
    assert got.gross_profit == got.net_profit + got.fees_quote
    assert got.net_profit <= got.gross_profit
    assert got.buy.limit_price % bm.price_step == 0 and got.sell.limit_price % sm.price_step == 0
    assert got.buy.limit_price >= got.buy.worst_price and got.sell.limit_price <= got.sell.worst_price
    assert got.sell.limit_price > got.buy.limit_price
    assert got.net_bps * got.cost / 10000 == pytest.approx(got.net_profit, rel=D("1e-20"))


@st.composite
def uncapped_scenarios(draw):
    """No max_notional, no balances, no buy max cost: only depth and thresholds bound the size. Sell
    lots coarser (or finer, not a divisor) than buy lots, fees in either currency, a profitable top
    ask level and then levels within a tick or two of break-even, where completing whole sell lots
    can make a size deep in the marginal levels the best one."""
    lb = D(draw(st.sampled_from(["1", "0.1", "0.01", "0.001"])))
    ls = lb * D(draw(st.sampled_from(["7", "1.3", "0.7", "13", "3.7", "2", "1"])))
    tick = D(draw(st.sampled_from(["0.01", "0.05"])))
    rates = st.sampled_from(["0.001", "0.0005", "0", "0.002"])
    bf = Fee(D(draw(rates)), draw(st.sampled_from(["quote", "received"])))
    sf = Fee(D(draw(rates)), draw(st.sampled_from(["quote", "received"])))
    bid = (D(draw(st.integers(50, 150))) / tick).to_integral_value() * tick
    phi = bf.taker if bf.currency == "received" else D(0)
    psi = bf.taker if bf.currency == "quote" else D(0)
    even = bid * (1 - sf.taker) * (1 - phi) / (1 + psi)  # ask price at which a level just pays
    top = ((even - tick * draw(st.integers(1, 400))) / tick).to_integral_value(ROUND_FLOOR) * tick
    asks = [(top, lb * draw(st.integers(1, 30)) * draw(st.sampled_from([D("0.3"), D("0.77"), D(1)])))]
    price = max(top + tick, ((even / tick).to_integral_value(ROUND_FLOOR) + draw(st.integers(-2, 1))) * tick)
    for _ in range(draw(st.integers(0, 3))):  # marginal levels, a tick apart
        asks.append((price, lb * draw(st.integers(1, 40)) * draw(st.sampled_from([D(1), D("0.3"), D("2.1")]))))
        price += tick * draw(st.integers(1, 2))
    total = sum(a for _, a in asks)
    bids, bid_price = [], bid
    for _ in range(draw(st.integers(1, 2))):
        n = draw(st.one_of(st.just(int(total / ls) + 1), st.integers(1, 60)))
        bids.append((bid_price, ls * n))
        bid_price -= tick * draw(st.integers(1, 3))
    bm = MarketSpec("X/USDT", "X", "USDT", lb, tick, min_amount=draw(st.sampled_from([None, lb * 3])))
    sm = MarketSpec(
        "X/USDT",
        "X",
        "USDT",
        ls,
        tick,
        min_cost=draw(st.sampled_from([None, D("5")])),
        max_cost=draw(st.sampled_from([None, D("3000")])),
    )
    lim = Limits(
        min_net_bps=D(draw(st.sampled_from(["0", "0.5", "3"]))),
        min_net_profit=D(draw(st.sampled_from(["0", "0.001", "0.5"]))),
        slippage_bps=D(draw(st.sampled_from(["0", "1"]))),
    )
    return asks, bids, bm, sm, bf, sf, lim, Balances(), draw(st.booleans())


_REPRO_A = (
    [(D("50"), D("0.3")), (D("100.9"), D("5")), (D("100.91"), D("2.1"))],
    [(D("101"), D("7"))],
    market("X/USDT", lot="1", tick="0.01"),
    market("X/USDT", lot="0.7", tick="0.01"),
    Fee(D("0")),
    Fee(D("0.001"), "quote"),
    Limits(),
    Balances(),
    True,
)
_REPRO_B = (
    [(D("100.74"), D("0.1")), (D("100.95"), D("0.3")), (D("100.97"), D("0.95"))],
    [(D("101"), D("1.3"))],
    market("X/USDT", lot="0.1", tick="0.01"),
    market("X/USDT", lot="0.13", tick="0.01"),
    Fee(D("0.0005"), "quote"),
    Fee(D("0")),
    Limits(),
    Balances(),
    True,
)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(uncapped_scenarios())
@example(_REPRO_A)
@example(_REPRO_B)
def test_uncapped_evaluator_equals_brute_force_oracle(sc) -> None:
    asks, bids, bm, sm, bf, sf, lim, bal, floats = sc
    buy_book = make_book(bids=[(asks[0][0] - bm.price_step, 1)], asks=asks, floats=floats)
    sell_book = make_book(bids=bids, asks=[(bids[0][0] + sm.price_step, 1)], floats=floats)
    with localcontext() as ctx:
        ctx.prec = 60
        want = oracle(asks, bids, bm, sm, bf, sf, lim, bal)
    got = evaluate(buy_book, sell_book, buy_market=bm, sell_market=sm, buy_fee=bf, sell_fee=sf, limits=lim)
    if want is None:
        assert got is None, f"evaluator found {got} where every size is infeasible or unprofitable"
        return
    assert got is not None, f"oracle found net {want[0]} at B={want[1]}"
    assert (got.net_profit, got.buy.amount, got.sell.amount) == want


def test_same_lot_grid_sawtooth_is_solved_exactly() -> None:
    # Equal lot grids with a base fee: S = floor(B*0.999) loses up to a lot to rounding, so the best
    # B is not the largest one. Brute force over 25,000 lots agrees with the scan.
    asks = [(D("64000.00"), D("0.05")), (D("64001.50"), D("0.2"))]
    bids = [(D("64200.00"), D("0.03")), (D("64150.00"), D("0.5"))]
    bm = sm = market(lot="0.00001", tick="0.01")
    lim = Limits(max_notional=D("5000"))
    got = evaluate(
        make_book(bids=[(63999, 1)], asks=asks),
        make_book(bids=bids, asks=[(64300, 1)]),
        buy_market=bm,
        sell_market=sm,
        buy_fee=fee(),
        sell_fee=fee(),
        limits=lim,
    )
    with localcontext() as ctx:
        ctx.prec = 60
        want = oracle(asks, bids, bm, sm, fee(), fee(), lim, Balances())
    assert got is not None and (got.net_profit, got.buy.amount) == (want[0], want[1])


@settings(max_examples=400, deadline=None)
@given(
    st.integers(-50, 50),
    st.integers(-50, 50),
    st.integers(0, 3000),
    st.integers(1, 3000),
    st.integers(-5000, 5000),
    st.integers(0, 400),
)
def test_floor_max_matches_brute_force(al: int, pl: int, a: int, q: int, r: int, n: int) -> None:
    # The lattice-path maximiser behind the search: max of al·x + pl·floor((a·x + r)/q) over
    # 0 <= x <= n and its smallest argmax, against trying every x.
    from arb.core.search import floor_max

    values = [al * x + pl * ((a * x + r) // q) for x in range(n + 1)]
    best, arg, _ = floor_max(al, pl, a, q, r, n)
    assert (best, arg) == (max(values), values.index(max(values)))


# --------------------------------------------------------------------------- uncapped exactness (issue 13 item 4)
def test_uncapped_search_reads_past_the_marginal_level_for_lot_rounding() -> None:
    # Level 2 loses 0.001 a unit, but B=7 completes ten sell lots of 0.7 (no rounding loss) while
    # B=5 sells only 4.9: no cap exists, so the depth bound must not stop at the marginal level.
    asks = [(D("50"), D("0.3")), (D("100.9"), D("5")), (D("100.91"), D("2.1"))]
    bids = [(D("101"), D("7"))]
    bm, sm = market("X/USDT", lot="1", tick="0.01"), market("X/USDT", lot="0.7", tick="0.01")
    bf, sf = fee("0"), fee("0.001", "quote")
    o = evaluate(
        make_book(bids=[(49, 1)], asks=asks),
        make_book(bids=bids, asks=[(102, 1)]),
        buy_market=bm,
        sell_market=sm,
        buy_fee=bf,
        sell_fee=sf,
    )
    assert o is not None
    assert (o.buy.amount, o.sell.amount, o.net_profit) == (D("7"), D("7.0"), D("15.24600"))
    with localcontext() as ctx:
        ctx.prec = 60
        assert oracle(asks, bids, bm, sm, bf, sf, Limits(), Balances())[:2] == (o.net_profit, o.buy.amount)


def test_uncapped_search_finds_the_only_profitable_size_deep_in_the_book() -> None:
    # Only B=1.3 (ten sell lots of 0.13, the whole bid) clears fees; every smaller size loses.
    asks = [(D("100.74"), D("0.1")), (D("100.95"), D("0.3")), (D("100.97"), D("0.95"))]
    bids = [(D("101"), D("1.3"))]
    bm, sm = market("X/USDT", lot="0.1", tick="0.01"), market("X/USDT", lot="0.13", tick="0.01")
    bf, sf = fee("0.0005", "quote"), fee("0")
    why: list[str] = []
    o = evaluate(
        make_book(bids=[(100, 1)], asks=asks),
        make_book(bids=bids, asks=[(102, 1)]),
        buy_market=bm,
        sell_market=sm,
        buy_fee=bf,
        sell_fee=sf,
        why=why,
    )
    assert why == [] and o is not None
    assert (o.buy.amount, o.sell.amount, o.net_profit) == (D("1.3"), D("1.30"), D("0.0023840"))


def test_million_lot_plateau_resolves_ties_to_the_smallest_size_in_few_steps() -> None:
    # Level 2 pays exactly its fee (100 x 0.999 = 99.9): net is flat along it, except that only
    # every 7th buy lot completes a whole number of 0.7 sell lots. 2,000,000 lots tie at 2.97;
    # the pinned rule picks the smallest, B=7, and the search must not visit the lots one by one:
    # its steps (monoid products and exact point evaluations) do not grow with the plateau.
    def run(lots: int):
        asks = [(D("90"), D("0.3")), (D("99.9"), D(lots))]
        bids = [(D("100"), D(lots + 1))]
        return evaluate(
            make_book(bids=[(89, 1)], asks=asks),
            make_book(bids=bids, asks=[(101, 1)]),
            buy_market=market("X/USDT", lot="1", tick="0.01"),
            sell_market=market("X/USDT", lot="0.7", tick="0.01"),
            buy_fee=fee("0"),
            sell_fee=fee("0.001", "quote"),
        )

    o, small = run(2_000_000), run(2_000)
    assert o is not None and small is not None
    assert (o.buy.amount, o.sell.amount, o.net_profit) == (D("7"), D("7.0"), D("2.9700"))
    assert not o.meta["approx"]
    assert o.meta["steps"] <= 40  # was 285,716 jumps of 7 lots
    assert o.meta["steps"] == small.meta["steps"]
