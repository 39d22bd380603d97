"""The rebalancing planner against hand-worked cases, and its money properties (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from arb.inventory.networks import Network, NetworkTable, network_code
from arb.inventory.planner import plan
from arb.trade.risk import direction_blocker

D = Decimal


def net(venue: str, asset: str, code: str, fee: str, wmin: str, *, step: str = "0.000001", **kw: object) -> Network:
    args: dict[str, object] = {"deposit": True, "withdraw": True, "confirmations": 20} | kw
    return Network(venue, asset, code, withdraw_fee=D(fee), withdraw_min=D(wmin), withdraw_step=D(step), **args)  # type: ignore[arg-type]


def table(*nets: Network) -> NetworkTable:
    venues: dict[str, dict[str, dict[str, Network]]] = {}
    for n in nets:
        venues.setdefault(n.venue, {}).setdefault(n.asset, {})[n.network] = n
    return NetworkTable(venues)


USDT = [net(v, "USDT", code, fee, "10") for v in ("okx", "binance") for code, fee in (("ERC20", "4"), ("TRC20", "1"))]
BTC = [net(v, "BTC", "BTC", "0.0001", "0.001", step="0.00000001") for v in ("okx", "binance")]


def test_cheapest_open_network_is_chosen_and_amounts_are_exact() -> None:
    # target 50/50; okx holds 700, binance 300 → binance lacks 200: send 200 + fee over TRC20 (1 < 4)
    balances = {("okx", "USDT"): D("700"), ("binance", "USDT"): D("300")}
    target = {("okx", "USDT"): D("1"), ("binance", "USDT"): D("1")}
    p = plan(balances, target, table(*USDT), prices={"USDT": D(1)})
    (t,) = p.transfers
    assert (t.source, t.dest, t.network, t.status) == ("okx", "binance", "TRC20", "ok")
    assert (t.amount, t.fee, t.received) == (D("201"), D("1"), D("200"))
    assert p.after == {("okx", "USDT"): D("499"), ("binance", "USDT"): D("500")}
    assert p.fee_quote == D("1") and p.complete


def test_a_suspended_cheap_network_falls_back_to_the_next_cheapest() -> None:
    nets = [n for n in USDT if not (n.venue == "okx" and n.network == "TRC20")]
    nets.append(net("okx", "USDT", "TRC20", "1", "10", withdraw=False))
    p = plan(
        {("okx", "USDT"): D("700"), ("binance", "USDT"): D("300")},
        {("okx", "USDT"): D(1), ("binance", "USDT"): D(1)},
        table(*nets),
    )
    (t,) = p.transfers
    assert (t.network, t.amount, t.received) == ("ERC20", D("204"), D("200"))


def test_minimum_raises_the_amount_when_the_source_holds_it() -> None:
    # binance lacks 0.0004 BTC: 0.0004 + fee 0.0001 = 0.0005 < min 0.001 → raised to 0.001 (receives 0.0009)
    p = plan(
        {("okx", "BTC"): D("1.0004"), ("binance", "BTC"): D("0.9996")},
        {("okx", "BTC"): D(1), ("binance", "BTC"): D(1)},
        table(*BTC),
        min_fraction=D(0),
    )
    (t,) = p.transfers
    assert (t.amount, t.fee, t.received) == (D("0.001"), D("0.0001"), D("0.0009"))
    assert t.amount >= t.minimum and "minimum" in t.note  # type: ignore[operator]


def test_below_the_minimum_with_too_little_at_the_source_is_impossible() -> None:
    # okx holds only 0.0008 BTC: target half each of 0.0008 → binance lacks 0.0004, but any send must be ≥ 0.001
    p = plan(
        {("okx", "BTC"): D("0.0008"), ("binance", "BTC"): D("0")},
        {("okx", "BTC"): D(1), ("binance", "BTC"): D(1)},
        table(*BTC),
        min_fraction=D(0),
    )
    (t,) = p.transfers
    assert t.status == "impossible" and "minimum 0.001" in t.reason and t.amount == 0
    assert not p.complete and p.after[("binance", "BTC")] == 0


def test_no_common_open_network_is_impossible_and_says_why() -> None:
    nets = [
        net("okx", "USDT", "ERC20", "4", "10", withdraw=False),
        net("binance", "USDT", "ERC20", "4", "10"),
        net("binance", "USDT", "TRC20", "1", "10"),
    ]
    p = plan(
        {("okx", "USDT"): D("700"), ("binance", "USDT"): D("300")},
        {("okx", "USDT"): D(1), ("binance", "USDT"): D(1)},
        table(*nets),
    )
    (t,) = p.transfers
    assert t.status == "impossible" and "withdrawals suspended at okx" in t.reason


def test_unknown_venue_is_unknown_not_guessed() -> None:
    p = plan(
        {("okx", "USDT"): D("700"), ("bybit", "USDT"): D("300")},
        {("okx", "USDT"): D(1), ("bybit", "USDT"): D(1)},
        table(*USDT),
    )
    (t,) = p.transfers
    assert t.status == "unknown" and "bybit" in t.reason and t.fee is None


def test_flagged_when_the_fee_exceeds_the_share_of_enabled_pnl() -> None:
    balances = {("okx", "USDT"): D("700"), ("binance", "USDT"): D("300")}
    target = {("okx", "USDT"): D(1), ("binance", "USDT"): D(1)}
    # 200 USDT received enables 200 × 0.001 = 0.2 USDT of PnL; the 1 USDT fee is > 0.5 × 0.2
    cheap = plan(balances, target, table(*USDT), prices={"USDT": D(1)}, pnl_per_unit={"USDT": D("0.001")})
    assert cheap.transfers[0].flagged and cheap.transfers[0].enabled_pnl == D("0.200")
    rich = plan(balances, target, table(*USDT), prices={"USDT": D(1)}, pnl_per_unit={"USDT": D("0.02")})
    assert not rich.transfers[0].flagged


def test_network_codes_are_unified() -> None:
    codes = [network_code(x) for x in ("ETH", "erc20", "TRX", "BSC", "Avalanche C-Chain")]
    assert codes == ["ERC20", "ERC20", "TRC20", "BEP20", "AVAXC"]


def test_applied_plan_re_enables_a_disabled_direction() -> None:
    # buy binance → sell okx is disabled: binance has no USDT and okx no BTC
    balances = {
        ("okx", "USDT"): D("20000"),
        ("binance", "USDT"): D("0"),
        ("okx", "BTC"): D("0"),
        ("binance", "BTC"): D("0.4"),
    }
    target = {(v, a): x for v in ("okx", "binance") for a, x in (("USDT", D(10000)), ("BTC", D("0.2")))}

    def blocker(b: dict[tuple[str, str], Decimal]) -> str | None:
        return direction_blocker("BTC/USDT", "binance", "okx", lambda v, a: b.get((v, a)), D("0.0001"), D("5"))

    assert blocker(balances) is not None
    p = plan(balances, target, table(*USDT, *BTC))
    assert p.complete and {(t.asset, t.source, t.dest) for t in p.transfers} == {
        ("USDT", "okx", "binance"),
        ("BTC", "binance", "okx"),
    }
    assert blocker(p.after) is None


amounts = st.decimals(min_value=D("0"), max_value=D("100000"), places=6, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(
    a=amounts,
    b=amounts,
    c=amounts,
    fee=st.decimals(min_value=D("0"), max_value=D("20"), places=2),
    wmin=st.decimals(min_value=D("0"), max_value=D("50"), places=1),
)
def test_conservation_and_minimum_properties(a: Decimal, b: Decimal, c: Decimal, fee: Decimal, wmin: Decimal) -> None:
    nets = [net(v, "USDT", "TRC20", str(fee), str(wmin), deposit_min=wmin / 2) for v in ("okx", "binance", "bybit")]
    balances = {("okx", "USDT"): a, ("binance", "USDT"): b, ("bybit", "USDT"): c}
    target = {("okx", "USDT"): D(1), ("binance", "USDT"): D(2), ("bybit", "USDT"): D(1)}
    p = plan(balances, target, table(*nets), min_fraction=D(0))
    for t in p.transfers:
        if t.status != "ok":
            continue
        assert t.amount == t.received + t.fee  # sent = received + fee, exactly
        assert t.amount >= wmin and t.received >= wmin / 2 and t.received > 0  # never below either minimum
    total_before = a + b + c
    total_after = sum(p.after.values(), D(0))
    assert total_after == total_before - sum((t.fee for t in p.ok), D(0))  # fees are the only loss
    assert all(x >= 0 for x in p.after.values())  # never sends what a venue does not hold


def test_an_unknown_fee_is_not_guessed_and_ranks_after_known_fees() -> None:
    nets = [net(v, "USDT", "TRC20", "1", "10") for v in ("okx", "binance")]
    nets += [Network(v, "USDT", "SOL", True, True, None, D("10"), D("0.000001")) for v in ("okx", "binance")]
    balances = {("okx", "USDT"): D("700"), ("binance", "USDT"): D("300")}
    target = {("okx", "USDT"): D(1), ("binance", "USDT"): D(1)}
    (t,) = plan(balances, target, table(*nets), prices={"USDT": D(1)}).transfers
    assert t.network == "TRC20"  # a known 1 USDT beats an unknown fee
    only = [n for n in nets if n.network == "SOL"]
    p = plan(balances, target, table(*only), prices={"USDT": D(1)})
    (u,) = p.transfers
    assert (u.status, u.fee, u.fee_quote, u.amount) == ("ok", None, None, D("200")) and "fee unknown" in u.note
    assert p.fee_quote is None  # no price for the plan: net after rebalancing is not claimed


def test_deposit_minimum_at_the_destination_is_received() -> None:
    # binance lacks 2 USDT; it credits deposits from 5: send 5 + fee 1 (the withdrawal minimum 0 is not the limit)
    nets = [net(v, "USDT", "TRC20", "1", "0", deposit_min=D("5")) for v in ("okx", "binance")]
    p = plan(
        {("okx", "USDT"): D("102"), ("binance", "USDT"): D("98")},
        {("okx", "USDT"): D(1), ("binance", "USDT"): D(1)},
        table(*nets),
        min_fraction=D(0),
    )
    (t,) = p.transfers
    assert (t.amount, t.received) == (D("6"), D("5")) and "deposit minimum" in t.note
    poor = plan(
        {("okx", "USDT"): D("4"), ("binance", "USDT"): D("0")},
        {("okx", "USDT"): D(1), ("binance", "USDT"): D(1)},
        table(*nets),
        min_fraction=D(0),
    )
    assert poor.transfers[0].status == "impossible" and "credits deposits from 5" in poor.transfers[0].reason
