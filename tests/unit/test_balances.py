"""The gate's balance book (issue 13 item 2): reserve on send, settle on the final state, apply only quiet
snapshots. A hypothesis state machine interleaves acceptances, sends, venue executions (partial, price
improvement, fees), settlements, unknown outcomes and balance fetches whose snapshot instant falls anywhere
inside the request, and checks that the gate never believes in money the venue does not have."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from arb.core.ledger import LegFill
from arb.core.model import Fee
from arb.trade.balances import BalanceBook, leg_need

D = Decimal
V, SYM, BASE, QUOTE = "bybit", "BTC/USDT", "BTC", "USDT"
FEE = Fee(D("0.001"), "quote")
START = {QUOTE: D(3000), BASE: D(30)}


def leg(o: dict, state: str = "intent", fill: Decimal = D(0), px: Decimal | None = None) -> LegFill:
    px = px if px is not None else o["px"]
    cost = fill * px
    fees = ((QUOTE, cost * FEE.taker),) if fill else ()
    return LegFill(V, SYM, o["side"], o["cid"], o["amount"], o["px"], state=state, filled=fill, cost=cost, fees=fees)


class Interleavings(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.book = BalanceBook()
        self.true = dict(START)  # what the venue holds
        self.book.set_fetched(V, self.true, self.true)  # start-up: nothing in flight
        self.orders: dict[str, dict] = {}
        self.fetches: list[dict] = []
        self.n = 0

    def asset(self, o: dict) -> str:
        return QUOTE if o["side"] == "buy" else BASE

    @rule(side=st.sampled_from(["buy", "sell"]), lots=st.integers(1, 30), px=st.integers(90, 110))
    def accept(self, side: str, lots: int, px: int) -> None:
        amount = D(lots) / 10
        need = leg_need(side, amount, D(px), BASE, QUOTE, FEE)
        ((asset, amt),) = need.items()
        have = self.book.spendable(V, asset)
        if have is None or have < amt:
            return  # the gate refuses
        self.n += 1
        cid = f"c{self.n}"
        self.orders[cid] = {"cid": cid, "side": side, "amount": amount, "px": D(px), "need": need, "state": "held"}
        self.book.reserve(f"o{self.n}", V, side, need)

    def in_state(self, *states: str) -> list[str]:
        return sorted(c for c, o in self.orders.items() if o["state"] in states)

    @precondition(lambda self: self.in_state("held"))
    @rule(data=st.data())
    def send(self, data: st.DataObject) -> None:
        cid = data.draw(st.sampled_from(self.in_state("held")))
        o = self.orders[cid]
        self.book.sent(f"o{cid[1:]}", leg(o), o["need"])
        o["state"] = "sent"

    @precondition(lambda self: self.in_state("sent", "unknown"))
    @rule(data=st.data(), fill=st.integers(0, 10), better=st.integers(0, 3))
    def venue_executes(self, data: st.DataObject, fill: int, better: int) -> None:
        cid = data.draw(st.sampled_from(self.in_state("sent", "unknown")))
        o = self.orders[cid]
        ((asset, need),) = o["need"].items()
        assert self.true[asset] >= need, f"venue refuses {cid}: {asset} free {self.true[asset]} < {need} needed"
        filled = o["amount"] * fill / 10
        px = o["px"] - better if o["side"] == "buy" else o["px"] + better
        cost = filled * px
        fee = cost * FEE.taker
        if o["side"] == "buy":
            self.true[QUOTE] -= cost + fee
            self.true[BASE] += filled
        else:
            self.true[BASE] -= filled
            self.true[QUOTE] += cost - fee
        o["final"] = leg(o, "closed" if fill == 10 else "canceled", filled, px)
        o["state"] = "executed" if o["state"] == "sent" else "unknown_executed"

    @precondition(lambda self: self.in_state("executed"))
    @rule(data=st.data())
    def settle(self, data: st.DataObject) -> None:
        cid = data.draw(st.sampled_from(self.in_state("executed")))
        self.book.settle(self.orders[cid]["final"])
        self.orders[cid]["state"] = "settled"

    @precondition(lambda self: self.in_state("sent"))
    @rule(data=st.data())
    def outcome_unknown(self, data: st.DataObject) -> None:  # no answer: the order may still execute
        cid = data.draw(st.sampled_from(self.in_state("sent")))
        self.book.settle(leg(self.orders[cid], "unknown"))
        self.orders[cid]["state"] = "unknown"

    @precondition(lambda self: self.in_state("unknown_executed"))
    @rule(data=st.data())
    def reconcile_decides(self, data: st.DataObject) -> None:
        cid = data.draw(st.sampled_from(self.in_state("unknown_executed")))
        self.book.resolve(cid)
        self.orders[cid]["state"] = "settled"

    @rule()
    def fetch_starts(self) -> None:
        self.fetches.append({"ticket": self.book.fetch_started(V), "snap": None})

    @precondition(lambda self: any(f["snap"] is None for f in self.fetches))
    @rule(data=st.data())
    def venue_answers(self, data: st.DataObject) -> None:  # the instant the venue reads its balances
        f = data.draw(st.sampled_from([f for f in self.fetches if f["snap"] is None]))
        f["snap"] = dict(self.true)

    @precondition(lambda self: any(f["snap"] is not None for f in self.fetches))
    @rule(data=st.data())
    def answer_arrives(self, data: st.DataObject) -> None:
        f = data.draw(st.sampled_from([f for f in self.fetches if f["snap"] is not None]))
        self.fetches.remove(f)
        self.book.set_fetched(V, f["snap"], f["snap"], f["ticket"])

    @invariant()
    def never_believes_in_money_the_venue_lacks(self) -> None:
        for asset in (QUOTE, BASE):
            owed = sum(
                (o["need"].get(asset, D(0)) for o in self.orders.values() if o["state"] in ("held", "sent", "unknown")),
                D(0),
            )
            spendable = self.book.spendable(V, asset)
            assert spendable is not None
            assert spendable + owed <= self.true[asset], (asset, spendable, owed, self.true[asset])


TestInterleavings = Interleavings.TestCase
TestInterleavings.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)


def test_quiet_snapshot_replaces_and_busy_one_waits() -> None:
    book = BalanceBook()
    book.set_fetched(V, {QUOTE: D(100)}, {QUOTE: D(100)})
    t = book.fetch_started(V)
    h = book.reserve("o1", V, "sell", {BASE: D(1)})
    assert not book.set_fetched(V, {QUOTE: D(200)}, {QUOTE: D(200)}, t)  # a hold appeared during the fetch
    assert V in book.pending and book.spendable(V, QUOTE) == D(100)
    book.sent("o1", LegFill(V, SYM, "sell", "x", D(1), D(100)), {BASE: D(1)})
    assert h.client_id == "x"
    book.settle(LegFill(V, SYM, "sell", "x", D(1), D(100), state="closed", filled=D(1), cost=D(100)))
    assert book.spendable(V, QUOTE) == D(200) and not book.holds
    assert book.set_fetched(V, {QUOTE: D(200)}, {QUOTE: D(200)}, book.fetch_started(V))
    assert V not in book.pending


def test_leg_need_reserves_the_fee_in_quote_only_when_charged_there() -> None:
    assert leg_need("buy", D(2), D(100), BASE, QUOTE, Fee(D("0.001"), "quote")) == {QUOTE: D("200.200")}
    assert leg_need("buy", D(2), D(100), BASE, QUOTE, Fee(D("0.001"), "received")) == {QUOTE: D(200)}
    assert leg_need("sell", D(2), D(100), BASE, QUOTE, Fee(D("0.001"), "quote")) == {BASE: D(2)}
