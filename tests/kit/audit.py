"""Audit: the venues' own truth (simulator order logs, fills, balances) against arb's journal.

``audit(journal_path, sim)`` returns one line per disagreement (empty = agreement):

- every order a venue accepted is journaled on that venue, never ``rejected``, with the venue's final
  state (filled → ``closed``; cancelled/expired remainder → ``canceled`` or ``closed``; open → ``open``),
  filled amount, fee and fee currency; a journaled order the venue never accepted holds nothing;
- every venue fill is journaled (trade id, client id, amount, price, fee, fee currency) and no journaled
  fill is missing at the venue;
- per venue and currency, the balance change since the start equals the journal's fill flows and fees;
- no client id reached a venue twice;
- per opportunity, the open exposures in the journal equal the real base imbalance computed from the
  venue fills (dust: a long residual no order on the opportunity's venues could sell), and no imbalance is
  left without an exposure;
- under the ``hedge`` policy no opportunity is left unhedged beyond dust;
- an opportunity's two legs (``leg`` buy/sell) reached the venues from one process, never one from a later
  one (given the processes' start times).

The comparison is a pure function of plain data (:class:`VenueTruth`, :class:`JournalView`), so it can be
tested on hand-built cases; :func:`audit` collects both sides from a running simulator and a journal file.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any

from arb.store import Journal

ZERO = Decimal(0)
TOLERANCE = Decimal("1e-9")  # what float round trips inside ccxt may move a journaled number by
MAIN_LEGS = ("buy", "sell")


@dataclass(slots=True)
class VenueTruth:
    """What the venues know: attempts (order-log entries), fills, balances at start and now, lots."""

    attempts: list[dict[str, Any]]
    fills: list[dict[str, Any]]
    start: dict[str, dict[str, Decimal]]  # venue -> currency -> balance at start
    now: dict[str, dict[str, Decimal]]
    lots: dict[tuple[str, str], Decimal] = field(default_factory=dict)  # (venue, symbol) -> lot
    # (venue, symbol) -> (minimum size, minimum notional) of one order
    minimums: dict[tuple[str, str], tuple[Decimal, Decimal]] = field(default_factory=dict)


@dataclass(slots=True)
class JournalView:
    """What arb's journal believes: orders by client id, fills, exposures; the configured policy."""

    orders: dict[str, dict[str, Any]]
    fills: list[dict[str, Any]]
    exposures: list[dict[str, Any]]
    policy: str | None = None


def venue_truth(sim: Any) -> VenueTruth:
    """Collect the truth from a running :class:`~exchanges.sim.harness.LoopbackExchanges`."""
    venues = list(sim.servers)
    lots = {(v, s): sim.market.spec(v, s).lot for v in venues for s in sim.symbols}
    minimums = {
        (v, s): (sim.market.spec(v, s).min_size, sim.market.spec(v, s).min_notional)
        for v in venues
        for s in sim.symbols
    }
    return VenueTruth(
        attempts=sim.attempts(),
        fills=[f for v in venues for f in sim.fills(v)],
        start={v: dict(sim.initial_balances[v]) for v in venues},
        now={v: sim.account_balances(v) for v in venues},
        lots=lots,
        minimums=minimums,
    )


def journal_view(path: str | Path, policy: str | None = None) -> JournalView:
    """Read the journal (read-only); ``policy`` defaults to the last run's ``execution.on_partial``."""
    import json

    with Journal.open(path, readonly=True) as j:
        orders = {o["client_id"]: o for o in j.orders()}
        fills, exposures = j.fills(), j.exposures()
        if policy is None:
            for run in reversed(j.runs()):
                try:
                    policy = json.loads(run.get("config_json") or "{}").get("execution", {}).get("on_partial")
                except ValueError:
                    continue
                if policy:
                    break
    return JournalView(orders, fills, exposures, policy)


def audit(
    journal_path: str | Path, sim: Any, *, policy: str | None = None, process_starts: list[int] | None = None
) -> list[str]:
    """Every disagreement between the venues and the journal (see the module doc); ``process_starts``: the
    start times (ms) of the successive ``arb`` processes, for the one-process-per-opportunity check."""
    return compare(venue_truth(sim), journal_view(journal_path, policy), process_starts)


# ------------------------------------------------------------------------------------------ comparison
def compare(truth: VenueTruth, view: JournalView, process_starts: list[int] | None = None) -> list[str]:
    return [
        *duplicate_sends(truth),
        *order_states(truth, view),
        *fill_rows(truth, view),
        *balance_changes(truth, view),
        *exposure_checks(truth, view),
        *legs_across_processes(truth, view, sorted(process_starts or [])),
    ]


