"""The rebalancing planner: the transfers that bring balances back to a target, over the cheapest feasible network.

Pure: balances, target, networks, prices in; a :class:`Plan` out. No I/O, no clock.

Per asset, the current total across venues is split in the target's proportions (the target is
``[rebalance] targets`` or the starting inventory; totals drift with PnL and fees, so the split, not the
absolute amounts, is what is restored). Venues above their share send to venues below it, largest first.
For each move the planner tries every network both venues list with withdrawals open at the source and
deposits open at the destination, and keeps the cheapest feasible one:

* amount sent = what the destination lacks + the network's withdrawal fee (the fee comes out of the amount:
  received = sent − fee), rounded up to the network's withdrawal step;
* below the network's withdrawal minimum it is raised to the minimum when the source holds that much
  (``note`` says so), else that network is infeasible;
* never more than the source holds (minus what earlier moves of the plan already take from it).

A move with no feasible network is reported ``impossible`` with the reason for each network; a move
between venues whose transfer data is unknown (no keys) is ``unknown``, never guessed. Moves under
``min_fraction`` of the asset's total are left out. Each move's fee is valued in quote (``prices``) and
compared with the PnL it enables (``pnl_per_unit``: quote earned per unit of the asset traded, from the
journal); a move costing more than ``max_fee_share`` of that PnL is ``flagged``. Amounts are exact Decimals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, Literal

from arb.core.model import ZERO
from arb.inventory.networks import NetworkTable, Route, route, routes

MoveStatus = Literal["ok", "impossible", "unknown"]
VenueAsset = tuple[str, str]


def _up(x: Decimal, step: Decimal | None) -> Decimal:
    return x if not step else (x / step).to_integral_value(ROUND_CEILING) * step


def _down(x: Decimal, step: Decimal | None) -> Decimal:
    return x if not step else (x / step).to_integral_value(ROUND_FLOOR) * step


@dataclass(frozen=True, slots=True)
class Transfer:
    """One move of the plan. ``amount`` leaves ``source``; ``received`` = ``amount`` − ``fee`` reaches ``dest``."""

    asset: str
    source: str
    dest: str
    status: MoveStatus
    needed: Decimal  # what ``dest`` lacks of its share (this move's part of it)
    network: str | None = None
    amount: Decimal = ZERO
    fee: Decimal | None = None
    received: Decimal = ZERO
    minimum: Decimal | None = None
    arrival_s: int | None = None
    arrival_source: str = ""
    fee_quote: Decimal | None = None
    enabled_pnl: Decimal | None = None
    flagged: bool = False
    note: str = ""
    reason: str = ""

    def as_json(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True, slots=True)
class Plan:
    transfers: list[Transfer]
    after: dict[VenueAsset, Decimal]  # balances once every ``ok`` move has arrived (instant, with its fee)
    fee_quote: Decimal | None  # sum of the ``ok`` moves' fees in quote; None when a fee has no price
    shares: dict[VenueAsset, Decimal] = field(default_factory=dict)  # the target split of today's totals

    @property
    def ok(self) -> list[Transfer]:
        return [t for t in self.transfers if t.status == "ok"]

    @property
    def complete(self) -> bool:
        """Every needed move is feasible (nothing impossible or unknown)."""
        return all(t.status == "ok" for t in self.transfers)

    def as_json(self) -> dict[str, Any]:
        return {
            "transfers": [t.as_json() for t in self.transfers],
            "complete": self.complete,
            "fee_quote": None if self.fee_quote is None else str(self.fee_quote),
            "after": [{"venue": v, "asset": a, "amount": str(x)} for (v, a), x in sorted(self.after.items())],
            "target_split": [{"venue": v, "asset": a, "amount": str(x)} for (v, a), x in sorted(self.shares.items())],
        }


def _try(r: Route, needed: Decimal, available: Decimal) -> tuple[Decimal | None, str, str]:
    """(amount to send, note, why not) for one open network."""
    fee = r.fee if r.fee is not None else ZERO
    amount = _up(needed + fee, r.step)
    note = ""
    if amount > available:
        amount = _down(available, r.step)
        note = f"source holds only {available}: sends all of it"
    if r.minimum is not None and amount < r.minimum:
        if r.minimum > available:
            return (
                None,
                "",
                f"{r.network}: needs {amount}, below the withdrawal minimum {r.minimum}, and {r.source} "
                f"holds only {available}",
            )
        amount, note = r.minimum, f"raised to the withdrawal minimum {r.minimum}"
    if amount <= fee:
        return None, "", f"{r.network}: the fee {fee} takes all of {amount}"
    if r.deposit_min is not None and amount - fee < r.deposit_min:  # below it the deposit is never credited
        least = _up(r.deposit_min + fee, r.step)
        if least > available:
            return (
                None,
                "",
                f"{r.network}: {r.dest} credits deposits from {r.deposit_min}; {r.source} holds only {available}",
            )
        amount, note = least, f"raised so that {r.dest}'s deposit minimum {r.deposit_min} is received"
    return amount, note, ""


def move(
    table: NetworkTable,
    asset: str,
    source: str,
    dest: str,
    needed: Decimal,
    available: Decimal,
) -> Transfer:
    """The cheapest feasible way to get ``needed`` of ``asset`` to ``dest`` from ``source`` (which holds
    ``available``); ``impossible``/``unknown`` with the reason when there is none."""
    best = route(table, asset, source, dest)
    if not table.known(source) or not table.known(dest):
        return Transfer(asset, source, dest, "unknown", needed, reason=best.reason)
    # open networks, cheapest first (an unknown fee last): the first feasible one wins
    candidates = [r for r in routes(table, asset, source, dest) if r.status == "yes"]
    why: list[str] = []
    chosen: tuple[Route, Decimal, str] | None = None
    for r in candidates:
        amount, note, reason = _try(r, needed, available)
        if amount is not None:
            chosen = (r, amount, note)
            break
        why.append(reason)
    if chosen is None:
        if not candidates and any(r.status == "unknown" for r in routes(table, asset, source, dest)):
            return Transfer(
                asset, source, dest, "unknown", needed, reason="the venues do not say whether transfers are open"
            )
        reason = "; ".join(why) or best.reason or "no open network"
        return Transfer(asset, source, dest, "impossible", needed, reason=reason)
    r, amount, note = chosen
    fee = r.fee if r.fee is not None else ZERO  # unknown: not guessed (``fee`` None, no price, no net PnL)
    return Transfer(
        asset,
        source,
        dest,
        "ok",
        needed,
        network=r.network,
        amount=amount,
        fee=r.fee,
        received=amount - fee,
        minimum=r.minimum,
        arrival_s=r.arrival_s,
        arrival_source=r.arrival_source,
        note=note if r.fee is not None else (note + "; " if note else "") + "fee unknown: receives at most this",
    )


def _priced(
    t: Transfer, prices: Mapping[str, Decimal], pnl_per_unit: Mapping[str, Decimal], share: Decimal
) -> Transfer:
    price = prices.get(t.asset)
    fee_quote = None if t.fee is None or price is None else t.fee * price
    per_unit = pnl_per_unit.get(t.asset)
    enabled = None if per_unit is None else t.received * per_unit
    flagged = fee_quote is not None and enabled is not None and fee_quote > share * enabled
    return replace(t, fee_quote=fee_quote, enabled_pnl=enabled, flagged=flagged)


def shares(balances: Mapping[VenueAsset, Decimal], target: Mapping[VenueAsset, Decimal]) -> dict[VenueAsset, Decimal]:
    """Each (venue, asset)'s share of today's total of that asset, in the target's proportions."""
    out: dict[VenueAsset, Decimal] = {}
    for asset in sorted({a for _, a in target}):
        venues = sorted({v for v, a in target if a == asset} | {v for v, a in balances if a == asset})
        total = sum((balances.get((v, asset), ZERO) for v in venues), ZERO)
        wsum = sum((target.get((v, asset), ZERO) for v in venues), ZERO)
        if total <= 0 or wsum <= 0:
            continue
        for v in venues:
            out[(v, asset)] = total * target.get((v, asset), ZERO) / wsum
    return out


