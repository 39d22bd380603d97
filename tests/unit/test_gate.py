"""The decision gate, driven directly: a sighting (opportunity + the books it was evaluated on + its streak),
balances, marks and now_ms in, a typed verdict out — confirm, cool-down, pair in flight, depth, risk."""

from __future__ import annotations

from decimal import Decimal

from arb.config import RiskConfig
from arb.core.evaluator import evaluate
from arb.core.kinds import Verdict
from arb.core.model import Balances, Episode, Fee, Limits
from arb.scan.engine import BookSlot, Sighting
from arb.trade.accounts import Marks
from arb.trade.gate import Gate, GateRules, pair_of, versions
from arb.trade.risk import RiskGate
from tests.kit.builders import make_book, market

D = Decimal
SYM = "BTC/USDT"
T0 = 1_800_000_000_000
MARKETS = {(v, SYM): market(lot="0.00001", tick="0.1") for v in ("okx", "bybit")}
FEES = {(v, SYM): Fee(D("0.001")) for v in ("okx", "bybit")}
LIMITS = Limits(max_notional=D("1000"), min_net_bps=D("1"))


def books(ask_amount: str = "0.02") -> tuple[BookSlot, BookSlot]:
    cheap = make_book(bids=[(63990, 1)], asks=[(64000, ask_amount)])  # okx: buy here
    rich = make_book(bids=[(64300, ask_amount)], asks=[(64310, 1)])  # bybit: sell here
    return BookSlot(cheap | {"nonce": 1}, 100), BookSlot(rich | {"nonce": 1}, 100)


def sighting(streak: int = 3, ask_amount: str = "0.02") -> Sighting:
    b, s = books(ask_amount)
    opp = evaluate(
        b.book,
        s.book,
        buy_market=MARKETS[("okx", SYM)],
        sell_market=MARKETS[("bybit", SYM)],
        buy_fee=FEES[("okx", SYM)],
        sell_fee=FEES[("bybit", SYM)],
        limits=LIMITS,
        balances=Balances(),
        symbol=SYM,
        buy_venue="okx",
        sell_venue="bybit",
    )
    assert opp is not None
    return Sighting(opp, Episode("e1", SYM, "okx", "bybit", T0, T0), streak, b, s)


def gate(confirm: int = 2, depth: str = "1", **risk: object) -> Gate:
    rules = GateRules(confirm, D(depth), True)
    return Gate(rules, RiskGate(RiskConfig(**risk)), MARKETS, FEES, LIMITS)  # type: ignore[arg-type]


def decide(g: Gate, s: Sighting) -> Verdict:
    return g.decide(s, balances=Balances(), marks=Marks(), now_ms=T0).verdict


def test_accept_carries_the_trade_and_its_streak() -> None:
    d = gate().decide(sighting(), balances=Balances(), marks=Marks(), now_ms=T0)
    assert d.verdict == Verdict.ACCEPT and d.trade is not None and d.trade.buy.amount > 0
    assert d.info["streak"] == 3 and d.info["confirm_updates"] == 2


def test_confirming_until_the_streak_reaches_confirm_updates() -> None:
    g = gate(confirm=3)
    assert decide(g, sighting(streak=2)) == Verdict.CONFIRMING
    assert decide(g, sighting(streak=3)) == Verdict.ACCEPT


def test_pair_in_flight_then_cooldown_until_both_books_changed() -> None:
    g, s = gate(), sighting()
    pair = pair_of(s.opp)
    g.begin(pair)
    assert decide(g, s) == Verdict.PAIR_IN_FLIGHT
    g.end(pair, versions({("okx", SYM): s.buy_book, ("bybit", SYM): s.sell_book}, pair))
    assert decide(g, s) == Verdict.COOLDOWN
    s.buy_book.recv_ms += 1  # one book updated: still cooling
    assert decide(g, s) == Verdict.COOLDOWN
    s.sell_book.book["nonce"] = 2  # both did
    assert decide(g, s) == Verdict.ACCEPT and pair not in g.cooldown


def test_depth_reevaluates_on_the_sighted_books_with_amounts_divided() -> None:
    # 0.02 BTC on each side; at depth 4 only 0.005 is "there": still pays (smaller) with a deep book
    d = gate(depth="4").decide(sighting(ask_amount="0.02"), balances=Balances(), marks=Marks(), now_ms=T0)
    assert d.verdict == Verdict.ACCEPT and d.trade is not None and d.trade.buy.amount < d.opp.buy.amount
    # 4000 times larger: a 4000th of 0.02 is below one lot, nothing fits
    assert decide(gate(depth="4000"), sighting(ask_amount="0.02")) == Verdict.DEPTH


def test_risk_limits_and_halts_are_typed_verdicts() -> None:
    assert decide(gate(max_notional_per_trade=D(10)), sighting()) == Verdict.NOTIONAL
    g = gate()
    g.risk.halt("kill", "test", T0)
    assert decide(g, sighting()) == Verdict.HALTED_KILL
    g2 = gate()
    g2.risk.begin("x", sighting().opp)  # max_in_flight = 1
    assert decide(g2, sighting()) == Verdict.IN_FLIGHT


def test_nothing_in_arb_trade_reaches_back_into_the_engine() -> None:
    """One-way flow: arb/trade gets what it needs from the Sighting and the published book handles; it never
    reads the engine's state (books, streaks, markets, fees) nor swaps the scanner's parts."""
    import ast
    from pathlib import Path

    import arb.trade

    for path in Path(arb.trade.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("engine", "streaks"):
                raise AssertionError(f"{path.name}:{node.lineno} reaches into the engine (.{node.attr})")
