"""Networks from ccxt's currency dicts: venue spellings unified, Decimal money, tri-state flags, changes, marks;
the [rebalance] config's one-line errors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from arb.config import Config
from arb.core.errors import ConfigError
from arb.inventory.marks import mark
from arb.inventory.networks import NetworkTable, changes, from_ccxt, route

D = Decimal


def currency(code: str, **nets: dict[str, Any]) -> dict[str, Any]:
    return {"code": code, "networks": nets}


def n(network: str, fee: float | None, wmin: float, *, dep: bool | None = True, wd: bool | None = True, **info: Any):
    return {
        "network": network,
        "deposit": dep,
        "withdraw": wd,
        "fee": fee,
        "precision": 1e-06,
        "limits": {"withdraw": {"min": wmin}},
        "info": info,
    }


BINANCE = {  # Binance spells ERC20 "ETH" and TRC20 "TRX" in some ccxt versions; fees as floats
    "USDT": currency("USDT", ETH=n("ETH", 4.0, 10.0, minConfirm=64, estimatedArrivalTime=5), TRX=n("TRX", 1.0, 10.0)),
    "BTC": currency("BTC", BTC=n("BTC", 0.0001, 0.001, minConfirm=1)),
}
OKX = {
    "USDT": currency("USDT", ERC20=n("ERC20", 4.0, 10.0), TRC20=n("TRC20", 1.0, 10.0, minDepArrivalConfirm="20")),
    "BTC": currency("BTC", BTC=n("BTC", 0.0001, 0.001, wd=None)),  # the venue does not say
}


def test_from_ccxt_unifies_codes_and_keeps_money_exact() -> None:
    usdt = from_ccxt("binance", BINANCE, ["USDT", "BTC", "SOL"])
    assert set(usdt["USDT"]) == {"ERC20", "TRC20"} and usdt["SOL"] == {}
    erc = usdt["USDT"]["ERC20"]
    assert (erc.withdraw_fee, erc.withdraw_min, erc.confirmations) == (D("4"), D("10"), 64)
    assert (erc.arrival_s, erc.arrival_source) == (300, "venue")  # Binance's estimatedArrivalTime is in minutes
    trc = from_ccxt("okx", OKX, ["USDT"])["USDT"]["TRC20"]
    assert (trc.arrival_s, trc.arrival_source) == (60, "confirmations")  # 20 confirmations × 3 s


def test_an_inactive_network_is_closed_both_ways() -> None:
    cur = {"USDT": currency("USDT", TRC20=n("TRC20", 1.0, 10.0, dep=None, wd=None) | {"active": False})}
    trc = from_ccxt("okx", cur, ["USDT"])["USDT"]["TRC20"]
    assert (trc.deposit, trc.withdraw) == (False, False)


def test_fee_missing_from_currencies_comes_from_deposit_withdraw_fees() -> None:
    cur = {"USDT": currency("USDT", TRC20=n("TRC20", None, 10.0))}
    fees = {"USDT": {"networks": {"TRC20": {"withdraw": {"fee": 1.5}}}}}
    assert from_ccxt("okx", cur, ["USDT"], fees)["USDT"]["TRC20"].withdraw_fee == D("1.5")


def table() -> NetworkTable:
    return NetworkTable(
        {"okx": from_ccxt("okx", OKX, ["USDT", "BTC"]), "binance": from_ccxt("binance", BINANCE, ["USDT", "BTC"])}
    )


def test_routes_across_venue_spellings_and_tri_state() -> None:
    t = table()
    r = route(t, "USDT", "binance", "okx")
    assert (r.status, r.network, r.fee) == ("yes", "TRC20", D("1"))
    assert route(t, "BTC", "okx", "binance").status == "unknown"  # okx does not say whether BTC withdrawals are open
    assert route(t, "BTC", "binance", "okx").status == "yes"
    assert route(t, "USDT", "okx", "bybit").status == "unknown" and "bybit" in route(t, "USDT", "okx", "bybit").reason
    m = mark(t, "BTC/USDT", "binance", "okx")  # BTC binance→okx, USDT okx→binance
    assert m.status == "yes" and m.cost_quote(D("60000")) == D("0.0001") * 60000 + 1
    assert mark(t, "BTC/USDT", "okx", "binance").status == "unknown"


def test_changes_name_suspensions_and_resumptions() -> None:
    before = table()
    okx = {**OKX, "USDT": currency("USDT", ERC20=n("ERC20", 4.0, 10.0), TRC20=n("TRC20", 1.0, 10.0, wd=False))}
    after = before.with_venue("okx", from_ccxt("okx", okx, ["USDT", "BTC"]))
    (c,) = changes(before, after)
    assert (c.venue, c.asset, c.network, c.what, c.now) == ("okx", "USDT", "TRC20", "withdraw", "suspended")
    assert route(after, "USDT", "okx", "binance").network == "ERC20"  # the next cheapest open network
    (back,) = changes(after, before)
    assert back.now == "resumed"
    assert NetworkTable.from_json(after.as_json()) == after  # the journaled snapshot round-trips exactly


@pytest.mark.parametrize(
    ("table_", "needle"),
    [
        ({"max_fee_share": -1}, "rebalance.max_fee_share = -1:"),
        ({"networks_refresh_s": 0}, "rebalance.networks_refresh_s = 0:"),
        ({"targets": {"okx": {"USDT": "x"}}}, "rebalance.targets.okx.USDT"),
        ({"bogus": 1}, "bogus"),
        ({"targets": {"okk": {"USDT": 1}}}, 'rebalance.targets.okk: not a configured venue (did you mean "okx"?)'),
    ],
)
def test_rebalance_config_errors_are_one_line(table_: dict[str, Any], needle: str) -> None:
    with pytest.raises(ConfigError) as e:
        Config.from_dict({"rebalance": table_}, env={})
    (line,) = e.value.problems
    assert needle in line and "\n" not in line


def test_require_transferable_is_a_scanner_key() -> None:
    assert Config.from_dict({"scanner": {"require_transferable": True}}, env={}).scanner.require_transferable
    with pytest.raises(ConfigError, match=r"scanner\.require_transferable"):
        Config.from_dict({"scanner": {"require_transferable": "maybe"}}, env={})