def d(x: Any) -> Decimal:
    return ZERO if x is None else x if isinstance(x, Decimal) else Decimal(str(x))


def near(a: Any, b: Any) -> bool:
    return abs(d(a) - d(b)) <= TOLERANCE * max(Decimal(1), abs(d(a)))


def duplicate_sends(truth: VenueTruth) -> list[str]:
    seen: dict[str, list[str]] = defaultdict(list)
    for a in truth.attempts:
        if a["client_id"]:
            seen[a["client_id"]].append(a["venue"])
    return [
        f"client id {cid} reached the venues {len(vs)} times ({', '.join(vs)})"
        for cid, vs in seen.items()
        if len(vs) > 1
    ]


def expected_states(status: str) -> tuple[str, ...]:
    return {
        "filled": ("closed",),
        "canceled": ("canceled", "closed"),
        "live": ("open",),
        "partially_filled": ("open",),
    }.get(status, (status,))


def order_states(truth: VenueTruth, view: JournalView) -> list[str]:
    out: list[str] = []
    accepted = {a["client_id"]: a for a in truth.attempts if a["order_id"] is not None}
    for cid, a in accepted.items():
        where = f"{a['venue']} order {cid} ({a['side']} {a['symbol']}, venue: {a['status']}, filled {a['filled']})"
        j = view.orders.get(cid)
        if j is None:
            out.append(f"{where}: not in the journal")
            continue
        if j["venue"] != a["venue"]:
            out.append(f"{where}: journaled on venue {j['venue']}")
        if j["state"] not in expected_states(a["status"]):
            out.append(f"{where}: journaled {j['state']} ({j.get('reason') or 'no reason'})")
        if not near(j.get("filled"), a["filled"]):
            out.append(f"{where}: journal filled {j.get('filled')}")
        if a["filled"] > 0:
            if not near(j.get("fee"), a["fee"]):
                out.append(f"{where}: journal fee {j.get('fee')} != venue fee {a['fee']}")
            if j.get("fee_currency") != a["fee_currency"]:
                out.append(f"{where}: journal fee currency {j.get('fee_currency')} != {a['fee_currency']}")
    for cid, j in view.orders.items():
        if cid in accepted:
            continue
        if j["state"] in ("sent", "unknown", "open") or d(j.get("filled")) != 0:
            out.append(
                f"{j['venue']} order {cid}: journaled {j['state']} filled {j.get('filled')}, "
                "but the venue never accepted it"
            )
    return out


def fill_rows(truth: VenueTruth, view: JournalView) -> list[str]:
    out: list[str] = []
    journaled = {(f["venue"], str(f["trade_id"])): f for f in view.fills}
    at_venue = {(f["venue"], str(f["trade_id"])): f for f in truth.fills}
    for k, f in at_venue.items():
        where = f"{f['venue']} fill {f['trade_id']} of {f['client_id']} ({f['side']} {f['amount']} @ {f['price']})"
        j = journaled.get(k)
        if j is None:
            out.append(f"{where}: missing from the journal")
            continue
        if j["client_id"] != f["client_id"]:
            out.append(f"{where}: journaled for client id {j['client_id']}")
        for name in ("amount", "price", "fee"):
            if not near(j.get(name), f[name]):
                out.append(f"{where}: journal {name} {j.get(name)} != venue {f[name]}")
        if j.get("fee_currency") != f["fee_currency"]:
            out.append(f"{where}: journal fee currency {j.get('fee_currency')} != {f['fee_currency']}")
    for k, j in journaled.items():
        if k not in at_venue:
            out.append(f"{j['venue']} fill {j['trade_id']} of {j['client_id']} is journaled but not at the venue")
    return out


def fill_flows(
    side: str, symbol: str, amount: Decimal, price: Decimal, fee: Decimal, fee_ccy: str | None
) -> dict[str, Decimal]:
    """Currency -> balance change of one fill (the fee comes off its currency)."""
    base, quote = symbol.split("/")[0], symbol.split("/")[1].split(":")[0]
    sign = 1 if side == "buy" else -1
    flows = {base: sign * amount, quote: -sign * amount * price}
    if fee_ccy:
        flows[fee_ccy] = flows.get(fee_ccy, ZERO) - fee
    return flows