def plan(
    balances: Mapping[VenueAsset, Decimal],
    target: Mapping[VenueAsset, Decimal],
    table: NetworkTable,
    *,
    prices: Mapping[str, Decimal] | None = None,
    pnl_per_unit: Mapping[str, Decimal] | None = None,
    max_fee_share: Decimal = Decimal("0.5"),
    min_fraction: Decimal = Decimal("0.001"),
) -> Plan:
    """The transfers that restore ``target``'s split of each asset; see the module doc."""
    prices, pnl_per_unit = prices or {}, pnl_per_unit or {}
    want = shares(balances, target)
    after = dict(balances)
    out: list[Transfer] = []
    for asset in sorted({a for _, a in want}):
        venues = sorted(v for v, a in want if a == asset)
        total = sum((balances.get((v, asset), ZERO) for v in venues), ZERO)
        delta = {v: balances.get((v, asset), ZERO) - want[(v, asset)] for v in venues}
        give = sorted(((d, v) for v, d in delta.items() if d > 0), key=lambda x: (-x[0], x[1]))
        take = sorted(((-d, v) for v, d in delta.items() if d < 0), key=lambda x: (-x[0], x[1]))
        floor = total * min_fraction
        for lack, dest in take:
            blocked: list[tuple[int, Transfer]] = []  # sources that cannot send: used only if no other one covers
            for i, (surplus, source) in enumerate(give):
                if lack <= floor:
                    break
                if surplus <= floor:
                    continue
                t = move(table, asset, source, dest, min(lack, surplus), after.get((source, asset), ZERO))
                t = _priced(t, prices, pnl_per_unit, max_fee_share)
                if t.status != "ok":
                    blocked.append((i, t))
                    continue
                out.append(t)
                after[(source, asset)] = after.get((source, asset), ZERO) - t.amount
                after[(dest, asset)] = after.get((dest, asset), ZERO) + t.received
                give[i] = (surplus - min(t.amount, surplus), source)
                lack -= t.received
            for i, t in blocked:  # what is still lacking, reported against the sources that cannot send it
                surplus, source = give[i]
                if lack <= floor:
                    break
                part = min(lack, surplus)
                out.append(replace(t, needed=part))
                give[i] = (surplus - part, source)
                lack -= part
    fees = [t.fee_quote for t in out if t.status == "ok"]
    fee_quote = None if any(f is None for f in fees) else sum((f for f in fees if f is not None), ZERO)
    return Plan(out, after, fee_quote, want)