def balance_changes(truth: VenueTruth, view: JournalView) -> list[str]:
    out: list[str] = []
    expected: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for f in view.fills:
        o = view.orders.get(f["client_id"])
        if o is None:
            out.append(f"{f['venue']} fill {f['trade_id']}: its order {f['client_id']} is not in the journal")
            continue
        flows = fill_flows(o["side"], o["symbol"], d(f["amount"]), d(f["price"]), d(f["fee"]), f.get("fee_currency"))
        for ccy, x in flows.items():
            expected[f["venue"]][ccy] += x
    for venue, now in truth.now.items():
        start = truth.start.get(venue, {})
        for ccy in sorted(set(now) | set(start) | set(expected[venue])):
            moved = now.get(ccy, ZERO) - start.get(ccy, ZERO)
            if not near(moved, expected[venue][ccy]):
                out.append(
                    f"{venue} {ccy}: balance moved {moved}, journal fills say {expected[venue][ccy]} "
                    f"(off by {moved - expected[venue][ccy]})"
                )
    return out


def exposure_checks(truth: VenueTruth, view: JournalView) -> list[str]:
    out: list[str] = []
    base_net: dict[str, Decimal] = defaultdict(Decimal)
    symbol_of: dict[str, str] = {}
    venues_of: dict[str, set[str]] = defaultdict(set)
    price_of: dict[str, Decimal] = defaultdict(Decimal)  # highest fill price of the opportunity
    for o in view.orders.values():
        opp = o.get("opportunity_id")
        if opp:
            symbol_of[opp] = o["symbol"]
            venues_of[opp].add(o["venue"])
    for f in truth.fills:
        o = view.orders.get(f["client_id"])
        if o is not None and o.get("opportunity_id"):
            price_of[o["opportunity_id"]] = max(price_of[o["opportunity_id"]], d(f["price"]))

    def sellable(venue: str, symbol: str, price: Decimal) -> Decimal:
        lot = truth.lots.get((venue, symbol), ZERO)
        min_size, min_notional = truth.minimums.get((venue, symbol), (ZERO, ZERO))
        need = max(lot, min_size, min_notional / price if price > 0 else ZERO)
        return need if lot == 0 else (need / lot).to_integral_value(rounding=ROUND_CEILING) * lot

    # dust: a long residual that no order on any of the opportunity's venues could sell (lot, minimum size,
    # minimum notional at the opportunity's best fill price)
    lot = {opp: min(sellable(v, symbol_of[opp], price_of[opp]) for v in venues_of[opp]) for opp in symbol_of}
    for f in truth.fills:
        o = view.orders.get(f["client_id"])
        if o is None or not o.get("opportunity_id"):
            continue  # reported by order_states
        base = o["symbol"].split("/")[0]
        delta = f["amount"] if f["side"] == "buy" else -f["amount"]
        base_net[o["opportunity_id"]] += delta - (f["fee"] if f["fee_currency"] == base else ZERO)
    journal_open: dict[str, Decimal] = defaultdict(Decimal)
    for e in view.exposures:
        if e["state"] == "open":
            journal_open[e.get("opportunity_id") or f"(exposure #{e['id']})"] += d(e["base_delta"])
    for opp in sorted(set(symbol_of) | set(journal_open)):
        net = base_net.get(opp, ZERO)
        real = ZERO if ZERO <= net < lot.get(opp, ZERO) else net
        journaled = journal_open.get(opp, ZERO)
        where = f"opportunity {opp} ({symbol_of.get(opp, '?')})"
        if real != 0 and opp not in journal_open:
            out.append(f"{where}: venues hold an imbalance of {real} with no open exposure in the journal")
        elif real == 0 and opp in journal_open and journaled != 0:
            out.append(f"{where}: journal holds an open exposure of {journaled} but the venues are flat")
        elif not near(real, journaled):
            out.append(f"{where}: open exposure {journaled} in the journal, {real} at the venues")
        if view.policy == "hedge" and real != 0:
            out.append(f"{where}: {real} left unhedged under the hedge policy")
    return out


def legs_across_processes(truth: VenueTruth, view: JournalView, starts: list[int]) -> list[str]:
    """An opportunity's main legs (``leg`` buy/sell) must reach the venues from one process: ``starts`` are
    the processes' start times (venue clock, ms, ascending); a request belongs to the last one started before
    it arrived."""
    if not starts:
        return []
    by_opp: dict[str, set[int]] = defaultdict(set)
    for a in truth.attempts:
        o = view.orders.get(a["client_id"])
        if o is None or not o.get("opportunity_id") or (o.get("leg") or o["side"]) not in MAIN_LEGS:
            continue
        by_opp[o["opportunity_id"]].add(sum(1 for t in starts if t <= a["arrival_ms"]))
    return [
        f"opportunity {opp}: its legs were sent by {len(p)} processes (#{', #'.join(map(str, sorted(p)))})"
        for opp, p in by_opp.items()
        if len(p) > 1
    ]
